"""The analysis page's SVG chart as numbers: series scaled to SVG coordinates, axis ticks and a
text summary. Pure functions, no Flask; templates/analysis/_chart.html draws the result.

Sessions are spaced evenly along x (trading days, not calendar days): session i of n sits at
left + width * i / (n - 1). A value v on an axis from lo to hi sits at
top + height * (hi - v) / (hi - lo), so hi is at the top. Coordinates have two decimals.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from .indicators import rsi_series, sma_series


@dataclass(frozen=True)
class Box:
    """A plotting area in SVG user units."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self):
        return self.left + self.width

    @property
    def bottom(self):
        return self.top + self.height


VIEW_WIDTH = 720
PRICE_VIEW_HEIGHT, RSI_VIEW_HEIGHT = 270, 160
PRICE_BOX = Box(left=60, top=20, width=600, height=200)
RSI_BOX = Box(left=60, top=10, width=600, height=100)
RSI_PERIOD = 14
RSI_OVERBOUGHT, RSI_OVERSOLD = 70, 30
X_TICKS = 5


def fmt(value):
    """A coordinate as SVG text: two decimals at most, no trailing zeros ("193.33", "60")."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def x_at(index, count, box):
    if count <= 1:
        return box.left
    return box.left + box.width * index / (count - 1)


def y_at(value, lo, hi, box):
    if hi == lo:
        return box.top + box.height / 2
    return box.top + box.height * (hi - value) / (hi - lo)


def points(series, lo, hi, box):
    """The `points` of a polyline: each defined value at its own index (None: no point yet, as
    for a moving average before its first full window)."""
    count = len(series)
    return " ".join(
        f"{fmt(x_at(i, count, box))},{fmt(y_at(v, lo, hi, box))}"
        for i, v in enumerate(series)
        if v is not None
    )


def nice_step(span, target=5):
    """The step of 1, 2, 2.5 or 5 times a power of ten that cuts `span` into about `target`."""
    raw = span / target
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5):
        if multiple * magnitude >= raw * (1 - 1e-9):
            return multiple * magnitude
    return 10 * magnitude


def value_axis(lo, hi, target=5):
    """(axis_lo, axis_hi, ticks): round numbers on whole steps that contain lo..hi."""
    if hi <= lo:
        pad = abs(lo) * 0.05 or 1.0
        lo, hi = lo - pad, hi + pad
    step = nice_step(hi - lo, target)
    start = math.floor(lo / step + 1e-9)
    stop = math.ceil(hi / step - 1e-9)
    ticks = [round(k * step, 10) for k in range(start, stop + 1)]
    return ticks[0], ticks[-1], ticks


def tick_label(value, step):
    decimals = max(0, -Decimal(repr(step)).normalize().as_tuple().exponent)
    return f"{value:.{decimals}f}"


def x_ticks(dates, box, count=X_TICKS):
    """(date, x) for `count` sessions spread evenly from the first to the last."""
    n = len(dates)
    indices = sorted({round(k * (n - 1) / (count - 1)) for k in range(count)}) if n > 1 else [0]
    return [(dates[i], fmt(x_at(i, n, box))) for i in indices]


def summary(symbol, rows, window, ma, rsi):
    """Plain sentences saying what the chart shows, for readers who cannot see it."""
    closes = [r["close"] for r in rows]
    first, last = closes[0], closes[-1]
    low = min(range(len(closes)), key=closes.__getitem__)
    high = max(range(len(closes)), key=closes.__getitem__)
    price = (
        f"{len(rows)} sessions of synthetic {symbol} prices from {rows[0]['date']} to "
        f"{rows[-1]['date']}: the close went from {first:.2f} to {last:.2f} "
        f"({(last / first - 1) * 100:+.1f}%), with a low of {closes[low]:.2f} on "
        f"{rows[low]['date']} and a high of {closes[high]:.2f} on {rows[high]['date']}."
    )
    side = "above" if last > ma[-1] else "below" if last < ma[-1] else "level with"
    average = f"The last close is {side} its {window}-day simple moving average of {ma[-1]:.2f}."
    if rsi[-1] > RSI_OVERBOUGHT:
        zone = f"above {RSI_OVERBOUGHT}, a reading often called overbought"
    elif rsi[-1] < RSI_OVERSOLD:
        zone = f"below {RSI_OVERSOLD}, a reading often called oversold"
    else:
        zone = f"between {RSI_OVERSOLD} and {RSI_OVERBOUGHT}"
    momentum = f"RSI({RSI_PERIOD}) ended at {rsi[-1]:.1f}, {zone}."
    return {"price": price, "average": average, "rsi": momentum}


def price_chart(symbol, rows, window):
    """Everything _chart.html needs; rows are the symbol's sessions, oldest first, and must
    number more than max(window, RSI_PERIOD) (as indicators.analyse requires)."""
    closes = [r["close"] for r in rows]
    dates = [r["date"] for r in rows]
    ma = sma_series(closes, window)
    rsi = rsi_series(closes, RSI_PERIOD)
    shown = closes + [v for v in ma if v is not None]
    lo, hi, ticks = value_axis(min(shown), max(shown))
    step = ticks[1] - ticks[0]
    rsi_ticks = [0, RSI_OVERSOLD, 50, RSI_OVERBOUGHT, 100]
    return {
        "symbol": symbol,
        "window": window,
        "rsi_period": RSI_PERIOD,
        "width": VIEW_WIDTH,
        "price": {
            "height": PRICE_VIEW_HEIGHT,
            "box": PRICE_BOX,
            "close": points(closes, lo, hi, PRICE_BOX),
            "ma": points(ma, lo, hi, PRICE_BOX),
            "y_ticks": [(tick_label(t, step), fmt(y_at(t, lo, hi, PRICE_BOX))) for t in ticks],
            "x_ticks": x_ticks(dates, PRICE_BOX),
        },
        "rsi": {
            "height": RSI_VIEW_HEIGHT,
            "box": RSI_BOX,
            "line": points(rsi, 0, 100, RSI_BOX),
            "y_ticks": [(str(t), fmt(y_at(t, 0, 100, RSI_BOX))) for t in rsi_ticks],
            "band_top": fmt(y_at(RSI_OVERBOUGHT, 0, 100, RSI_BOX)),
            "band_height": fmt(
                y_at(RSI_OVERSOLD, 0, 100, RSI_BOX) - y_at(RSI_OVERBOUGHT, 0, 100, RSI_BOX)
            ),
            "x_ticks": x_ticks(dates, RSI_BOX),
        },
        "summary": summary(symbol, rows, window, ma, rsi),
    }
