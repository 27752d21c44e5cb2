"""Activities (issue 18) against the real server, in-process and with a trainer process: a
lesson in steps paced by the teacher, a network question checked on each student's own network
(δ_k against numpy on the student's exported weights), the quantity left out of that student's
frames and their network frozen until they answer or the teacher reveals, no correct answer
before the reveal, results and exports, the stream's ``activity`` events, bad input named, and
answers that outlive the store.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import numpy as np
import pytest

from app.store import Store
from app.store.answers import Answers
from app.web.routers import protocol
from engine.questions import Quantity
from tests.support.server import start_server
from tests.test_classroom_api import (
    SETUP,
    TIMEOUT,
    Site,
    field_of,
    join,
    open_socket,
    recv_until,
    running_site,
    session_of,
    start_site,
)

DELTA_K = {
    "kind": "network",
    "prompt": "Compute $\\delta_k$ of the output unit for sample 1 (Eq. 5).",
    "explanation": "δ_k = (a_k − t_k) g'(z_k).",
    "quantity": {"name": "delta", "layer": 2, "unit": 0},
    "sample": 1,
    "tolerance": 0.01,
    "max_attempts": 2,
}
SECRET_NUMBER = 0.123456789
CHOICE = {
    "kind": "choice",
    "prompt": "Which equation gives δ at a hidden unit?",
    "options": ["Eq. 5", "Eq. 7", "Eq. 14 (the secret option)"],
    "correct": [2],
    "explanation": "Eq. 14 sums δ_k w_jk.",
}
STEPS = [
    {"title": "Look", "instructions": "The forward pass."},
    {"title": "δ_k", "instructions": "Eq. 5", "question": DELTA_K},
    {
        "title": "A number",
        "question": {"kind": "number", "prompt": "Type it", "answer": SECRET_NUMBER},
    },
    {"title": "Which", "question": CHOICE},
    {"title": "Words", "question": {"kind": "text", "prompt": "Why?", "feedback": "reveal"}},
]


@pytest.fixture(scope="module", params=["0", "1"], ids=["in-process", "trainer"])
def site(request, tmp_path_factory) -> Iterator[Site]:
    with running_site(
        tmp_path_factory.mktemp("activity"),
        ("ada", "grace"),
        {"BPP_TRAINERS": request.param, "BPP_MAX_SESSIONS": "200"},
    ) as s:
        yield s


@pytest.fixture(scope="module")
def ada(site: Site) -> httpx.Client:
    return site.teacher("ada")


def activity_room(t: httpx.Client, steps: list[dict] | None = None) -> dict:
    r = t.post("/api/lessons", json={"title": "Backward", "setup": SETUP, "steps": steps or STEPS})
    assert r.status_code == 201, r.text
    assert len(r.json()["steps"]) == len(steps or STEPS)
    r = t.post("/api/classrooms", json={"lesson_id": r.json()["id"]})
    assert r.status_code == 201, r.text
    return r.json()


def open_step(t: httpx.Client, room: dict, n: int, mode: str = "class") -> dict:
    r = t.post(f"/api/classrooms/{room['id']}/steps/open", json={"step": n, "mode": mode})
    assert r.status_code == 200, r.text
    return r.json()


def numpy_delta_k(student: httpx.Client, sid: str, sample: int) -> float:
    """δ_k = (a_k − t_k) g'(z_k) (Eq. 5) of a 2-[2]-1 sigmoid network, from the student's
    exported weights and the session's own training data, computed here with numpy."""
    net = student.get(f"/api/sessions/{sid}/export").json()["network"]
    data = student.get(f"/api/sessions/{sid}").json()["data"]["train"]
    x = np.array(data["points"][sample], dtype=float)
    t = np.array(data["targets"][sample], dtype=float)
    sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    a = x
    for W, b in zip(net["weights"], net["biases"], strict=True):
        a = sigmoid(a @ np.array(W) + np.array(b))
    return float(((a - t) * a * (1 - a))[0])


