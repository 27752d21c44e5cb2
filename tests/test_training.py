"""Training: mini-batch gradient descent (Eq. 7) with momentum and L1/L2, per-epoch snapshots,
divergence handling, live settings, single-sample steps and resumable state."""

import json
import warnings

import numpy as np
import pytest

from engine import (
    NetworkSpec,
    Params,
    SpecError,
    Trainer,
    TrainingConfig,
    backprop_step,
    backward,
    forward,
    init_params,
    make_dataset,
    trace,
)
from engine.losses import LOSSES


def small_problem(N: int = 8, seed: int = 0):
    """A 2-3-2 regression network on N random points (small enough to replay by hand)."""
    spec = NetworkSpec((2, 3, 2), ("tanh", "linear"), "sse")
    rng = np.random.default_rng(seed)
    X, T = rng.normal(size=(N, 2)), rng.normal(size=(N, 2))
    return spec, init_params(spec, "xavier", seed=seed), X, T


def trainer(config: TrainingConfig, N: int = 8, seed: int = 0) -> Trainer:
    spec, params, X, T = small_problem(N, seed)
    return Trainer(spec, params, X, T, X[:3], T[:3], config=config)


def replay(spec, params, X, T, config: TrainingConfig, epochs: int) -> Params:
    """The same training written plainly: per epoch, shuffle with the seeded generator, walk
    the batches, add the penalty gradient to weight gradients, v ← μv − ηg, θ ← θ + v."""
    p = params.copy()
    v = Params([np.zeros_like(w) for w in p.W], [np.zeros_like(b) for b in p.b])
    rng = np.random.default_rng(config.seed)
    N, B = len(X), config.batch_size
    lam = config.regularization_rate
    for _ in range(epochs):
        order = rng.permutation(N)
        for start in range(0, N, B):
            idx = order[start : start + B]
            _, g = backward(spec, p, forward(spec, p, X[idx]), T[idx])
            for l in range(spec.depth):
                gW = g.W[l]
                if config.regularization == "l2":
                    gW = gW + lam * p.W[l]
                elif config.regularization == "l1":
                    gW = gW + lam * np.sign(p.W[l])
                v.W[l] = config.momentum * v.W[l] - config.learning_rate * gW
                v.b[l] = config.momentum * v.b[l] - config.learning_rate * g.b[l]
                p.W[l] = p.W[l] + v.W[l]
                p.b[l] = p.b[l] + v.b[l]
    return p


def assert_params_close(a, b, rtol=1e-12):
    for x, y in zip(a.W + a.b, b.W + b.b, strict=True):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=1e-14)


def arrays_identical(xs, ys) -> bool:
    return all(x.tobytes() == y.tobytes() for x, y in zip(xs, ys, strict=True))


# --------------------------------------------------------------------------- learning happens


def test_loss_falls_on_xor_table():
    d = make_dataset("xor_table")
    spec = NetworkSpec((2, 4, 1), ("tanh", "sigmoid"), "sse")
    config = TrainingConfig(learning_rate=1.0, batch_size=4, seed=0)
    tr = Trainer.from_dataset(spec, init_params(spec, "xavier", seed=0), d, config)
    start = tr.snapshot()
    end = tr.train(1000)
    assert end.epoch == 1000
    assert end.loss_train < 0.05 * start.loss_train
    assert end.metrics["train_accuracy"] == 1.0


def test_loss_falls_on_circle():
    d = make_dataset("circle", n=200, seed=0)
    spec = NetworkSpec((2, 4, 2, 1), ("tanh", "tanh", "tanh"), "sse")
    config = TrainingConfig(learning_rate=0.03, batch_size=10, seed=0)
    tr = Trainer.from_dataset(spec, init_params(spec, "xavier", seed=0), d, config)
    start = tr.snapshot()
    end = tr.train(100)
    assert end.loss_train < 0.3 * start.loss_train
    assert end.loss_test < 0.3 * start.loss_test
    assert end.metrics["test_accuracy"] > 0.85


