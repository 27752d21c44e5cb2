"""Error functions E (Eq. 1, cross-entropy), their output δ (Eq. 5) and the pairing rules."""

import warnings

import numpy as np
import pytest

from engine import ACTIVATIONS, LOSSES, NetworkSpec, SpecError, forward, init_params
from engine.network import mean_error, output_delta, per_sample_error

ELEMENTWISE = [n for n, a in ACTIVATIONS.items() if not a.output_only]


def loss_of(loss: str, output: str, z: np.ndarray, t: np.ndarray) -> np.ndarray:
    a = ACTIVATIONS[output].g(z)
    return LOSSES[loss].E(z, a, t, output)


def test_registry_holds_sse_and_cross_entropy():
    assert set(LOSSES) == {"sse", "cross_entropy"}
    assert LOSSES["cross_entropy"].allowed_outputs == ("sigmoid", "softmax")
    assert LOSSES["sse"].allowed_outputs is None


# --------------------------------------------------------------------------- SSE


def test_sse_is_eq_1_per_sample():
    """E = ½ Σ_k (a_k − t_k)², written out term by term."""
    z = np.array([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]])
    t = np.array([[1.0, 1.0, 1.0], [0.3, -0.2, 0.0]])
    E = loss_of("sse", "linear", z, t)
    expected0 = 0.5 * ((0.5 - 1) ** 2 + (-1.0 - 1) ** 2 + (2.0 - 1) ** 2)
    expected1 = 0.5 * (0.3**2 + 0.2**2)
    np.testing.assert_allclose(E, [expected0, expected1], rtol=1e-15)
    assert E.shape == (2,)


def test_sse_delta_is_eq_5():
    """δ_k = (a_k − t_k) g'_k(z_k)."""
    z = np.array([[0.4, -0.3]])
    t = np.array([[0.1, 0.9]])
    a = ACTIVATIONS["sigmoid"].g(z)
    delta = LOSSES["sse"].delta_out(z, a, t, ACTIVATIONS["sigmoid"].g_prime)
    np.testing.assert_allclose(delta, (a - t) * a * (1 - a), rtol=1e-15)


def test_batch_error_is_the_mean_of_per_sample_errors():
    spec = NetworkSpec((2, 3, 2), ("tanh", "linear"), "sse")
    params = init_params(spec, "xavier", seed=1)
    rng = np.random.default_rng(0)
    X, T = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    per = per_sample_error(spec, forward(spec, params, X), T)
    assert per.shape == (5,)
    assert mean_error(spec, params, X, T) == pytest.approx(per.mean(), rel=1e-15)
    singles = [mean_error(spec, params, X[n : n + 1], T[n : n + 1]) for n in range(5)]
    np.testing.assert_allclose(per, singles, rtol=1e-14)


# --------------------------------------------------------------------------- cross-entropy


def test_binary_cross_entropy_matches_its_formula():
    z = np.array([[0.3, -2.0], [1.5, 0.1]])
    t = np.array([[1.0, 0.0], [0.0, 1.0]])
    a = 1.0 / (1.0 + np.exp(-z))
    expected = -(t * np.log(a) + (1 - t) * np.log(1 - a)).sum(axis=1)
    np.testing.assert_allclose(loss_of("cross_entropy", "sigmoid", z, t), expected, rtol=1e-13)


def test_categorical_cross_entropy_matches_its_formula():
    z = np.array([[0.3, -2.0, 1.0], [1.5, 0.1, -0.4]])
    t = np.array([[0.0, 0.0, 1.0], [0.2, 0.5, 0.3]])
    a = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -(t * np.log(a)).sum(axis=1)
    np.testing.assert_allclose(loss_of("cross_entropy", "softmax", z, t), expected, rtol=1e-13)


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_cross_entropy_delta_is_a_minus_t(output):
    z = np.array([[0.7, -0.2]])
    t = np.array([[0.0, 1.0]])
    a = ACTIVATIONS[output].g(z)
    delta = LOSSES["cross_entropy"].delta_out(z, a, t, ACTIVATIONS[output].g_prime)
    np.testing.assert_allclose(delta, a - t, rtol=1e-15)


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cross_entropy_is_finite_for_saturated_outputs(output, sign):
    """At z = ±1e3, a is exactly 0 or 1 in float64; log a must still not be evaluated at 0.
    A confidently right output has error ≈ 0 and a confidently wrong one a large finite one."""
    z = sign * np.array([[1e3, -1e3]])
    t = np.array([[1.0, 0.0]])  # right when sign = +1, wrong when sign = −1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            E = loss_of("cross_entropy", output, z, t)
    assert np.isfinite(E).all()
    if sign > 0:
        assert E[0] == pytest.approx(0.0, abs=1e-300)
    else:
        # sigmoid: 1e3 for each of the two wrong units; softmax: the gap z_1 − z_0 = 2e3
        assert E[0] == pytest.approx(2e3, rel=1e-12)


def test_cross_entropy_of_saturated_network_through_the_forward_pass_is_finite():
    spec = NetworkSpec((1, 1), ("sigmoid",), "cross_entropy")
    params = init_params(spec, "zeros")
    params.W[0][0, 0] = 1e3
    X, T = np.array([[1.0], [-1.0]]), np.array([[0.0], [1.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        cache = forward(spec, params, X)
        E = per_sample_error(spec, cache, T)
        delta = output_delta(spec, cache, T)
    np.testing.assert_allclose(E, [1e3, 1e3], rtol=1e-12)
    np.testing.assert_array_equal(delta, [[1.0], [-1.0]])


# --------------------------------------------------------------------------- pairings


@pytest.mark.parametrize("output", [n for n in ELEMENTWISE if n != "sigmoid"])
def test_cross_entropy_refuses_outputs_other_than_sigmoid_or_softmax(output):
    with pytest.raises(SpecError) as info:
        NetworkSpec((2, 3, 1), ("tanh", output), "cross_entropy")
    assert info.value.field == "network.loss"
    assert "cross_entropy" in info.value.message and output in info.value.message


def test_cross_entropy_with_tanh_names_both():
    with pytest.raises(SpecError, match="cross_entropy.*tanh") as info:
        NetworkSpec((2, 1), ("tanh",), "cross_entropy")
    assert info.value.field == "network.loss"


def test_softmax_with_sse_is_refused_naming_both():
    with pytest.raises(SpecError) as info:
        NetworkSpec((2, 3, 2), ("relu", "softmax"), "sse")
    assert info.value.field == "network.loss"
    assert "softmax" in info.value.message and "sse" in info.value.message


@pytest.mark.parametrize("position", [0, 1])
def test_softmax_in_a_hidden_layer_is_refused(position):
    acts = ["tanh", "tanh", "sigmoid"]
    acts[position] = "softmax"
    with pytest.raises(SpecError) as info:
        NetworkSpec((2, 3, 3, 1), tuple(acts), "cross_entropy")
    assert info.value.field == f"network.activations[{position}]"
    assert "softmax" in info.value.message and "output" in info.value.message


def test_unknown_loss_is_refused_naming_it():
    with pytest.raises(SpecError) as info:
        NetworkSpec((2, 1), ("sigmoid",), "hinge")
    assert info.value.field == "network.loss"
    assert "hinge" in info.value.message


@pytest.mark.parametrize(
    ("acts", "loss"),
    [(("sigmoid",), "cross_entropy"), (("softmax",), "cross_entropy")]
    + [((name,), "sse") for name in ELEMENTWISE],
)
def test_valid_pairings_are_accepted(acts, loss):
    spec = NetworkSpec((2, 2), acts, loss)
    assert spec.output == acts[-1] and spec.loss == loss
