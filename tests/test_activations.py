"""The activation registry: each g with its g' (derivation steps 3 and 5; Eq. 5, 14)."""

import math
import warnings

import numpy as np
import pytest

from engine.activations import ACTIVATIONS, LEAKY_SLOPE

ELEMENTWISE = [name for name, act in ACTIVATIONS.items() if not act.output_only]
KINKED = {"relu", "leaky_relu"}  # g' jumps at z = 0


def g_and_g_prime(name: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    act = ACTIVATIONS[name]
    a = act.g(z)
    return a, act.g_prime(z, a)


def test_registry_holds_every_activation_the_issue_names():
    expected = {"linear", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "softmax"}
    assert set(ACTIVATIONS) == expected
    assert [n for n, a in ACTIVATIONS.items() if a.output_only] == ["softmax"]
    for name, act in ACTIVATIONS.items():
        assert act.name == name
        assert act.latex and act.latex_prime
        assert act.range[0] < act.range[1]


# --------------------------------------------------------------------------- known values


@pytest.mark.parametrize(
    ("name", "z", "expected"),
    [
        ("linear", -2.5, -2.5),
        ("sigmoid", 0.0, 0.5),
        ("sigmoid", 2.0, 1.0 / (1.0 + math.exp(-2.0))),
        ("sigmoid", -3.0, 1.0 / (1.0 + math.exp(3.0))),
        ("tanh", 0.7, math.tanh(0.7)),
        ("relu", -1.5, 0.0),
        ("relu", 1.5, 1.5),
        ("leaky_relu", -2.0, -2.0 * LEAKY_SLOPE),
        ("leaky_relu", 2.0, 2.0),
        ("softplus", 0.0, math.log(2.0)),
        ("softplus", 1.3, math.log1p(math.exp(1.3))),
        ("softplus", -4.0, math.log1p(math.exp(-4.0))),
    ],
)
def test_g_matches_its_formula(name, z, expected):
    a, _ = g_and_g_prime(name, np.array([[z]]))
    assert a[0, 0] == pytest.approx(expected, rel=1e-14, abs=1e-300)


def test_leaky_slope_is_the_documented_hundredth():
    assert LEAKY_SLOPE == 0.01


@pytest.mark.parametrize(
    ("name", "z", "expected"),
    [
        ("linear", 3.0, 1.0),
        ("sigmoid", 0.0, 0.25),
        ("tanh", 0.0, 1.0),
        ("relu", 2.0, 1.0),
        ("relu", -2.0, 0.0),
        ("relu", 0.0, 0.0),  # the documented convention at the kink: g'(0) = 0
        ("leaky_relu", -2.0, LEAKY_SLOPE),
        ("leaky_relu", 2.0, 1.0),
        ("softplus", 0.0, 0.5),
    ],
)
def test_g_prime_known_values(name, z, expected):
    _, gp = g_and_g_prime(name, np.array([[z]]))
    assert gp[0, 0] == pytest.approx(expected, rel=1e-14)


# --------------------------------------------------------------------------- g' against g


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_g_prime_matches_numerical_derivative_of_g(name):
    rng = np.random.default_rng(7)
    z = rng.uniform(-6.0, 6.0, size=(5, 40))
    if name in KINKED:  # the derivative does not exist at 0; keep the stencil off the kink
        z = np.where(np.abs(z) < 1e-2, 0.5, z)
    h = 1e-5
    g = ACTIVATIONS[name].g
    numeric = (g(z + h) - g(z - h)) / (2.0 * h)
    _, analytic = g_and_g_prime(name, z)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


def test_softmax_g_prime_is_the_jacobian_diagonal():
    """∂a_k/∂z_k for softmax, by perturbing one z_k at a time."""
    rng = np.random.default_rng(3)
    z = rng.normal(0.0, 2.0, size=(4, 5))
    _, analytic = g_and_g_prime("softmax", z)
    g = ACTIVATIONS["softmax"].g
    h = 1e-6
    numeric = np.empty_like(z)
    for k in range(z.shape[1]):
        e = np.zeros_like(z)
        e[:, k] = h
        numeric[:, k] = (g(z + e)[:, k] - g(z - e)[:, k]) / (2.0 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-10)


# --------------------------------------------------------------------------- stability


EXTREME_Z = np.array([[-1e3, -710.0, -40.0, -1e-12, 0.0, 1e-12, 40.0, 710.0, 1e3]])


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_no_overflow_or_invalid_warning_for_z_up_to_1e3(name):
    """Overflow, division by zero and invalid operations raise here; underflow (e^{−1000}
    rounding to 0, which is the correct value to float64 precision) is allowed."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            a, gp = g_and_g_prime(name, EXTREME_Z)
            a2, gp2 = g_and_g_prime(name, -EXTREME_Z[:, ::-1])
    for arr in (a, gp, a2, gp2):
        assert np.isfinite(arr).all()


def test_saturated_values_are_exact_limits():
    a, gp = g_and_g_prime("sigmoid", np.array([[-1e3, 1e3]]))
    np.testing.assert_array_equal(a, [[0.0, 1.0]])
    np.testing.assert_array_equal(gp, [[0.0, 0.0]])
    a, gp = g_and_g_prime("softplus", np.array([[-1e3, 1e3]]))
    np.testing.assert_array_equal(a, [[0.0, 1e3]])
    np.testing.assert_array_equal(gp, [[0.0, 1.0]])
    a, _ = g_and_g_prime("softmax", np.array([[1e3, -1e3, 0.0]]))
    np.testing.assert_array_equal(a, [[1.0, 0.0, 0.0]])


def test_softmax_rows_sum_to_one():
    rng = np.random.default_rng(11)
    z = rng.normal(0.0, 50.0, size=(20, 6))
    z[0] = [1e3, 1e3, -1e3, 0.0, 5.0, 999.0]  # large shared offsets must not break it
    a, _ = g_and_g_prime("softmax", z)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (a >= 0).all()


def test_softmax_is_invariant_to_a_shift_of_z():
    z = np.array([[0.3, -1.2, 2.0]])
    a, _ = g_and_g_prime("softmax", z)
    b, _ = g_and_g_prime("softmax", z + 500.0)
    np.testing.assert_allclose(a, b, rtol=1e-12)


# --------------------------------------------------------------------------- ranges


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softmax"])
def test_bounded_activations_stay_inside_their_range(name):
    lo, hi = ACTIVATIONS[name].range
    z = np.linspace(-1e3, 1e3, 2001).reshape(-1, 3)
    a, _ = g_and_g_prime(name, z)
    assert (a >= lo).all() and (a <= hi).all()


@pytest.mark.parametrize("name", ["relu", "softplus"])
def test_non_negative_activations(name):
    z = np.linspace(-1e3, 1e3, 2001).reshape(1, -1)
    a, _ = g_and_g_prime(name, z)
    assert (a >= 0).all()


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_g_and_g_prime_keep_the_shape(name):
    z = np.zeros((3, 4))
    a, gp = g_and_g_prime(name, z)
    assert a.shape == gp.shape == (3, 4)
