"""HTML pages for analysis."""

from flask import render_template, request

from . import bp
from .service import (
    DEFAULT_WINDOW,
    MAX_WINDOW,
    MIN_WINDOW,
    all_prices,
    analysis_for,
    parse_window,
    symbols,
)


@bp.get("/analysis")
def index():
    return render_template("analysis/index.html", symbols=symbols())


@bp.get("/analysis/<symbol>")
def symbol_page(symbol):
    window = parse_window(request.args.get("window"))
    result = analysis_for(symbol, window)
    recent = all_prices()[result["symbol"]][-10:][::-1]
    return render_template(
        "analysis/symbol.html",
        a=result,
        recent=recent,
        symbols=symbols(),
        window_range=(MIN_WINDOW, MAX_WINDOW, DEFAULT_WINDOW),
    )
