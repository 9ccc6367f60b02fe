"""CSRF protection stays on in tests: state-changing requests need a valid token."""

from conftest import PASSWORD

CREDENTIALS = {"username": "alice", "password": PASSWORD}


def test_json_post_without_token_is_rejected(client):
    response = client.post("/api/auth/register", json=CREDENTIALS)
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf token missing or invalid"


def test_json_post_with_wrong_token_is_rejected(client):
    client.get("/api/csrf")
    headers = {"X-CSRFToken": "forged"}
    response = client.post("/api/auth/register", json=CREDENTIALS, headers=headers)
    assert response.status_code == 400


def test_token_from_another_session_is_rejected(make_api, client):
    token = make_api().csrf()
    client.get("/api/csrf")
    response = client.post("/api/auth/register", json=CREDENTIALS, headers={"X-CSRFToken": token})
    assert response.status_code == 400


def test_html_form_without_token_is_rejected(client):
    response = client.post("/login", data=CREDENTIALS)
    assert response.status_code == 400
    assert "text/html" in response.content_type


def test_login_rotates_the_token(api, make_api):
    api.register("alice")
    other = make_api()
    old_token = other.csrf()
    other.login("alice")
    assert other.token != old_token
    response = other.client.post("/api/auth/logout", headers={"X-CSRFToken": old_token})
    assert response.status_code == 400


def test_logout_needs_a_token(alice):
    assert alice.client.post("/api/auth/logout").status_code == 400
    assert alice.get("/api/me").status_code == 200
