"""HTML pages for analysis."""

from flask import render_template, request

from . import bp
from .chart import price_chart
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
    rows = all_prices()[result["symbol"]]
    return render_template(
        "analysis/symbol.html",
        a=result,
        chart=price_chart(result["symbol"], rows, window),
        recent=rows[-10:][::-1],
        symbols=symbols(),
        window_range=(MIN_WINDOW, MAX_WINDOW, DEFAULT_WINDOW),
    )
