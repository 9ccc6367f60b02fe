"""Reading lessons and recording completions."""

from .. import db
from ..metrics import LESSONS_COMPLETED

SUMMARY_COLUMNS = "id, slug, position, title, summary"

# Lessons whose idea the analysis page's chart shows: where to send the reader, and why.
CHART_LINKS = {
    "moving-averages": {
        "symbol": "ACME",
        "window": 20,
        "anchor": "price-chart",
        "text": "See it on a chart: ACME's closes with their 20-day simple moving average",
    },
    "rsi": {
        "symbol": "ACME",
        "window": 20,
        "anchor": "rsi-chart",
        "text": "See it on a chart: ACME's RSI(14), with the 30-70 band shaded",
    },
}


def chart_link(slug):
    """The chart that illustrates a lesson, or None."""
    return CHART_LINKS.get(slug)


def all_lessons():
    rows = db.fetch_all(f"SELECT {SUMMARY_COLUMNS} FROM lessons ORDER BY position")
    return [dict(r) for r in rows]


def get_lesson(slug):
    row = db.fetch_one(f"SELECT {SUMMARY_COLUMNS}, body FROM lessons WHERE slug = ?", (slug,))
    return dict(row) if row else None


def paragraphs(body):
    return [p.strip() for p in body.split("\n\n") if p.strip()]


def completed_slugs(user_id):
    rows = db.fetch_all(
        "SELECT l.slug FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id"
        " WHERE p.user_id = ? ORDER BY l.position",
        (user_id,),
    )
    return [r["slug"] for r in rows]


def progress(user_id):
    done = completed_slugs(user_id)
    total = db.fetch_one("SELECT COUNT(*) AS n FROM lessons")["n"]
    percent = round(100 * len(done) / total) if total else 0
    return {
        "user_id": user_id,
        "completed": done,
        "completed_count": len(done),
        "total": total,
        "percent": percent,
    }


def complete(user_id, lesson):
    """Mark a lesson done; True only the first time (repeat calls are harmless)."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO lesson_progress (user_id, lesson_id) VALUES (?, ?)",
        (user_id, lesson["id"]),
    )
    if cursor.rowcount == 1:
        LESSONS_COMPLETED.inc()
        return True
    return False
