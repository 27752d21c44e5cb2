"""The dataset and feature registries (issue 2, "Datasets")."""

import math

import numpy as np
import pytest

from engine.datasets import (
    DATASETS,
    POINT_NOISE_SCALE,
    TARGET_NOISE_SCALE,
    accuracy,
    decision_threshold,
    encode_targets,
    make_dataset,
)
from engine.errors import SpecError
from engine.features import FEATURES

GENERATED = [name for name, info in DATASETS.items() if not info.table]
CLASSIFICATION = [n for n in GENERATED if DATASETS[n].task == "classification"]
REGRESSION = [n for n in GENERATED if DATASETS[n].task == "regression"]
ARRAYS = ("P_train", "P_test", "T_train", "T_test", "X_train", "X_test")


def all_points(d):
    return np.concatenate([d.P_train, d.P_test]), np.concatenate([d.T_train, d.T_test])


# --------------------------------------------------------------------------- registry and shapes


def test_registry_holds_every_set_the_issue_names():
    expected = {"circle", "xor", "gaussian", "spiral", "plane", "multi_gaussian", "sine"}
    assert expected | {"xor_table", "inline"} == set(DATASETS)
    assert set(CLASSIFICATION) == {"circle", "xor", "gaussian", "spiral"}
    assert set(REGRESSION) == {"plane", "multi_gaussian", "sine"}


@pytest.mark.parametrize("name", GENERATED)
@pytest.mark.parametrize("n, fraction", [(500, 0.5), (101, 0.3), (4, 0.9)])
def test_shapes_follow_n_train_fraction_and_dims(name, n, fraction):
    d = make_dataset(name, n=n, train_fraction=fraction)
    dims = DATASETS[name].dims
    n_train = min(max(round(n * fraction), 1), n - 1)
    assert d.P_train.shape == (n_train, dims)
    assert d.P_test.shape == (n - n_train, dims)
    assert d.T_train.shape == (n_train, 1) and d.T_test.shape == (n - n_train, 1)
    assert d.X_train.shape == (n_train, dims) and d.X_test.shape == (n - n_train, dims)
    for attr in ARRAYS:
        assert getattr(d, attr).dtype == np.float64
    assert len(d.domain) == dims
    assert d.task == DATASETS[name].task


@pytest.mark.parametrize("name", GENERATED)
def test_train_and_test_rows_are_disjoint(name):
    d = make_dataset(name, n=200, noise=0.1)
    train = {tuple(p) for p in d.P_train}
    test = {tuple(p) for p in d.P_test}
    assert not train & test


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("name", GENERATED)
def test_same_arguments_give_bit_identical_arrays(name):
    a = make_dataset(name, n=300, noise=0.2, seed=7)
    b = make_dataset(name, n=300, noise=0.2, seed=7)
    for attr in ARRAYS:
        assert np.array_equal(getattr(a, attr), getattr(b, attr)), attr


@pytest.mark.parametrize("name", GENERATED)
def test_different_seeds_give_different_points(name):
    a = make_dataset(name, n=300, seed=1)
    b = make_dataset(name, n=300, seed=2)
    assert not np.array_equal(a.P_train, b.P_train)


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_noise_moves_targets_not_points(name):
    clean = make_dataset(name, n=2000, noise=0.0, seed=3)
    noisy = make_dataset(name, n=2000, noise=0.4, seed=3)
    assert np.array_equal(clean.P_train, noisy.P_train)
    residual = noisy.T_train - clean.T_train
    assert residual.std() == pytest.approx(TARGET_NOISE_SCALE * 0.4, rel=0.1)


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_noise_jitters_points_keeps_labels_and_domain(name):
    clean = make_dataset(name, n=1000, noise=0.0, seed=3)
    noisy = make_dataset(name, n=1000, noise=0.2, seed=3)
    assert np.array_equal(clean.T_train, noisy.T_train)
    shift = noisy.P_train - clean.P_train
    assert shift.std() == pytest.approx(POINT_NOISE_SCALE * 0.2, rel=0.15)
    wild = make_dataset(name, n=1000, noise=1.0, seed=3)
    for (lo, hi), column in zip(wild.domain, wild.P_train.T, strict=True):
        assert lo <= column.min() and column.max() <= hi


# --------------------------------------------------------------------------- what the sets hold


