"""LTI 1.3 (issue 19) against the real server and a fake platform over real HTTP
(tests/support/lti_platform.py: its own RSA key and JWKS, an OIDC auth endpoint, an OAuth 2
token endpoint that checks the tool's client assertion with the tool's published JWKS, line
items that record scores). The platform is registered with the real CLI
(``python -m app lti add-platform``).

Each person is one ``httpx.Client`` (their own cookie jar), as each is one browser; each test
uses resource links of its own.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey

from tests.support.lti_platform import FakePlatform, instructor, learner
from tests.support.server import ROOT, ServerProcess, start_server
from tests.support.waiting import wait_for

TIMEOUT = 60.0
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


def cli(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BPP_")}
    env["BPP_DATA_DIR"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


@dataclass
class Site:
    server: ServerProcess
    lms: FakePlatform
    data: Path

    def person(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, timeout=TIMEOUT)

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.data / "playground.db", timeout=30)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("lti")
    data = tmp / "data"
    with FakePlatform() as lms:
        done = cli(data, *lms.cli_args())
        assert done.returncode == 0, done.stderr
        server = start_server(
            env={
                "BPP_DATA_DIR": str(data),
                "BPP_TRAINERS": "0",
                "BPP_LTI_GRADE_POLL_SECONDS": "0.3",
                "BPP_LTI_GRADE_RETRY_SECONDS": "0.1",
                "BPP_LTI_PLATFORM_CACHE_SECONDS": "0.2",
            },
            log_dir=tmp,
            startup_timeout=TIMEOUT,
        )
        lms.tool_url = server.url
        lms.users.update(
            ann=learner("ann-sub", "Ann Lee"),
            bob=learner("bob-sub", "Bob Ray"),
            grace=instructor("grace-sub", "Grace Hopper"),
            alan=instructor("alan-sub", "Alan Turing"),
        )
        try:
            yield Site(server, lms, data)
        finally:
            server.stop()


# ---- helpers ----------------------------------------------------------------------------------


def begin(person: httpx.Client, lms: FakePlatform, who: str) -> tuple[str, str]:
    """The OIDC login initiation: (state, nonce) of the tool's redirect to the platform."""
    r = person.get("/lti/login", params=lms.login_params(who))
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    assert location.startswith(lms.url + "/auth?")
    q = parse_qs(urlsplit(location).query)
    assert q["redirect_uri"] == [lms.tool_url + "/lti/launch"]
    assert q["response_mode"] == ["form_post"] and q["prompt"] == ["none"]
    return q["state"][0], q["nonce"][0]


def post_launch(person: httpx.Client, lms: FakePlatform, state: str, token: str):
    """The platform's cross-site form post (Origin: the platform's)."""
    return person.post(
        "/lti/launch", data={"id_token": token, "state": state}, headers={"Origin": lms.url}
    )


def launch(person: httpx.Client, lms: FakePlatform, who: str, **changes):
    state, nonce = begin(person, lms, who)
    return post_launch(person, lms, state, lms.id_token(who, nonce, **changes))


def use_link(lms: FakePlatform, link_id: str, custom: dict | None = None) -> None:
    lms.resource_link = {"id": link_id, "title": f"Activity {link_id}"}
    lms.custom = custom or {}
    lms.message_type = "LtiResourceLinkRequest"


def room_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"].split("/")[2]


def grades(teacher: httpx.Client, room: str) -> dict:
    r = teacher.get(f"/api/lti/classrooms/{room}/grades")
    assert r.status_code == 200, r.text
    return r.json()


# ---- launches ---------------------------------------------------------------------------------


