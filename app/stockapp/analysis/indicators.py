"""Price indicators in pure Python. Inputs are closes, oldest first."""

import math
import statistics
from itertools import pairwise

TRADING_DAYS = 252


def daily_returns(closes):
    """Simple returns c[t] / c[t-1] - 1."""
    return [b / a - 1 for a, b in pairwise(closes)]


def returns_summary(returns):
    """Mean and sample standard deviation (n - 1) of the returns."""
    stdev = statistics.stdev(returns) if len(returns) > 1 else 0.0
    return {"count": len(returns), "mean": statistics.fmean(returns), "stdev": stdev}


def sma(closes, window):
    """Mean of the last `window` closes."""
    return statistics.fmean(closes[-window:])


def ema(closes, window):
    """Exponential average with alpha = 2 / (window + 1), seeded by the SMA of the first window."""
    alpha = 2 / (window + 1)
    value = statistics.fmean(closes[:window])
    for close in closes[window:]:
        value += alpha * (close - value)
    return value


def rsi(closes, period=14):
    """Wilder's RSI: plain means for the first period, then (prev * (p - 1) + x) / p."""
    changes = [b - a for a, b in pairwise(closes)]
    gains = [max(c, 0.0) for c in changes]
    losses = [max(-c, 0.0) for c in changes]
    avg_gain = statistics.fmean(gains[:period])
    avg_loss = statistics.fmean(losses[:period])
    for gain, loss in zip(gains[period:], losses[period:], strict=True):
        avg_gain = (avg_gain * (period - 1) + gain) / period
        avg_loss = (avg_loss * (period - 1) + loss) / period
    if avg_loss == 0:
        return 100.0
    return 100 - 100 / (1 + avg_gain / avg_loss)


def annualised_volatility(returns):
    """Sample stdev of daily returns scaled by sqrt(252)."""
    return statistics.stdev(returns) * math.sqrt(TRADING_DAYS)


def max_drawdown(closes):
    """Largest fall from a running peak, as a positive fraction (0.25 = 25 %)."""
    peak, worst = closes[0], 0.0
    for close in closes:
        peak = max(peak, close)
        worst = max(worst, (peak - close) / peak)
    return worst


def analyse(closes, window, rsi_period=14):
    """Every indicator the analysis page shows; needs more than max(window, rsi_period) closes."""
    if len(closes) <= max(window, rsi_period):
        raise ValueError(f"need more than {max(window, rsi_period)} closes, got {len(closes)}")
    returns = daily_returns(closes)
    return {
        "last_close": closes[-1],
        "daily_returns": returns_summary(returns),
        "sma": sma(closes, window),
        "ema": ema(closes, window),
        "rsi_14": rsi(closes, rsi_period),
        "annualised_volatility": annualised_volatility(returns),
        "max_drawdown": max_drawdown(closes),
    }


def sma_series(closes, window):
    """The SMA at every close: None until `window` closes exist, then sma() of the closes so far."""
    return [
        statistics.fmean(closes[i + 1 - window : i + 1]) if i + 1 >= window else None
        for i in range(len(closes))
    ]


def _rsi_value(avg_gain, avg_loss):
    return 100.0 if avg_loss == 0 else 100 - 100 / (1 + avg_gain / avg_loss)


def rsi_series(closes, period=14):
    """Wilder's RSI at every close, as rsi() of the closes so far; None for the first `period`
    closes, which give fewer than `period` changes."""
    values = [None] * len(closes)
    changes = [b - a for a, b in pairwise(closes)]
    if len(changes) < period:
        return values
    gains = [max(c, 0.0) for c in changes]
    losses = [max(-c, 0.0) for c in changes]
    avg_gain = statistics.fmean(gains[:period])
    avg_loss = statistics.fmean(losses[:period])
    values[period] = _rsi_value(avg_gain, avg_loss)
    for i in range(period, len(changes)):
        avg_gain = (avg_gain * (period - 1) + gains[i]) / period
        avg_loss = (avg_loss * (period - 1) + losses[i]) / period
        values[i + 1] = _rsi_value(avg_gain, avg_loss)
    return values
