"""The binary frame (docs/contract.md, "Binary frames"): a third of the JSON frame's bytes, the
same numbers; encoded stacked for same-shaped sessions, pinned to the per-session JSON frame."""

from __future__ import annotations

import base64
import struct

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.settings import Settings
from app.trainer import frame_binary
from app.trainer.concealment import Concealment
from app.trainer.publisher import sends_binary, wants_json
from app.trainer.resident import Resident
from backprop_playground.frame_binary import FrameFormatError, decode_frame
from engine.stacked import StackedTrainer

SETTINGS = Settings()
F32 = {"rtol": 2e-7, "atol": 1e-30}  # float32 rounding of a float64


# one app for the file, fresh sessions per test (tests/conftest.py, ``client``)
pytestmark = pytest.mark.shared_app


def session(body: dict | None = None, epochs: int = 0, sid: str = "s") -> Resident:
    r = Resident(sid, "client", body or {}, SETTINGS)
    for _ in range(epochs):
        r.trainer.run_epoch()
    return r


def grid_values(unit: dict) -> np.ndarray:
    q = np.frombuffer(base64.b64decode(unit["data"]), dtype=np.uint8).astype(np.float64)
    return unit["lo"] + q * (unit["hi"] - unit["lo"]) / 255


def assert_same_frame(got: dict, want: dict, path: str = "frame") -> None:
    """Every number of the JSON frame ``want`` within float32 rounding in ``got``; every grid
    unit's values within one step, (hi − lo)/255, of the JSON form's."""
    if isinstance(want, dict) and {"lo", "hi", "data"} <= want.keys():
        step = (want["hi"] - want["lo"]) / 255
        np.testing.assert_allclose(
            grid_values(got), grid_values(want), rtol=0, atol=step + 1e-6 * abs(want["hi"]) + 1e-9
        )
        return
    if isinstance(want, dict):
        assert got.keys() == want.keys(), f"{path}: {sorted(got)} != {sorted(want)}"
        for k in want:
            assert_same_frame(got[k], want[k], f"{path}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), path
        if want and all(isinstance(x, float | int) for x in want):
            np.testing.assert_allclose(got, want, **F32, err_msg=path)
        else:
            for i, (g, w) in enumerate(zip(got, want, strict=True)):
                assert_same_frame(g, w, f"{path}[{i}]")
    elif isinstance(want, float):
        np.testing.assert_allclose(got, want, **F32, err_msg=path)
    else:
        assert got == want, path


def test_a_default_network_frame_is_at_most_3_5_kb_and_a_third_of_its_json():
    for epochs in (0, 50, 500):
        r = session(epochs=epochs)
        binary, text = r.binary_frame(), r.frame_bytes()
        assert len(binary) <= 3500, (epochs, len(binary))
        assert len(binary) * 3 <= len(text), (epochs, len(binary), len(text))


def test_a_binary_frame_decodes_to_the_json_frame_of_the_same_session():
    r = session({"dataset": {"name": "spiral"}, "network": {"hidden_layers": [6, 8]}}, epochs=3)
    got, want = decode_frame(r.binary_frame()), r.frame()
    assert_same_frame(got, want)
    # what a viewer edits and recomputes Eq. 7 from is exact (float64)
    assert (got["weights"], got["biases"]) == (want["weights"], want["biases"])
    for key in ("input", "target"):
        assert got["probe"][key] == want["probe"][key]
    got_w, want_w = got["probe"]["updated"]["weights"], want["probe"]["updated"]["weights"]
    for g, w in [
        (got["probe"]["output"], want["probe"]["output"]),
        *zip(got_w, want_w, strict=True),
    ]:
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-15)  # float64, another BLAS path


def test_one_dimensional_data_keep_their_grid_of_resolution_squared_cells():
    r = session({"dataset": {"name": "sine"}}, epochs=2)
    got, want = decode_frame(r.binary_frame()), r.frame()
    assert got["grid"]["resolution"] == want["grid"]["resolution"] == 24 * 24
    assert_same_frame(got, want)


def test_a_frame_without_a_grid_or_node_statistics_says_so():
    r = session(epochs=1)
    data = frame_binary.encode_stack([r.frame_member()], r.built.dataset, None, None)[0]
    got = decode_frame(data)
    assert got["grid"] is None and got["node_stats"] == []


