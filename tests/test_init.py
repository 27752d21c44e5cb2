"""Weight initialisation schemes: shapes, seeds, the bounds each scheme promises, and errors."""

import math

import numpy as np
import pytest

from engine import INIT_SCHEMES, NetworkSpec, SpecError, init_params

SPEC = NetworkSpec((3, 5, 4, 2), ("tanh", "relu", "sigmoid"), "sse")
WIDE = NetworkSpec((60, 50, 40), ("tanh", "linear"), "sse")  # enough weights for statistics


def test_registry_holds_every_scheme_the_issue_names():
    assert set(INIT_SCHEMES) == {"xavier", "he", "uniform", "zeros"}


@pytest.mark.parametrize("scheme", list(INIT_SCHEMES))
def test_shapes_follow_w_ij_convention(scheme):
    params = init_params(SPEC, scheme, seed=0)
    assert [w.shape for w in params.W] == [(3, 5), (5, 4), (4, 2)]
    assert [b.shape for b in params.b] == [(5,), (4,), (2,)]
    for arr in params.W + params.b:
        assert arr.dtype == np.float64


@pytest.mark.parametrize("scheme", list(INIT_SCHEMES))
def test_biases_start_at_zero(scheme):
    for b in init_params(SPEC, scheme, seed=3).b:
        np.testing.assert_array_equal(b, 0.0)


@pytest.mark.parametrize("scheme", ["xavier", "he", "uniform"])
def test_same_seed_gives_bit_identical_weights(scheme):
    a = init_params(SPEC, scheme, seed=42, range=0.3)
    b = init_params(SPEC, scheme, seed=42, range=0.3)
    for x, y in zip(a.W, b.W, strict=True):
        assert x.tobytes() == y.tobytes()


@pytest.mark.parametrize("scheme", ["xavier", "he", "uniform"])
def test_different_seeds_give_different_weights(scheme):
    a = init_params(SPEC, scheme, seed=1)
    b = init_params(SPEC, scheme, seed=2)
    assert not all(np.array_equal(x, y) for x, y in zip(a.W, b.W, strict=True))


def test_zeros_gives_all_zero_weights_whatever_the_seed():
    for seed in (0, 7):
        for w in init_params(SPEC, "zeros", seed=seed).W:
            np.testing.assert_array_equal(w, 0.0)


def test_xavier_stays_inside_the_glorot_bound_and_fills_it():
    params = init_params(WIDE, "xavier", seed=0)
    for w in params.W:
        n_in, n_out = w.shape
        limit = math.sqrt(6.0 / (n_in + n_out))
        assert np.abs(w).max() <= limit
        assert np.abs(w).max() > 0.95 * limit  # uniform over the whole interval, not a sliver
        assert abs(w.mean()) < 0.05 * limit
        # variance of U(−r, r) is r²/3 = 2 / (n_in + n_out)
        assert w.var() == pytest.approx(2.0 / (n_in + n_out), rel=0.1)


def test_he_has_variance_two_over_fan_in():
    params = init_params(WIDE, "he", seed=0)
    for w in params.W:
        n_in = w.shape[0]
        assert w.var() == pytest.approx(2.0 / n_in, rel=0.1)
        assert abs(w.mean()) < 0.1 * math.sqrt(2.0 / n_in)


@pytest.mark.parametrize("r", [0.01, 0.5, 3.0])
def test_uniform_respects_its_range(r):
    params = init_params(WIDE, "uniform", seed=5, range=r)
    for w in params.W:
        assert np.abs(w).max() <= r
        assert np.abs(w).max() > 0.95 * r


def test_range_only_affects_uniform():
    a = init_params(SPEC, "xavier", seed=0, range=0.1)
    b = init_params(SPEC, "xavier", seed=0, range=2.0)
    for x, y in zip(a.W, b.W, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"scheme": "orthogonal"}, "network.init.scheme"),
        ({"seed": -1}, "network.init.seed"),
        ({"seed": 1.5}, "network.init.seed"),
        ({"seed": True}, "network.init.seed"),
        ({"seed": "0"}, "network.init.seed"),
        ({"scheme": "uniform", "range": 0.0}, "network.init.range"),
        ({"scheme": "uniform", "range": -0.5}, "network.init.range"),
        ({"scheme": "uniform", "range": float("nan")}, "network.init.range"),
        ({"scheme": "uniform", "range": 1e9}, "network.init.range"),
    ],
)
def test_bad_init_arguments_raise_naming_the_field(kwargs, field):
    with pytest.raises(SpecError) as info:
        init_params(SPEC, **kwargs)
    assert info.value.field == field
