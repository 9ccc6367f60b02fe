"""Indicators against values computed by hand (working shown in each test)."""

import math

import pytest

from stockapp.analysis import indicators as ind

CLOSES = [10.0, 11.0, 10.5, 11.5, 12.0]


def test_daily_returns():
    # 11/10-1, 10.5/11-1, 11.5/10.5-1, 12/11.5-1
    assert ind.daily_returns(CLOSES) == pytest.approx([0.1, -1 / 22, 2 / 21, 1 / 23])


def test_returns_summary_uses_sample_stdev():
    # mean of [0.01, -0.01, 0.03] = 0.01; deviations 0, -0.02, 0.02 -> sqrt(0.0008 / 2) = 0.02
    summary = ind.returns_summary([0.01, -0.01, 0.03])
    assert summary["count"] == 3
    assert summary["mean"] == pytest.approx(0.01)
    assert summary["stdev"] == pytest.approx(0.02)


def test_sma_uses_the_last_window():
    assert ind.sma(CLOSES, 3) == pytest.approx((10.5 + 11.5 + 12.0) / 3)


def test_ema_seeded_with_sma():
    # alpha = 2/(3+1) = 0.5; seed = (10 + 11 + 10.5)/3 = 10.5; 10.5 + .5*(11.5-10.5) = 11;
    # 11 + .5*(12-11) = 11.5
    assert ind.ema(CLOSES, 3) == pytest.approx(11.5)


def test_rsi_wilder_smoothing():
    # changes +1, -.5, +1, +.5; period 3: avg gain 2/3, avg loss 1/6;
    # next: gain (2/3*2 + .5)/3 = 11/18, loss (1/6*2 + 0)/3 = 1/9; RS = 5.5
    assert ind.rsi(CLOSES, 3) == pytest.approx(100 - 100 / 6.5)


def test_rsi_without_losses_is_100():
    assert ind.rsi([1, 2, 3, 4, 5], 3) == 100.0


def test_annualised_volatility():
    # sample stdev of [0.01, -0.01] = sqrt(0.0002 / 1); times sqrt(252)
    assert ind.annualised_volatility([0.01, -0.01]) == pytest.approx(math.sqrt(0.0002 * 252))


def test_max_drawdown_is_the_largest_peak_to_trough_fall():
    # 120 -> 90 is 25 %, later 130 -> 117 is only 10 %
    assert ind.max_drawdown([100, 120, 90, 110, 130, 117]) == pytest.approx(0.25)
    assert ind.max_drawdown([1, 2, 3]) == 0.0


def test_analyse_needs_enough_history():
    with pytest.raises(ValueError):
        ind.analyse(CLOSES, window=20)


def test_analyse_combines_the_indicators():
    closes = [100 + (i % 7) - (i % 3) for i in range(40)]
    result = ind.analyse(closes, window=5)
    assert result["last_close"] == closes[-1]
    assert result["sma"] == pytest.approx(sum(closes[-5:]) / 5)
    assert 0 <= result["rsi_14"] <= 100