@pytest.mark.parametrize(
    "conceal",
    [frozenset({"delta"}), frozenset({"gradients", "updated", "target"}), frozenset({"error"})],
)
def test_concealed_probe_fields_are_left_out_of_both_forms(conceal):
    r = session(epochs=2)
    hide(r, conceal)
    got, want = decode_frame(r.binary_frame()), r.frame()
    for key in conceal:
        assert key not in want["probe"] and key not in got["probe"]
        assert all(key not in layer for layer in got["probe"]["layers"])
    assert_same_frame(*outside_concealment(got, want))


def hide(r, fields) -> None:
    """An open network question on ``r`` that hides ``fields`` (issue 18's ``Conceal``)."""
    r.concealment = Concealment(frozenset(fields))


def outside_concealment(got: dict, want: dict) -> tuple[dict, dict]:
    """The two frames without what only the JSON form says about a concealment: its
    ``concealed`` list and, when gradients are hidden, the batch's mean gradients (a session
    with an open question sends JSON only: ``test_a_session_with_an_open_question_...``)."""
    drop = {"concealed", "gradients"} if "concealed" in want else set()
    return (
        {k: v for k, v in got.items() if k not in drop},
        {k: v for k, v in want.items() if k not in drop},
    )


def test_a_session_with_an_open_question_sends_its_frames_as_json_only():
    r = session(epochs=1)
    r.viewers = r.binary_viewers = 1
    assert sends_binary(r) and not wants_json(r)
    hide(r, {"delta", "gradients"})
    assert wants_json(r) and not sends_binary(r)
    assert r.frame()["concealed"] == ["delta", "gradients"] and "gradients" not in r.frame()


SHAPES = st.lists(st.integers(1, 5), min_size=0, max_size=3)
DATASETS = st.sampled_from(["circle", "xor", "spiral", "plane", "sine", "multi_gaussian"])
CONCEAL = st.frozensets(st.sampled_from(frame_binary.PROBE_FIELDS), max_size=3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hidden=SHAPES,
    dataset=DATASETS,
    seeds=st.lists(st.integers(0, 1000), min_size=2, max_size=4, unique=True),
    epochs=st.integers(0, 3),
    conceal=CONCEAL,
)
def test_stacked_frames_decode_to_each_sessions_own_json_frame(
    hidden, dataset, seeds, epochs, conceal
):
    body = {
        "network": {"hidden_layers": hidden, "init": {"seed": 0}},
        "dataset": {"name": dataset, "n": 60},
    }
    residents = []
    for k, seed in enumerate(seeds):
        b = {**body, "network": {**body["network"], "init": {"seed": seed}}}
        r = session(b, sid=f"s{k}")
        hide(r, conceal)
        residents.append(r)
    trainers = [r.trainer for r in residents]
    stack = StackedTrainer()
    for _ in range(epochs):
        stack.run_epoch(trainers)
    stats = stack.frame_stats(trainers, residents[0].grid_inputs())
    members = [r.frame_member() for r in residents]
    encoded = frame_binary.encode_stack(
        members, residents[0].built.dataset, stats.node_stats, stats.grid
    )
    for r, data in zip(residents, encoded, strict=True):
        # the per-session, readable path
        assert_same_frame(*outside_concealment(decode_frame(data), r.frame()))


def frame_bytes() -> bytes:
    return session(epochs=1).binary_frame()


def test_an_unknown_version_is_refused_naming_the_version():
    data = bytearray(frame_bytes())
    data[3] = 2
    with pytest.raises(FrameFormatError, match="version 2 is not one this client reads"):
        decode_frame(bytes(data))


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda d: b"XYZ" + d[3:], "not a binary frame"),
        (lambda d: d[:40], "cut short"),
        (lambda d: d + b"\0", "left over"),
        (lambda d: d[:4] + b"\x07" + d[5:], "kind 7 is unknown"),
        (lambda d: d[:5] + b"\x09" + d[6:], "status code 9"),
    ],
)
def test_a_malformed_frame_is_refused_clearly(mangle, message):
    with pytest.raises(FrameFormatError, match=message):
        decode_frame(mangle(frame_bytes()))