@pytest.mark.parametrize("name", CLASSIFICATION)
@pytest.mark.parametrize("n", [500, 77])
def test_classification_labels_are_zero_one_and_balanced(name, n):
    _, T = all_points(make_dataset(name, n=n, noise=0.5))
    assert set(np.unique(T)) == {0.0, 1.0}
    assert abs(T.sum() - n / 2) <= 1
    assert make_dataset(name).n_classes == 2


def test_circle_labels_one_inside_the_disc():
    P, T = all_points(make_dataset("circle", n=400))
    r = np.hypot(P[:, 0], P[:, 1])
    assert np.array_equal(T[:, 0] == 1.0, r < 3.0)
    assert r.max() <= 5.0


def test_xor_labels_one_where_coordinates_share_a_sign():
    P, T = all_points(make_dataset("xor", n=400))
    assert np.array_equal(T[:, 0] == 1.0, P[:, 0] * P[:, 1] > 0)
    assert np.abs(P).min() >= 0.3


def test_gaussian_blobs_sit_on_either_side_of_the_diagonal():
    P, T = all_points(make_dataset("gaussian", n=400))
    side = P.sum(axis=1) > 0
    assert np.mean(side == (T[:, 0] == 1.0)) > 0.99


def test_spiral_arms_are_half_a_turn_apart():
    P, T = all_points(make_dataset("spiral", n=400))
    r = np.hypot(P[:, 0], P[:, 1])
    assert r.max() <= 5.0
    # Each arm is r = 5u at angle 3.5πu (+π for class 0): rebuild u from r and check the angle.
    u = r / 5.0
    expected = 3.5 * np.pi * u + np.where(T[:, 0] == 1.0, 0.0, np.pi)
    assert np.allclose(P[:, 0], r * np.sin(expected)) and np.allclose(P[:, 1], r * np.cos(expected))


def test_plane_target_is_scaled_sum_of_coordinates():
    P, T = all_points(make_dataset("plane", n=300))
    assert np.allclose(T[:, 0], (P[:, 0] + P[:, 1]) / 12.0)
    assert np.abs(P).max() <= 6.0


def test_multi_gaussian_targets_have_both_signs_within_unit_range():
    P, T = all_points(make_dataset("multi_gaussian", n=2000))
    assert T.min() < -0.8 and T.max() > 0.8 and np.abs(T).max() <= 1.01
    near = np.hypot(P[:, 0] + 4, P[:, 1] - 2.5) < 0.3  # the positive bump at (-4, 2.5)
    assert near.any() and (T[near, 0] > 0.9).all()


def test_sine_is_one_dimensional_sin_on_minus_pi_to_pi():
    d = make_dataset("sine", n=300)
    P, T = all_points(d)
    assert np.allclose(T[:, 0], np.sin(P[:, 0]))
    assert d.domain == [(-math.pi, math.pi)]
    assert np.abs(P).max() <= math.pi
    assert d.feature_names == ["x1"] and np.array_equal(d.X_train, d.P_train)


def test_xor_table_is_the_exact_truth_table_for_train_and_test():
    d = make_dataset("xor_table", n=999, noise=0.9, train_fraction=0.2, seed=5)
    rows = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    for P, T in ((d.P_train, d.T_train), (d.P_test, d.T_test)):
        assert np.array_equal(P, rows)
        assert np.array_equal(T, [[0.0], [1.0], [1.0], [0.0]])
    assert d.task == "classification" and d.n_classes == 2
    assert np.array_equal(d.X_train, rows)


# --------------------------------------------------------------------------- features

DIRECT = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1_sq": lambda x1, x2: x1**2,
    "x2_sq": lambda x1, x2: x2**2,
    "x1x2": lambda x1, x2: x1 * x2,
    "sin_x1": lambda x1, x2: np.sin(x1),
    "sin_x2": lambda x1, x2: np.sin(x2),
}


def test_every_feature_has_a_latex_label():
    assert set(FEATURES) == set(DIRECT)
    for name, feature in FEATURES.items():
        assert feature.name == name and feature.latex


def test_features_compute_their_formulas_in_the_order_given():
    chosen = ["sin_x2", "x1x2", "x1_sq", "x2", "sin_x1", "x2_sq", "x1"]
    d = make_dataset("spiral", n=200, noise=0.3, features=chosen)
    assert d.feature_names == chosen
    for P, X in ((d.P_train, d.X_train), (d.P_test, d.X_test)):
        assert X.shape == (P.shape[0], len(chosen))
        for c, name in enumerate(chosen):
            np.testing.assert_allclose(X[:, c], DIRECT[name](P[:, 0], P[:, 1]), rtol=1e-15)