def test_snapshots_count_epochs_and_samples():
    tr = trainer(TrainingConfig(learning_rate=0.1, batch_size=3, seed=1))
    snaps = [tr.run_epoch() for _ in range(3)]
    assert [s.epoch for s in snaps] == [1, 2, 3]
    assert [s.samples_seen for s in snaps] == [8, 16, 24]
    assert all(s.status == "ok" for s in snaps)
    assert tr.snapshot().epoch == 3


def test_classification_reports_accuracy_and_regression_does_not():
    spec = NetworkSpec((2, 2, 1), ("tanh", "sigmoid"), "sse")
    clf = Trainer.from_dataset(spec, init_params(spec), make_dataset("xor_table"))
    assert set(clf.snapshot().metrics) == {"train_accuracy", "test_accuracy"}
    spec = NetworkSpec((1, 2, 1), ("tanh", "linear"), "sse")
    reg = Trainer.from_dataset(spec, init_params(spec), make_dataset("sine", n=20))
    assert reg.snapshot().metrics == {}


# --------------------------------------------------------------------------- the update rule


@pytest.mark.parametrize("batch_size", [1, 3, 8, 1000])
def test_epoch_is_plain_minibatch_gradient_descent(batch_size):
    """batch 1 = online (N updates), 3 = mini-batches 3+3+2, 8 or more = one full-batch step."""
    config = TrainingConfig(learning_rate=0.2, batch_size=batch_size, seed=4)
    spec, params, X, T = small_problem()
    tr = Trainer(spec, params.copy(), X, T, config=config)
    tr.train(2)
    assert_params_close(tr.params, replay(spec, params, X, T, config, 2))


def test_full_batch_epoch_is_one_step_of_eq_7_with_the_full_gradient():
    spec, params, X, T = small_problem()
    tr = Trainer(spec, params.copy(), X, T, config=TrainingConfig(learning_rate=0.3, batch_size=8))
    snap = tr.run_epoch()
    _, g = backward(spec, params, forward(spec, params, X), T)
    for l in range(spec.depth):
        np.testing.assert_allclose(snap.W[l], params.W[l] - 0.3 * g.W[l], rtol=1e-13)
        np.testing.assert_allclose(snap.b[l], params.b[l] - 0.3 * g.b[l], rtol=1e-13)
        # the snapshot's gradients are the epoch's mean gradients: here the one full gradient
        np.testing.assert_allclose(snap.grad_W[l], g.W[l], rtol=1e-13)
        np.testing.assert_allclose(snap.grad_b[l], g.b[l], rtol=1e-13)


def test_online_and_full_batch_take_different_paths():
    online = trainer(TrainingConfig(learning_rate=0.1, batch_size=1))
    full = trainer(TrainingConfig(learning_rate=0.1, batch_size=8))
    a, b = online.run_epoch(), full.run_epoch()
    assert not np.allclose(a.W[0], b.W[0])


def test_momentum_follows_the_velocity_rule_and_changes_the_trajectory():
    spec, params, X, T = small_problem()
    config = TrainingConfig(learning_rate=0.1, batch_size=3, momentum=0.9, seed=2)
    tr = Trainer(spec, params.copy(), X, T, config=config)
    tr.train(4)
    assert_params_close(tr.params, replay(spec, params, X, T, config, 4))
    plain = Trainer(spec, params.copy(), X, T, config=TrainingConfig(0.1, 3, seed=2))
    plain.train(4)
    assert not np.allclose(tr.params.W[0], plain.params.W[0])


@pytest.mark.parametrize("reg", ["l1", "l2"])
def test_regularization_penalises_weights_only(reg):
    spec, params, X, T = small_problem()
    config = TrainingConfig(
        learning_rate=0.1, batch_size=8, regularization=reg, regularization_rate=0.5, seed=2
    )
    tr = Trainer(spec, params.copy(), X, T, config=config)
    tr.train(3)
    assert_params_close(tr.params, replay(spec, params, X, T, config, 3))
    plain = Trainer(spec, params.copy(), X, T, config=TrainingConfig(0.1, 8, seed=2))
    plain.train(3)
    assert not np.allclose(tr.params.W[0], plain.params.W[0])
    # biases are not penalised: after one step from the same θ they agree
    one = Trainer(spec, params.copy(), X, T, config=config).run_epoch()
    ref = Trainer(spec, params.copy(), X, T, config=TrainingConfig(0.1, 8, seed=2)).run_epoch()
    for l in range(spec.depth):
        np.testing.assert_array_equal(one.b[l], ref.b[l])