def test_the_header_carries_magic_version_status_and_layer_sizes():
    r = session({"network": {"hidden_layers": [6, 8]}}, epochs=1)
    data = r.binary_frame()
    magic, version, kind, status, _flags, _mask, n_sizes = struct.unpack_from("<3sBBBHHB", data)
    assert (magic, version, kind, status) == (b"BPF", 1, 1, 0)
    sizes = struct.unpack_from(f"<{n_sizes}H", data, frame_binary.HEADER.size)
    assert list(sizes) == list(r.built.spec.layer_sizes)


# -- the stream: ?format=binary ---------------------------------------------------------------
SMALL = {
    "network": {"hidden_layers": [4, 2]},
    "dataset": {"name": "circle", "n": 100},
}


def next_binary_frame(ws, limit: int = 500) -> dict:
    for _ in range(limit):
        message = ws.receive()
        if message.get("bytes"):
            return decode_frame(message["bytes"])
    raise AssertionError("no binary frame")


def test_a_binary_viewer_gets_binary_frames_with_the_json_forms_numbers(client, new_session):
    sid = new_session(SMALL)["id"]
    with (
        client.websocket_connect(f"/api/sessions/{sid}/stream?format=binary") as binary,
        client.websocket_connect(f"/api/sessions/{sid}/stream") as text,
    ):
        binary.send_json({"type": "step", "epochs": 3})
        got = next_binary_frame(binary)
        while got["epoch"] < 3:
            got = next_binary_frame(binary)
        want = client.get(f"/api/sessions/{sid}").json()["frame"]
        assert_same_frame(got, want)
        for _ in range(20):  # the JSON viewer's frames stay JSON text
            message = text.receive()
            assert message.get("text") is not None
            if '"epoch":3' in message["text"] and message["text"].startswith('{"type":"frame"'):
                break


def test_an_unknown_frame_format_is_refused_naming_the_field(client, new_session):
    sid = new_session(SMALL)["id"]
    with client.websocket_connect(f"/api/sessions/{sid}/stream?format=xml") as ws:
        error = ws.receive_json()
        assert error["type"] == "error" and error["field"] == "format"
        assert ws.receive()["code"] == 4400


# -- grids at a lower rate in a large class -----------------------------------------------------
def test_a_frame_that_keeps_the_grid_leaves_it_out_and_takes_the_last_one():
    r = session(epochs=2)
    full_member, keep_member = r.frame_member(), r.frame_member()
    keep_member.keep = True
    stats = r.trainer.node_stats(r.snap())
    node = [(m[None], d[None]) for m, d in stats]
    from engine import grid_activations

    snap = r.snap()
    grid = [a[None] for a in grid_activations(r.built.spec, snap.W, snap.b, r.grid_inputs())]
    full, kept = (
        frame_binary.encode_stack([m], r.built.dataset, node, grid)[0]
        for m in (full_member, keep_member)
    )
    assert len(kept) < len(full) / 2
    previous = decode_frame(full)
    got = decode_frame(kept, previous)
    assert got["grid"] is previous["grid"] and got["node_stats"] is previous["node_stats"]
    assert_same_frame(got, r.frame())
    assert decode_frame(kept)["grid"] is None  # nothing to keep: no grid yet


class Sent(list):
    def send(self, message) -> None:
        self.append(message)


def test_in_a_large_class_every_other_binary_frame_keeps_the_grid():
    from app.trainer.publisher import Publisher

    settings = Settings(frame_grid_every=2, frame_grid_class_size=3)
    out = Sent()
    pub = Publisher(settings, out, None, lambda: 0.0)
    rs = [session({"network": {"init": {"seed": k}}}, sid=f"s{k}") for k in range(3)]
    for r in rs:
        r.running, r.viewers, r.binary_viewers = True, 1, 1
    stack = StackedTrainer()
    kept = []
    for _ in range(4):
        stack.run_epoch([r.trainer for r in rs])
        pub.send_frames(rs, stack, 0.0)
        pub.flush()
        (_, messages) = out.pop()
        frames = [data for _sid, kind, data in messages if kind == "frame_bin"]
        assert len(frames) == 3 and not [k for _s, k, _d in messages if k == "frame"]
        kept.append([bool(struct.unpack_from("<H", f, 6)[0] & frame_binary.F_KEEP) for f in frames])
    assert kept == [[False] * 3, [True] * 3, [False] * 3, [True] * 3]
    pub2 = Publisher(settings, Sent(), None, lambda: 0.0)  # a smaller class: every frame whole
    pub2.send_frames(rs[:2], stack, 0.0)
    pub2.flush()
    (_, messages) = pub2.channel.pop()
    assert all(
        not struct.unpack_from("<H", d, 6)[0] & frame_binary.F_KEEP for _s, _k, d in messages
    )


