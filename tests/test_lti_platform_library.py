"""The tool against an LTI platform no one here wrote: ``lti1p3platform``'s core (its own
registration, its own RSA key, its OIDC login initiation, its launch message and signature,
its deep-linking validation), behind a few lines of glue — its framework adapters are not
used. The tool is the real server; the platform's JWKS is served over real HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

lti1p3platform = pytest.importorskip("lti1p3platform")
from tests.support.lti_independent import (  # noqa: E402
    CLIENT_ID,
    DEPLOYMENT,
    ROLE,
    SCORE,
    Launch,
    Login,
    Request,
    connect,
    registration,
)
from tests.support.server import ROOT, start_server  # noqa: E402

ISS = "https://lms.independent.example"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    base = tmp_path_factory.mktemp("lti-independent")
    platform_registration = registration(ISS)
    jwks = json.dumps({"keys": platform_registration.get_jwks()}).encode()
    holder: dict = {}  # the platform object, once made (its token endpoint needs it)
    scores: list[dict] = []

    class Keys(BaseHTTPRequestHandler):
        """The platform's HTTP side: its JWKS, its token endpoint (the library's
        ``get_access_token``, which verifies the tool's client assertion with the tool's
        JWKS), and a line item's scores (the library's ``validate_token`` on the bearer)."""

        def log_message(self, *args):
            pass

        def _send(self, status, body):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802
            self._send(200, jwks)

        def do_POST(self):  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            platform = holder["platform"]
            try:
                if self.path == "/token":
                    form = {k: v[0] for k, v in parse_qs(raw).items()}
                    self._send(200, json.dumps(platform.get_access_token(form)).encode())
                elif self.path == "/lineitems/1/scores":
                    bearer = self.headers["Authorization"].removeprefix("Bearer ")
                    assert platform.validate_token(bearer, allowed_scopes=[SCORE])
                    scores.append(json.loads(raw))
                    self._send(200, b"{}")
                else:
                    self._send(404, b"{}")
            except Exception as exc:  # the library's refusal
                self._send(401, json.dumps({"error": repr(exc)}).encode())

    keys = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=keys.serve_forever, daemon=True).start()
    lms = f"http://127.0.0.1:{keys.server_address[1]}"
    keys_url = lms + "/jwks"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BPP_")}
    env["BPP_DATA_DIR"] = str(base / "data")
    made = subprocess.run(
        [
            sys.executable, "-m", "app", "lti", "add-platform", "--issuer", ISS,
            "--client-id", CLIENT_ID, "--deployment", DEPLOYMENT,
            "--auth-url", ISS + "/auth", "--token-url", lms + "/token", "--jwks-url", keys_url,
        ],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    with start_server(env={"BPP_DATA_DIR": str(base / "data"), "BPP_TRAINERS": "0"}) as server:
        tool = server.url.rstrip("/")
        holder["platform"] = connect(platform_registration, tool)
        try:
            yield holder["platform"], tool, lms, scores
        finally:
            keys.shutdown()


def launch(platform, tool, person, user_id, roles, name, link="r-1", dl=False, lms=None):
    """The library's login initiation and launch, a browser (``person``) carrying them."""
    login = Login(None, platform)
    login.set_lti_message_hint(hint="hint-" + user_id)
    if dl:
        login.set_deeplinking_launch_url()
    start = person.get(login.initiate_login(user_id))
    assert start.status_code == 302, start.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    message = Launch(Request(query), platform)
    message.set_user_data(user_id, roles, full_name=name)
    message.set_launch_context_claim("course-9", context_title="Deep learning")
    if dl:
        message.set_dl(
            deep_link_return_url=ISS + "/dl-return",
            title="Add",
            accept_types=["ltiResourceLink"],
        )
        message.set_extra_claims(
            {"https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingRequest"}
        )
    else:
        message.set_resource_link_claim(link, title="Week 9")
        if lms:
            message.set_ags(lms + "/lineitems", lms + "/lineitems/1")
    form = message.lti_launch()
    assert form["launch_url"] == tool + "/lti/launch"
    return person.post(
        form["launch_url"],
        data={"id_token": form["id_token"], "state": form["state"]},
        headers={"Origin": ISS},
    )


def test_an_independent_platforms_launches_seat_the_learner_and_seat_the_teacher(world):
    platform, tool, _, _ = world
    teacher = httpx.Client(base_url=tool, timeout=60)
    r = launch(platform, tool, teacher, "t-9", [ROLE + "Instructor"], "Prof Nine")
    assert r.status_code == 303, r.text
    room = r.headers["location"].split("/")[2]
    assert teacher.get("/api/auth/me").json()["teacher"]["name"] == "Prof Nine"
    student = httpx.Client(base_url=tool, timeout=60)
    r = launch(platform, tool, student, "s-9", [ROLE + "Learner"], "Stu Dent")
    assert r.headers["location"] == f"/classrooms/{room}/seat", r.text
    assert student.get(f"/api/classrooms/{room}/me").json()["seat"]["name"] == "Stu Dent"


def test_the_independent_platform_accepts_the_tools_deep_linking_answer(world):
    platform, tool, _, _ = world
    teacher = httpx.Client(base_url=tool, timeout=60)
    picker = launch(platform, tool, teacher, "t-9", [ROLE + "Instructor"], "Prof Nine", dl=True)
    assert picker.status_code == 200, picker.text
    choice = unescape(re.search(r'name="choice" value="([^"]+)"', picker.text).group(1))
    lesson = re.search(r'name="lesson_id" value="([^"]+)"', picker.text).group(1)
    answer = teacher.post("/lti/deep-link", data={"choice": choice, "lesson_id": lesson})
    assert answer.status_code == 200, answer.text
    token = unescape(re.search(r'name="JWT" value="([^"]+)"', answer.text).group(1))
    items = platform.validate_deeplinking_resp({"JWT": token})  # its own checks, our JWKS
    assert items[0]["type"] == "ltiResourceLink"
    assert items[0]["custom"] == {"bpp_lesson_id": lesson}


def test_the_independent_platform_grants_a_token_and_takes_the_score(world):
    platform, tool, lms, scores = world
    teacher = httpx.Client(base_url=tool, timeout=60)
    r = launch(platform, tool, teacher, "t-9", [ROLE + "Instructor"], "Prof Nine", "r-2", lms=lms)
    room = r.headers["location"].split("/")[2]
    student = httpx.Client(base_url=tool, timeout=60)
    launch(platform, tool, student, "s-8", [ROLE + "Learner"], "Ann Other", "r-2", lms=lms)
    posted = teacher.post(f"/api/lti/classrooms/{room}/grades").json()
    (row,) = posted["grades"]
    assert row["status"] == "posted", row
    assert [(s["userId"], s["scoreGiven"]) for s in scores] == [("s-8", 0)]
