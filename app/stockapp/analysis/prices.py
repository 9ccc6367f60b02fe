"""Bundled synthetic price files: data/prices/<SYMBOL>.csv (date,open,high,low,close,volume)."""

import csv
import functools
from datetime import date
from itertools import pairwise
from pathlib import Path

COLUMNS = ["date", "open", "high", "low", "close", "volume"]


class PriceDataError(ValueError):
    pass


def load_file(path):
    """Rows as dicts with floats (volume int), oldest first; raises PriceDataError if malformed."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != COLUMNS:
            raise PriceDataError(f"{Path(path).name}: expected columns {','.join(COLUMNS)}")
        try:
            rows = [_parse(row) for row in reader]
        except (TypeError, ValueError) as exc:
            raise PriceDataError(f"{Path(path).name}: line {reader.line_num}: {exc}") from None
    if not rows:
        raise PriceDataError(f"{Path(path).name}: no rows")
    if any(a["date"] >= b["date"] for a, b in pairwise(rows)):
        raise PriceDataError(f"{Path(path).name}: dates are not strictly increasing")
    return rows


def _parse(row):
    date.fromisoformat(row["date"])
    parsed = {k: float(row[k]) for k in ("open", "high", "low", "close")}
    if parsed["close"] <= 0:
        raise ValueError("close must be positive")
    return {"date": row["date"], **parsed, "volume": int(row["volume"])}


def load_all(price_dir):
    """{SYMBOL: rows} for every CSV in the folder; raises on the first bad file."""
    files = sorted(Path(price_dir).glob("*.csv"))
    if not files:
        raise PriceDataError(f"no price files in {price_dir}")
    return {path.stem.upper(): load_file(path) for path in files}


@functools.lru_cache(maxsize=4)
def cached(price_dir):
    """The files never change while the process runs, so parse them once per worker."""
    return load_all(price_dir)