def frame_of(client: httpx.Client, sid: str) -> dict:
    r = client.get(f"/api/sessions/{sid}")
    assert r.status_code == 200, r.text
    return r.json()["frame"]


def test_a_delta_question_is_checked_on_each_students_own_network(site: Site, ada: httpx.Client):
    room = activity_room(ada)
    cid = room["id"]
    (a, _), (b, _), (c, _) = (join(site, room, n) for n in ("Ann", "Bo", "Cy"))
    sa, sb, sc = (session_of(s, room) for s in (a, b, c))
    assert open_step(ada, room, 0)["step_open"] == 0
    # students trained differently: every network has its own weights by now
    for s, sid, epochs in ((a, sa, 3), (b, sb, 7), (c, sc, 1)):
        assert s.post(f"/api/sessions/{sid}/train", json={"epochs": epochs}).status_code == 200
    opened = open_step(ada, room, 1)
    assert opened["step_open"] == 1 and opened["failed"] == {}

    # while δ_k is open: no δ, no gradients, no updated weights in the student's frame ...
    frame = frame_of(a, sa)
    assert "delta" in frame["concealed"]
    assert all("delta" not in layer for layer in frame["probe"]["layers"])
    assert "gradients" not in frame and "gradients" not in frame["probe"]
    assert "updated" not in frame["probe"]
    assert all("z" in layer for layer in frame["probe"]["layers"])  # the rest is there
    r = a.post(f"/api/sessions/{sa}/predict", json={"inputs": [[0.5, 0.5]], "targets": [[1]]})
    assert r.status_code == 200 and "gradients" not in r.json()
    assert all("delta" not in layer for layer in r.json()["layers"])
    # ... and the network is frozen, for the student and the teacher's pace alike
    r = a.post(f"/api/sessions/{sa}/train", json={"epochs": 1})
    assert r.status_code == 409 and field_of(r) == "epochs" and "step 1" in r.text, r.text
    r = ada.post(f"/api/classrooms/{cid}/pace", json={"op": "step", "epochs": 1})
    assert r.status_code == 200 and len(r.json()["failed"]) == 3, r.text
    # the teacher reads the student's session in full? No: the session conceals for everyone
    with open_socket(site.server, f"/api/sessions/{sa}/stream", a) as ws:
        streamed, _ = recv_until(ws, lambda m: m["type"] == "frame")
    assert all("delta" not in layer for layer in streamed["probe"]["layers"])

    want = numpy_delta_k(a, sa, 1)
    assert abs(want - numpy_delta_k(b, sb, 1)) > 1e-6  # different networks, different δ_k
    url = f"/api/classrooms/{cid}/steps/1/answer"
    r = a.post(url, json={"value": want + 1.0})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["correct"] is False and got["attempts_left"] == 1 and got["expected"] is None
    r = a.post(url, json={"value": f"{want:.8f}".replace(".", ",")})  # a decimal comma
    got = r.json()
    assert r.status_code == 200 and got["correct"] is True, r.text
    assert got["expected"] == pytest.approx(want, rel=1e-9) and got["explanation"]
    r = a.post(url, json={"value": want})
    assert r.status_code == 409 and field_of(r) == "answer"
    # answered: δ is back in A's frame and A trains again; B and C are still frozen
    assert "delta" in frame_of(a, sa)["probe"]["layers"][-1]
    assert a.post(f"/api/sessions/{sa}/train", json={"epochs": 1}).status_code == 200

    # B: right on B's network would be wrong on A's
    for _ in range(2):
        r = b.post(url, json={"value": want})
        assert r.status_code == 200 and r.json()["correct"] is False, r.text
    assert r.json()["attempts_left"] == 0
    assert r.json()["expected"] == pytest.approx(numpy_delta_k(b, sb, 1), rel=1e-9)
    assert b.post(f"/api/sessions/{sb}/train", json={"epochs": 1}).status_code == 200
    assert c.post(f"/api/sessions/{sc}/train", json={"epochs": 1}).status_code == 409

    res = ada.get(f"/api/classrooms/{cid}/steps/1/results").json()
    assert (res["answered"], res["correct"], res["incorrect"], res["unanswered"]) == (2, 1, 1, 1)
    assert sum(b["count"] for b in res["distribution"]["histogram"]) == 2
    assert {row["name"] for row in res["rows"]} == {"Ann", "Bo", "Cy"}
    assert len(res["seconds"]) == 2

    # the reveal thaws C and reaches everyone; C, who never answered, is shown δ_k of C's own
    # network as it was while frozen
    want_c = numpy_delta_k(c, sc, 1)
    with open_socket(site.server, f"/api/sessions/{sc}/stream", c) as ws:
        recv_until(ws, lambda m: m["type"] == "frame")
        assert ada.post(f"/api/classrooms/{cid}/steps/1/reveal").status_code == 200
        event, _ = recv_until(ws, lambda m: m["type"] == "activity")
    assert event["event"] == "reveal" and event["step"] == 1
    assert c.post(f"/api/sessions/{sc}/train", json={"epochs": 1}).status_code == 200
    view = c.get(f"/api/classrooms/{cid}/activity").json()
    assert view["steps"][1]["revealed"] is True and view["steps"][1]["explanation"]
    assert view["steps"][1]["expected"] == pytest.approx(want_c, rel=1e-9)
    assert view["steps"][1]["answer"] is None  # still unanswered
    res = ada.get(f"/api/classrooms/{cid}/steps/1/results").json()
    assert (res["answered"], res["unanswered"]) == (2, 1)

    rows = list(csv.DictReader(io.StringIO(ada.get(f"/api/classrooms/{cid}/answers.csv").text)))
    step1 = {r["name"]: r for r in rows if r["step"] == "1"}
    assert step1["Ann"]["correct"] == "yes" and step1["Ann"]["attempts"] == "2"
    assert step1["Bo"]["correct"] == "no" and step1["Cy"]["attempts"] == "0"
    assert step1["Cy"]["answer"] == ""
    exported = ada.get(f"/api/classrooms/{cid}/export.json").json()
    assert any(r["name"] == "Ann" and r["correct"] for r in exported["answers"])
    assert ada.get(f"/api/classrooms/{cid}/answers.json").json()["answers"]

    # a student who joins after the reveal is shown δ_k of their own network too
    d, _ = join(site, room, "Di")
    sd = session_of(d, room)
    late = d.get(f"/api/classrooms/{cid}/activity").json()["steps"][1]
    assert late["expected"] == pytest.approx(numpy_delta_k(d, sd, 1), rel=1e-9)
    assert late["answer"] is None


