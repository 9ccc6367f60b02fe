"""Generate the bundled synthetic price files (deterministic: same output every run).

    python scripts/generate_prices.py [OUTPUT_DIR]

Closes follow geometric Brownian motion with dt = 1/252:
S[t+1] = S[t] * exp((mu - sigma^2/2) dt + sigma sqrt(dt) Z).
Tickers are invented; the data are not real market prices.
"""

import csv
import math
import random
import sys
from datetime import date, timedelta
from pathlib import Path

SEED = 20240101
DAYS = 500
START = date(2023, 1, 2)
DT = 1 / 252
# symbol: (start price, annual drift mu, annual volatility sigma)
SYMBOLS = {
    "ACME": (120.0, 0.08, 0.22),
    "BOLT": (45.0, 0.15, 0.45),
    "CRUX": (210.0, 0.05, 0.15),
    "DUNE": (18.0, -0.04, 0.35),
    "EMBR": (75.0, 0.10, 0.28),
}
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "stockapp" / "data" / "prices"


def trading_days(start, count):
    """Weekdays only; holidays are ignored because the data are synthetic anyway."""
    day = start
    while count:
        if day.weekday() < 5:
            yield day
            count -= 1
        day += timedelta(days=1)


def gbm_step(price, mu, sigma, rng):
    shock = rng.gauss(0.0, 1.0)
    return price * math.exp((mu - sigma**2 / 2) * DT + sigma * math.sqrt(DT) * shock)


def bar(prev_close, close, sigma, rng):
    """Open near the previous close; high/low widen the open-close range a little."""
    daily = sigma * math.sqrt(DT)
    open_ = prev_close * math.exp(rng.gauss(0.0, daily / 4))
    high = max(open_, close) * math.exp(abs(rng.gauss(0.0, daily / 2)))
    low = min(open_, close) * math.exp(-abs(rng.gauss(0.0, daily / 2)))
    volume = int(rng.lognormvariate(math.log(1_000_000), 0.4))
    return open_, high, low, volume


def rows(start_price, mu, sigma, rng):
    close = start_price
    for day in trading_days(START, DAYS):
        prev, close = close, gbm_step(close, mu, sigma, rng)
        open_, high, low, volume = bar(prev, close, sigma, rng)
        yield [day.isoformat(), *(f"{v:.2f}" for v in (open_, high, low, close)), volume]


def main(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    for symbol, params in SYMBOLS.items():
        with open(out_dir / f"{symbol}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["date", "open", "high", "low", "close", "volume"])
            writer.writerows(rows(*params, rng))
        print(f"wrote {out_dir / f'{symbol}.csv'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
