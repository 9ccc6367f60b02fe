"""The migrator: ordered, transactional, idempotent, loud on failure."""

import sqlite3

import pytest

from stockapp.migrate import MigrationError, latest_version, main, migrate


def versions(path):
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT version FROM schema_migrations ORDER BY version")
        return [v for (v,) in rows]


def test_running_twice_is_a_no_op(tmp_path, capsys):
    path = str(tmp_path / "x.db")
    assert main(["--database", path]) == 0
    assert main(["--database", path]) == 0
    assert versions(path) == list(range(1, latest_version() + 1))
    out = capsys.readouterr().out
    assert out.count("applied 0001_initial.sql") == 1


def test_migrate_returns_nothing_when_up_to_date(db_path):
    assert migrate(db_path) == []


def test_failed_migration_rolls_back_and_exits_non_zero(tmp_path, capsys):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_ok.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    bad_sql = "CREATE TABLE b (x INTEGER);\nSELECT nope FROM nowhere;\n"
    (migrations / "0002_bad.sql").write_text(bad_sql)
    path = str(tmp_path / "x.db")
    with pytest.raises(MigrationError, match="0002_bad.sql"):
        migrate(path, migrations)
    assert versions(path) == [1]
    with sqlite3.connect(path) as conn:
        tables = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "a" in tables and "b" not in tables


def test_unopenable_database_exits_1_with_a_message(tmp_path, capsys):
    assert main(["--database", str(tmp_path / "missing" / "x.db")]) == 1
    assert "migrate: error: cannot open database" in capsys.readouterr().err
