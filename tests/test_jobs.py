"""Long training as a job: ``POST .../train`` beyond ``max_sync_train_work`` answers 202 and a
job URL (progress, result, cancel), the same with trainer processes and BPP_TRAINERS=0."""

from __future__ import annotations

import os
import signal
import time

import pytest

from app.limits import epoch_work
from tests.support.waiting import wait_for

SMALL = {
    "network": {"hidden_layers": [3]},
    "dataset": {"name": "xor", "n": 40},
    "training": {"batch_size": 10},
}
# work of one SMALL epoch: 20 training samples × 13 parameters + 600 × 2 layers × (2 + 4)
SMALL_EPOCH = epoch_work(samples=20, parameters=13, batch_size=10, layers=2)
# about 50 ms an epoch: a job of many epochs runs long enough to watch and cancel
SLOW = {
    "network": {"hidden_layers": [16, 16]},
    "dataset": {"name": "circle", "n": 2000},
    "training": {"batch_size": 1},
}
MODES = [pytest.param(0, id="in-process"), pytest.param(1, id="trainer-process")]


def create(client, body) -> str:
    response = client.post("/api/sessions", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def start_job(client, sid: str, epochs: int = 10_000) -> dict:
    response = client.post(f"/api/sessions/{sid}/train", json={"epochs": epochs, "job": True})
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == job["url"] == f"/api/sessions/{sid}/jobs/{job['id']}"
    return job


@pytest.mark.parametrize("trainers", MODES)
def test_short_trains_answer_the_frame_and_longer_ones_a_job(make_client, trainers):
    client = make_client(trainers=trainers, max_sync_train_work=10 * SMALL_EPOCH)
    sid = create(client, SMALL)
    short = client.post(f"/api/sessions/{sid}/train", json={"epochs": 10})
    assert short.status_code == 200 and short.json()["type"] == "frame"
    assert short.json()["epoch"] == 10
    long = client.post(f"/api/sessions/{sid}/train", json={"epochs": 11})
    assert long.status_code == 202, long.text
    job = long.json()
    assert job["type"] == "job" and job["epochs"] == 11 and job["status"] in ("queued", "running")
    done = wait_for(lambda: (j := client.get(job["url"]).json())["status"] == "done" and j)
    assert done["epochs_done"] == 11 and done["progress"] == 1.0 and done["eta_seconds"] == 0
    assert done["result"]["type"] == "frame" and done["result"]["epoch"] == 21
    # the job's result is the session's frame afterwards
    assert client.get(f"/api/sessions/{sid}").json()["frame"] == done["result"]
    # asked for, a long train stays synchronous
    forced = client.post(f"/api/sessions/{sid}/train", json={"epochs": 11, "job": False})
    assert forced.status_code == 200 and forced.json()["epoch"] == 32


@pytest.mark.parametrize("trainers", MODES)
def test_a_running_job_reports_progress_and_stops_where_it_is_when_cancelled(make_client, trainers):
    client = make_client(trainers=trainers, max_train_work=10**13)
    sid = create(client, SLOW)
    job = start_job(client, sid)
    first = wait_for(lambda: (j := client.get(job["url"]).json())["epochs_done"] >= 1 and j)
    assert first["status"] == "running" and 0 < first["progress"] < 1
    assert first["eta_seconds"] > 0 and first["elapsed_seconds"] > 0
    assert first["result"] is None and first["loss"]["train"] > 0
    later = wait_for(
        lambda: (j := client.get(job["url"]).json())["epochs_done"] > first["epochs_done"] and j
    )
    assert later["progress"] > first["progress"]
    cancelled = client.delete(job["url"])
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled" and 0 < body["epochs_done"] < 10_000
    assert body["result"]["epoch"] == body["epochs_done"]  # the session started at epoch 0
    state = client.get(f"/api/sessions/{sid}").json()
    assert state["epoch"] == body["epochs_done"] and state["frame"] == body["result"]
    # cancelling again changes nothing; the session trains on as usual
    assert client.delete(job["url"]).json()["status"] == "cancelled"
    again = client.post(f"/api/sessions/{sid}/train", json={"epochs": 1, "job": False})
    assert again.status_code == 200 and again.json()["epoch"] == body["epochs_done"] + 1


@pytest.mark.parametrize("trainers", MODES)
def test_a_queued_job_cancelled_never_runs(make_client, trainers):
    client = make_client(trainers=trainers, max_train_work=10**13)
    sid = create(client, SLOW)
    running, queued = start_job(client, sid), start_job(client, sid)
    assert client.get(queued["url"]).json()["status"] == "queued"
    body = client.delete(queued["url"]).json()
    assert body["status"] == "cancelled" and body["epochs_done"] == 0 and body["result"] is None
    assert client.get(running["url"]).json()["status"] == "running"
    assert client.delete(running["url"]).json()["status"] == "cancelled"


def test_unfinished_jobs_beyond_the_limit_are_429_naming_the_setting(make_client):
    client = make_client(trainers=0, max_train_work=10**13, max_jobs_per_session=2)
    sid = create(client, SLOW)
    jobs = [start_job(client, sid), start_job(client, sid)]
    refused = client.post(f"/api/sessions/{sid}/train", json={"epochs": 5, "job": True})
    assert refused.status_code == 429
    (error,) = refused.json()["detail"]
    assert error["field"] == "epochs" and "max_jobs_per_session" in error["msg"]
    for job in jobs:
        client.delete(job["url"])
    assert client.post(f"/api/sessions/{sid}/train", json={"epochs": 1}).status_code == 200


def test_the_oldest_finished_jobs_are_forgotten_and_unknown_jobs_are_404(make_client):
    client = make_client(trainers=0, max_jobs_per_session=2)
    sid = create(client, SMALL)
    urls = []
    for _ in range(3):
        job = start_job(client, sid, epochs=2)
        wait_for(lambda job=job: client.get(job["url"]).json()["status"] == "done")
        urls.append(job["url"])
    gone = client.get(urls[0])
    assert gone.status_code == 404
    assert gone.json()["detail"][0]["field"] == "job_id"
    assert [client.get(u).status_code for u in urls[1:]] == [200, 200]
    assert client.delete(f"/api/sessions/{sid}/jobs/nope").status_code == 404
    assert client.get(f"/api/sessions/nope/jobs/{urls[1].rsplit('/', 1)[1]}").status_code == 404


def test_a_deleted_session_takes_its_jobs_along(make_client):
    client = make_client(trainers=0, max_train_work=10**13)
    sid = create(client, SLOW)
    job = start_job(client, sid)
    assert client.delete(f"/api/sessions/{sid}").status_code == 204
    assert client.get(job["url"]).status_code == 404


def test_every_train_is_a_job_at_max_sync_train_work_zero_and_jobs_are_refused_like_train(
    make_client,
):
    client = make_client(trainers=0, max_sync_train_work=0)
    sid = create(client, SMALL)
    response = client.post(f"/api/sessions/{sid}/train", json={"epochs": 1})
    assert response.status_code == 202
    too_many = client.post(f"/api/sessions/{sid}/train", json={"epochs": 10**6})
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["field"] == "epochs"
    bad = client.post(f"/api/sessions/{sid}/train", json={"epochs": 1, "job": "soon"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "job"


def test_a_finished_job_answers_after_its_session_was_evicted(make_client):
    client = make_client(trainers=0, evict_after_seconds=60)
    sid = create(client, SMALL)
    job = start_job(client, sid, epochs=3)
    done = wait_for(lambda: (j := client.get(job["url"]).json())["status"] == "done" and j)
    registry = client.app.state.registry
    assert client.portal.call(registry.evict_idle, registry.clock() + 61) == [sid]
    back = client.get(job["url"])
    assert back.status_code == 200, back.text
    body = back.json()
    assert body["status"] == "done" and body["epochs_done"] == 3 == done["epochs_done"]
    assert body["epoch"] == 3 and body["progress"] == 1.0


def test_a_running_job_trains_on_after_its_trainer_is_killed(make_client):
    client = make_client(trainers=1, max_train_work=10**13, checkpoint_seconds=0.2)
    sid = create(client, SLOW)
    job = start_job(client, sid, epochs=40)
    wait_for(lambda: client.get(job["url"]).json()["epochs_done"] >= 3)
    time.sleep(0.5)  # a checkpoint with the job running
    (pid,) = client.app.state.pool.pids()
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: client.app.state.pool.pids() and client.app.state.pool.pids()[0] != pid)
    resumed = client.get(job["url"])
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] in ("running", "done") and resumed.json()["epochs"] == 40
    done = wait_for(lambda: (j := client.get(job["url"]).json())["status"] == "done" and j)
    assert done["epochs_done"] == 40 and done["epoch"] == 40  # the session started at epoch 0
    assert done["result"]["epoch"] == 40
    assert client.get(f"/api/sessions/{sid}").json()["epoch"] == 40
