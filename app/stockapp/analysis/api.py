"""JSON API for analysis."""

from flask import jsonify, request

from . import bp
from .service import analysis_for, parse_window, symbols


@bp.get("/api/symbols")
def symbols_api():
    return jsonify(symbols=symbols(), synthetic=True)


@bp.get("/api/analysis/<symbol>")
def analysis_api(symbol):
    return jsonify(analysis_for(symbol, parse_window(request.args.get("window"))))