def test_l2_shrinks_weights_compared_with_no_regularization():
    d = make_dataset("circle", n=100, seed=1)
    spec = NetworkSpec((2, 6, 1), ("tanh", "tanh"), "sse")
    params = init_params(spec, "xavier", seed=1)

    def weight_norm(**kw) -> float:
        config = TrainingConfig(learning_rate=0.1, batch_size=10, seed=0, **kw)
        tr = Trainer.from_dataset(spec, params.copy(), d, config)
        snap = tr.train(100)
        return sum(float((w**2).sum()) for w in snap.W)

    none = weight_norm()
    l2 = weight_norm(regularization="l2", regularization_rate=0.05)
    assert l2 < 0.8 * none


def test_zero_regularization_rate_is_no_regularization():
    a = trainer(TrainingConfig(0.1, 3, regularization="l2", regularization_rate=0.0, seed=1))
    b = trainer(TrainingConfig(0.1, 3, seed=1))
    assert arrays_identical(a.train(2).W, b.train(2).W)


# --------------------------------------------------------------------------- seeds


def run_snapshots(seed: int, epochs: int = 4):
    d = make_dataset("circle", n=60, seed=0)
    spec = NetworkSpec((2, 4, 1), ("tanh", "tanh"), "sse")
    config = TrainingConfig(learning_rate=0.05, batch_size=5, momentum=0.5, seed=seed)
    tr = Trainer.from_dataset(spec, init_params(spec, "xavier", seed=seed), d, config)
    return [tr.run_epoch() for _ in range(epochs)]


def test_same_spec_and_seed_give_bit_identical_snapshots():
    first, second = run_snapshots(7), run_snapshots(7)
    for a, b in zip(first, second, strict=True):
        assert arrays_identical(a.W, b.W) and arrays_identical(a.b, b.b)
        assert arrays_identical(a.grad_W, b.grad_W)
        assert a.loss_train == b.loss_train and a.loss_test == b.loss_test


def test_different_seed_gives_a_different_run():
    first, other = run_snapshots(7), run_snapshots(8)
    assert not np.array_equal(first[-1].W[0], other[-1].W[0])
    assert first[-1].loss_train != other[-1].loss_train


def test_training_seed_alone_changes_the_shuffle():
    """Same initial weights, different training seed: online updates come in another order."""
    a = trainer(TrainingConfig(learning_rate=0.1, batch_size=1, seed=0))
    b = trainer(TrainingConfig(learning_rate=0.1, batch_size=1, seed=1))
    assert not np.array_equal(a.run_epoch().W[0], b.run_epoch().W[0])


# --------------------------------------------------------------------------- divergence


def diverging_trainer() -> Trainer:
    d = make_dataset("plane", n=100, seed=0)
    spec = NetworkSpec((2, 3, 1), ("tanh", "linear"), "sse")
    config = TrainingConfig(learning_rate=1e3, batch_size=10, seed=0)
    return Trainer.from_dataset(spec, init_params(spec, "xavier", seed=0), d, config)


def assert_snapshot_finite(snap):
    for arr in snap.W + snap.b + snap.grad_W + snap.grad_b:
        assert np.isfinite(arr).all()
    assert np.isfinite(snap.loss_train) and np.isfinite(snap.loss_test)
    for layer in snap.probe["layers"]:
        for arr in layer.values():
            assert np.isfinite(arr).all()


def test_huge_learning_rate_diverges_with_the_last_finite_snapshot():
    tr = diverging_trainer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning may escape the loop
        snaps = [tr.run_epoch() for _ in range(50)]
    assert tr.status == "diverged"
    first_bad = next(i for i, s in enumerate(snaps) if s.status == "diverged")
    last = snaps[first_bad]
    assert_snapshot_finite(last)
    assert last.epoch == first_bad  # the epoch that overflowed is not counted
    if first_bad > 0:
        previous = snaps[first_bad - 1]
        assert previous.status == "ok"
        assert arrays_identical(last.W, previous.W)
    # the trainer's parameters are the last finite ones, and it stays put
    assert arrays_identical(tr.params.W, last.W)
    assert all(s.status == "diverged" and s.epoch == last.epoch for s in snaps[first_bad:])
    assert tr.epoch == last.epoch