def test_default_features_are_the_raw_coordinates():
    d = make_dataset("circle", n=50)
    assert d.feature_names == ["x1", "x2"]
    assert np.array_equal(d.X_train, d.P_train)


def test_featurize_maps_new_points_like_the_training_data():
    d = make_dataset("xor", n=50, features=["x1x2", "x1_sq"])
    grid = np.array([[1.5, -2.0], [0.0, 3.0], [-1.0, -1.0]])
    assert np.array_equal(d.featurize(d.P_test), d.X_test)
    assert np.allclose(d.featurize(grid), np.stack([grid[:, 0] * grid[:, 1], grid[:, 0] ** 2], 1))
    with pytest.raises(SpecError) as err:
        d.featurize(np.zeros((3, 3)))
    assert err.value.field == "inputs"


# --------------------------------------------------------------------------- inline data


def test_inline_multi_output_classification_keeps_rows_and_counts_classes():
    inputs = [[0.0, 0.0, 1.0], [1.0, 0.5, 0.0], [2.0, 1.0, -1.0], [3.0, 1.5, 2.0]]
    targets = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0]]
    d = make_dataset("inline", inputs=inputs, targets=targets)
    assert d.task == "classification" and d.n_classes == 3
    for P, X, T in ((d.P_train, d.X_train, d.T_train), (d.P_test, d.X_test, d.T_test)):
        assert np.array_equal(P, inputs) and np.array_equal(X, inputs)
        assert np.array_equal(T, targets) and T.dtype == np.float64
    assert d.feature_names == ["x1", "x2", "x3"]
    assert d.output_width("softmax") == 3
    assert d.domain[0][0] < 0.0 and d.domain[0][1] > 3.0


def test_inline_real_targets_make_a_regression_set():
    d = make_dataset("inline", inputs=[[0.05, 0.10]], targets=[[0.01, 0.99]])
    assert d.task == "regression" and d.n_classes is None
    assert d.T_train.shape == (1, 2)
    assert np.array_equal(d.encode_targets(d.T_train, "tanh"), d.T_train)


def test_inline_featurize_passes_columns_through():
    d = make_dataset("inline", inputs=[[1.0, 2.0], [3.0, 4.0]], targets=[[0], [1]])
    assert np.array_equal(d.featurize([[5.0, 6.0]]), [[5.0, 6.0]])


# --------------------------------------------------------------------------- target encoding


def test_tanh_output_gets_plus_minus_one_labels():
    T = np.array([[0.0], [1.0], [1.0]])
    assert np.array_equal(encode_targets(T, "tanh"), [[-1.0], [1.0], [1.0]])
    assert decision_threshold("tanh") == 0.0


@pytest.mark.parametrize("activation", ["sigmoid", "linear", "relu"])
def test_other_outputs_keep_zero_one_labels(activation):
    T = np.array([[0.0], [1.0]])
    assert np.array_equal(encode_targets(T, activation), T)
    assert decision_threshold(activation) == 0.5


def test_softmax_turns_a_label_column_into_a_one_hot_pair():
    d = make_dataset("circle", n=40)
    encoded = d.encode_targets(d.T_train, "softmax")
    assert encoded.shape == (d.T_train.shape[0], 2)
    assert np.array_equal(encoded.argmax(axis=1), d.T_train[:, 0])
    assert np.array_equal(encoded.sum(axis=1), np.ones(len(encoded)))
    assert d.output_width("softmax") == 2 and d.output_width("sigmoid") == 1


def test_regression_targets_are_never_encoded():
    d = make_dataset("plane", n=40)
    for activation in ("tanh", "softmax", "sigmoid"):
        assert np.array_equal(d.encode_targets(d.T_train, activation), d.T_train)


def test_encoding_does_not_alias_the_stored_targets():
    d = make_dataset("xor", n=20)
    encoded = d.encode_targets(d.T_train, "sigmoid")
    encoded[:] = 7.0
    assert set(np.unique(d.T_train)) <= {0.0, 1.0}


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_accuracy_thresholds_one_output(activation):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, (50, 1)).astype(float)
    T = encode_targets(labels, activation)
    low, high = (-0.9, 0.9) if activation == "tanh" else (0.1, 0.9)
    A = np.where(labels == 1.0, high, low)
    assert accuracy(A, T, activation) == 1.0
    A[:10] = np.where(labels[:10] == 1.0, low, high)  # flip ten predictions
    assert accuracy(A, T, activation) == pytest.approx(40 / 50)


