"""Issue 18's lesson library against the real server: duplicate, export → import (the same
lesson back), a share link that gives another teacher a copy until it is revoked, delete, the
starter activities, and who may do what (another teacher gets nothing of yours but through a
link). A bad lesson file is a 422 naming the field."""

from __future__ import annotations

import copy
import json

import httpx
import numpy as np
import pytest

from tests import test_classroom_api as classroom
from tests.test_classroom_api import SETUP, Site, field_of

site, ada = classroom.site, classroom.ada  # its server and teacher (fixtures), shared

STEPS = [
    {
        "title": "δ_k",
        "instructions": "Eq. 5: $\\delta_k = (a_k - t_k) g_k'(z_k)$.",
        "locks": ["weights"],
        "question": {
            "kind": "network",
            "prompt": "Compute $\\delta_k$.",
            "quantity": {"name": "delta", "layer": 2, "unit": 0},
            "tolerance": 0.02,
        },
    },
    {
        "title": "Which η?",
        "question": {"kind": "choice", "prompt": "Pick one", "options": ["a", "b"], "correct": [1]},
    },
]


def lesson_file(**change) -> dict:
    body = {
        "title": "Backward pass",
        "instructions": "Walk it back.",
        "setup": SETUP,
        "locks": ["learning_rate"],
        "challenge": None,
        "steps": STEPS,
        **change,
    }
    return {"format": "backprop-playground/lesson", "version": 1, "lesson": body}


@pytest.fixture(scope="module")
def grace(site: Site) -> httpx.Client:
    return site.teacher("grace")


def imported(t: httpx.Client, data: dict | None = None) -> dict:
    r = t.post("/api/lessons/import", json=data or lesson_file())
    assert r.status_code == 201, r.text
    return r.json()


def exported(t: httpx.Client, lesson_id: str) -> dict:
    r = t.get(f"/api/lessons/{lesson_id}/export")
    assert r.status_code == 200, r.text
    return r.json()


def test_export_then_import_gives_the_same_lesson_steps_and_all(ada: httpx.Client):
    made = imported(ada)
    assert [s["title"] for s in made["steps"]] == ["δ_k", "Which η?"]
    r = ada.get(f"/api/lessons/{made['id']}/export")
    assert r.status_code == 200, r.text
    disposition = r.headers["content-disposition"]
    assert (
        disposition.startswith("attachment;")
        and 'filename="lesson-backward-pass.json"' in disposition
    )
    first = r.json()
    assert first["format"] == "backprop-playground/lesson" and first["version"] == 1
    assert first["lesson"]["steps"][0]["question"]["quantity"]["name"] == "delta"

    again = imported(ada, first)  # the file as downloaded
    assert again["id"] != made["id"]
    second = exported(ada, again["id"])
    assert second["lesson"] == first["lesson"]


def test_a_duplicate_is_a_copy_with_its_steps_under_a_new_title(ada: httpx.Client):
    made = imported(ada)
    r = ada.post(f"/api/lessons/{made['id']}/duplicate")
    assert r.status_code == 201, r.text
    dup = r.json()
    assert dup["id"] != made["id"] and dup["title"] == "Backward pass (copy)"
    assert (
        exported(ada, dup["id"])["lesson"] | {"title": made["title"]}
        == (exported(ada, made["id"])["lesson"])
    )
    ids = [x["id"] for x in ada.get("/api/lessons").json()["lessons"]]
    assert made["id"] in ids and dup["id"] in ids


