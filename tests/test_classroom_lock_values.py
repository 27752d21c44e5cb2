"""Locks compare values (issue 17), against the real server: a request is refused only where it
would change a locked control's value from the lesson's, over REST and over the socket; the
walls a teacher hit when leaving some controls free are gone, and the CSV's "settings changed"
reads the same compare."""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Iterator

import httpx
import pytest

from tests.support.classroom import XOR_TABLE
from tests.test_classroom_api import (
    Site,
    field_of,
    is_error,
    join,
    open_room,
    open_socket,
    recv_until,
    running_site,
    session_of,
)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("locks"), ("ada",)) as s:
        yield s


@pytest.fixture(scope="module")
def ada(site: Site) -> httpx.Client:
    return site.teacher("ada")


EVERYTHING = [
    "play",
    "step",
    "reset",
    "weights",
    "learning_rate",
    "batch_size",
    "momentum",
    "regularization",
    "dataset",
    "hidden_layers",
    "activations",
    "loss",
    "init",
]
PLAYGROUND = {"dataset": {"name": "circle", "n": 100}}  # the playground's defaults, fewer samples
PAGE_TRAINING = {  # what the page sent before: the whole training group
    "learning_rate": 0.03,
    "batch_size": 10,
    "momentum": 0.0,
    "regularization": "none",
    "regularization_rate": 0.0,
}


def test_wall1_a_free_rate_changes_with_the_locked_batch_size_sent_unchanged(site, ada):
    room = open_room(ada, setup=PLAYGROUND, locks=["batch_size"])
    student, _ = join(site, room, "Ana")
    sid = session_of(student, room)
    r = student.patch(f"/api/sessions/{sid}", json={**PAGE_TRAINING, "learning_rate": 0.3})
    assert r.status_code == 200, r.text
    assert r.json()["config"]["training"]["learning_rate"] == 0.3
    r = student.patch(f"/api/sessions/{sid}", json={**PAGE_TRAINING, "batch_size": 2})
    assert r.status_code == 403 and field_of(r) == "batch_size", r.text
    with open_socket(site.server, f"/api/sessions/{sid}/stream", student) as ws:
        recv_until(ws, lambda m: m["type"] == "frame")
        ws.send(json.dumps({"type": "set", "training": {**PAGE_TRAINING, "learning_rate": 1.0}}))
        ws.send(json.dumps({"type": "set", "training": {"batch_size": 5}}))
        error, before = recv_until(ws, is_error)
        assert error["field"] == "batch_size", error
    config = student.get(f"/api/sessions/{sid}").json()["config"]["training"]
    assert config["learning_rate"] == 1.0 and config["batch_size"] == 10


def test_wall2_and_3_a_new_layer_on_the_xor_table_keeps_its_locked_parts(site, ada):
    locks = [c for c in EVERYTHING if c != "hidden_layers"]
    room = open_room(ada, setup=XOR_TABLE, locks=locks)
    student, _ = join(site, room, "Ben")
    deeper = copy.deepcopy(XOR_TABLE)
    deeper["dataset"].pop("n", None)  # the page re-sends the inline table without its n
    deeper["network"]["hidden_layers"] = [2, 2]
    # "+ layer" copies the last hidden layer's activation
    deeper["network"]["activations"] = [deeper["network"]["activations"][0]] * 2 + [
        deeper["network"]["activations"][-1]
    ]
    r = student.post(f"/api/classrooms/{room['id']}/me/session", json={"setup": deeper})
    assert r.status_code == 200, r.text
    sid = r.json()["session_id"]
    assert student.get(f"/api/sessions/{sid}").json()["layer_sizes"] == [2, 2, 2, 1]
    other = copy.deepcopy(deeper)
    other["network"]["activations"][1] = "relu"
    r = student.post(f"/api/classrooms/{room['id']}/me/session", json={"setup": other})
    assert r.status_code == 403 and field_of(r) == "activations", r.text


def test_the_csv_names_no_change_for_a_student_who_changed_nothing(site, ada):
    room = open_room(ada, setup=XOR_TABLE)
    join(site, room, "Cy")
    moved, _ = join(site, room, "Di")
    sid = session_of(moved, room)
    assert moved.patch(f"/api/sessions/{sid}", json={"learning_rate": 2.0}).status_code == 200
    r = ada.get(f"/api/classrooms/{room['id']}/export.csv")
    rows = {x["student"]: x for x in csv.DictReader(io.StringIO(r.text))}
    assert rows["Cy"]["settings_changed"] == ""
    assert rows["Di"]["settings_changed"] == "learning_rate=2.0"


def test_the_roster_says_where_each_student_differs_from_the_lesson(site, ada):
    room = open_room(ada, setup=XOR_TABLE)
    same, _ = join(site, room, "Ed")
    moved, _ = join(site, room, "Flo")
    sid = session_of(moved, room)
    assert moved.patch(f"/api/sessions/{sid}", json={"momentum": 0.5}).status_code == 200
    seats = ada.get(f"/api/classrooms/{room['id']}").json()["seats"]
    by_name = {s["name"]: s for s in seats}
    assert by_name["Ed"]["differs"] == {}
    assert by_name["Flo"]["differs"] == {"momentum": 0.5}