def test_divergence_in_the_first_epoch_returns_the_initial_state():
    """A linear unit with inputs of 100 and η = 1e3: every online step multiplies the error by
    about η x² = 1e7, so fifty steps overflow within the first epoch."""
    spec = NetworkSpec((1, 1), ("linear",), "sse")
    X, T = np.full((50, 1), 100.0), np.ones((50, 1))
    config = TrainingConfig(learning_rate=1e3, batch_size=1)
    tr = Trainer(spec, init_params(spec, "uniform", seed=0), X, T, config=config)
    w0 = tr.params.W[0].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        snap = tr.train(5)
    assert snap.status == "diverged" and snap.epoch == 0 and tr.epoch == 0
    np.testing.assert_array_equal(snap.W[0], w0)
    np.testing.assert_array_equal(tr.params.W[0], w0)
    for arr in snap.W + snap.b + snap.grad_W + snap.grad_b:
        assert np.isfinite(arr).all()
    assert np.isfinite(snap.loss_train)


def test_train_stops_early_on_divergence():
    tr = diverging_trainer()
    snap = tr.train(1000)
    assert snap.status == "diverged" and snap.epoch < 1000


def test_new_settings_lift_divergence_and_training_resumes():
    tr = diverging_trainer()
    tr.train(1000)
    tr.set_config(TrainingConfig(learning_rate=1e-3, batch_size=10, seed=0))
    assert tr.status == "ok"
    before = tr.epoch
    snap = tr.run_epoch()
    assert snap.status == "ok" and snap.epoch == before + 1
    assert_snapshot_finite(snap)


# --------------------------------------------------------------------------- live settings


def test_set_config_keeps_the_weights_and_uses_the_new_rate():
    spec, params, X, T = small_problem()
    tr = Trainer(spec, params, X, T, config=TrainingConfig(learning_rate=0.1, batch_size=8))
    tr.train(3)
    kept = tr.params.copy()
    tr.set_config(TrainingConfig(learning_rate=0.7, batch_size=8))
    assert arrays_identical(tr.params.W, kept.W) and arrays_identical(tr.params.b, kept.b)
    assert tr.epoch == 3
    snap = tr.run_epoch()
    _, g = backward(spec, kept, forward(spec, kept, X), T)
    np.testing.assert_allclose(snap.W[0], kept.W[0] - 0.7 * g.W[0], rtol=1e-13)


def test_set_config_with_a_new_seed_restarts_the_shuffle():
    spec, params, X, T = small_problem()
    tr = Trainer(spec, params.copy(), X, T, config=TrainingConfig(0.1, 1, seed=0))
    tr.train(2)
    mid = tr.params.copy()
    new = TrainingConfig(0.1, 1, seed=9)
    tr.set_config(new)
    tr.run_epoch()
    assert_params_close(tr.params, replay(spec, mid, X, T, new, 1))


def test_bad_config_names_the_field():
    cases = [
        ({"learning_rate": float("nan")}, "training.learning_rate"),
        ({"learning_rate": -1.0}, "training.learning_rate"),
        ({"learning_rate": True}, "training.learning_rate"),
        ({"batch_size": 0}, "training.batch_size"),
        ({"batch_size": 2.5}, "training.batch_size"),
        ({"momentum": 1.0}, "training.momentum"),
        ({"momentum": -0.1}, "training.momentum"),
        ({"regularization": "l3"}, "training.regularization"),
        ({"regularization_rate": -1.0}, "training.regularization_rate"),
        ({"seed": -1}, "training.seed"),
        ({"seed": "0"}, "training.seed"),
    ]
    for kwargs, field in cases:
        with pytest.raises(SpecError) as info:
            TrainingConfig(**kwargs)
        assert info.value.field == field, kwargs


