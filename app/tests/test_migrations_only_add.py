"""Every migration after the first only adds: during a release both versions run against one
database, and a rollback runs the previous code on the new schema (docs/release.md)."""

import re

import pytest

from stockapp.migrate import migration_files

# What a later migration may do: add tables, indexes and columns, and fill in data.
ALLOWED = re.compile(
    r"^(CREATE (TABLE|INDEX|UNIQUE INDEX)|INSERT|UPDATE|ALTER TABLE \w+ ADD COLUMN)\b",
    re.IGNORECASE,
)
ADD_COLUMN = re.compile(r"^ALTER TABLE", re.IGNORECASE)
NOT_NULL = re.compile(r"\bNOT NULL\b", re.IGNORECASE)
DEFAULT = re.compile(r"\bDEFAULT\b", re.IGNORECASE)


def statements(sql):
    """The statements of a migration file, string literals and comments understood, the
    literals blanked and whitespace collapsed."""
    found, current, i = [], [], 0
    while i < len(sql):
        c = sql[i]
        if c == "'":
            end = i + 1
            while end < len(sql) and not (sql[end] == "'" and sql[end + 1 : end + 2] != "'"):
                end += 2 if sql[end] == "'" else 1
            current.append("''")
            i = end + 1
        elif sql.startswith("--", i):
            i = sql.find("\n", i) if "\n" in sql[i:] else len(sql)
        elif c == ";":
            found.append(" ".join("".join(current).split()))
            current, i = [], i + 1
        else:
            current.append(c)
            i += 1
    found.append(" ".join("".join(current).split()))
    return [statement for statement in found if statement]


def refusals(sql):
    """Why each statement of `sql` would break the release before it, if it would."""
    found = []
    for statement in statements(sql):
        if not ALLOWED.match(statement):
            found.append(f"not an addition: {statement[:80]}")
        elif (
            ADD_COLUMN.match(statement)
            and NOT_NULL.search(statement)
            and not DEFAULT.search(statement)
        ):
            found.append(f"NOT NULL without a default breaks old inserts: {statement[:80]}")
    return found


@pytest.mark.parametrize("version,path", migration_files()[1:], ids=lambda v: str(v))
def test_every_later_migration_only_adds(version, path):
    assert refusals(path.read_text()) == [], path.name


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE lessons;",
        "ALTER TABLE users DROP COLUMN session_nonce;",
        "ALTER TABLE users RENAME COLUMN username TO name;",
        "ALTER TABLE users RENAME TO people;",
        "ALTER TABLE users ADD COLUMN email TEXT NOT NULL;",
        "DROP INDEX login_attempts_by_client;",
    ],
)
def test_removals_and_renames_are_refused(sql):
    assert refusals(sql), sql


def test_literals_and_comments_do_not_split_statements():
    sql = "INSERT INTO t VALUES ('a; DROP TABLE x; it''s -- not a comment'); -- DROP TABLE y;\n"
    assert statements(sql) == ["INSERT INTO t VALUES ('')"]


def test_additions_pass():
    sql = """-- a comment; with a semicolon
    CREATE TABLE notes (id INTEGER PRIMARY KEY);
    CREATE INDEX notes_by_id ON notes (id);
    ALTER TABLE users ADD COLUMN nickname TEXT;
    ALTER TABLE users ADD COLUMN score INTEGER NOT NULL DEFAULT 0;
    UPDATE users SET score = 1;"""
    assert refusals(sql) == []