def test_a_students_page_never_receives_the_correct_answer_before_the_reveal(
    site: Site, ada: httpx.Client
):
    room = activity_room(ada)
    cid = room["id"]
    s, _ = join(site, room, "Dee")
    for n in (2, 3):
        with open_socket(site.server, f"/api/sessions/{session_of(s, room)}/stream", s) as ws:
            recv_until(ws, lambda m: m["type"] == "frame")
            open_step(ada, room, n)
            event, _ = recv_until(ws, lambda m: m["type"] == "activity")
        assert event == {**event, "event": "open", "step": n, "step_open": n}
        documented = next(m.example for m in protocol.MESSAGES if m.name == "activity")
        assert set(event) == set(documented)  # the protocol page's example has its keys
        text = s.get(f"/api/classrooms/{cid}/activity").text
        assert str(SECRET_NUMBER) not in text and "Eq. 14 sums" not in text
        view = json.loads(text)
        assert view["current"] == n and len(view["steps"]) == n + 1
        assert all("correct" not in (st["question"] or {}) for st in view["steps"])
        assert all("answer" not in (st["question"] or {}) for st in view["steps"])
        if n == 3:  # one correct option: radios (the page reads ``multiple``, not ``correct``)
            assert view["steps"][3]["question"]["multiple"] is False
    r = s.post(f"/api/classrooms/{cid}/steps/3/answer", json={"choices": [0]})
    assert r.status_code == 200 and r.json()["correct"] is False
    assert "2" not in json.dumps(r.json()["expected"] or "")  # not shown: one attempt left
    r = s.post(f"/api/classrooms/{cid}/steps/2/answer", json={"value": SECRET_NUMBER})
    assert r.status_code == 403 and field_of(r) == "step"  # step 2 is no longer open
    ada.post(f"/api/classrooms/{cid}/steps/3/reveal")
    view = s.get(f"/api/classrooms/{cid}/activity").json()
    assert view["steps"][3]["expected"] == [2] and "Eq. 14 sums" in view["steps"][3]["explanation"]
    res = ada.get(f"/api/classrooms/{cid}/steps/3/results").json()
    assert res["distribution"]["choices"] == [1, 0, 0]


