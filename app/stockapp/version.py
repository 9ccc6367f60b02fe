"""The version a process serves: STOCKAPP_VERSION (stamped by the image build) or VERSION."""

import os

VERSION = "0.1.0"


def current():
    """STOCKAPP_VERSION when set and not blank, else VERSION (read on every call)."""
    return os.environ.get("STOCKAPP_VERSION", "").strip() or VERSION
