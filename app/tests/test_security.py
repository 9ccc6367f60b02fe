"""Each security decision of the app (app/README.md lists them), shown holding, with a control
that shows the test would notice the opposite."""

import pytest
from conftest import PASSWORD

from stockapp import create_app
from stockapp.auth.session import safe_next

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