def test_bad_input_is_refused_naming_the_field(site: Site, ada: httpx.Client):
    room = activity_room(ada)
    cid = room["id"]
    s, _ = join(site, room, "Eve")
    r = ada.post(f"/api/classrooms/{cid}/steps/open", json={"step": 99})
    assert r.status_code == 422 and field_of(r) == "step", r.text
    r = ada.post(f"/api/classrooms/{cid}/steps/open", json={"step": 0, "mode": "fast"})
    assert r.status_code == 422 and field_of(r) == "mode", r.text
    open_step(ada, room, 3)
    url = f"/api/classrooms/{cid}/steps/3/answer"
    for body, field in (
        ({"choices": [7]}, "choices"),
        ({"choices": [0, 1]}, "choices"),
        ({"choices": []}, "choices"),
        ({"value": "1"}, "choices"),
        ({"verdict": 1}, "verdict"),
    ):
        r = s.post(url, json=body)
        assert r.status_code == 422 and field_of(r) == field, (body, r.text)
    open_step(ada, room, 2)
    r = s.post(f"/api/classrooms/{cid}/steps/2/answer", json={"value": "twelve"})
    assert r.status_code == 422 and field_of(r) == "value", r.text
    r = s.post(f"/api/classrooms/{cid}/steps/2/answer", json={"value": "0,123456789"})
    assert r.status_code == 200 and r.json()["correct"] is True, r.text
    # a running activity changes only the steps not yet opened
    edited = copy.deepcopy(STEPS)
    edited[1]["title"] = "changed"
    r = ada.put(f"/api/classrooms/{cid}/lesson", json={"steps": edited})
    assert r.status_code == 409 and field_of(r) == "steps.1", r.text
    edited = copy.deepcopy(STEPS)
    edited[4]["title"] = "later"
    r = ada.put(f"/api/classrooms/{cid}/lesson", json={"steps": edited})
    assert r.status_code == 200, r.text
    assert r.json()["steps"][4]["title"] == "later"
    r = ada.post("/api/lessons", json={"title": "x", "steps": [{}] * 41})
    assert r.status_code == 422 and field_of(r) == "steps", r.text
    bad = {"setup": {**SETUP, "network": {**SETUP["network"], "hidden_layers": [999]}}}
    r = ada.post("/api/lessons", json={"title": "x", "steps": [{}, bad]})
    assert r.status_code == 422 and field_of(r).startswith("steps.1.setup.network"), r.text


