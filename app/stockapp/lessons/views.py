"""HTML pages: home, lessons, dashboard."""

from flask import abort, flash, redirect, render_template, url_for

from ..auth.session import current_user_id, page_login_required
from . import bp
from .achievements import ACHIEVEMENTS, award_for_progress, describe, user_achievements
from .content import (
    all_lessons,
    chart_link,
    complete,
    completed_slugs,
    get_lesson,
    paragraphs,
    progress,
)


@bp.get("/")
def home():
    return render_template("home.html", lessons=all_lessons())


@bp.get("/lessons")
def lesson_list():
    user_id = current_user_id()
    done = set(completed_slugs(user_id)) if user_id else set()
    return render_template("lessons/list.html", lessons=all_lessons(), done=done)


@bp.get("/lessons/<slug>")
def lesson_detail(slug):
    lesson = get_lesson(slug) or abort(404)
    user_id = current_user_id()
    done = user_id is not None and slug in completed_slugs(user_id)
    return render_template(
        "lessons/detail.html",
        lesson=lesson,
        paragraphs=paragraphs(lesson["body"]),
        done=done,
        chart=chart_link(slug),
    )


@bp.post("/lessons/<slug>/complete")
@page_login_required
def lesson_complete(slug):
    lesson = get_lesson(slug) or abort(404)
    if complete(current_user_id(), lesson):
        flash(f"Lesson complete: {lesson['title']}")
        for code in award_for_progress(current_user_id()):
            flash(f"Achievement unlocked: {describe(code)['title']}")
    return redirect(url_for("lessons.lesson_detail", slug=slug))


@bp.get("/dashboard")
@page_login_required
def dashboard():
    user_id = current_user_id()
    earned = user_achievements(user_id)
    locked = [describe(c) for c in ACHIEVEMENTS if c not in {a["code"] for a in earned}]
    return render_template(
        "dashboard.html",
        progress=progress(user_id),
        lessons=all_lessons(),
        earned=earned,
        locked=locked,
    )