def test_accuracy_uses_argmax_for_several_outputs():
    T = np.eye(3)[[0, 1, 2, 1]]
    A = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]])
    assert accuracy(A, T, "softmax") == pytest.approx(3 / 4)


def test_accuracy_refuses_mismatched_shapes():
    with pytest.raises(SpecError):
        accuracy(np.zeros((3, 1)), np.zeros((4, 1)), "sigmoid")


# --------------------------------------------------------------------------- validation

INLINE = {"inputs": [[0.0, 1.0], [1.0, 0.0]], "targets": [[1.0], [0.0]]}


@pytest.mark.parametrize(
    "kwargs, field, fragment",
    [
        ({"name": "moons"}, "dataset.name", "circle"),
        ({"name": 3}, "dataset.name", "known"),
        ({"n": 3}, "dataset.n", "between 4 and 5000"),
        ({"n": 5001}, "dataset.n", "(got 5001)"),
        ({"n": 2.5}, "dataset.n", "integer"),
        ({"n": True}, "dataset.n", "integer"),
        ({"noise": 3}, "dataset.noise", "must be between 0 and 1 (got 3)"),
        ({"noise": -0.1}, "dataset.noise", "between 0 and 1"),
        ({"noise": float("nan")}, "dataset.noise", "nan"),
        ({"noise": "high"}, "dataset.noise", "between 0 and 1"),
        ({"train_fraction": 0.0}, "dataset.train_fraction", "between 0 and 1"),
        ({"train_fraction": 1.0}, "dataset.train_fraction", "between 0 and 1"),
        ({"train_fraction": float("inf")}, "dataset.train_fraction", "inf"),
        ({"seed": -1}, "dataset.seed", "non-negative"),
        ({"seed": 1.5}, "dataset.seed", "integer"),
        ({"features": ["x1", "x3"]}, "dataset.features[1]", "x1_sq"),
        ({"features": []}, "dataset.features", "at least one"),
        ({"features": "x1"}, "dataset.features", "list"),
        ({"features": ["x1", "x1"]}, "dataset.features[1]", "twice"),
        ({"name": "sine", "features": ["x1"]}, "dataset.features", "2-D"),
        ({"name": "inline", **INLINE, "features": ["x1"]}, "dataset.features", "2-D"),
        ({"inputs": [[1.0]]}, "dataset.inputs", "inline"),
        ({"targets": [[1.0]]}, "dataset.targets", "inline"),
        ({"name": "inline", "targets": [[1.0]]}, "dataset.inputs", "required"),
        ({"name": "inline", "inputs": [[1.0]]}, "dataset.targets", "required"),
        ({**INLINE, "name": "inline", "inputs": [[0.0, 1.0], [1.0]]}, "dataset.inputs", "same"),
        ({**INLINE, "name": "inline", "targets": [[1.0], ["a"]]}, "dataset.targets", "numbers"),
        ({**INLINE, "name": "inline", "inputs": [[0.0, 1.0], [1.0, math.inf]]},
         "dataset.inputs", "finite"),
        ({**INLINE, "name": "inline", "targets": [[1.0], [math.nan]]}, "dataset.targets", "finite"),
        ({**INLINE, "name": "inline", "inputs": []}, "dataset.inputs", "empty"),
        ({**INLINE, "name": "inline", "inputs": [[], []]}, "dataset.inputs", "empty"),
        ({**INLINE, "name": "inline", "inputs": [0.0, 1.0]}, "dataset.inputs", "rows"),
        ({**INLINE, "name": "inline", "targets": [[1.0]]}, "dataset.targets", "one row per"),
    ],
)  # fmt: skip
def test_bad_arguments_raise_spec_error_naming_the_field(kwargs, field, fragment):
    kwargs = {"name": "circle", **kwargs}
    with pytest.raises(SpecError) as err:
        make_dataset(**kwargs)
    assert err.value.field == field
    assert fragment in err.value.message
    assert isinstance(err.value, ValueError)


def test_sample_limit_is_a_keyword_parameter():
    assert make_dataset("circle", n=20, max_samples=20).P_train.shape[0] == 10
    with pytest.raises(SpecError) as err:
        make_dataset("circle", n=21, max_samples=20)
    assert err.value.field == "dataset.n" and "20" in err.value.message
    rows = [[float(i)] for i in range(21)]
    with pytest.raises(SpecError) as err:
        make_dataset("inline", n=20, inputs=rows, targets=rows, max_samples=20)
    assert err.value.field == "dataset.inputs"