def test_dataset_network_mismatch_names_the_field():
    spec = NetworkSpec((2, 3, 2), ("tanh", "sigmoid"), "sse")
    with pytest.raises(SpecError) as info:
        Trainer.from_dataset(spec, init_params(spec), make_dataset("xor_table"))
    assert info.value.field == "network.layer_sizes"
    spec = NetworkSpec((3, 1), ("sigmoid",), "sse")
    with pytest.raises(SpecError) as info:
        Trainer.from_dataset(spec, init_params(spec), make_dataset("xor_table"))
    assert info.value.field == "network.layer_sizes"


@pytest.mark.parametrize(
    ("output", "T_train", "T_test", "field"),
    [
        ("sigmoid", [[2.0], [0.0]], [[1.0]], "targets"),
        ("sigmoid", [[1.0], [0.0]], [[-1.0]], "test_targets"),
        ("softmax", [[0.5, 0.6], [0.0, 1.0]], [[1.0, 0.0]], "targets"),
    ],
)
def test_cross_entropy_trainer_refuses_targets_that_are_not_probabilities(
    output, T_train, T_test, field
):
    K = len(T_train[0])
    spec = NetworkSpec((2, K), (output,), "cross_entropy")
    X = np.zeros((2, 2))
    with pytest.raises(SpecError) as info:
        Trainer(spec, init_params(spec), X, np.array(T_train), X[:1], np.array(T_test))
    assert info.value.field == field


# --------------------------------------------------------------------------- single-sample step


def test_step_sample_equals_backprop_step_for_that_sample():
    spec, params, X, T = small_problem()
    config = TrainingConfig(learning_rate=0.25, batch_size=3, momentum=0.9,
                            regularization="l2", regularization_rate=0.1)  # fmt: skip
    tr = Trainer(spec, params.copy(), X, T, config=config)
    expected = backprop_step(
        {
            "network": {**spec.to_dict(), **params.to_lists()},
            "inputs": [X[5].tolist()],
            "targets": [T[5].tolist()],
            "learning_rate": 0.25,
        }
    )
    got = tr.step_sample(5)
    assert got["index"] == 5 and got["learning_rate"] == 0.25
    np.testing.assert_array_equal(got["input"], X[5])
    assert got["loss"] == pytest.approx(expected["loss"], rel=1e-15)
    for mine, theirs in zip(got["layers"], expected["layers"], strict=True):
        for key in ("z", "a", "g_prime", "delta"):
            np.testing.assert_allclose(mine[key], theirs[key][0], rtol=1e-15)
    for l in range(spec.depth):
        np.testing.assert_allclose(got["gradients"].W[l], expected["gradients"]["weights"][l])
        np.testing.assert_allclose(got["updated"].W[l], expected["updated"]["weights"][l])
        np.testing.assert_allclose(got["updated"].b[l], expected["updated"]["biases"][l])


def test_step_sample_applies_eq_7_exactly_and_moves_the_trainer():
    spec, params, X, T = small_problem()
    tr = Trainer(spec, params.copy(), X, T, config=TrainingConfig(0.3, 4, momentum=0.5))
    got = tr.step_sample(2)
    _, g = backward(spec, params, forward(spec, params, X[2:3]), T[2:3])
    for l in range(spec.depth):
        np.testing.assert_array_equal(got["before"].W[l], params.W[l])
        np.testing.assert_array_equal(got["updated"].W[l], params.W[l] - 0.3 * g.W[l])
        np.testing.assert_array_equal(got["updated"].b[l], params.b[l] - 0.3 * g.b[l])
        np.testing.assert_array_equal(tr.params.W[l], got["updated"].W[l])
    assert tr.epoch == 0 and tr.samples_seen == 1


def test_step_sample_defaults_to_the_probe_and_checks_the_index():
    spec, params, X, T = small_problem()
    tr = Trainer(spec, params, X, T, probe_index=6)
    assert tr.step_sample()["index"] == 6
    for bad in (-1, 8, 2.0, True):
        with pytest.raises(SpecError) as info:
            tr.step_sample(bad)
        assert info.value.field == "index"


# --------------------------------------------------------------------------- persistence