def test_an_instructor_launch_makes_a_teacher_and_a_classroom_and_lands_on_the_dashboard(site):
    use_link(site.lms, "inst-1")
    grace = site.person()
    r = launch(grace, site.lms, "grace")
    room = room_of(r)
    assert r.headers["location"] == f"/classrooms/{room}"
    assert grace.get("/api/auth/me").json()["teacher"]["name"] == "Grace Hopper"
    assert grace.get(f"/classrooms/{room}").status_code == 200  # the dashboard, not a login
    detail = grace.get(f"/api/classrooms/{room}").json()
    assert detail["name"] == "Activity inst-1" and detail["status"] == "open"
    # her second launch: the same teacher, the same classroom
    again = site.person()
    assert room_of(launch(again, site.lms, "grace")) == room
    assert (
        again.get("/api/auth/me").json()["teacher"]["id"]
        == (grace.get("/api/auth/me").json()["teacher"]["id"])
    )


def test_a_learner_launch_seats_them_named_as_the_lms_names_them_without_a_join_code(site):
    use_link(site.lms, "learn-1")
    grace = site.person()
    room = room_of(launch(grace, site.lms, "grace"))
    ann = site.person()
    r = launch(ann, site.lms, "ann")
    assert r.headers["location"] == f"/classrooms/{room}/seat"
    assert ann.get(f"/classrooms/{room}/seat").status_code == 200
    me = ann.get(f"/api/classrooms/{room}/me").json()
    assert me["seat"]["name"] == "Ann Lee" and me["seat"]["status"] == "active"
    assert me["seat"]["session_id"]
    assert ann.get(f"/api/sessions/{me['seat']['session_id']}").status_code == 200
    # on another device: the same seat (the LMS vouches for her), not a second one
    laptop = site.person()
    room_of(launch(laptop, site.lms, "ann"))
    assert laptop.get(f"/api/classrooms/{room}/me").json()["seat"]["id"] == me["seat"]["id"]
    seats = grace.get(f"/api/classrooms/{room}").json()["seats"]
    assert [s["name"] for s in seats] == ["Ann Lee"]
    # a learner's cookie is no teacher's
    assert ann.get(f"/api/lti/classrooms/{room}/grades").status_code == 401


def test_a_learner_before_the_instructor_gets_a_clear_page_and_no_seat(site):
    use_link(site.lms, "early-1")
    bob = site.person()
    r = launch(bob, site.lms, "bob")
    assert r.status_code == 200
    assert "not opened this activity yet" in r.text
    assert not [c for c in bob.cookies.jar if c.name.startswith("bpp_seat_")]


def test_a_learner_cannot_reach_the_instructors_dashboard_or_grades(site):
    use_link(site.lms, "roles-1")
    room = room_of(launch(site.person(), site.lms, "grace"))
    ann = site.person()
    room_of(launch(ann, site.lms, "ann"))
    assert (
        ann.get(f"/classrooms/{room}", follow_redirects=False).headers["location"].endswith("/seat")
    )
    assert ann.get(f"/api/classrooms/{room}").status_code == 401
    assert ann.post(f"/api/lti/classrooms/{room}/grades").status_code == 401
    # another instructor's account is not this classroom's teacher
    alan = site.person()
    use_link(site.lms, "roles-2")
    room_of(launch(alan, site.lms, "alan"))
    assert alan.get(f"/api/lti/classrooms/{room}/grades").status_code == 403


# ---- bad tokens: a 4xx page naming the claim, never a 500, never a login ----------------------

NOW = int(time.time())
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "lms-key-1", "alg": "RS256"})


def _tampered(lms: FakePlatform, who: str, nonce: str) -> str:
    head, body, sig = lms.id_token(who, nonce).split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{head}.{forged}.{sig}"


