"""StackedTrainer: S trainers stepped together end exactly where each alone would.

Every test builds each session twice from the same numbers: a *solo* copy trained with its own
``Trainer.run_epoch`` and a *stacked* copy trained through ``StackedTrainer.run_epoch`` (grouped
by ``stack_key``, with sessions joining, leaving and being edited between epochs). After every
epoch the two copies must agree bit for bit: parameters, velocity, shuffling generator, epoch,
samples seen, status and the whole last snapshot (losses, metrics, W, b, gradients, probe).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import (
    NetworkSpec,
    SpecError,
    StackedTrainer,
    Trainer,
    TrainingConfig,
    grid_activations,
    init_params,
    make_dataset,
    node_stats,
    stack_key,
)
from engine.network import Params, backward_deltas, forward
from engine.stacked import stacked_params

HIDDEN_ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softplus"]
# (output activation, loss): every pairing NetworkSpec allows
OUTPUTS = [(g, "sse") for g in HIDDEN_ACTIVATIONS + ["softmax"]][:-1] + [
    ("sigmoid", "cross_entropy"),
    ("softmax", "cross_entropy"),
]


# --------------------------------------------------------------------------- building sessions


@st.composite
def shapes(draw):
    """A network shape, data sizes, a task and a batch size shared by a group of sessions."""
    hidden = draw(st.lists(st.integers(1, 6), min_size=0, max_size=3))
    n0, K = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    acts = [draw(st.sampled_from(HIDDEN_ACTIVATIONS)) for _ in hidden]
    output, loss = draw(st.sampled_from(OUTPUTS))
    spec = NetworkSpec((n0, *hidden, K), (*acts, output), loss)
    N = draw(st.integers(1, 24))
    n_test = draw(st.integers(0, 6))
    batch = draw(st.sampled_from([1, 2, 3, 7, N, N + 3]))
    task = draw(st.sampled_from(["classification", "regression"]))
    return spec, N, n_test, max(batch, 1), task


@st.composite
def configs(draw, batch: int):
    return TrainingConfig(
        learning_rate=draw(st.sampled_from([0.0, 0.01, 0.1, 0.5])),
        batch_size=batch,
        momentum=draw(st.sampled_from([0.0, 0.0, 0.5, 0.9])),
        regularization=draw(st.sampled_from(["none", "l1", "l2"])),
        regularization_rate=draw(st.sampled_from([0.0, 0.01, 0.3])),
        seed=draw(st.integers(0, 2**32)),
    )


def targets(spec: NetworkSpec, rng: np.random.Generator, n: int) -> np.ndarray:
    K = spec.layer_sizes[-1]
    if spec.output == "softmax":
        return rng.dirichlet(np.ones(K), size=n)
    if spec.loss == "cross_entropy":
        return rng.uniform(size=(n, K))
    return rng.normal(size=(n, K))


def session_pair(spec, N, n_test, task, config, data_seed, probe) -> tuple[Trainer, Trainer]:
    """The same session twice (its own data, initial weights and settings)."""
    rng = np.random.default_rng(data_seed)
    X, T = rng.normal(size=(N, spec.layer_sizes[0])), targets(spec, rng, N)
    Xt = rng.normal(size=(n_test, spec.layer_sizes[0]))
    Tt = targets(spec, rng, n_test)
    params = init_params(spec, "uniform", seed=data_seed, range=1.0)

    def make() -> Trainer:
        return Trainer(spec, params.copy(), X, T, Xt, Tt, config, task, probe % N)

    return make(), make()


# --------------------------------------------------------------------------- comparing them


def same(x, y) -> bool:
    return np.shape(x) == np.shape(y) and np.array_equal(x, y)


def assert_same_arrays(xs, ys, what: str) -> None:
    assert len(xs) == len(ys), what
    for l, (x, y) in enumerate(zip(xs, ys, strict=True)):
        assert same(x, y), f"{what}[{l}] differs by {np.max(np.abs(np.subtract(x, y)))}"


def assert_same_snapshot(a, b) -> None:
    assert (a.epoch, a.status, a.samples_seen) == (b.epoch, b.status, b.samples_seen)
    assert a.loss_train == b.loss_train and a.loss_test == b.loss_test
    assert a.metrics == b.metrics
    for name in ("W", "b", "grad_W", "grad_b"):
        assert_same_arrays(getattr(a, name), getattr(b, name), name)
    pa, pb = a.probe, b.probe
    assert pa["index"] == pb["index"] and pa["error"] == pb["error"]
    for key in ("input", "target", "output"):
        assert same(pa[key], pb[key]), key
    for la, lb in zip(pa["layers"], pb["layers"], strict=True):
        for key in ("z", "a", "g_prime", "delta"):
            assert same(la[key], lb[key]), f"probe {key}"
    assert_same_arrays(pa["gradients"].W, pb["gradients"].W, "probe gradients W")
    assert_same_arrays(pa["gradients"].b, pb["gradients"].b, "probe gradients b")


def assert_same_trainer(solo: Trainer, stacked: Trainer) -> None:
    assert (solo.epoch, solo.samples_seen, solo.status) == (
        stacked.epoch,
        stacked.samples_seen,
        stacked.status,
    )
    assert solo.rng.bit_generator.state == stacked.rng.bit_generator.state
    assert_same_arrays(solo.params.W, stacked.params.W, "W")
    assert_same_arrays(solo.params.b, stacked.params.b, "b")
    assert_same_arrays(solo.velocity.W, stacked.velocity.W, "velocity W")
    assert_same_arrays(solo.velocity.b, stacked.velocity.b, "velocity b")
    assert (solo.last is None) == (stacked.last is None)
    if solo.last is not None:
        assert_same_snapshot(solo.last, stacked.last)


class Groups:
    """Stacked copies trained like a server would: one StackedTrainer per stack key."""

    def __init__(self) -> None:
        self.by_key: dict[tuple, StackedTrainer] = {}

    def run_epoch(self, trainers: list[Trainer]) -> dict[int, object]:
        groups: dict[tuple, list[Trainer]] = {}
        for tr in trainers:
            groups.setdefault(stack_key(tr), []).append(tr)
        out = {}
        for key, members in groups.items():
            try:
                snaps = self.by_key.setdefault(key, StackedTrainer()).run_epoch(members)
            except SpecError:  # outputs not finite before the epoch: the others still advance
                snaps = [t.last for t in members]
            out.update({id(t): s for t, s in zip(members, snaps, strict=True)})
        return out


# --------------------------------------------------------------------------- the property


def run_or_none(trainer: Trainer):
    """``run_epoch``, or None where it refuses weights whose outputs are not finite."""
    try:
        return trainer.run_epoch()
    except SpecError:
        return None


EDITS = ["none", "none", "none", "weight", "bias", "config", "batch", "step", "probe", "state"]


def edit(rng_draw, kind: str, pair: tuple[Trainer, Trainer]) -> None:
    """Apply one server-side change to both copies of a session."""
    solo = pair[0]
    L = solo.spec.depth
    if kind in ("weight", "bias"):
        layer = rng_draw(st.integers(0, L - 1))
        n_in, n_out = solo.spec.layer_sizes[layer], solo.spec.layer_sizes[layer + 1]
        j, i = rng_draw(st.integers(0, n_out - 1)), rng_draw(st.integers(0, n_in - 1))
        value = rng_draw(st.floats(-2, 2, allow_nan=False))
        for tr in pair:
            tr.set_parameter(kind, layer, j, value, i if kind == "weight" else None)
    elif kind in ("config", "batch"):
        new = rng_draw(configs(solo.config.batch_size))
        if kind == "batch":
            new = TrainingConfig(**{**new.to_dict(), "batch_size": rng_draw(st.integers(1, 9))})
        for tr in pair:
            tr.set_config(new)
    elif kind == "step":
        index = rng_draw(st.integers(0, solo.X.shape[0] - 1))
        for tr in pair:
            try:
                tr.step_sample(index)
            except ValueError:  # a step that would make the weights non-finite
                pass
    elif kind == "probe":
        index = rng_draw(st.integers(0, solo.X.shape[0] - 1))
        for tr in pair:
            tr.set_probe(index)
    elif kind == "state":
        state = solo.state()
        for tr in pair:
            tr.load_state(state)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=shapes(), data=st.data())
def test_stacked_sessions_end_where_each_alone_would(shape, data):
    """Random shapes, settings, seeds and data; sessions join and leave the stack, are edited
    between epochs, and stacked or alone they take the same path to the last bit."""
    spec, N, n_test, batch, task = shape
    S = data.draw(st.integers(1, 5), label="sessions")
    pairs = [
        session_pair(
            spec,
            N,
            n_test,
            task,
            data.draw(configs(batch), label=f"config {s}"),
            data.draw(st.integers(0, 10_000), label=f"data seed {s}"),
            data.draw(st.integers(0, 100), label=f"probe {s}"),
        )
        for s in range(S)
    ]
    groups = Groups()
    for _ in range(data.draw(st.integers(10, 14), label="epochs")):
        # who trains in the stack this epoch, who alone, who pauses
        roles = [
            data.draw(st.sampled_from(["stack", "stack", "stack", "alone", "pause"])) for _ in pairs
        ]
        stacked = [p[1] for p, r in zip(pairs, roles, strict=True) if r == "stack"]
        got = groups.run_epoch(stacked)
        for (solo, copy), role in zip(pairs, roles, strict=True):
            if role == "pause":
                continue
            want, snap = run_or_none(solo), run_or_none(copy) if role == "alone" else got[id(copy)]
            assert (want is None) == (snap is None)
            if want is not None:
                assert_same_snapshot(want, snap)
        for pair in pairs:
            assert_same_trainer(*pair)
            edit(data.draw, data.draw(st.sampled_from(EDITS), label="edit"), pair)
    for pair in pairs:
        assert_same_trainer(*pair)


# --------------------------------------------------------------------------- divergence


def circle_pair(eta: float, seed: int, batch: int = 10) -> tuple[Trainer, Trainer]:
    data = make_dataset("circle", n=200, noise=0.1, seed=seed)
    spec = NetworkSpec((2, 4, 2, 1), ("tanh", "tanh", "linear"), "sse")
    config = TrainingConfig(learning_rate=eta, batch_size=batch, momentum=0.5, seed=seed)
    params = init_params(spec, "xavier", seed=seed)
    return tuple(Trainer.from_dataset(spec, params.copy(), data, config) for _ in range(2))


@pytest.mark.parametrize("batch", [1, 10, 50])
def test_a_diverging_session_never_touches_the_others(batch):
    pairs = [circle_pair(0.03, 1, batch), circle_pair(1e3, 2, batch), circle_pair(0.1, 3, batch)]
    group = StackedTrainer()
    for _ in range(40):
        group.run_epoch([p[1] for p in pairs])
        for solo, _ in pairs:
            solo.run_epoch()
        for pair in pairs:
            assert_same_trainer(*pair)
    assert pairs[1][1].status == "diverged"
    assert pairs[0][1].status == pairs[2][1].status == "ok"
    # lifting the divergence brings the session back into the stack, still equal to alone
    for tr in pairs[1]:
        tr.set_config(TrainingConfig(learning_rate=0.01, batch_size=batch, seed=2))
    for _ in range(3):
        group.run_epoch([p[1] for p in pairs])
        for solo, _ in pairs:
            solo.run_epoch()
        for pair in pairs:
            assert_same_trainer(*pair)
    assert all(p[1].status == "ok" for p in pairs)


def test_a_diverged_session_is_skipped_and_returns_its_last_snapshot():
    solo, stacked = circle_pair(1e3, 2)
    other = circle_pair(0.03, 1)[1]
    group = StackedTrainer()
    while stacked.status != "diverged":
        group.run_epoch([stacked, other])
    last = stacked.last
    assert group.run_epoch([stacked, other])[0] is last


# --------------------------------------------------------------------------- the interface


def test_trainers_with_different_keys_are_refused():
    a = circle_pair(0.03, 1, batch=10)[1]
    b = circle_pair(0.03, 1, batch=20)[1]
    assert stack_key(a) != stack_key(b)
    with pytest.raises(ValueError):
        StackedTrainer().run_epoch([a, b])
    with pytest.raises(ValueError):
        StackedTrainer().run_epoch([a, a])


def test_stacked_parameters_are_views_into_the_stack_until_replaced():
    """The server may hand a trainer new parameter arrays between calls: they are copied in."""
    pairs = [circle_pair(0.03, s) for s in range(3)]
    group = StackedTrainer()
    group.run_epoch([p[1] for p in pairs])
    W0 = pairs[0][1].params.W[0]
    group.run_epoch([p[1] for p in pairs])
    assert pairs[0][1].params.W[0] is W0  # no copying while nothing changed
    for solo, _ in pairs:
        solo.run_epoch()
        solo.run_epoch()
    fresh = init_params(pairs[1][0].spec, "xavier", seed=9)
    for tr in pairs[1]:
        tr.params = fresh.copy()
        tr.last = None
    group.run_epoch([p[1] for p in pairs])
    for solo, _ in pairs:
        solo.run_epoch()
    for pair in pairs:
        assert_same_trainer(*pair)


def test_changes_between_unchanged_calls_are_noticed():
    """After calls that found nothing replaced (and skipped the key checks and the sync), each
    kind of replacement is still noticed: a parameter array swapped inside the list, new
    settings (a new batch size changes the key), new velocity, new data."""
    pairs = [circle_pair(0.03, s) for s in range(3)]
    group = StackedTrainer()

    def both(change) -> None:
        for pair in pairs:
            for _ in range(2):
                group.run_epoch([p[1] for p in pairs])
                pair[0].run_epoch()
                for other in pairs:
                    if other is not pair:
                        other[0].run_epoch()
            for tr in pair:
                change(tr)
            group.run_epoch([p[1] for p in pairs])
            for solo, _ in pairs:
                solo.run_epoch()
            for p in pairs:
                assert_same_trainer(*p)

    def swap_weights(tr: Trainer) -> None:
        w = tr.params.W[1].copy()
        w[0, 0] += 0.25
        tr.params.W[1] = w
        tr.last = None

    def new_rate(tr: Trainer) -> None:
        tr.set_config(replace(tr.config, learning_rate=0.07, momentum=0.0))

    def new_velocity(tr: Trainer) -> None:
        tr.velocity = tr.velocity.copy()
        tr.velocity.b[0][0] = 0.5

    def new_data(tr: Trainer) -> None:
        tr.X = tr.X[::-1].copy()
        tr.last = None

    for change in (swap_weights, new_rate, new_velocity, new_data):
        both(change)
    for _, tr in pairs[:1]:
        tr.set_config(replace(tr.config, batch_size=20))
    with pytest.raises(ValueError):
        group.run_epoch([p[1] for p in pairs])


def test_frame_stats_equal_the_per_session_functions():
    pairs = [circle_pair(0.05, s) for s in range(4)]
    trainers = [p[1] for p in pairs]
    group = StackedTrainer()
    group.run_epoch(trainers)
    X_grid = np.random.default_rng(0).uniform(-6, 6, size=(30, 2))
    for X_g in (X_grid, None):
        stats = group.frame_stats(trainers, X_g)
        for i, tr in enumerate(trainers):
            snap = tr.last
            mine, grid = stats.member(i)
            want = node_stats(tr.spec, snap.W, snap.b, tr.X, tr.T)
            for (ma, md), (wa, wd) in zip(mine, want, strict=True):
                np.testing.assert_allclose(ma, wa, rtol=1e-12, atol=1e-15)
                np.testing.assert_allclose(md, wd, rtol=1e-12, atol=1e-15)
            if X_g is None:
                assert grid is None
                continue
            for a, w in zip(grid, grid_activations(tr.spec, snap.W, snap.b, X_g), strict=True):
                np.testing.assert_allclose(a, w, rtol=1e-12, atol=1e-15)


def test_frame_stats_with_grid_rows_give_the_grid_of_just_those_trainers():
    """Frames that keep their last grid need none: ``grid_rows`` computes it for the others
    only, each equal to the per-session function; the left-out ones have no grid."""
    pairs = [circle_pair(0.05, s) for s in range(4)]
    trainers = [p[1] for p in pairs]
    group = StackedTrainer()
    group.run_epoch(trainers)
    X_g = np.random.default_rng(1).uniform(-6, 6, size=(30, 2))
    for rows in ([0, 2], [3], [], [0, 1, 2, 3]):
        stats = group.frame_stats(trainers, X_g, rows)
        for i, tr in enumerate(trainers):
            grid = stats.member(i)[1]
            if i not in rows:
                assert grid is None
                continue
            snap = tr.last
            for a, w in zip(grid, grid_activations(tr.spec, snap.W, snap.b, X_g), strict=True):
                np.testing.assert_allclose(a, w, rtol=1e-12, atol=1e-15)


def test_stacked_params_are_each_snapshots_own_or_none_across_epochs():
    pairs = [circle_pair(0.05, s) for s in range(4)]
    trainers = [p[1] for p in pairs]
    group = StackedTrainer()
    snaps = group.run_epoch(trainers)
    for some in ([0, 1, 2, 3], [3, 1]):
        got = stacked_params([snaps[i] for i in some])
        assert got is not None
        for k, i in enumerate(some):
            s = snaps[i]
            for mine, want in zip(got, (s.W, s.b, s.grad_W, s.grad_b), strict=True):
                for a, w in zip(mine, want, strict=True):
                    assert a[k].shape == w.shape and np.array_equal(a[k], w)
    later = group.run_epoch(trainers)
    assert stacked_params([snaps[0], later[1]]) is None  # two epochs: two records


def test_frame_stats_of_a_subset_after_the_whole_stack_equal_the_per_session_functions():
    """The stack's node statistics are computed once per epoch and kept: a later call for some
    of its trainers (a frame after the gradient-flow series) takes their rows; after the next
    epoch, or an edit that makes a new snapshot, they are computed again."""
    pairs = [circle_pair(0.05, s) for s in range(5)]
    trainers = [p[1] for p in pairs]
    group = StackedTrainer()
    for epoch in range(3):
        group.run_epoch(trainers)
        if epoch == 2:
            trainers[3].set_parameter("weight", 0, 0, 0.25, i=0)  # a new snapshot for one trainer
        group.frame_stats(trainers)
        for some in ([4, 1], [0, 2, 3], [3]):
            stats = group.frame_stats([trainers[i] for i in some])
            for k, i in enumerate(some):
                tr = trainers[i]
                snap = tr.last or tr.snapshot()
                want = node_stats(tr.spec, snap.W, snap.b, tr.X, tr.T)
                for (ma, md), (wa, wd) in zip(stats.member(k)[0], want, strict=True):
                    np.testing.assert_allclose(ma, wa, rtol=1e-12, atol=1e-15)
                    np.testing.assert_allclose(md, wd, rtol=1e-12, atol=1e-15)


def test_node_stats_are_mean_activation_and_mean_abs_delta():
    tr = circle_pair(0.05, 0)[0]
    snap = tr.run_epoch()
    params = Params(snap.W, snap.b)
    cache = forward(tr.spec, params, tr.X)
    delta = backward_deltas(tr.spec, params, cache, tr.T)
    for l, (mean_a, mean_d) in enumerate(node_stats(tr.spec, snap.W, snap.b, tr.X, tr.T)):
        np.testing.assert_allclose(mean_a, cache.a[l + 1].mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(mean_d, np.abs(delta[l]).mean(axis=0), rtol=1e-12)


@pytest.mark.parametrize("batch", [10, 250])
def test_old_snapshots_keep_their_forward_pass_when_buffers_are_reused(batch):
    """Later epochs write their forward passes into the buffers of epochs no snapshot needs any
    more: a train_cache read before that, or from a snapshot still held, keeps its values."""
    trainer = circle_pair(0.03, 3, batch)[0]
    held = [trainer.run_epoch() for _ in range(3)]
    early = trainer.run_epoch().train_cache  # read, then its snapshot is dropped
    kept = [z.copy() for z in early.z] + [a.copy() for a in early.a]
    for _ in range(4):
        trainer.run_epoch()
    assert_same_arrays(early.z + early.a, kept, "train_cache read early")
    for snap in held:  # read late, after the buffers of other epochs were reused
        ref = forward(trainer.spec, snap.params, trainer.X)
        np.testing.assert_allclose(snap.train_cache.a[-1], ref.a[-1], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(snap.train_cache.z[-1], ref.z[-1], rtol=1e-12, atol=1e-14)