def test_a_share_link_gives_another_teacher_a_copy_until_it_is_revoked(
    site: Site, ada: httpx.Client, grace: httpx.Client
):
    made = imported(ada)
    r = ada.post(f"/api/lessons/{made['id']}/share")
    assert r.status_code == 201, r.text
    share = r.json()
    assert share["url"].endswith(f"/teach/shared/{share['token']}") and share["links"] == 1
    assert len(share["token"]) >= 40  # 256 bits, URL-safe: not guessable

    api = f"/api/lessons/shared/{share['token']}"
    assert site.person().post(api).status_code == 401  # logged out: nothing
    preview = grace.get(api)
    assert preview.status_code == 200 and preview.json()["title"] == "Backward pass", preview.text
    assert preview.json()["steps"] == 2 and preview.json()["questions"] == 2
    r = grace.post(api)
    assert r.status_code == 201, r.text
    copy_id = r.json()["id"]
    assert copy_id in [x["id"] for x in grace.get("/api/lessons").json()["lessons"]]
    assert exported(grace, copy_id)["lesson"] == exported(ada, made["id"])["lesson"]
    # the copy is grace's own: she changes it, ada's stays as it was
    assert grace.patch(f"/api/lessons/{copy_id}", json={"title": "Mine"}).status_code == 200
    assert ada.get(f"/api/lessons/{made['id']}").json()["title"] == "Backward pass"

    page = grace.get(f"/teach/shared/{share['token']}")
    assert page.status_code == 200 and "A lesson shared with you" in page.text
    logged_out = site.person().get(f"/teach/shared/{share['token']}", follow_redirects=False)
    assert logged_out.status_code == 303 and logged_out.headers["location"].startswith("/login")

    r = ada.delete(f"/api/lessons/{made['id']}/share")
    assert r.status_code == 200 and r.json()["revoked"] == 1, r.text
    for method in ("GET", "POST"):
        r = grace.request(method, api)
        assert r.status_code == 404 and field_of(r) == "token", r.text
    assert ada.get(f"/api/lessons/{made['id']}/share").json()["links"] == 0
    assert grace.get(f"/api/lessons/{copy_id}").status_code == 200  # a copy taken stays


def test_another_teacher_cannot_read_copy_share_or_delete_your_lesson(
    site: Site, ada: httpx.Client, grace: httpx.Client
):
    made = imported(ada)
    at = f"/api/lessons/{made['id']}"
    for method, path in (
        ("GET", f"{at}/export"),
        ("POST", f"{at}/duplicate"),
        ("POST", f"{at}/share"),
        ("GET", f"{at}/share"),
        ("DELETE", f"{at}/share"),
        ("DELETE", at),
    ):
        r = grace.request(method, path)
        assert r.status_code == 404 and field_of(r) == "lesson_id", (method, path, r.text)
        r = site.person().request(method, path)
        assert r.status_code == 401, (method, path, r.text)
    assert ada.get(at).status_code == 200  # untouched
    assert site.person().post("/api/lessons/import", json=lesson_file()).status_code == 401


def test_deleting_a_lesson_keeps_the_classrooms_taught_from_it(ada: httpx.Client):
    made = imported(ada)
    room = ada.post("/api/classrooms", json={"lesson_id": made["id"]}).json()
    share = ada.post(f"/api/lessons/{made['id']}/share").json()
    r = ada.delete(f"/api/lessons/{made['id']}")
    assert r.status_code == 204, r.text
    assert ada.get(f"/api/lessons/{made['id']}").status_code == 404
    assert made["id"] not in [x["id"] for x in ada.get("/api/lessons").json()["lessons"]]
    kept = ada.get(f"/api/classrooms/{room['id']}")
    assert kept.status_code == 200 and kept.json()["lesson_id"] is None, kept.text
    r = ada.post(f"/api/lessons/shared/{share['token']}")
    assert r.status_code == 404 and field_of(r) == "token"


def _broken(path: str, value) -> dict:
    """A good lesson file with ``value`` put at ``path`` (dots; list indexes as numbers)."""
    data = copy.deepcopy(lesson_file())
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = data
    for p in parents:
        node = node[p]
    node[last] = value
    return data


