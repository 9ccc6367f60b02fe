"""Each security decision of the app (app/README.md lists them), shown holding, with a control
that shows the test would notice the opposite."""

import sqlite3

import pytest
from conftest import PASSWORD, Api

from stockapp import create_app
from stockapp.auth import passwords
from stockapp.auth.session import safe_next
from stockapp.security import csrf

HTTPS = "https://stocks.example"


def token_of(response):
    return response.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]


def form_login(client, next_url, username="alice"):
    token = token_of(client.get("/login"))
    form = {"username": username, "password": PASSWORD, "csrf_token": token, "next": next_url}
    return client.post("/login", data=form)


# Redirect after login --------------------------------------------------------------------

OFF_SITE = [
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",  # browsers drop the tab: //evil.example (werkzeug does too)
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "/\x00/evil.example",
    "evil.example",
    "",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_redirects_off_site(client, api, target):
    api.register("alice")
    response = form_login(client, target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_login_follows_a_local_next(client, api):
    """The control: a same-site path with a query survives, so the test above can fail."""
    api.register("alice")
    response = form_login(client, "/lessons/rsi?from=login")
    assert response.headers["Location"] == "/lessons/rsi?from=login"


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_login_form_does_not_carry_an_off_site_next(client, target):
    page = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/dashboard">' in page


def test_safe_next_unit():
    assert safe_next("/analysis/ACME?window=5", "/d") == "/analysis/ACME?window=5"
    assert safe_next("/le\u00e7ons", "/d") == "/le\u00e7ons"
    assert safe_next("/\u2028/evil.example", "/d") == "/d"
    assert safe_next(None, "/d") == "/d"


def test_next_is_escaped_in_the_form(client):
    """A local but hostile next= is HTML-escaped where the form carries it (autoescape)."""
    page = client.get("/login?next=/%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
    html = page.get_data(as_text=True)
    assert "<script" not in html
    assert 'value="/&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


# Login throttles -------------------------------------------------------------------------


def from_address(make_api, address):
    client = make_api()
    client.client.environ_base["REMOTE_ADDR"] = address
    return client


def test_one_client_trying_many_accounts_is_throttled(api, make_app, make_api):
    api.register("alice")
    app = make_app(LOGIN_MAX_FAILURES_PER_CLIENT=3)
    sprayer = from_address(lambda: make_api(app), "203.0.113.5")
    for name in ("amy", "ben", "cal"):  # one failure each: far below the per-account limit
        assert sprayer.login(name, "wrong password!").status_code == 401
    refused = sprayer.login("alice")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 300
    # The control: another client is not held back, and alice's own count was never reached.
    assert from_address(lambda: make_api(app), "198.51.100.9").login("alice").status_code == 200


def test_the_account_limit_holds_whichever_client_asks(api, make_api):
    api.register("alice")
    for n in range(5):
        from_address(make_api, f"192.0.2.{n + 1}").login("alice", "wrong password!")
    assert from_address(make_api, "192.0.2.99").login("alice").status_code == 429


def test_the_html_form_counts_against_the_same_limits(api, client, make_app):
    api.register("alice")
    strict = make_app(LOGIN_MAX_FAILURES=2).test_client()
    for _ in range(2):
        token = token_of(strict.get("/login"))
        form = {"username": "alice", "password": "wrong password!", "csrf_token": token}
        assert strict.post("/login", data=form).status_code == 401
    response = form_login(strict, "/dashboard")
    assert response.status_code == 429 and "Retry-After" in response.headers


# User enumeration ------------------------------------------------------------------------


def test_unknown_and_known_accounts_are_throttled_alike(api, make_api):
    api.register("alice")
    answers = []
    for name in ("alice", "nobody"):
        client = make_api()
        for _ in range(5):
            client.login(name, "wrong password!")
        response = client.login(name, "wrong password!")
        answers.append((response.status_code, response.get_json()))
    assert answers[0] == answers[1] == (429, {"error": "too many failed logins, try again later"})


class CountingHasher:
    def __init__(self, real):
        self.real, self.verified = real, []

    def verify(self, stored_hash, password):
        self.verified.append(stored_hash)
        return self.real.verify(stored_hash, password)


def test_an_unknown_account_costs_one_hash_like_a_known_one(api, make_api, monkeypatch):
    api.register("alice")
    counting = CountingHasher(passwords.HASHER)
    monkeypatch.setattr(passwords, "HASHER", counting)
    client = make_api()
    client.login("alice", "wrong password!")
    client.login("nobody", "wrong password!")
    # One verification each: the unknown user's is against a dummy hash, so it costs the same.
    assert len(counting.verified) == 2
    assert counting.verified[0].startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert counting.verified[1] == passwords._DUMMY_HASH != counting.verified[0]


# Cookies ---------------------------------------------------------------------------------


def test_the_login_cookie_carries_the_production_flags(production_app, api):
    api.register("alice")  # the testing app shares the database
    client = production_app.test_client()
    token = client.get("/api/csrf", base_url=HTTPS).get_json()["csrf_token"]
    response = client.post(
        "/api/auth/login",
        json={"username": "alice", "password": PASSWORD},
        headers={"X-CSRFToken": token},
        base_url=HTTPS,
    )
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Domain=" not in cookie and "Expires=" not in cookie  # a browser-session cookie


def test_other_environments_use_a_plain_cookie_name(app):
    """The control: the flags are production's own, not a default the test would always see."""
    assert app.config["SESSION_COOKIE_NAME"] == "session"
    assert not app.config.get("SESSION_COOKIE_SECURE")


# CSRF on every state-changing route ------------------------------------------------------

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def state_changing_routes(app):
    """(method, url) of every rule that accepts an unsafe method, from the app's URL map."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & UNSAFE):
            values = dict.fromkeys(rule.arguments, 1)  # CSRF is checked before the view
            found.append((method, adapter.build(rule.endpoint, values, method=method)))
    return sorted(found)


def is_csrf_rejection(response):
    if response.status_code != 400:
        return False
    if response.is_json:
        return response.get_json().get("error") == "csrf token missing or invalid"
    return "CSRF token" in response.get_data(as_text=True)


def unprotected_routes(app):
    """The state-changing routes a logged-in browser could be made to call without a token."""
    victim = Api(app.test_client())
    victim.register("victim")
    missing = []
    for method, url in state_changing_routes(app):
        response = victim.client.open(url, method=method, json={})
        if not is_csrf_rejection(response):
            missing.append((method, url))
    return missing


def test_every_state_changing_route_requires_a_csrf_token(app):
    routes = state_changing_routes(app)
    assert {
        ("POST", "/api/auth/login"),
        ("POST", "/api/auth/logout"),
        ("POST", "/api/auth/register"),
        ("POST", "/api/lessons/1/complete"),
        ("POST", "/lessons/1/complete"),
        ("POST", "/login"),
        ("POST", "/logout"),
        ("POST", "/register"),
    } <= set(routes)
    assert unprotected_routes(app) == []


def test_a_valid_token_passes_every_route(app):
    """The control: with the session's token none of them is refused as a CSRF failure."""
    for method, url in state_changing_routes(app):
        client = Api(app.test_client())
        response = client.client.open(
            url, method=method, json={}, headers={"X-CSRFToken": client.csrf()}
        )
        assert not is_csrf_rejection(response), (method, url)


def test_a_new_route_is_protected_unless_exempted(make_app, monkeypatch):
    plain = make_app()
    plain.add_url_rule("/api/new-thing", "new_thing", lambda: "done", methods=["POST"])
    assert ("POST", "/api/new-thing") in state_changing_routes(plain)
    assert unprotected_routes(plain) == []  # protection is the default for any new route

    monkeypatch.setattr(csrf, "_exempt_views", set(csrf._exempt_views))

    @csrf.exempt
    def open_door():
        return "changed"

    exempted = make_app()
    exempted.add_url_rule("/api/open-door", "open_door", open_door, methods=["POST"])
    assert unprotected_routes(exempted) == [("POST", "/api/open-door")]  # and the check sees it


def test_logout_is_not_a_get(alice):
    assert alice.get("/logout").status_code == 405  # an <img src=/logout> cannot log out
    assert alice.get("/api/auth/logout").status_code == 405
    assert alice.get("/api/me").status_code == 200


# Sessions --------------------------------------------------------------------------------


def cookie_of(api):
    return api.client.get_cookie("session").value


def with_cookie(app, value):
    client = app.test_client()
    client.set_cookie("session", value)
    return client


def test_logout_ends_a_copied_cookie(app, alice):
    stolen = cookie_of(alice)
    assert with_cookie(app, stolen).get("/api/me").status_code == 200  # the copy works...
    assert alice.post("/api/auth/logout").status_code == 200
    assert with_cookie(app, stolen).get("/api/me").status_code == 401  # ...until logout


def test_html_logout_ends_a_copied_cookie(app, alice):
    stolen = cookie_of(alice)
    token = token_of(alice.get("/dashboard"))
    assert alice.client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert with_cookie(app, stolen).get("/dashboard").status_code == 302


def test_logout_ends_only_its_own_session(app, alice, make_api):
    laptop = make_api()
    assert laptop.login("alice").status_code == 200
    alice.post("/api/auth/logout")
    assert laptop.get("/api/me").status_code == 200


def test_login_rotates_the_session(app, make_api):
    client = make_api()
    client.register("alice")
    first = cookie_of(client)
    assert client.login("alice").status_code == 200
    second = cookie_of(client)
    assert second != first
    assert with_cookie(app, first).get("/api/me").status_code == 401  # the replaced login
    assert with_cookie(app, second).get("/api/me").status_code == 200


def test_a_planted_pre_login_cookie_gains_nothing(app, api, make_api):
    api.register("alice")
    victim = make_api()
    victim.csrf()
    planted = cookie_of(victim)  # what an attacker could have set in the victim's browser
    assert victim.login("alice").status_code == 200
    assert with_cookie(app, planted).get("/api/me").status_code == 401
    assert victim.get("/api/me").status_code == 200


def test_sessions_expire_on_the_server(alice, db_path, app):
    assert alice.get("/api/me").status_code == 200
    lifetime = app.config["SESSION_LIFETIME_SECONDS"]
    assert lifetime == 7 * 24 * 3600
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE user_sessions SET created_at = created_at - ?", (lifetime - 60,))
    assert alice.get("/api/me").status_code == 200  # a minute left
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE user_sessions SET created_at = created_at - 61")
    assert alice.get("/api/me").status_code == 401


def test_the_database_holds_only_a_hash_of_the_session_token(alice, db_path):
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT token_hash FROM user_sessions").fetchall()
    assert len(rows) == 1 and len(rows[0][0]) == 64
    from flask.sessions import SecureCookieSessionInterface

    app = alice.client.application
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    token = serializer.loads(cookie_of(alice))["sid"]
    assert token not in rows[0][0]


# Passwords and request size --------------------------------------------------------------


def test_passwords_are_bounded(api):
    assert api.register("alice", "x" * 257).status_code == 400
    assert api.register("alice", "x" * 256).status_code == 201  # the control: the bound is 256


def test_an_oversized_body_is_refused(api):
    response = api.post("/api/auth/login", {"username": "alice", "password": "x" * 70_000})
    assert response.status_code == 413
    assert response.is_json


# Error pages in production ---------------------------------------------------------------


def boom():
    raise RuntimeError("secret-detail-4711")


@pytest.mark.parametrize("flask_debug", [None, "1"])
def test_production_errors_leak_no_traceback(production, monkeypatch, caplog, flask_debug):
    if flask_debug:
        monkeypatch.setenv("FLASK_DEBUG", flask_debug)  # a stray debug flag changes nothing
    app = create_app()
    assert app.debug is False and app.testing is False
    app.add_url_rule("/api/boom", "api_boom", boom)
    app.add_url_rule("/boom", "boom", boom)
    client = app.test_client()
    api_response, page = client.get("/api/boom"), client.get("/boom")
    assert api_response.status_code == page.status_code == 500
    assert api_response.get_json() == {"error": "internal server error"}
    html = page.get_data(as_text=True)
    assert "Something went wrong" in html
    for text in (api_response.get_data(as_text=True), html):
        assert "secret-detail-4711" not in text and "Traceback" not in text
    assert "secret-detail-4711" in caplog.text  # the control: it is logged, not lost


def test_a_debug_app_would_propagate_the_error(make_app):
    """The control of the test above: with debug on, the error escapes the handlers."""
    app = make_app(DEBUG=True, TESTING=False, PROPAGATE_EXCEPTIONS=None)
    app.add_url_rule("/api/boom", "api_boom", boom)
    with pytest.raises(RuntimeError, match="secret-detail-4711"):
        app.test_client().get("/api/boom")