def test_only_the_rooms_teacher_reads_results_and_a_student_only_their_own_open_step(
    site: Site, ada: httpx.Client
):
    room = activity_room(ada)
    cid = room["id"]
    s, _ = join(site, room, "Fay")
    other = site.teacher("grace")
    nobody = site.person()
    open_step(ada, room, 2)
    for path in ("steps/2/results", "answers.csv", "answers.json"):
        assert ada.get(f"/api/classrooms/{cid}/{path}").status_code == 200
        assert other.get(f"/api/classrooms/{cid}/{path}").status_code == 403
        assert nobody.get(f"/api/classrooms/{cid}/{path}").status_code == 401
        assert s.get(f"/api/classrooms/{cid}/{path}").status_code == 401
    for who in (other, nobody, s):
        r = who.post(f"/api/classrooms/{cid}/steps/open", json={"step": 0})
        assert r.status_code in (401, 403)
        assert who.post(f"/api/classrooms/{cid}/steps/2/reveal").status_code in (401, 403)
    for who in (ada, other, nobody):
        r = who.post(f"/api/classrooms/{cid}/steps/2/answer", json={"value": 1})
        assert r.status_code == 403 and field_of(r) == "seat"
        assert who.get(f"/api/classrooms/{cid}/activity").status_code == 403
    r = s.post(f"/api/classrooms/{cid}/steps/4/answer", json={"text": "ahead"})
    assert r.status_code == 403 and field_of(r) == "step"


def test_self_paced_students_go_up_to_the_open_step_and_late_joiners_land_on_it(
    site: Site, ada: httpx.Client
):
    room = activity_room(ada)
    cid = room["id"]
    open_step(ada, room, 2, "self")
    late, _ = join(site, room, "Gus")
    view = late.get(f"/api/classrooms/{cid}/activity").json()
    assert view["mode"] == "self" and view["current"] == 2
    r = late.post(f"/api/classrooms/{cid}/me/step", json={"step": 3})
    assert r.status_code == 403 and field_of(r) == "step"
    r = late.post(f"/api/classrooms/{cid}/me/step", json={"step": 1})
    assert r.status_code == 200 and r.json()["current"] == 1, r.text
    sid = session_of(late, room)
    assert late.post(f"/api/sessions/{sid}/train", json={"epochs": 1}).status_code == 409
    r = late.post(f"/api/classrooms/{cid}/me/session", json={"setup": SETUP})
    assert r.status_code == 409 and field_of(r) == "setup", r.text


def test_answers_are_committed_rows_that_survive_reopening_the_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'answers.db'}"
    with Store(url) as store:
        store.migrate()
        with store.transaction() as conn:  # a teacher, a room and a seat, as the rooms make them
            now = datetime.now(UTC)
            conn.exec_driver_sql(
                "INSERT INTO teachers (id, name, password_hash, created_at) VALUES (?,?,?,?)",
                ("t1", "ada", "x", now.replace(tzinfo=None)),
            )
        from app.classroom.rooms import Rooms
        from app.settings import Settings

        rooms = Rooms(store, Settings(data_dir=str(tmp_path)))
        lesson = rooms.create_lesson("t1", "L", SETUP, [], None, "", [{"title": "a"}])
        room = rooms.open_classroom("t1", lesson, "R")
        seat, _, _ = rooms.add_seat(room, "Hal", "active")
        Answers(store).record(room.id, seat.id, 0, "number", {"value": 0.5}, True)
    with Store(url) as again:
        row = Answers(again).get(seat.id, 0)
        assert row is not None and row.answer == {"value": 0.5} and row.correct is True
        assert row.attempts == 1 and row.seconds is not None
        assert rooms.__class__(again, Settings(data_dir=str(tmp_path))).classroom(room.id).steps


def test_a_late_joiner_lands_on_the_open_step_with_the_quantity_hidden_at_once(
    site: Site, ada: httpx.Client
):
    room = activity_room(ada)
    open_step(ada, room, 1)
    late, _ = join(site, room, "Ivy")
    sid = session_of(late, room)
    frame = frame_of(late, sid)  # before the page ever reads /activity
    assert all("delta" not in layer for layer in frame["probe"]["layers"])
    assert late.post(f"/api/sessions/{sid}/train", json={"epochs": 1}).status_code == 409
    view = late.get(f"/api/classrooms/{room['id']}/activity").json()
    assert view["current"] == 1 and view["steps"][1]["state"] == "open"
    assert view["steps"][0]["state"] == "done"


