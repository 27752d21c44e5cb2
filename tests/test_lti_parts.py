"""LTI's parts on their own (no server): the claim checks, role mapping, the grade book's
idempotence and back-off, the tool's keys, and the middleware's two openings for LTI."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import update
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from app.lti.ags import Due, GradeBook, scores_url
from app.lti.claims import (
    LtiError,
    check_audience,
    check_times,
    read_launch,
    role_of,
)
from app.lti.keys import ToolKeys
from app.lti.scores import activity_score, challenge_score
from app.lti.service import CROSS_SITE_POSTS
from app.settings import Settings
from app.store import open_store
from app.store.answers import Answer
from app.store.models import lti_grades, lti_links, lti_platforms, lti_users
from app.web.middleware import PAGE_CSP, SameOrigin, SecurityHeaders, framed_csp
from tests.support.lti_platform import LTI, ROLE

# ---- claims ------------------------------------------------------------------------------------


def test_teaching_roles_map_to_instructor_and_learner_to_learner():
    assert role_of([ROLE + "Instructor"]) == "instructor"
    assert role_of([ROLE + "Learner", ROLE + "Instructor#TeachingAssistant"]) == "instructor"
    assert role_of(["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"]) == (
        "instructor"
    )
    assert role_of([ROLE + "Learner"]) == "learner"
    assert role_of([ROLE + "Mentor"]) is None
    assert role_of("Learner") is None


@pytest.mark.parametrize(
    ("claims", "field"),
    [
        ({"aud": "other"}, "aud"),
        ({"aud": ["tool", "other"]}, "azp"),
        ({"aud": ["tool", "other"], "azp": "other"}, "azp"),
        ({"aud": "tool", "azp": "other"}, "azp"),
        ({}, "aud"),
    ],
)
def test_the_audience_must_be_this_tool(claims, field):
    with pytest.raises(LtiError) as caught:
        check_audience(claims, "tool")
    assert caught.value.field == field


def test_a_good_audience_passes():
    check_audience({"aud": "tool"}, "tool")
    check_audience({"aud": ["tool", "x"], "azp": "tool"}, "tool")


def test_times_are_checked_with_the_skew_allowed():
    now = time.time()
    check_times({"exp": now - 30, "iat": now - 60}, now, skew=60, max_age=3600)  # within skew
    for claims, field in (
        ({"exp": now - 61, "iat": now - 100}, "exp"),
        ({"exp": now + 300, "iat": now + 61}, "iat"),
        ({"exp": now + 300, "iat": now - 7200}, "iat"),
        ({"iat": now}, "exp"),
        ({"exp": now + 300, "iat": True}, "iat"),
    ):
        with pytest.raises(LtiError) as caught:
            check_times(claims, now, skew=60, max_age=3600)
        assert caught.value.field == field


def _claims(**change):
    claims = {
        "sub": "u1",
        "name": "Ann Lee",
        LTI + "version": "1.3.0",
        LTI + "message_type": "LtiResourceLinkRequest",
        LTI + "deployment_id": "d1",
        LTI + "roles": [ROLE + "Learner"],
        LTI + "resource_link": {"id": "r1", "title": "Week 3"},
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
            "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
            "lineitem": "https://lms/li/1",
        },
    }
    claims.update(change)
    return claims


def test_a_launch_reads_the_user_the_link_and_the_line_item():
    launch = read_launch(_claims(), "p1", ["d1"], store_names=True)
    assert (launch.sub, launch.role, launch.name) == ("u1", "learner", "Ann Lee")
    assert launch.resource_link_id == "r1" and launch.lineitem_url == "https://lms/li/1"
    assert launch.score_scope


def test_no_name_is_kept_when_names_are_not_stored():
    assert read_launch(_claims(), "p1", ["d1"], store_names=False).name is None


def test_given_and_family_names_make_the_name_when_there_is_no_name():
    claims = _claims(given_name="Ann", family_name="Lee")
    claims.pop("name")
    assert read_launch(claims, "p1", ["d1"], True).name == "Ann Lee"


# ---- the grade book ------------------------------------------------------------------------------


@pytest.fixture
def book(tmp_path):
    store = open_store(Settings(data_dir=str(tmp_path)))
    store.migrate()
    now = datetime.now(UTC)
    with store.transaction() as conn:
        conn.execute(
            lti_platforms.insert().values(
                id="p", issuer="https://lms", client_id="c", deployment_ids=["d"],
                auth_url="https://lms/a", token_url="https://lms/t", jwks_url="https://lms/k",
                frame_origins=[], created_at=now,
            )
        )  # fmt: skip
        conn.execute(
            lti_users.insert().values(
                id="u", platform_id="p", sub="s", name=None, teacher_id=None, created_at=now
            )
        )
    # a link belongs to a classroom: make one the way the classroom does
    from app.classroom.accounts import Accounts
    from app.classroom.rooms import Rooms

    settings = Settings(data_dir=str(tmp_path), lti_grade_retry_seconds=10, lti_grade_attempts=3)
    teacher = Accounts(store, settings).create_teacher("t", "a long password")
    rooms = Rooms(store, settings)
    room = rooms.open_classroom(teacher.id, rooms.create_lesson(teacher.id, "L", {}, [], None), "R")
    with store.transaction() as conn:
        conn.execute(
            lti_links.insert().values(
                id="l", platform_id="p", deployment_id="d", resource_link_id="r",
                context_title=None, classroom_id=room.id, lineitem_url="https://lms/li",
                created_at=now,
            )
        )  # fmt: skip
    yield GradeBook(store, settings), store
    store.close()


def test_a_score_already_posted_or_pending_is_not_recorded_again(book):
    grades, _ = book
    assert grades.set_score("l", "u", 1.0)
    assert not grades.set_score("l", "u", 1.0)  # pending already
    (due,) = grades.due()
    grades.posted(due)
    assert not grades.set_score("l", "u", 1.0)  # posted already
    assert grades.due() == []
    assert grades.set_score("l", "u", 0.0)  # a new score is posted again
    assert grades.due()[0].score == 0.0


def test_a_failed_try_backs_off_doubling_then_fails_for_good(book):
    grades, store = book
    grades.set_score("l", "u", 1.0)
    (due,) = grades.due()
    grades.failed(due, "HTTP 503", retry=True)
    assert grades.due() == []  # waiting 10 s
    row = grades.of_link("l")["u"]
    assert row["status"] == "pending" and row["attempts"] == 1 and row["error"] == "HTTP 503"
    with store.transaction() as conn:
        conn.execute(update(lti_grades).values(next_try_at=datetime.now(UTC) - timedelta(1)))
    (due,) = grades.due()
    grades.failed(due, "HTTP 503", retry=True)
    with store.transaction() as conn:
        conn.execute(update(lti_grades).values(next_try_at=datetime.now(UTC) - timedelta(1)))
    (due,) = grades.due()
    grades.failed(due, "HTTP 503 again", retry=True)  # the third of lti_grade_attempts = 3
    row = grades.of_link("l")["u"]
    assert row["status"] == "failed" and row["attempts"] == 3 and row["error"] == "HTTP 503 again"


def test_a_refusal_that_retrying_cannot_fix_fails_at_once(book):
    grades, _ = book
    grades.set_score("l", "u", 1.0)
    grades.failed(grades.due()[0], "HTTP 400 unknown user", retry=False)
    assert grades.of_link("l")["u"]["status"] == "failed"


def test_a_try_of_an_old_score_does_not_overwrite_a_newer_one(book):
    grades, _ = book
    grades.set_score("l", "u", 0.0)
    (old,) = grades.due()
    grades.set_score("l", "u", 1.0)  # the challenge met while the 0 was being posted
    grades.posted(old)
    row = grades.of_link("l")["u"]
    assert row["status"] == "pending" and row["score"] == 1.0


def test_scores_go_to_the_line_items_scores_url():
    assert scores_url("https://lms/li/7?type=a") == "https://lms/li/7/scores?type=a"
    assert scores_url("https://lms/li/7/") == "https://lms/li/7/scores"
    assert isinstance(Due("l", "u", "p", None, "s", 1.0, 0), Due)


# ---- the tool's keys ---------------------------------------------------------------------------


def test_the_tool_verifies_its_own_tokens_until_their_key_is_retired(tmp_path):
    store = open_store(Settings(data_dir=str(tmp_path)))
    store.migrate()
    keys = ToolKeys(store)
    token = keys.sign({"a": 1})
    assert keys.verify(token) == {"a": 1}
    assert keys.verify(token[:-3] + "AAA") is None
    keys.rotate()  # the old key stays published
    assert keys.verify(token) == {"a": 1} and len(keys.jwks()["keys"]) == 2
    keys.rotate()  # now it is retired
    assert keys.verify(token) is None and len(keys.jwks()["keys"]) == 2
    assert all("d" not in k for k in keys.jwks()["keys"])
    store.close()


# ---- the middleware's openings -------------------------------------------------------------------


def _app(framing=None):
    async def ok(request):
        return PlainTextResponse("ok")

    routes = [Route(p, ok, methods=["GET", "POST"]) for p in ("/lti/launch", "/lti/x", "/api/x")]
    app = Starlette(routes=routes)
    app.add_middleware(SameOrigin, exempt=CROSS_SITE_POSTS)
    app.add_middleware(SecurityHeaders, framing=framing)
    return TestClient(app)


def test_only_the_lti_login_and_launch_take_cross_site_posts():
    client = _app()
    foreign = {"Origin": "https://lms.example"}
    assert client.post("/lti/launch", headers=foreign).status_code == 200
    assert client.post("/lti/x", headers=foreign).status_code == 403
    assert client.post("/api/x", headers=foreign).status_code == 403
    assert client.post("/lti/launch/", headers=foreign).status_code in (403, 404, 307)


def test_framing_opens_frame_ancestors_and_form_action_to_the_listed_origins_only():
    client = _app(lambda path: ("https://lms.example",) if path.startswith("/lti/") else ())
    framed = client.get("/lti/x")
    assert framed.headers["content-security-policy"] == framed_csp(("https://lms.example",))
    assert "frame-ancestors 'self' https://lms.example" in framed.headers["content-security-policy"]
    assert "form-action 'self' https://lms.example" in framed.headers["content-security-policy"]
    assert "x-frame-options" not in framed.headers
    plain = client.get("/api/x")
    assert plain.headers["content-security-policy"] == PAGE_CSP
    assert plain.headers["x-frame-options"] == "DENY"


# ---- scores --------------------------------------------------------------------------------------

NUMBER = {"kind": "number", "prompt": "x", "answer": 1.0, "max_attempts": 2}
STEPS = [
    {"title": "read"},
    {"title": "n", "question": NUMBER},
    {"title": "t", "question": {"kind": "text", "prompt": "why"}},
    {"title": "p", "question": {"kind": "prediction", "prompt": "what", "options": ["a", "b"]}},
    {"title": "c", "question": {"kind": "choice", "prompt": "x", "options": ["a", "b"],
                                "correct": [1], "max_attempts": 1}},
]  # fmt: skip


def _row(step: int, correct: bool | None, attempts: int = 1) -> Answer:
    now = datetime.now(UTC)
    return Answer(0, "c", "s", step, "x", {}, correct, attempts, 1.0, now, now)


def test_an_activity_score_is_the_fraction_of_scored_questions_right_when_finished():
    room = SimpleNamespace(steps=STEPS, revealed=[])
    # text and prediction steps are not scored: two scored questions
    half = activity_score(room, [_row(1, True), _row(2, None), _row(3, None)])
    assert half is not None and half.value == 0.5 and not half.finished
    done = activity_score(room, [_row(1, True), _row(4, False)])
    assert done is not None and (done.value, done.finished) == (0.5, True)
    # a wrong answer with attempts left is not finished; the reveal finishes it
    again = [_row(1, False), _row(4, None, attempts=0)]
    assert not activity_score(room, again).finished  # type: ignore[union-attr]
    revealed = SimpleNamespace(steps=STEPS, revealed=[4])
    assert activity_score(revealed, again) == activity_score(revealed, [_row(1, False)])
    assert activity_score(revealed, again).finished  # type: ignore[union-attr]


def test_a_lesson_without_scored_questions_is_scored_by_its_challenge():
    plain = SimpleNamespace(steps=[], revealed=[], instructions="", locks=[])
    assert activity_score(plain, []) is None
    assert (challenge_score({"epoch": 3}).value, challenge_score(None).value) == (1.0, 0.0)
    assert challenge_score({"epoch": 3}).finished and not challenge_score(None).finished
