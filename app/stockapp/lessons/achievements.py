"""Achievements: rules over progress, awarded at most once per user."""

import math

from .. import db
from .content import progress

ACHIEVEMENTS = {
    "first_lesson": ("First steps", "Completed your first lesson."),
    "half_lessons": ("Halfway there", "Completed half of the lessons."),
    "all_lessons": ("Graduate", "Completed every lesson."),
    "first_analysis": ("Chart reader", "Viewed your first stock analysis."),
}


def _award(user_id, code):
    cursor = db.execute(
        "INSERT OR IGNORE INTO user_achievements (user_id, code) VALUES (?, ?)", (user_id, code)
    )
    return [code] if cursor.rowcount == 1 else []


def award_for_progress(user_id):
    """Award whatever the user's progress now earns; returns the codes newly awarded."""
    p = progress(user_id)
    earned = []
    if p["completed_count"] >= 1:
        earned.append("first_lesson")
    if p["total"] and p["completed_count"] >= math.ceil(p["total"] / 2):
        earned.append("half_lessons")
    if p["total"] and p["completed_count"] >= p["total"]:
        earned.append("all_lessons")
    return [code for c in earned for code in _award(user_id, c)]


def award_first_analysis(user_id):
    return _award(user_id, "first_analysis")


def user_achievements(user_id):
    rows = db.fetch_all(
        "SELECT code, awarded_at FROM user_achievements"
        " WHERE user_id = ? ORDER BY awarded_at, code",
        (user_id,),
    )
    return [describe(r["code"], r["awarded_at"]) for r in rows if r["code"] in ACHIEVEMENTS]


def describe(code, awarded_at=None):
    title, description = ACHIEVEMENTS[code]
    return {"code": code, "title": title, "description": description, "awarded_at": awarded_at}