def test_the_grid_is_computed_only_for_the_frames_that_carry_one(monkeypatch):
    """Staggered grid turns and a JSON viewer in a large class: the heatmap grid is computed
    for the frames that carry it (``FrameStats.grid_rows``), and every frame still decodes to
    the session's own readable frame."""
    import engine.stacked
    from app.trainer.publisher import Publisher

    sizes: list[int] = []
    real = engine.stacked.grid_activations

    def counted(spec, W, b, X):
        sizes.append(len(W[0]))
        return real(spec, W, b, X)

    monkeypatch.setattr(engine.stacked, "grid_activations", counted)
    settings = Settings(frame_grid_every=2, frame_grid_class_size=3)
    out = Sent()
    pub = Publisher(settings, out, None, lambda: 0.0)
    rs = [session({"network": {"init": {"seed": k}}}, sid=f"s{k}") for k in range(4)]
    for r in rs:
        r.running, r.viewers, r.binary_viewers = True, 1, 1
    rs[3].viewers = 2  # a JSON viewer too: its JSON frame always has the grid
    pub.grid_turn["s1"] = 1  # out of step with the others
    stack = StackedTrainer()
    last: dict[str, dict] = {}
    for turn in range(3):
        stack.run_epoch([r.trainer for r in rs])
        pub.send_frames(rs, stack, 0.0)
        pub.flush()
        (_, messages) = out.pop()
        for sid, kind, data in messages:
            r = rs[int(sid[1:])]
            if kind == "frame":
                assert_same_frame(orjson.loads(data), r.frame())
                continue
            keep = bool(struct.unpack_from("<H", data, 6)[0] & frame_binary.F_KEEP)
            got = decode_frame(data, last.get(sid))
            assert (got["grid"] is None) == (keep and sid not in last)
            if not keep or sid in last:
                want = r.frame()
                if keep:  # the grid and node statistics of the last frame it carried
                    want = {**want, "grid": got["grid"], "node_stats": got["node_stats"]}
                assert_same_frame(got, want)
            if not keep:
                last[sid] = got
        # s0, s2 carry a grid on turns 0 and 2, s1 on turn 1; s3 (JSON) every turn
        assert sizes[-1] == (3 if turn % 2 == 0 else 2)


def test_a_turn_where_every_frame_keeps_its_grid_computes_no_statistics(monkeypatch):
    """A class in step: every other turn all its binary frames keep the last grid and node
    statistics, so none are computed; each frame still reads as its session's own."""
    from app.trainer.publisher import Publisher

    settings = Settings(frame_grid_every=2, frame_grid_class_size=3)
    out = Sent()
    pub = Publisher(settings, out, None, lambda: 0.0)
    rs = [session({"network": {"init": {"seed": k}}}, sid=f"s{k}") for k in range(3)]
    for r in rs:
        r.running, r.viewers, r.binary_viewers = True, 1, 1
    stack = StackedTrainer()
    last: dict[str, dict] = {}
    for turn in range(2):
        stack.run_epoch([r.trainer for r in rs])
        if turn == 1:
            monkeypatch.setattr(stack, "frame_stats", None)  # calling it would fail
        pub.send_frames(rs, stack, 0.0)
        pub.flush()
        (_, messages) = out.pop()
        for sid, _kind, data in messages:
            r = rs[int(sid[1:])]
            got = decode_frame(data, last.get(sid))
            want = r.frame()
            if turn == 1:
                want = {**want, "grid": got["grid"], "node_stats": got["node_stats"]}
                assert got["grid"] is last[sid]["grid"]
            assert_same_frame(got, want)
            last[sid] = got
