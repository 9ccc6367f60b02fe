"""Lessons content, completion and achievements."""

import pytest

EXPECTED_SLUGS = {
    "returns",
    "moving-averages",
    "rsi",
    "volatility",
    "risk-and-drawdown",
    "diversification",
}


def codes(client):
    body = client.get(f"/api/users/{client.user_id()}/achievements").get_json()
    return {a["code"] for a in body["achievements"]}


def slugs(api):
    return [lesson["slug"] for lesson in api.get("/api/lessons").get_json()["lessons"]]


def test_lessons_are_seeded(api):
    assert set(slugs(api)) >= EXPECTED_SLUGS


def test_lesson_detail_and_404(api):
    lesson = api.get("/api/lessons/rsi").get_json()
    assert lesson["title"] == "The Relative Strength Index" and "Wilder" in lesson["body"]
    missing = api.get("/api/lessons/nope")
    assert missing.status_code == 404 and missing.get_json() == {"error": "no such lesson"}


def test_completing_requires_login(api):
    assert api.post("/api/lessons/rsi/complete").status_code == 401


def test_completing_unknown_lesson_is_404(alice):
    assert alice.post("/api/lessons/nope/complete").status_code == 404


def test_first_completion_awards_once(alice):
    first = alice.post("/api/lessons/rsi/complete").get_json()
    assert first["newly_completed"] is True
    assert [a["code"] for a in first["new_achievements"]] == ["first_lesson"]
    again = alice.post("/api/lessons/rsi/complete").get_json()
    assert again == {"lesson": "rsi", "newly_completed": False, "new_achievements": []}
    assert codes(alice) == {"first_lesson"}


def test_half_and_all_lessons(alice):
    all_slugs = slugs(alice)
    half = -(-len(all_slugs) // 2)
    for slug in all_slugs[:half]:
        alice.post(f"/api/lessons/{slug}/complete")
    assert codes(alice) == {"first_lesson", "half_lessons"}
    for slug in all_slugs[half:]:
        alice.post(f"/api/lessons/{slug}/complete")
    assert codes(alice) == {"first_lesson", "half_lessons", "all_lessons"}
    progress = alice.get(f"/api/users/{alice.user_id()}/progress").get_json()
    assert progress["completed_count"] == progress["total"] and progress["percent"] == 100


@pytest.mark.parametrize("url", ["/api/analysis/ACME", "/analysis/ACME"])
def test_first_analysis_achievement(alice, url):
    assert alice.get(url).status_code == 200
    alice.get(url)
    assert codes(alice) == {"first_analysis"}


def test_anonymous_analysis_awards_nothing(api, alice):
    assert api.get("/api/analysis/ACME").status_code == 200
    assert codes(alice) == set()


def test_html_mark_complete(alice):
    page = alice.get("/lessons/returns").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = alice.client.post("/lessons/returns/complete", data={"csrf_token": token})
    assert response.status_code == 302
    assert "You have completed this lesson." in alice.get("/lessons/returns").get_data(as_text=True)
    assert codes(alice) == {"first_lesson"}
