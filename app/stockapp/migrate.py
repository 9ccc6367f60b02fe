"""Apply SQL migrations in order: `python -m stockapp.migrate [--database PATH]`.

Each file runs in its own transaction together with its schema_migrations row,
so a failed migration leaves no trace and a second run is a no-op.
"""

import argparse
import os
import re
import sqlite3
import sys
from pathlib import Path

from .connection import connect

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
NAME_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
TRACKING_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)"""


class MigrationError(RuntimeError):
    pass


def migration_files(directory=MIGRATIONS_DIR):
    """(version, path) pairs in version order."""
    found = []
    for path in sorted(Path(directory).glob("*.sql")):
        match = NAME_RE.match(path.name)
        if not match:
            raise MigrationError(f"bad migration file name: {path.name}")
        found.append((int(match.group(1)), path))
    versions = [v for v, _ in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return found


def latest_version(directory=MIGRATIONS_DIR):
    files = migration_files(directory)
    return files[-1][0] if files else 0


def applied_versions(conn):
    """Applied versions, or an empty set when the tracking table does not exist yet."""
    try:
        rows = conn.execute("SELECT version FROM schema_migrations").fetchall()
    except sqlite3.OperationalError:
        return set()
    return {row[0] for row in rows}


def split_statements(sql):
    """Split a script into statements; complete_statement understands triggers and quotes."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    leftover = [ln for ln in buffer.splitlines() if ln.strip() and not ln.strip().startswith("--")]
    if leftover:
        raise MigrationError("migration ends with an incomplete statement")
    return statements


def apply_one(conn, version, path):
    """Apply one file; returns False when another migrator got there first."""
    statements = split_statements(path.read_text(encoding="utf-8"))
    conn.execute("BEGIN IMMEDIATE")
    try:
        if version in applied_versions(conn):
            conn.execute("ROLLBACK")
            return False
        for statement in statements:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (version, path.name)
        )
        conn.execute("COMMIT")
        return True
    except sqlite3.Error as exc:
        conn.execute("ROLLBACK")
        raise MigrationError(f"{path.name} failed: {exc}") from exc


def migrate(db_path, directory=MIGRATIONS_DIR):
    """Apply pending migrations; returns the names applied now."""
    try:
        conn = connect(db_path, create=True)
    except sqlite3.Error as exc:
        raise MigrationError(f"cannot open database {db_path!r}: {exc}") from exc
    try:
        conn.execute(TRACKING_TABLE)
        done = applied_versions(conn)
        return [
            path.name
            for version, path in migration_files(directory)
            if version not in done and apply_one(conn, version, path)
        ]
    finally:
        conn.close()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m stockapp.migrate", description=__doc__)
    parser.add_argument(
        "--database",
        default=os.environ.get("STOCKAPP_DATABASE", "/var/lib/stockapp/stockapp.db"),
        help="SQLite file (default: $STOCKAPP_DATABASE or /var/lib/stockapp/stockapp.db)",
    )
    args = parser.parse_args(argv)
    try:
        applied = migrate(args.database)
    except MigrationError as exc:
        print(f"migrate: error: {exc}", file=sys.stderr)
        return 1
    for name in applied:
        print(f"migrate: applied {name}")
    print(f"migrate: {args.database} is at version {latest_version()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
