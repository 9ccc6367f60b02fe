"""What a SQLite error says about storage: "cannot serve" or only "cannot write".

A storage error is the machine's fault, not the request's or the code's: it answers 503 with
Retry-After (errors.py) and feeds the readiness state (readiness.py). Anything else SQLite
raises (a constraint, a bad statement) is a bug and stays a 500.
"""

import sqlite3
from dataclasses import dataclass

SERVE = "serve"  # the database cannot be read: no page can be answered
WRITE = "write"  # reads still work; writes fail until the cause is gone


@dataclass(frozen=True)
class StorageProblem:
    scope: str
    cause: str
    retry_after: int


FULL = StorageProblem(WRITE, "database or disk is full", 30)
READ_ONLY = StorageProblem(WRITE, "database is read-only", 30)
LOCKED = StorageProblem(WRITE, "database is locked", 1)
IO_ERROR = StorageProblem(SERVE, "disk I/O error", 5)
CANNOT_OPEN = StorageProblem(SERVE, "database file cannot be opened", 5)
CORRUPT = StorageProblem(SERVE, "database file is corrupt", 5)
NOT_A_DATABASE = StorageProblem(SERVE, "database file is not a database", 5)

# Primary result codes, https://www.sqlite.org/rescode.html (extended codes keep them in the
# low byte: SQLITE_READONLY_DBMOVED is 8 | 4 << 8).
BY_CODE = {
    5: LOCKED,  # SQLITE_BUSY
    6: LOCKED,  # SQLITE_LOCKED
    8: READ_ONLY,  # SQLITE_READONLY
    10: IO_ERROR,  # SQLITE_IOERR
    11: CORRUPT,  # SQLITE_CORRUPT
    13: FULL,  # SQLITE_FULL
    14: CANNOT_OPEN,  # SQLITE_CANTOPEN
    26: NOT_A_DATABASE,  # SQLITE_NOTADB
}
# An error built by hand (or by an older sqlite3 module) has no sqlite_errorcode: its message.
BY_MESSAGE = [
    ("database or disk is full", FULL),
    ("readonly database", READ_ONLY),
    ("database is locked", LOCKED),
    ("database table is locked", LOCKED),
    ("disk i/o error", IO_ERROR),
    ("unable to open database file", CANNOT_OPEN),
    ("database disk image is malformed", CORRUPT),
    ("file is not a database", NOT_A_DATABASE),
]
# Subclasses of DatabaseError that describe the statement or the data, never the storage.
NOT_STORAGE = (
    sqlite3.IntegrityError,
    sqlite3.ProgrammingError,
    sqlite3.InterfaceError,
    sqlite3.NotSupportedError,
    sqlite3.DataError,
)


def classify(exc):
    """The StorageProblem an exception reports, or None when it is not about storage."""
    if not isinstance(exc, sqlite3.DatabaseError) or isinstance(exc, NOT_STORAGE):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return BY_CODE.get(code & 0xFF)
    message = str(exc).lower()
    return next((problem for text, problem in BY_MESSAGE if text in message), None)
