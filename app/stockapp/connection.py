"""Opening SQLite connections; free of Flask and metrics so the migrator stays lean."""

import sqlite3
from urllib.parse import quote


def connect(path, create=False, timeout=5.0):
    """Autocommit connection; mode=rw (the default) so only the migrator creates the file."""
    mode = "rwc" if create else "rw"
    conn = sqlite3.connect(
        f"file:{quote(path)}?mode={mode}", uri=True, timeout=timeout, isolation_level=None
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    return conn
