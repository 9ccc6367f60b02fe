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


# Sixteen closes whose indicators are worked out by hand below.
KNOWN = [10, 11, 12, 11, 13, 14, 13, 15, 16, 15, 17, 18, 17, 19, 20, 19]


def test_indicators_of_a_known_series_have_their_hand_computed_values(make_app, make_api, tmp_path):
    rows = ["date,open,high,low,close,volume"]
    rows += [f"2024-01-{day + 1:02d},{c},{c},{c},{c},100" for day, c in enumerate(KNOWN)]
    (tmp_path / "TEST.csv").write_text("\n".join(rows) + "\n")
    api = make_api(make_app(PRICE_DIR=str(tmp_path)))
    body = api.get("/api/analysis/TEST?window=3").get_json()
    assert body["last_close"] == 19
    # SMA(3): (19 + 20 + 19) / 3.
    assert body["sma"] == pytest.approx(58 / 3)
    # EMA(3): alpha 1/2, seeded with the SMA of 10, 11, 12 = 11; each close halves the gap:
    # 11, 12, 13, 13, 14, 15, 15, 16, 17, 17, 18, 19, 19.
    assert body["ema"] == pytest.approx(19.0)
    # RSI(14): the first 14 changes gain 14 and lose 4 (averages 1 and 4/14); the 15th (-1)
    # smooths them to 13/14 and 66/196: RS = 182/66, RSI = 100 - 100 / (1 + RS) = 100 - 6600/248.
    assert body["rsi_14"] == pytest.approx(100 - 6600 / 248)
    # Worst fall from a running peak: 12 -> 11, one twelfth.
    assert body["max_drawdown"] == pytest.approx(1 / 12)
    assert body["daily_returns"]["count"] == 15


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