def test_state_and_load_state_continue_bit_for_bit():
    config = TrainingConfig(learning_rate=0.1, batch_size=3, momentum=0.8, seed=11)
    spec, params, X, T = small_problem()
    straight = Trainer(spec, params.copy(), X, T, X[:3], T[:3], config=config, probe_index=5)
    straight.train(6)

    first = Trainer(spec, params.copy(), X, T, X[:3], T[:3], config=config, probe_index=5)
    first.train(3)
    state = first.state()
    assert isinstance(state["rng"]["state"], str)  # 128-bit integers: exact in JavaScript too
    state = json.loads(json.dumps(state))  # it must survive storage as JSON
    saved = Params(*[[np.array(a) for a in part] for part in first.params.to_lists().values()])
    resumed = Trainer(spec, saved, X, T, X[:3], T[:3], config=config)
    resumed.load_state(state)
    snap = resumed.train(3)

    ref = straight.last
    assert snap.epoch == ref.epoch == 6 and snap.samples_seen == ref.samples_seen
    assert arrays_identical(snap.W, ref.W) and arrays_identical(snap.b, ref.b)
    assert snap.loss_train == ref.loss_train and snap.probe["index"] == ref.probe["index"] == 5


def test_resuming_without_the_state_would_not_be_bit_for_bit():
    """Without the shuffling generator and velocity a restart takes another path, so the test
    above is not vacuous."""
    config = TrainingConfig(learning_rate=0.1, batch_size=3, momentum=0.8, seed=11)
    spec, params, X, T = small_problem()
    straight = Trainer(spec, params.copy(), X, T, config=config)
    straight.train(6)
    first = Trainer(spec, params.copy(), X, T, config=config)
    first.train(3)
    fresh = Trainer(spec, first.params.copy(), X, T, config=config)
    fresh.train(3)
    assert not arrays_identical(fresh.params.W, straight.params.W)


@pytest.mark.parametrize(
    "state",
    [
        {"rng": "garbage"},
        {"epoch": "three"},
        {"velocity": {"weights": [[1.0]], "biases": [[0.0]]}},
        {"velocity": {"weights": "x"}},
    ],
)
def test_bad_state_raises_spec_error(state):
    tr = trainer(TrainingConfig())
    with pytest.raises(SpecError) as info:
        tr.load_state(state)
    assert info.value.field.startswith("state")


# --------------------------------------------------------------------------- probe trace


def test_snapshot_probe_has_the_trace_of_one_sample_per_layer():
    spec = NetworkSpec((2, 4, 3, 2), ("relu", "tanh", "linear"), "sse")
    rng = np.random.default_rng(0)
    X, T = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    tr = Trainer(spec, init_params(spec, seed=2), X, T, probe_index=4)
    probe = tr.run_epoch().probe
    assert probe["index"] == 4
    assert probe["input"].shape == (2,) and probe["target"].shape == (2,)
    assert probe["output"].shape == (2,)
    assert len(probe["layers"]) == 3
    expected = trace(spec, tr.params, X[4:5], T[4:5])
    for layer, n, ref in zip(probe["layers"], [4, 3, 2], expected["layers"], strict=True):
        assert set(layer) == {"z", "a", "g_prime", "delta"}
        for key, arr in layer.items():
            assert arr.shape == (n,)
            # the probe is read off the whole-set forward pass: equal up to BLAS rounding
            np.testing.assert_allclose(arr, ref[key][0], rtol=1e-12, atol=1e-15)
    assert probe["error"] == pytest.approx(float(expected["errors"][0]), rel=1e-15)


@pytest.mark.parametrize("batch_size", [2, 6])
def test_an_old_snapshot_keeps_the_probe_of_its_own_epoch(batch_size):
    """The probe of a snapshot read after later epochs still belongs to that snapshot's θ."""
    spec = NetworkSpec((2, 3, 1), ("tanh", "sigmoid"), "sse")
    rng = np.random.default_rng(1)
    X, T = rng.normal(size=(6, 2)), rng.uniform(size=(6, 1))
    tr = Trainer(spec, init_params(spec, seed=1), X, T, probe_index=2,
                 config=TrainingConfig(learning_rate=0.5, batch_size=batch_size))  # fmt: skip
    old = tr.run_epoch()
    tr.train(3)
    expected = trace(spec, Params(old.W, old.b), X[2:3], T[2:3])
    for layer, ref in zip(old.probe["layers"], expected["layers"], strict=True):
        for key in ("z", "a", "g_prime", "delta"):
            np.testing.assert_allclose(layer[key], ref[key][0], rtol=1e-12, atol=1e-15)


