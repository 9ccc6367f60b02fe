"""Progress and achievements are private: 401 anonymous, 403 for other users."""

import pytest

ENDPOINTS = ["/api/users/{}/progress", "/api/users/{}/achievements"]


@pytest.fixture
def bob(make_api):
    client = make_api()
    assert client.register("bob").status_code == 201
    return client


@pytest.mark.parametrize("template", ENDPOINTS)
def test_anonymous_gets_401_json(client, alice, template):
    response = client.get(template.format(alice.user_id()))
    assert response.status_code == 401
    assert response.get_json() == {"error": "authentication required"}


@pytest.mark.parametrize("template", ENDPOINTS)
def test_other_user_gets_403(alice, bob, template):
    assert bob.get(template.format(alice.user_id())).status_code == 403


@pytest.mark.parametrize("template", ENDPOINTS)
def test_owner_gets_200(alice, template):
    assert alice.get(template.format(alice.user_id())).status_code == 200


def test_html_dashboard_redirects_anonymous_to_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/dashboard")
