"""Every HTML page renders, and none carries inline script or style (strict CSP later)."""

import pytest

PUBLIC_PAGES = [
    "/",
    "/lessons",
    "/lessons/returns",
    "/lessons/moving-averages",
    "/analysis",
    "/analysis/CRUX",
    "/login",
    "/register",
    "/no/such/page",
]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_render_without_inline_code(client, url):
    response = client.get(url)
    assert response.status_code == (404 if url == "/no/such/page" else 200)
    html = response.get_data(as_text=True)
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert "synthetic" in html.lower()


def test_dashboard_shows_progress_and_achievements(alice):
    alice.post("/api/lessons/returns/complete")
    html = alice.get("/dashboard").get_data(as_text=True)
    assert "1 of 6 lessons completed" in html
    assert "First steps" in html


def test_html_404_and_api_404_differ(client):
    assert "text/html" in client.get("/nope").content_type
    assert client.get("/api/nope").get_json() == {"error": "not found"}


def test_static_css_is_served(client):
    assert client.get("/static/style.css").status_code == 200


def test_server_errors_render_500_pages(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def boom():
        raise RuntimeError("boom")

    app.add_url_rule("/api/boom", "api_boom", boom)
    app.add_url_rule("/boom", "boom", boom)
    client = app.test_client()
    api_response, page = client.get("/api/boom"), client.get("/boom")
    assert api_response.status_code == page.status_code == 500
    assert api_response.get_json() == {"error": "internal server error"}
    assert "Something went wrong" in page.get_data(as_text=True)