@pytest.mark.parametrize(
    "path, value, field",
    [
        ("format", "something-else", "format"),
        ("version", 2, "version"),
        ("lesson.title", "", "lesson.title"),
        ("lesson.surprise", 1, "lesson.surprise"),
        ("lesson.locks", ["no-such-control"], "lesson.locks"),
        ("lesson.steps.0.question.kind", "essay", "lesson.steps[0].question"),
        ("lesson.steps.1.question.correct", [5], "lesson.steps[1].question.choice"),
        ("lesson.steps.0.question.quantity.unit", 3, "lesson.steps[0].question.quantity.unit"),
        ("lesson.steps.0.question.quantity.layer", 3, "lesson.steps[0].question.quantity.layer"),
        ("lesson.steps.0.question.sample", 400, "lesson.steps[0].question.sample"),
        ("lesson.setup.network.activations", ["nope", "sigmoid"], "lesson.setup.network"),
        ("lesson.steps.1.setup", {"network": {"loss": "nope"}}, "lesson.steps[1].setup.network"),
    ],
)
def test_a_bad_lesson_file_is_refused_naming_the_field(ada: httpx.Client, path, value, field):
    before = len(ada.get("/api/lessons").json()["lessons"])
    r = ada.post("/api/lessons/import", json=_broken(path, value))
    assert r.status_code == 422, r.text
    assert field_of(r).startswith(field), (field_of(r), r.text)
    assert len(ada.get("/api/lessons").json()["lessons"]) == before  # nothing half-made


def test_a_file_that_is_not_a_lesson_file_is_refused_naming_the_body(ada: httpx.Client):
    r = ada.post(
        "/api/lessons/import",
        content=json.dumps([1, 2]),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422 and field_of(r) == "body", r.text


def test_the_starter_activities_are_listed_and_used_as_copies(ada: httpx.Client):
    r = ada.get("/api/starters")
    assert r.status_code == 200, r.text
    listed = {s["slug"]: s for s in r.json()["starters"]}
    assert set(listed) == {"1-forward-pass", "2-backward-pass", "3-learning-rate"}
    r = ada.post("/api/starters/2-backward-pass")
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["title"] == listed["2-backward-pass"]["title"]
    assert len(made["steps"]) == listed["2-backward-pass"]["steps"]
    r = ada.post("/api/starters/no-such-one")
    assert r.status_code == 404 and field_of(r) == "slug", r.text


def test_starter_2_runs_from_the_library_delta_k_checked_on_the_students_network(
    site: Site, ada: httpx.Client
):
    """The README's walk-through in short: use the starter, open a classroom from it, a
    student joins, the teacher opens step 1, the student's δ_k (Eq. 5, computed here with
    numpy from that student's own exported weights) is right, then the reveal."""
    made = ada.post("/api/starters/2-backward-pass").json()
    room = ada.post("/api/classrooms", json={"lesson_id": made["id"]}).json()
    student, _ = classroom.join(site, room, "Lin")
    sid = classroom.session_of(student, room)
    r = ada.post(f"/api/classrooms/{room['id']}/steps/open", json={"step": 1, "mode": "class"})
    assert r.status_code == 200, r.text
    sid = classroom.session_of(student, room)  # the step's network (step 0's setup, kept)
    export = student.get(f"/api/sessions/{sid}/export").json()
    W = [np.array(w) for w in export["network"]["weights"]]
    b = [np.array(x) for x in export["network"]["biases"]]
    probe = export["state"]["probe_index"]  # the student's own probe sample
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]][probe], float)
    t = [0.0, 1.0, 1.0, 0.0][probe]
    a1 = 1 / (1 + np.exp(-(b[0] + x @ W[0])))
    a2 = float((1 / (1 + np.exp(-(b[1] + a1 @ W[1]))))[0])
    delta_k = (a2 - t) * a2 * (1 - a2)  # Eq. 5 with the sigmoid's g' = a(1 − a)
    r = student.post(
        f"/api/classrooms/{room['id']}/steps/1/answer",
        json={"value": f"{delta_k:.6f}".replace(".", ",")},  # a decimal comma
    )
    assert r.status_code == 200 and r.json()["correct"] is True, r.text
    results = ada.get(f"/api/classrooms/{room['id']}/steps/1/results").json()
    assert results["correct"] == 1, results
    r = ada.post(f"/api/classrooms/{room['id']}/steps/1/reveal")
    assert r.status_code == 200, r.text
    csv = ada.get(f"/api/classrooms/{room['id']}/answers.csv")
    assert csv.status_code == 200 and "Lin" in csv.text
