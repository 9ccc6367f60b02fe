"""JSON API for lessons, progress and achievements."""

from flask import abort, jsonify

from ..auth.session import api_login_required, current_user_id
from . import bp
from .achievements import award_for_progress, describe, user_achievements
from .content import all_lessons, complete, get_lesson, progress


def _public(lesson):
    return {k: v for k, v in lesson.items() if k != "id"}


def _own_user(user_id):
    """Users may only read their own records (401 is handled by the decorator)."""
    if user_id != current_user_id():
        abort(403, description="you can only view your own progress")


@bp.get("/api/lessons")
def lessons_api():
    return jsonify(lessons=[_public(lesson) for lesson in all_lessons()])


@bp.get("/api/lessons/<slug>")
def lesson_api(slug):
    lesson = get_lesson(slug)
    if lesson is None:
        abort(404, description="no such lesson")
    return jsonify(_public(lesson))


@bp.post("/api/lessons/<slug>/complete")
@api_login_required
def complete_api(slug):
    lesson = get_lesson(slug)
    if lesson is None:
        abort(404, description="no such lesson")
    user_id = current_user_id()
    newly = complete(user_id, lesson)
    awarded = award_for_progress(user_id) if newly else []
    return jsonify(
        lesson=slug, newly_completed=newly, new_achievements=[describe(code) for code in awarded]
    )


@bp.get("/api/users/<int:user_id>/progress")
@api_login_required
def progress_api(user_id):
    _own_user(user_id)
    return jsonify(progress(user_id))


@bp.get("/api/users/<int:user_id>/achievements")
@api_login_required
def achievements_api(user_id):
    _own_user(user_id)
    return jsonify(user_id=user_id, achievements=user_achievements(user_id))
