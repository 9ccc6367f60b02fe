"""Analysis API and pages over the bundled synthetic data."""

import csv
from pathlib import Path

import pytest

from stockapp.analysis.prices import PriceDataError, load_all, load_file

PRICE_DIR = Path(__file__).resolve().parent.parent / "stockapp" / "data" / "prices"


def test_symbols(api):
    body = api.get("/api/symbols").get_json()
    assert body == {"symbols": ["ACME", "BOLT", "CRUX", "DUNE", "EMBR"], "synthetic": True}


def test_analysis_matches_the_csv(api):
    body = api.get("/api/analysis/acme?window=10").get_json()
    with open(PRICE_DIR / "ACME.csv", newline="") as handle:
        closes = [float(row["close"]) for row in csv.DictReader(handle)]
    assert body["symbol"] == "ACME" and body["synthetic"] is True and body["window"] == 10
    assert body["last_close"] == closes[-1]
    assert body["sma"] == pytest.approx(sum(closes[-10:]) / 10)
    assert body["daily_returns"]["count"] == len(closes) - 1
    for key in ("ema", "rsi_14", "annualised_volatility", "max_drawdown"):
        assert isinstance(body[key], float)


def test_unknown_symbol_is_404_json(api):
    response = api.get("/api/analysis/NOPE")
    assert response.status_code == 404
    assert response.get_json() == {"error": "unknown symbol"}


@pytest.mark.parametrize("window", ["1", "201", "abc", "-5"])
def test_bad_window_is_400(api, window):
    assert api.get(f"/api/analysis/ACME?window={window}").status_code == 400


def test_analysis_page_says_the_data_are_synthetic(client):
    page = client.get("/analysis/BOLT").get_data(as_text=True)
    assert "synthetic" in page.lower()
    assert client.get("/analysis/NOPE").status_code == 404


def test_bundled_files_are_well_formed():
    prices = load_all(PRICE_DIR)
    assert len(prices) >= 5
    assert all(len(rows) >= 250 for rows in prices.values())


def test_malformed_file_is_reported(tmp_path):
    bad = tmp_path / "BAD.csv"
    bad.write_text("date,open,high,low,close,volume\n2024-01-02,1,1,1,oops,5\n")
    with pytest.raises(PriceDataError, match="BAD.csv"):
        load_file(bad)
