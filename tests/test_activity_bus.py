"""Activities (issue 18) with two web processes on one Redis and one PostgreSQL (the cluster of
``tests/test_bus.py``): the teacher's request reaches one web process, the students' pages the
other. The stream's ``activity`` event crosses through the bus, and the snapshots the teacher
took are read back through the other web process (they are kept in the store)."""

from __future__ import annotations

import json

import httpx

from tests.support.classroom import create_teacher
from tests.support.waiting import wait_for
from tests.test_bus import Cluster, cluster  # noqa: F401  (the fixture)
from tests.test_classroom_api import PASSWORD, SETUP, TIMEOUT, open_socket, recv_until

STEPS = [
    {"title": "Look", "instructions": "The forward pass."},
    {"title": "A number", "question": {"kind": "number", "prompt": "Type it", "answer": 2.5}},
]


def client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=TIMEOUT, trust_env=False)


def test_activity_events_and_snapshots_reach_pages_served_by_the_other_web_process(
    cluster: Cluster,  # noqa: F811
    tmp_path,
):
    a_url, b_url = (w.url for w in cluster.webs)
    create_teacher(
        tmp_path / "cli", "ada", PASSWORD, {"BPP_DATABASE_URL": cluster.env["BPP_DATABASE_URL"]}
    )
    with client(a_url) as teacher_a, client(b_url) as teacher_b:
        r = teacher_a.post("/api/auth/login", json={"name": "ada", "password": PASSWORD})
        assert r.status_code == 200, r.text
        teacher_b.cookies = teacher_a.cookies
        r = teacher_a.post("/api/lessons", json={"title": "Bus", "setup": SETUP, "steps": STEPS})
        assert r.status_code == 201, r.text
        r = teacher_a.post("/api/classrooms", json={"lesson_id": r.json()["id"]})
        assert r.status_code == 201, r.text
        room = r.json()
        cid = room["id"]

        students, seats = [], []
        for name in ("Ann", "Bo"):  # both joined through web process B
            s = client(b_url)
            r = s.post("/api/join", json={"code": room["code"], "name": name})
            assert r.status_code == 200, r.text
            students.append(s)
            seats.append(r.json()["seat"]["id"])
        ann = students[0]
        sid = ann.get(f"/api/classrooms/{cid}/me").json()["seat"]["session_id"]

        # Ann's page watches her session on B; the teacher paces on A
        with open_socket(cluster.webs[1], f"/api/sessions/{sid}/stream", ann) as ws:
            wait_for(
                lambda: (
                    dict(cluster.redis.pubsub_numsub(f"bpp:s:{sid}"))[f"bpp:s:{sid}".encode()] >= 1
                ),
                what="web process B following Ann's session",
            )
            r = teacher_a.post(
                f"/api/classrooms/{cid}/steps/open", json={"step": 1, "mode": "class"}
            )
            assert r.status_code == 200, r.text
            event, _ = recv_until(ws, lambda m: m["type"] == "activity")
            assert event["event"] == "open" and event["step_open"] == 1
            r = teacher_a.post(f"/api/classrooms/{cid}/steps/1/reveal")
            assert r.status_code == 200, r.text
            event, _ = recv_until(ws, lambda m: m["type"] == "activity")
            assert event["event"] == "reveal" and event["revealed"] == [1]

        # snapshots taken through A are shown by B (a reload served by the other process)
        url = f"/api/classrooms/{cid}/snapshots"
        r = teacher_a.post(url, json={"seats": seats})
        assert r.status_code == 200, r.text
        taken = r.json()
        assert [s["label"] for s in taken["snapshots"]] == ["A", "B"]
        assert json.loads(teacher_b.get(url).text) == taken
        assert teacher_b.delete(url).json() == {"snapshots": []}
        assert teacher_a.get(url).json() == {"snapshots": []}
        for s in students:
            s.close()
