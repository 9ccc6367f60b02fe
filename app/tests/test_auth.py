"""Registration, login, logout and the shared login rate limit."""

import sqlite3

from conftest import PASSWORD


def test_register_logs_the_user_in(api):
    response = api.register("alice")
    assert response.status_code == 201
    assert response.get_json()["user"]["username"] == "alice"
    assert api.get("/api/me").get_json()["username"] == "alice"


def test_register_rejects_bad_usernames_and_short_passwords(api):
    assert api.register("Al").status_code == 400
    assert api.register("has space").status_code == 400
    response = api.register("bob", "short")
    assert response.status_code == 400
    assert any("password" in e for e in response.get_json()["errors"])


def test_register_rejects_taken_username(api, make_api):
    api.register("alice")
    assert make_api().register("alice").status_code == 409


def test_password_is_stored_as_argon2id_with_owasp_parameters(api, db_path):
    api.register("alice")
    with sqlite3.connect(db_path) as conn:
        (stored,) = conn.execute("SELECT password_hash FROM users").fetchone()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in stored


def test_login_and_logout(api, make_api):
    api.register("alice")
    other = make_api()
    response = other.login("alice")
    assert response.status_code == 200
    assert other.get("/api/me").status_code == 200
    assert other.post("/api/auth/logout").status_code == 200
    assert other.get("/api/me").status_code == 401


def test_bad_login_gives_the_same_generic_error_for_unknown_users(api, make_api):
    api.register("alice")
    client = make_api()
    wrong_password = client.login("alice", "wrong password!")
    unknown_user = client.login("nobody", "wrong password!")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.get_json() == unknown_user.get_json()


def test_login_rejects_non_string_fields(api):
    assert api.post("/api/auth/login", {"username": ["x"], "password": 1}).status_code == 400


def test_rate_limit_returns_429_with_retry_after(api, make_api):
    api.register("alice")
    client = make_api()
    for _ in range(5):
        assert client.login("alice", "wrong password!").status_code == 401
    response = client.login("alice")  # even the right password waits out the window
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 300


def test_rate_limit_holds_across_app_instances_sharing_the_database(api, make_app, make_api):
    api.register("alice")
    first = make_api(make_app())
    for _ in range(5):
        first.login("alice", "wrong password!")
    second = make_api(make_app())  # another worker or replica: same SQLite file
    assert second.login("alice").status_code == 429


def test_rate_limit_is_configurable_and_reset_by_success(api, make_app, make_api):
    api.register("alice")
    strict = make_api(make_app(LOGIN_MAX_FAILURES=2))
    # Below the configured limit, a success resets the count.
    strict.login("alice", "wrong password!")
    assert strict.login("alice").status_code == 200
    # At it, even the right password is refused: the setting is what holds, not the default 5.
    for _ in range(2):
        assert strict.login("alice", "wrong password!").status_code == 401
    assert strict.login("alice").status_code == 429


def test_the_default_limit_lets_a_user_who_mistyped_twice_in(api, make_api):
    """The control of the test above: with the default limit, two failures do not lock out."""
    api.register("alice")
    client = make_api()
    for _ in range(2):
        assert client.login("alice", "wrong password!").status_code == 401
    assert client.login("alice").status_code == 200


def test_html_register_login_logout(client):
    page = client.get("/register").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"username": "carol", "password": PASSWORD, "csrf_token": token}
    assert client.post("/register", data=form).status_code == 302
    assert client.get("/dashboard").status_code == 200
    token = client.get("/dashboard").get_data(as_text=True).split('name="csrf_token" value="')[1]
    assert client.post("/logout", data={"csrf_token": token.split('"')[0]}).status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_html_login_failure_is_generic(client):
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"username": "nobody", "password": "wrong password!", "csrf_token": token}
    response = client.post("/login", data=form)
    assert response.status_code == 401
    assert "Invalid username or password." in response.get_data(as_text=True)


def test_a_session_does_not_pass_for_the_next_account_given_its_id(api, make_api, db_path):
    # SQLite gives a lost account's id to the next one (after a deletion or a restore).
    api.register("alice")
    alice_id = api.user_id()
    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM users WHERE id = ?", (alice_id,))
    mallory = make_api()
    assert mallory.register("mallory").status_code == 201
    assert mallory.user_id() == alice_id
    assert api.get("/api/me").status_code == 401
    assert api.get(f"/api/users/{alice_id}/progress").status_code == 401
    page = api.get("/lessons").get_data(as_text=True)
    assert "Log out" not in page and "Log in" in page


def test_every_account_gets_its_own_session_nonce(api, make_api, db_path):
    api.register("alice")
    make_api().register("bob")
    with sqlite3.connect(db_path) as conn:
        nonces = [row[0] for row in conn.execute("SELECT session_nonce FROM users")]
    assert len(nonces) == 2 and len(set(nonces)) == 2 and all(len(n) == 32 for n in nonces)


def test_the_migration_gives_existing_accounts_a_nonce(tmp_path):
    from stockapp.migrate import migrate, migration_files

    path = str(tmp_path / "old.db")
    older = tmp_path / "migrations"
    older.mkdir()
    for version, file in migration_files():
        if version < 3:
            (older / file.name).write_text(file.read_text())
    migrate(path, older)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO users (username, password_hash) VALUES ('old', 'x')")
    migrate(path)
    with sqlite3.connect(path) as conn:
        (nonce,) = conn.execute("SELECT session_nonce FROM users").fetchone()
    assert len(nonce) == 32