def test_set_probe_moves_the_probe_and_checks_the_index():
    tr = trainer(TrainingConfig())
    assert tr.train(0).probe["index"] == 0
    tr.set_probe(7)
    assert tr.train(0).probe["index"] == 7  # the last snapshot traced the old probe: not reused
    for bad in (-1, 8, 1.5, True):
        with pytest.raises(SpecError) as info:
            tr.set_probe(bad)
        assert info.value.field == "probe.index"


# --------------------------------------------------------------------------- symmetry problem


def train_on_xor(scheme: str) -> Params:
    d = make_dataset("xor_table")
    spec = NetworkSpec((2, 3, 1), ("sigmoid", "sigmoid"), "sse")
    config = TrainingConfig(learning_rate=0.5, batch_size=1, seed=0)
    tr = Trainer.from_dataset(spec, init_params(spec, scheme, seed=0), d, config)
    tr.train(50)
    return tr.params


def test_zeros_init_keeps_hidden_units_identical():
    """Every hidden unit starts with the same weights, so gets the same a and the same δ, so
    receives the same update: the units never become different."""
    p = train_on_xor("zeros")
    for j in range(1, 3):
        np.testing.assert_array_equal(p.W[0][:, j], p.W[0][:, 0])
        np.testing.assert_array_equal(p.W[1][j], p.W[1][0])
        assert p.b[0][j] == p.b[0][0]
    assert np.abs(p.W[1]).max() > 0  # training did move the weights


def test_random_init_breaks_the_symmetry():
    p = train_on_xor("xavier")
    assert not np.allclose(p.W[0][:, 1], p.W[0][:, 0])


def test_the_probe_carries_its_own_gradients_equal_to_backprop_step_on_that_sample():
    """A snapshot's probe gradients are the per-sample ∂E_n/∂w = δ_j a_i (Eq. 6/15) and
    ∂E_n/∂b = δ_j of the probe, i.e. backprop_step's gradients for that one sample."""
    data = make_dataset("circle", n=60, seed=2)
    spec = NetworkSpec((2, 3, 2, 1), ("tanh", "sigmoid", "tanh"), "sse")
    trainer = Trainer.from_dataset(
        spec, init_params(spec, "xavier", 5), data, TrainingConfig(batch_size=7), probe_index=4
    )
    snap = trainer.run_epoch()
    expected = backprop_step(
        {
            "network": {**spec.to_dict(), "weights": [w.tolist() for w in snap.W],
                        "biases": [b.tolist() for b in snap.b]},
            "inputs": [trainer.X[4].tolist()],
            "targets": [trainer.T[4].tolist()],
            "learning_rate": 0.0,
        }
    )["gradients"]  # fmt: skip
    got = snap.probe["gradients"]
    for l in range(spec.depth):
        np.testing.assert_allclose(got.W[l], expected["weights"][l], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(got.b[l], expected["biases"][l], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "loss, output", [("sse", "tanh"), ("sse", "linear"), ("cross_entropy", "sigmoid")]
)
@pytest.mark.parametrize("K", [1, 2, 3])
def test_error_into_gives_the_values_of_E(loss, output, K):
    """The fast path's per-sample error (into buffers, no temporaries) is E's, bit for bit."""
    rng = np.random.default_rng(K)
    z = rng.normal(size=(4, 7, K))
    a = np.tanh(z) if output == "tanh" else z if output == "linear" else 1 / (1 + np.exp(-z))
    t = rng.uniform(size=(4, 7, K))
    E = LOSSES[loss]
    want = E.E(z, a, t, output)
    got = E.error_into(z, a, t, output, np.empty_like(a), np.empty((4, 7)))
    assert np.array_equal(got, want)