def test_what_a_session_hides_survives_its_checkpoint():
    from app.settings import Settings
    from app.trainer.concealment import Concealment
    from app.trainer.resident import Resident

    settings = Settings()
    r = Resident("s1", "seat:x", SETUP, settings)
    r.concealment = Concealment(frozenset({"delta", "gradients", "updated"}), "step 1: δ", True)
    again = Resident.restore("s1", "seat:x", r.checkpoint_bytes(), settings)
    assert again.concealment == r.concealment
    frame = again.frame()
    assert "gradients" not in frame and frame["concealed"] == ["delta", "gradients", "updated"]
    with pytest.raises(Exception, match="frozen"):
        again.concealment.check_thawed("epochs")
    q = again.quantity(Quantity("E"), 1, None)
    assert q["sample"] == 1 and q["value"] >= 0


def test_snapshots_project_students_networks_anonymously(site: Site, ada: httpx.Client):
    room = activity_room(ada)
    cid = room["id"]
    people = [join(site, room, name) for name in ("Jo Secretname", "Kim Hiddenname")]
    seats = [answer["seat"]["id"] for _, answer in people]
    url = f"/api/classrooms/{cid}/snapshots"
    r = ada.post(url, json={"seats": seats})
    assert r.status_code == 200, r.text
    assert "Secretname" not in r.text and "Hiddenname" not in r.text
    shots = r.json()["snapshots"]
    assert [s["label"] for s in shots] == ["A", "B"]
    a_weights = people[0][0].get(f"/api/sessions/{session_of(people[0][0], room)}/export")
    assert shots[0]["params"]["weights"] == a_weights.json()["network"]["weights"]
    assert shots[0]["boundary"] is not None and shots[0]["history_tail"]["train"]
    assert ada.get(url).json() == r.json()
    assert people[0][0].get(url).status_code == 401
    r = ada.post(url, json={"seats": [seats[0], "nobody"]})
    assert r.status_code == 404 and field_of(r) == "seats.1", r.text
    r = ada.post(url, json={"seats": [seats[0]]})
    assert r.status_code == 422 and field_of(r) == "seats", r.text
    assert ada.delete(url).json() == {"snapshots": []} and ada.get(url).json()["snapshots"] == []


def test_an_accepted_answer_survives_kill_9_of_the_server(tmp_path):
    site = start_site(tmp_path, ("ada",))
    try:
        teacher = site.teacher("ada")
        room = activity_room(teacher)
        cid = room["id"]
        student, _ = join(site, room, "Lee")
        open_step(teacher, room, 2)
        r = student.post(f"/api/classrooms/{cid}/steps/2/answer", json={"value": "0,5"})
        assert r.status_code == 200 and r.json()["correct"] is False, r.text
        assert site.server.kill9() == -9  # at once: the reply came after the commit
        site.server = start_server(env=site.server.env, log_dir=tmp_path, startup_timeout=TIMEOUT)
        again = site.person(cookies=teacher.cookies)
        res = again.get(f"/api/classrooms/{cid}/steps/2/results").json()
        assert (res["answered"], res["incorrect"]) == (1, 1), res
        assert res["rows"][0]["answer"] == {"value": 0.5} and res["rows"][0]["attempts"] == 1
        view = site.person(cookies=student.cookies).get(f"/api/classrooms/{cid}/activity")
        assert view.json()["steps"][2]["answer"]["attempts_left"] == 2
    finally:
        site.close()
        site.server.stop()


