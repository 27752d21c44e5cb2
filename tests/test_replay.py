"""Replay: thinned checkpoints of the weights within a memory bound (max_replay_bytes), and the
frame of the network as it was at an earlier epoch (GET .../replay, .../replay/{epoch})."""

from __future__ import annotations

import numpy as np
import pytest

from app.trainer.replay import Checkpoints

# one app for the file, fresh sessions per test (tests/conftest.py, ``client``)
pytestmark = pytest.mark.shared_app


def test_a_replayed_frame_is_the_network_as_it_was(client, new_session):
    sid = new_session()["id"]
    at5 = client.post(f"/api/sessions/{sid}/train", json={"epochs": 5}).json()
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 10})
    kept = client.get(f"/api/sessions/{sid}/replay").json()
    assert kept["epochs"] == list(range(16))
    frame = client.get(f"/api/sessions/{sid}/replay/5").json()
    assert frame["replay"] is True and frame["epoch"] == 5
    assert frame["weights"] == at5["weights"] and frame["biases"] == at5["biases"]
    # the same losses, probe trace, node statistics and grid as the live frame back then
    np.testing.assert_allclose(frame["loss"]["train"], at5["loss"]["train"], rtol=1e-12)
    np.testing.assert_allclose(frame["loss"]["test"], at5["loss"]["test"], rtol=1e-12)
    assert frame["metrics"] == at5["metrics"]
    for a, b in zip(frame["probe"]["layers"], at5["probe"]["layers"], strict=True):
        np.testing.assert_allclose(a["delta"], b["delta"], rtol=1e-12)
    np.testing.assert_allclose(
        frame["node_stats"][0]["mean_abs_delta"], at5["node_stats"][0]["mean_abs_delta"], rtol=1e-9
    )
    assert frame["grid"] == at5["grid"]
    history = client.get(f"/api/sessions/{sid}/history").json()
    assert frame["loss"]["train"] == pytest.approx(history["train"][5], rel=1e-12)
    # the live session is untouched
    assert client.get(f"/api/sessions/{sid}").json()["epoch"] == 15


def test_checkpoints_stay_within_the_memory_bound_and_evenly_spaced(make_client):
    client = make_client(max_replay_bytes=20 * 200)  # about 20 checkpoints of the default net
    sid = client.post("/api/sessions", json={}).json()["id"]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 300})
    kept = client.get(f"/api/sessions/{sid}/replay").json()
    assert kept["bytes"] <= kept["max_bytes"] == 4000
    epochs = kept["epochs"]
    assert epochs[0] == 0 and len(epochs) >= 10
    assert set(np.diff(epochs)) == {kept["stride"]}
    between = client.get(f"/api/sessions/{sid}/replay/{epochs[3] + 1}").json()
    assert between["epoch"] == epochs[3]  # the last kept epoch at or before


def test_reset_forgets_the_checkpoints(client, new_session):
    sid = new_session()["id"]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 4})
    client.post(f"/api/sessions/{sid}/reset")
    assert client.get(f"/api/sessions/{sid}/replay").json()["epochs"] == [0]


@pytest.mark.parametrize("epoch", ["-1", "x", "1.5"])
def test_a_bad_epoch_is_refused_naming_it(client, new_session, epoch):
    sid = new_session()["id"]
    r = client.get(f"/api/sessions/{sid}/replay/{epoch}")
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "path.epoch"


def test_an_epoch_before_the_first_checkpoint_is_refused(make_client):
    client = make_client(max_replay_bytes=0)  # replay off: nothing is kept
    sid = client.post("/api/sessions", json={}).json()["id"]
    r = client.get(f"/api/sessions/{sid}/replay/0")
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "epoch"


def test_unknown_session_is_404(client):
    assert client.get("/api/sessions/nope/replay/0").status_code == 404


def test_checkpoints_copy_the_arrays():
    c = Checkpoints(10_000)
    W, b = [np.ones((2, 2))], [np.zeros(2)]
    c.add(0, W, b)
    W[0][0, 0] = 5.0
    assert c.at(0)[1][0][0, 0] == 1.0
    assert c.at(3)[0] == 0 and Checkpoints(10).at(0) is None


def test_checkpoints_come_back_after_eviction_bit_for_bit(make_client):
    client = make_client(evict_after_seconds=60)
    sid = client.post("/api/sessions", json={}).json()["id"]
    at7 = client.post(f"/api/sessions/{sid}/train", json={"epochs": 7}).json()
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 13})
    kept = client.get(f"/api/sessions/{sid}/replay").json()
    registry = client.app.state.registry
    assert client.portal.call(registry.evict_idle, registry.clock() + 61) == [sid]
    assert not registry.get(sid).resident
    assert client.get(f"/api/sessions/{sid}/replay").json() == kept  # brought back
    assert kept["epochs"] == list(range(21))
    frame = client.get(f"/api/sessions/{sid}/replay/7").json()
    assert frame["weights"] == at7["weights"] and frame["biases"] == at7["biases"]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 2})  # and it goes on keeping
    assert client.get(f"/api/sessions/{sid}/replay").json()["epochs"] == list(range(23))


def test_the_saved_checkpoints_are_thinned_to_their_own_bound():
    c = Checkpoints(max_bytes=1 << 20)
    W, b = [np.zeros((2, 3))], [np.zeros(3)]  # 72 bytes a checkpoint
    for epoch in range(100):
        c.add(epoch, [W[0] + epoch], [b[0] - epoch])
    saved = c.state(max_saved_bytes=72 * 30)
    assert saved["epochs"] == list(range(0, 100, 4)) and saved["stride"] == 4
    back = Checkpoints(max_bytes=1 << 20)
    back.load_state(saved)
    assert back.epochs == saved["epochs"] and back.nbytes <= 72 * 30
    epoch, W9, b9 = back.at(9)
    assert epoch == 8 and (W9[0] == 8).all() and (b9[0] == -8).all()
    back.add(100, W, b)  # the thinning goes on where it was
    assert back.epochs[-1] == 100 and back.stride == 4
    assert c.state(max_saved_bytes=71) is None  # not even one fits
    assert Checkpoints(1 << 20).state(1 << 20) is None  # none kept