BAD_TOKENS = {
    "tampered signature": (lambda lms, who, n: _tampered(lms, who, n), 401, "id_token"),
    "signed by another key": (
        lambda lms, who, n: lms.sign(lms.claims(who, n), key=OTHER_KEY),
        401,
        "id_token",
    ),
    "not a JWT": (lambda lms, who, n: "not.a-jwt", 401, "id_token"),
    "wrong issuer": (lambda lms, who, n: lms.id_token(who, n, iss="https://x.example"), 401, "iss"),
    "wrong audience": (lambda lms, who, n: lms.id_token(who, n, aud="another-tool"), 401, "aud"),
    "several audiences, no azp": (
        lambda lms, who, n: lms.id_token(who, n, aud=[lms.client_id, "x"], azp=None),
        401,
        "azp",
    ),
    "wrong azp": (lambda lms, who, n: lms.id_token(who, n, azp="another-tool"), 401, "azp"),
    "expired": (lambda lms, who, n: lms.id_token(who, n, exp=NOW - 900, iat=NOW - 999), 401, "exp"),
    "issued in the future": (lambda lms, who, n: lms.id_token(who, n, iat=NOW + 3600), 401, "iat"),
    "no nonce": (lambda lms, who, n: lms.id_token(who, n, nonce=None), 401, "nonce"),
    "another login's nonce": (lambda lms, who, n: lms.id_token(who, "x" + n), 401, "nonce"),
    "unknown deployment": (
        lambda lms, who, n: lms.id_token(who, n, **{LTI + "deployment_id": "dep-x"}),
        403,
        "deployment_id",
    ),
    "wrong message type": (
        lambda lms, who, n: lms.id_token(who, n, **{LTI + "message_type": "LtiSubmissionReview"}),
        400,
        "message_type",
    ),
    "wrong LTI version": (
        lambda lms, who, n: lms.id_token(who, n, **{LTI + "version": "1.1"}),
        400,
        "version",
    ),
    "no roles": (lambda lms, who, n: lms.id_token(who, n, **{LTI + "roles": []}), 403, "roles"),
    "no resource link": (
        lambda lms, who, n: lms.id_token(who, n, **{LTI + "resource_link": {"title": "x"}}),
        400,
        "resource_link",
    ),
    "no sub": (lambda lms, who, n: lms.id_token(who, n, sub=None), 400, "sub"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_a_bad_id_token_is_a_4xx_page_naming_the_claim_and_logs_nobody_in(site, case):
    use_link(site.lms, "bad-1")
    make, status, field = BAD_TOKENS[case]
    person = site.person()
    state, nonce = begin(person, site.lms, "grace")
    r = post_launch(person, site.lms, state, make(site.lms, "grace", nonce))
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert f'<code class="lti-field">{field}</code>' in r.text
    assert person.get("/api/auth/me").status_code == 401
    assert not [c for c in person.cookies.jar if c.name.startswith(("bpp_seat_", "bpp_teacher"))]


def test_two_launches_in_flight_in_one_browser_both_finish(site):
    """Two tool links on one course page: each login keeps its own state cookie."""
    use_link(site.lms, "two-1")
    lms = site.lms
    person = site.person()
    first, second = begin(person, lms, "grace"), begin(person, lms, "grace")
    assert room_of(post_launch(person, lms, second[0], lms.id_token("grace", second[1])))
    assert room_of(post_launch(person, lms, first[0], lms.id_token("grace", first[1])))


def test_state_must_be_this_browsers_login_in_time_and_used_once(site):
    use_link(site.lms, "state-1")
    lms = site.lms
    person = site.person()
    state, nonce = begin(person, lms, "grace")
    token = lms.id_token("grace", nonce)
    r = post_launch(person, lms, "", token)
    assert r.status_code == 400 and '"lti-field">state<' in r.text
    r = post_launch(person, lms, "made-up-state", token)
    assert r.status_code == 401 and '"lti-field">state<' in r.text  # not this browser's
    assert room_of(post_launch(person, lms, state, token))
    replay = post_launch(person, lms, state, token)  # the same post again
    assert replay.status_code == 401 and '"lti-field">state<' in replay.text


def test_a_replayed_nonce_is_refused_even_in_a_fresh_login(site):
    use_link(site.lms, "nonce-1")
    lms = site.lms
    person = site.person()
    state, nonce = begin(person, lms, "grace")
    captured = lms.id_token("grace", nonce)
    assert room_of(post_launch(person, lms, state, captured))
    attacker = site.person()
    fresh_state, _ = begin(attacker, lms, "grace")
    r = post_launch(attacker, lms, fresh_state, captured)
    assert r.status_code == 401 and '"lti-field">nonce<' in r.text
    assert attacker.get("/api/auth/me").status_code == 401


def test_the_platform_may_post_the_login_initiation_from_its_own_site(site):
    person = site.person()
    r = person.post(
        "/lti/login", data=site.lms.login_params("grace"), headers={"Origin": site.lms.url}
    )
    assert r.status_code == 302 and r.headers["location"].startswith(site.lms.url + "/auth?")
    cookie = next(c for c in person.cookies.jar if c.name.startswith("bpp_lti_state_"))
    assert cookie.path == "/lti/" and cookie.has_nonstandard_attr("HttpOnly")


def test_a_login_from_an_unregistered_platform_or_for_another_tool_is_refused(site):
    person = site.person()
    params = site.lms.login_params("grace")
    r = person.get("/lti/login", params={**params, "iss": "https://unknown.example"})
    assert r.status_code == 403 and '"lti-field">iss<' in r.text
    r = person.get("/lti/login", params={**params, "target_link_uri": "https://evil.example/"})
    assert r.status_code == 400 and '"lti-field">target_link_uri<' in r.text
    r = person.get("/lti/login", params={**params, "lti_deployment_id": "nope"})
    assert r.status_code == 403
    r = person.get("/lti/login", params={k: v for k, v in params.items() if k != "login_hint"})
    assert r.status_code == 400 and '"lti-field">login_hint<' in r.text


def test_without_its_cookie_the_launch_offers_to_open_in_a_new_tab(site):
    """Third-party cookies blocked in the LMS's frame: the state cookie does not come back."""
    use_link(site.lms, "tab-1")
    lms = site.lms
    framed = site.person()
    state, nonce = begin(framed, lms, "grace")
    framed.cookies.clear()
    r = post_launch(framed, lms, state, lms.id_token("grace", nonce))
    assert r.status_code == 200 and "new tab" in r.text
    link = unescape(re.search(r'id="lti-new-tab" href="([^"]+)"', r.text).group(1))
    assert 'target="_blank"' in r.text
    tab = site.person()
    again = tab.get(link)  # the login again, top-level
    assert again.status_code == 302 and again.headers["location"].startswith(lms.url + "/auth")


# ---- deep linking -----------------------------------------------------------------------------


def test_deep_linking_returns_a_signed_content_item_for_the_picked_lesson(site):
    lms = site.lms
    use_link(lms, "dl-setup")
    grace = site.person()
    room_of(launch(grace, lms, "grace"))
    made = grace.post(
        "/api/lessons",
        json={"title": "XOR by hand", "setup": {"dataset": {"name": "xor"}}},
    )
    assert made.status_code == 201, made.text
    lesson = made.json()
    lms.message_type = "LtiDeepLinkingRequest"
    picker = launch(grace, lms, "grace")
    assert picker.status_code == 200, picker.text
    assert "XOR by hand" in picker.text
    choice = unescape(re.search(r'name="choice" value="([^"]+)"', picker.text).group(1))
    answer = grace.post("/lti/deep-link", data={"choice": choice, "lesson_id": lesson["id"]})
    assert answer.status_code == 200, answer.text
    assert f'action="{lms.url}/deep-link-return"' in answer.text
    assert lms.url in answer.headers["content-security-policy"].split("form-action")[1]
    token = unescape(re.search(r'name="JWT" value="([^"]+)"', answer.text).group(1))
    claims = lms.verify_tool_jwt(token)  # with the tool's published JWKS
    assert claims["iss"] == lms.client_id and claims["aud"] == lms.issuer
    assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "deployment_id"] == lms.deployment_id
    assert claims[DL + "data"] == "opaque-data-42"
    (item,) = claims[DL + "content_items"]
    assert item["type"] == "ltiResourceLink" and item["url"] == lms.tool_url + "/lti/launch"
    assert item["custom"] == {"bpp_lesson_id": lesson["id"]}
    assert item["lineItem"]["scoreMaximum"] == 1
    # the link the LMS makes from it opens a classroom taught from that lesson
    use_link(lms, "dl-made", custom=item["custom"])
    room = room_of(launch(grace, lms, "grace"))
    assert grace.get(f"/api/classrooms/{room}").json()["lesson_id"] == lesson["id"]
    # a picker form that is not the tool's, or another teacher's lesson, is refused
    forged = grace.post("/lti/deep-link", data={"choice": choice[:-4] + "AAAA", "lesson_id": "x"})
    assert forged.status_code == 401 and '"lti-field">choice<' in forged.text
    wrong = grace.post("/lti/deep-link", data={"choice": choice, "lesson_id": "not-hers"})
    assert wrong.status_code == 404


def test_only_an_instructor_may_deep_link(site):
    lms = site.lms
    lms.message_type = "LtiDeepLinkingRequest"
    try:
        r = launch(site.person(), lms, "ann")
    finally:
        lms.message_type = "LtiResourceLinkRequest"
    assert r.status_code == 403 and '"lti-field">roles<' in r.text


# ---- grades (AGS) -----------------------------------------------------------------------------


def test_post_grades_retries_until_the_platform_takes_the_score_and_never_posts_it_twice(site):
    lms = site.lms
    use_link(lms, "ags-1")
    grace = site.person()
    room = room_of(launch(grace, lms, "grace"))
    room_of(launch(site.person(), lms, "bob"))
    before = len([s for s in lms.scores if s["userId"] == "bob-sub"])
    lms.fail_scores = 2  # the LMS is down for the first two tries
    r = grace.post(f"/api/lti/classrooms/{room}/grades")
    assert r.status_code == 200, r.text
    assert r.json()["changed"] == 1
    (row,) = r.json()["grades"]
    assert row["name"] == "Bob Ray" and row["status"] == "pending" and "503" in row["error"]
    wait_for(lambda: grades(grace, room)["grades"][0]["status"] == "posted", seconds=TIMEOUT)
    (row,) = grades(grace, room)["grades"]
    assert row["attempts"] == 3 and row["posted_score"] == 0 and row["error"] is None
    posted = [s for s in lms.scores if s["userId"] == "bob-sub"]
    assert len(posted) == before + 1
    assert posted[-1]["scoreGiven"] == 0 and posted[-1]["scoreMaximum"] == 1
    assert posted[-1]["activityProgress"] == "Completed"
    assert posted[-1]["gradingProgress"] == "FullyGraded"
    # posting again sends nothing new: the score is the one posted
    again = grace.post(f"/api/lti/classrooms/{room}/grades").json()
    assert again["changed"] == 0
    time.sleep(1.0)
    assert len([s for s in lms.scores if s["userId"] == "bob-sub"]) == before + 1
    assert lms.tokens_granted >= 1


def test_a_met_challenge_is_posted_as_a_score_of_one_by_itself(site):
    lms = site.lms
    use_link(lms, "ags-2")
    grace = site.person()
    room = room_of(launch(grace, lms, "grace"))
    lesson = grace.post(
        "/api/lessons",
        json={"title": "Challenge", "challenge": {"test_loss_below": 0.1}},
    ).json()
    use_link(lms, "ags-3", custom={"bpp_lesson_id": lesson["id"]})
    room = room_of(launch(grace, lms, "grace"))
    ann = site.person()
    room_of(launch(ann, lms, "ann"))
    seat = ann.get(f"/api/classrooms/{room}/me").json()["seat"]["id"]
    with site.db() as db:  # the challenge judged met (the classroom's tests pin the judging)
        db.execute("UPDATE seats SET challenge_met = ? WHERE id = ?", ('{"epoch": 3}', seat))
    wait_for(
        lambda: [s for s in lms.scores if s["userId"] == "ann-sub" and s["scoreGiven"] == 1],
        seconds=TIMEOUT,
    )
    (row,) = grades(grace, room)["grades"]
    assert row["status"] == "posted" and row["posted_score"] == 1


ACTIVITY_STEPS = [
    {"title": "A number", "question": {"kind": "number", "prompt": "2 + 2?", "answer": 4}},
    {"title": "Why", "question": {"kind": "text", "prompt": "Why?"}},  # unscored
    {
        "title": "Which",
        "question": {
            "kind": "choice",
            "prompt": "Which equation gives δ_k?",
            "options": ["Eq. 5", "Eq. 14"],
            "correct": [0],
            "max_attempts": 1,
        },
    },
]


def test_a_finished_activity_posts_the_fraction_of_scored_questions_answered_right(site):
    lms = site.lms
    use_link(lms, "ags-act-0")
    grace = site.person()
    room_of(launch(grace, lms, "grace"))
    lesson = grace.post("/api/lessons", json={"title": "Steps", "steps": ACTIVITY_STEPS})
    assert lesson.status_code == 201, lesson.text
    use_link(lms, "ags-act-1", custom={"bpp_lesson_id": lesson.json()["id"]})
    room = room_of(launch(grace, lms, "grace"))
    ann = site.person()
    room_of(launch(ann, lms, "ann"))
    before = len(lms.scores)

    def anns() -> list[dict]:
        return [s for s in lms.scores[before:] if s["userId"] == "ann-sub"]

    def answer(n: int, body: dict) -> None:
        r = grace.post(f"/api/classrooms/{room}/steps/open", json={"step": n, "mode": "class"})
        assert r.status_code == 200, r.text
        r = ann.post(f"/api/classrooms/{room}/steps/{n}/answer", json=body)
        assert r.status_code == 200, r.text

    answer(0, {"value": "4"})  # right
    answer(1, {"text": "because"})
    time.sleep(1.0)  # several polls: not finished yet, so nothing is posted
    assert not anns()
    answer(2, {"choices": [1]})  # wrong, no attempt left: the last scored step is done
    wait_for(anns, seconds=TIMEOUT)
    (posted,) = anns()
    assert posted["scoreGiven"] == 0.5 and posted["scoreMaximum"] == 1
    (row,) = grades(grace, room)["grades"]
    assert row["status"] == "posted" and row["posted_score"] == 0.5
    # the teacher's "post grades" sends the same score again? No: it is the one posted
    assert grace.post(f"/api/lti/classrooms/{room}/grades").json()["changed"] == 0


def test_a_score_the_platform_keeps_refusing_ends_failed_with_the_reason(site):
    lms = site.lms
    use_link(lms, "ags-4")
    grace = site.person()
    room = room_of(launch(grace, lms, "grace"))
    room_of(launch(site.person(), lms, "ann"))
    lms.fail_scores = 100
    try:
        grace.post(f"/api/lti/classrooms/{room}/grades")
        wait_for(lambda: grades(grace, room)["grades"][0]["status"] == "failed", seconds=TIMEOUT)
    finally:
        lms.fail_scores = 0
    (row,) = grades(grace, room)["grades"]
    assert row["attempts"] == 5 and "HTTP 503" in row["error"]


def test_a_classroom_without_a_link_has_no_grades_to_post(site):
    use_link(site.lms, "nolink-1")
    grace = site.person()
    room_of(launch(grace, site.lms, "grace"))
    lesson = grace.get("/api/lessons").json()["lessons"][0]
    plain = grace.post("/api/classrooms", json={"lesson_id": lesson["id"]}).json()
    assert grades(grace, plain["id"]) == {
        "classroom_id": plain["id"],
        "linked": False,
        "lineitem_url": None,
        "grades": [],
    }
    r = grace.post(f"/api/lti/classrooms/{plain['id']}/grades")
    assert r.status_code == 404 and r.json()["detail"][0]["field"] == "classroom_id"


# ---- framing, origins, keys -------------------------------------------------------------------


def test_only_lti_pages_may_be_framed_and_only_by_registered_platforms(site):
    lms = site.lms
    use_link(lms, "frame-1")
    grace = site.person()
    room = room_of(launch(grace, lms, "grace"))
    for path in (f"/classrooms/{room}", "/lti/config"):
        r = grace.get(path)
        csp = r.headers["content-security-policy"]
        assert f"frame-ancestors 'self' {lms.url}" in csp, path
        assert "x-frame-options" not in r.headers
    for path in ("/", "/login", "/teach"):
        r = grace.get(path)
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
        assert r.headers["x-frame-options"] == "DENY"


def test_cross_site_posts_outside_lti_are_still_refused(site):
    person = site.person()
    for path, body in (
        ("/api/join", {"code": "ABCDEF", "name": "x"}),
        ("/api/auth/login", {"name": "x", "password": "y"}),
        ("/api/sessions", {}),
    ):
        r = person.post(path, json=body, headers={"Origin": site.lms.url})
        assert r.status_code == 403 and r.json()["detail"][0]["field"] == "origin", path
    r = person.post("/lti/deep-link", data={"choice": "x"}, headers={"Origin": site.lms.url})
    assert r.status_code == 403


def test_the_config_page_shows_what_to_paste_into_the_lms(site):
    person = site.person()
    page = person.get("/lti/config").text
    base = site.server.url
    for url in ("/lti/login", "/lti/launch", "/lti/jwks"):
        assert base + url in page
    assert site.lms.issuer in page and site.lms.client_id in page
    canvas = person.get("/lti/config.json").json()
    assert canvas["oidc_initiation_url"] == base + "/lti/login"
    assert canvas["public_jwk_url"] == base + "/lti/jwks"


def test_rotating_the_tool_key_keeps_the_old_one_published_and_signs_with_the_new(site):
    person = site.person()
    before = {k["kid"] for k in person.get("/lti/jwks").json()["keys"]}
    done = cli(site.data, "lti", "rotate-key")
    assert done.returncode == 0, done.stderr
    new_kid = done.stdout.split()[3].rstrip(";")

    def published() -> set[str]:
        return {k["kid"] for k in person.get("/lti/jwks").json()["keys"]}

    wait_for(lambda: new_kid in published(), seconds=TIMEOUT)
    assert before <= published()
    for key in person.get("/lti/jwks").json()["keys"]:
        assert set(key) >= {"kty", "n", "e", "kid"} and "d" not in key


def test_an_admin_links_an_lms_user_to_an_existing_teacher(site):
    env_cli = subprocess.run(
        [sys.executable, "-m", "app", "create-teacher", "Professor Turing"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("BPP_")},
            "BPP_DATA_DIR": str(site.data),
            "BPP_TEACHER_PASSWORD": "a long passphrase",
        },
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert env_cli.returncode == 0, env_cli.stderr
    (platform,) = json.loads(cli(site.data, "lti", "list").stdout)
    done = cli(site.data, "lti", "link-teacher", platform["id"], "alan-sub", "Professor Turing")
    assert done.returncode == 0, done.stderr
    unknown = cli(site.data, "lti", "link-teacher", platform["id"], "alan-sub", "Nobody")
    assert unknown.returncode == 1 and "no teacher named" in unknown.stderr
    use_link(site.lms, "linked-1")
    alan = site.person()
    room_of(launch(alan, site.lms, "alan"))
    assert alan.get("/api/auth/me").json()["teacher"]["name"] == "Professor Turing"