@pytest.mark.parametrize(
    "name,gone,kept",
    [
        ("delta", {"delta"}, {"z", "a", "g_prime"}),
        ("z", {"z", "a", "g_prime"}, {"delta"}),
        ("E", set(), {"z", "a", "g_prime", "delta"}),
    ],
)
def test_a_concealed_frame_leaves_out_the_quantity_and_what_gives_it_away(name, gone, kept):
    from app.settings import Settings
    from app.trainer.concealment import Concealment
    from app.trainer.resident import Resident
    from engine.questions import hidden_fields

    r = Resident("s1", "anon", SETUP, Settings())
    r.concealment = Concealment(hidden_fields([name]), "q", False)
    frame = r.frame()
    for layer in frame["probe"]["layers"]:
        assert not gone & set(layer) and kept <= set(layer), (name, layer)
    assert ("error" in frame["probe"]) == (name != "E")
    assert ("output" in frame["probe"]) == (name not in ("z", "a"))
    assert ("gradients" in frame) == (name not in ("delta",))
    assert frame["weights"]  # the weights stay: the student computes from them


def test_a_prediction_is_recorded_once_before_the_run_it_predicts(site: Site, ada: httpx.Client):
    predict = {
        "kind": "prediction",
        "prompt": "With η = 5, what does the loss do?",
        "options": ["falls smoothly", "jumps about or grows", "stays put"],
        "max_attempts": 3,
    }
    room = activity_room(ada, [{"title": "Predict", "question": predict}])
    s, _ = join(site, room, "Fay")
    open_step(ada, room, 0)
    url = f"/api/classrooms/{room['id']}/steps/0/answer"
    r = s.post(url, json={"choices": [1]})
    assert r.status_code == 200 and r.json()["correct"] is None, r.text
    assert r.json()["attempts_left"] == 0
    r = s.post(url, json={"choices": [0]})  # after seeing the run: not a prediction any more
    assert r.status_code == 409 and field_of(r) == "answer", r.text
    rows = ada.get(f"/api/classrooms/{room['id']}/answers.json").json()["answers"]
    assert [row["answer"] for row in rows if row["name"] == "Fay"] == [{"choices": [1]}]


def test_a_class_answering_at_once_gets_each_students_own_verdict(site: Site, ada: httpx.Client):
    """Answers arriving together are read and recorded in batches (app.classroom.batching):
    each student still gets the verdict on their own network and their own attempt count."""
    from concurrent.futures import ThreadPoolExecutor

    room = activity_room(ada)
    cid = room["id"]
    students = [join(site, room, f"S{i}")[0] for i in range(6)]
    sids = [session_of(s, room) for s in students]
    open_step(ada, room, 0)
    for i, (s, sid) in enumerate(zip(students, sids, strict=True)):  # different networks
        assert s.post(f"/api/sessions/{sid}/train", json={"epochs": 1 + i}).status_code == 200
    open_step(ada, room, 1)
    want = [numpy_delta_k(s, sid, 1) for s, sid in zip(students, sids, strict=True)]
    url = f"/api/classrooms/{cid}/steps/1/answer"

    def at_once(who: list[httpx.Client], values: list[float]) -> list[dict]:
        with ThreadPoolExecutor(len(who)) as pool:
            replies = list(pool.map(lambda s, v: s.post(url, json={"value": v}), who, values))
        assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
        return [r.json() for r in replies]

    # the even ones right, the odd ones wrong
    first = at_once(students, [w if i % 2 == 0 else w + 1.0 for i, w in enumerate(want)])
    assert [g["correct"] for g in first] == [i % 2 == 0 for i in range(6)]
    assert [g["attempts"] for g in first] == [1] * 6
    assert [g["expected"] for g in first[::2]] == pytest.approx(want[::2], rel=1e-9)
    second = at_once(students[1::2], [w - 1.0 for w in want[1::2]])  # wrong again: used up
    assert [(g["step"], g["attempts"], g["correct"]) for g in second] == [(1, 2, False)] * 3
    assert [g["attempts_left"] for g in second] == [0] * 3
    assert [g["expected"] for g in second] == pytest.approx(want[1::2], rel=1e-9)
    res = ada.get(f"/api/classrooms/{cid}/steps/1/results").json()
    assert (res["answered"], res["correct"], res["incorrect"]) == (6, 3, 3)
