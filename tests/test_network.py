"""The network: spec validation, the forward pass (steps 1–5), the backward pass (Eq. 5–18)
and known answers worked out by hand."""

import math

import numpy as np
import pytest

from engine import (
    NetworkSpec,
    Params,
    SpecError,
    backward,
    forward,
    init_params,
    mean_error,
    params_from_lists,
    trace,
)

# --------------------------------------------------------------------------- known answers


def mazur_network() -> tuple[NetworkSpec, Params, np.ndarray, np.ndarray]:
    """The classic 2-2-2 sigmoid example of the issue, with weights as in its JSON:
    W[l][i][j] = w_ij from unit i of layer l to unit j of layer l+1. So W[0][0][1] = 0.25 is
    i1 → h2 ("w3" in the original walkthrough) and W[1][1][0] = 0.45 is h2 → o1 ("w6")."""
    spec = NetworkSpec((2, 2, 2), ("sigmoid", "sigmoid"), "sse")
    params = Params(
        [np.array([[0.15, 0.25], [0.20, 0.30]]), np.array([[0.40, 0.50], [0.45, 0.55]])],
        [np.array([0.35, 0.35]), np.array([0.60, 0.60])],
    )
    return spec, params, np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]])


def sgd(params: Params, grads: Params, eta: float) -> Params:
    """Eq. 7: θ ← θ − η ∂E/∂θ."""
    return Params(
        [w - eta * g for w, g in zip(params.W, grads.W, strict=True)],
        [b - eta * g for b, g in zip(params.b, grads.b, strict=True)],
    )


def test_mazur_forward_pass():
    spec, params, X, T = mazur_network()
    cache = forward(spec, params, X)
    # z_h1 = 0.35 + 0.05·0.15 + 0.10·0.20 = 0.3775, z_h2 = 0.35 + 0.05·0.25 + 0.10·0.30 = 0.3925
    np.testing.assert_allclose(cache.z[0], [[0.3775, 0.3925]], rtol=1e-14)
    np.testing.assert_allclose(cache.a[1], [[0.593269992, 0.596884378]], rtol=1e-9)
    np.testing.assert_allclose(cache.a[2], [[0.75136507, 0.772928465]], rtol=1e-8)
    assert mean_error(spec, params, X, T) == pytest.approx(0.298371109, abs=1e-9)


def test_mazur_gradients_and_update():
    spec, params, X, T = mazur_network()
    delta, grads = backward(spec, params, forward(spec, params, X), T)
    # δ_o1 = (a_o1 − t_o1) a_o1 (1 − a_o1) = 0.74136507 · 0.186815602 = 0.138498562
    assert delta[1][0, 0] == pytest.approx(0.138498562, rel=1e-8)
    # ∂E/∂w5 = δ_o1 a_h1 = 0.082167041, w5 = W[1][0][0]
    assert grads.W[1][0, 0] == pytest.approx(0.082167041, rel=1e-8)
    # ∂E/∂w1 = 0.000438568, w1 = W[0][0][0] (i1 → h1)
    assert grads.W[0][0, 0] == pytest.approx(0.000438568, rel=1e-6)
    updated = sgd(params, grads, 0.5)
    np.testing.assert_allclose(
        updated.W[1], [[0.35891648, 0.51130127], [0.40866619, 0.56137012]], atol=5e-9
    )
    np.testing.assert_allclose(
        updated.W[0], [[0.14978072, 0.24975114], [0.19956143, 0.29950229]], atol=5e-9
    )


def tiny_network() -> tuple[NetworkSpec, Params, np.ndarray, np.ndarray]:
    """1 input → 1 sigmoid hidden unit → 1 linear output, chosen so every number is exact."""
    spec = NetworkSpec((1, 1, 1), ("sigmoid", "linear"), "sse")
    params = Params([np.array([[0.25]]), np.array([[2.0]])], [np.array([-0.5]), np.array([0.5])])
    return spec, params, np.array([[2.0]]), np.array([[1.0]])


def test_one_one_one_network_by_hand():
    spec, params, X, T = tiny_network()
    tr = trace(spec, params, X, T)
    hidden, out = tr["layers"]
    # hidden: z1 = b1 + x w1 = −0.5 + 2 · 0.25 = 0;  a1 = σ(0) = 0.5;  g'(z1) = a1(1 − a1) = 0.25
    assert hidden["z"][0, 0] == 0.0
    assert hidden["a"][0, 0] == 0.5
    assert hidden["g_prime"][0, 0] == 0.25
    # output: z2 = b2 + a1 w2 = 0.5 + 0.5 · 2 = 1.5;  a2 = z2 = 1.5;  g'(z2) = 1
    assert out["z"][0, 0] == 1.5
    assert out["a"][0, 0] == 1.5
    assert out["g_prime"][0, 0] == 1.0
    # E = ½ (a2 − t)² = ½ · 0.5² = 0.125  (Eq. 1)
    assert tr["errors"][0] == 0.125
    # δ2 = (a2 − t) g'(z2) = 0.5 · 1 = 0.5  (Eq. 5)
    assert out["delta"][0, 0] == 0.5
    # δ1 = g'(z1) δ2 w2 = 0.25 · 0.5 · 2 = 0.25  (Eq. 14)
    assert hidden["delta"][0, 0] == 0.25
    grads = tr["gradients"]
    # ∂E/∂w2 = δ2 a1 = 0.25 (Eq. 6);  ∂E/∂b2 = δ2 = 0.5 (Eq. 8)
    assert grads.W[1][0, 0] == 0.25 and grads.b[1][0] == 0.5
    # ∂E/∂w1 = δ1 x = 0.5 (Eq. 15);  ∂E/∂b1 = δ1 = 0.25 (Eq. 18)
    assert grads.W[0][0, 0] == 0.5 and grads.b[0][0] == 0.25
    # Eq. 7 with η = 0.1: w1 = 0.25 − 0.05 = 0.2, b1 = −0.525, w2 = 2 − 0.025 = 1.975, b2 = 0.45
    updated = sgd(params, grads, 0.1)
    assert updated.W[0][0, 0] == pytest.approx(0.2, rel=1e-15)
    assert updated.b[0][0] == pytest.approx(-0.525, rel=1e-15)
    assert updated.W[1][0, 0] == pytest.approx(1.975, rel=1e-15)
    assert updated.b[1][0] == pytest.approx(0.45, rel=1e-15)
    # and the step lowered the error: z1 = −0.125, a1 = σ(−0.125), a2 = 0.45 + 1.975 a1
    a1 = 1.0 / (1.0 + math.exp(0.125))
    expected = 0.5 * (0.45 + 1.975 * a1 - 1.0) ** 2
    assert mean_error(spec, updated, X, T) == pytest.approx(expected, rel=1e-14)
    assert expected < 0.125


# --------------------------------------------------------------------------- forward pass


def test_forward_keeps_z_and_a_of_every_layer_with_input_first():
    spec = NetworkSpec((3, 4, 2, 1), ("tanh", "relu", "sigmoid"), "sse")
    params = init_params(spec, "xavier", seed=0)
    X = np.arange(15.0).reshape(5, 3) / 10
    cache = forward(spec, params, X)
    assert [z.shape for z in cache.z] == [(5, 4), (5, 2), (5, 1)]
    assert [a.shape for a in cache.a] == [(5, 3), (5, 4), (5, 2), (5, 1)]
    assert cache.a[0] is X or np.array_equal(cache.a[0], X)
    for l in range(3):
        np.testing.assert_allclose(cache.z[l], cache.a[l] @ params.W[l] + params.b[l])
        np.testing.assert_array_equal(cache.a[l + 1], spec.g[l].g(cache.z[l]))


def test_weight_w_ij_feeds_unit_j_from_unit_i():
    """Changing W[0][i][j] changes z_j only, and by a_i times the change."""
    spec = NetworkSpec((3, 2), ("linear",), "sse")
    params = init_params(spec, "zeros")
    X = np.array([[1.0, 2.0, 3.0]])
    params.W[0][2, 1] = 1.0  # w_ij with i = 2 (input x3), j = 1 (second output)
    z = forward(spec, params, X).z[0]
    np.testing.assert_array_equal(z, [[0.0, 3.0]])


def test_each_sample_is_independent_of_the_rest_of_the_batch():
    spec = NetworkSpec((2, 3, 2), ("tanh", "sigmoid"), "sse")
    params = init_params(spec, "xavier", seed=4)
    X = np.random.default_rng(0).normal(size=(4, 2))
    whole = forward(spec, params, X).a[-1]
    for n in range(4):
        np.testing.assert_allclose(whole[n], forward(spec, params, X[n : n + 1]).a[-1][0])


# --------------------------------------------------------------------------- backward pass


def batch_problem(seed: int = 0, N: int = 4):
    spec = NetworkSpec((2, 3, 3, 2), ("tanh", "softplus", "linear"), "sse")
    params = init_params(spec, "xavier", seed=seed)
    rng = np.random.default_rng(seed)
    return spec, params, rng.normal(size=(N, 2)), rng.normal(size=(N, 2))


def test_batch_gradients_are_the_mean_of_per_sample_gradients():
    spec, params, X, T = batch_problem()
    _, grads = backward(spec, params, forward(spec, params, X), T)
    singles = [
        backward(spec, params, forward(spec, params, X[n : n + 1]), T[n : n + 1])[1]
        for n in range(len(X))
    ]
    for l in range(spec.depth):
        np.testing.assert_allclose(grads.W[l], np.mean([s.W[l] for s in singles], axis=0))
        np.testing.assert_allclose(grads.b[l], np.mean([s.b[l] for s in singles], axis=0))


def test_delta_is_per_sample_not_divided_by_the_batch_size():
    spec, params, X, T = batch_problem()
    delta, _ = backward(spec, params, forward(spec, params, X), T)
    for n in range(len(X)):
        single, _ = backward(spec, params, forward(spec, params, X[n : n + 1]), T[n : n + 1])
        for l in range(spec.depth):
            np.testing.assert_allclose(delta[l][n], single[l][0], rtol=1e-14)


def test_gradients_are_delta_times_a_averaged():
    """Eq. 6/15 and 8/18 written with the returned δ: ∂E/∂W[l] = mean_n a_n^(l)ᵀ δ_n^(l+1)."""
    spec, params, X, T = batch_problem(seed=3, N=5)
    cache = forward(spec, params, X)
    delta, grads = backward(spec, params, cache, T)
    for l in range(spec.depth):
        outer = np.einsum("ni,nj->ij", cache.a[l], delta[l]) / len(X)
        np.testing.assert_allclose(grads.W[l], outer, rtol=1e-13)
        np.testing.assert_allclose(grads.b[l], delta[l].mean(axis=0), rtol=1e-13)
        assert grads.W[l].shape == params.W[l].shape and grads.b[l].shape == params.b[l].shape


def test_no_hidden_layers_is_a_single_layer_of_eq_5_and_6():
    spec = NetworkSpec((2, 1), ("sigmoid",), "sse")
    params = Params([np.array([[0.3], [-0.2]])], [np.array([0.1])])
    X, T = np.array([[1.0, 2.0]]), np.array([[1.0]])
    delta, grads = backward(spec, params, forward(spec, params, X), T)
    z = 0.1 + 0.3 - 0.4
    a = 1 / (1 + math.exp(-z))
    d = (a - 1.0) * a * (1 - a)
    assert len(delta) == 1
    assert delta[0][0, 0] == pytest.approx(d, rel=1e-14)
    np.testing.assert_allclose(grads.W[0], [[d * 1.0], [d * 2.0]], rtol=1e-14)


def test_trace_holds_every_quantity_per_layer():
    spec, params, X, T = batch_problem(N=3)
    tr = trace(spec, params, X, T)
    assert len(tr["layers"]) == spec.depth
    for l, layer in enumerate(tr["layers"]):
        assert set(layer) == {"z", "a", "g_prime", "delta"}
        for arr in layer.values():
            assert arr.shape == (3, spec.layer_sizes[l + 1])
    assert tr["errors"].shape == (3,)
    without_targets = trace(spec, params, X, None)
    assert "delta" not in without_targets["layers"][0] and "gradients" not in without_targets


# --------------------------------------------------------------------------- spec validation


@pytest.mark.parametrize(
    ("sizes", "acts", "field"),
    [
        ((2,), (), "network.layer_sizes"),
        ((2, 0, 1), ("tanh", "tanh"), "network.layer_sizes[1]"),
        ((2, -3, 1), ("tanh", "tanh"), "network.layer_sizes[1]"),
        ((2, 2.5, 1), ("tanh", "tanh"), "network.layer_sizes[1]"),
        ((True, 1), ("tanh",), "network.layer_sizes[0]"),
        ((2, "3", 1), ("tanh", "tanh"), "network.layer_sizes[1]"),
        ((2, 3, 1), ("tanh",), "network.activations"),
        ((2, 3, 1), ("tanh", "tanh", "tanh"), "network.activations"),
        ((2, 3, 1), ("tanh", "swish"), "network.activations[1]"),
    ],
)
def test_bad_spec_raises_naming_the_field(sizes, acts, field):
    with pytest.raises(SpecError) as info:
        NetworkSpec(sizes, acts, "sse")
    assert info.value.field == field
    assert str(info.value).startswith(field)


def test_unknown_activation_error_names_it():
    with pytest.raises(SpecError, match="swish"):
        NetworkSpec((2, 1), ("swish",), "sse")


def test_spec_error_is_a_value_error():
    assert issubclass(SpecError, ValueError)


@pytest.mark.parametrize(
    ("weights", "biases", "field"),
    [
        ([[[1.0]]], [[0.0], [0.0]], "network.weights"),
        ([[[1.0]], [[1.0]]], [[0.0]], "network.biases"),
        ([[[1.0, 2.0]], [[1.0]]], [[0.0], [0.0]], "network.weights[0]"),
        ([[[1.0]], [[float("nan")]]], [[0.0], [0.0]], "network.weights[1]"),
        ([[[1.0]], [[1.0]]], [[0.0], [float("inf")]], "network.biases[1]"),
        ([[[1.0]], [["x"]]], [[0.0], [0.0]], "network.weights[1]"),
        ([[[1.0]], [[1.0]]], [[0.0, 1.0], [0.0]], "network.biases[0]"),
        ("nope", [[0.0], [0.0]], "network.weights"),
    ],
)
def test_params_from_lists_checks_every_shape_and_value(weights, biases, field):
    spec = NetworkSpec((1, 1, 1), ("tanh", "linear"), "sse")
    with pytest.raises(SpecError) as info:
        params_from_lists(spec, weights, biases)
    assert info.value.field == field


def test_params_from_lists_builds_float_arrays():
    spec = NetworkSpec((2, 1), ("linear",), "sse")
    params = params_from_lists(spec, [[[1], [2]]], [[3]])
    assert params.W[0].dtype == np.float64 and params.W[0].shape == (2, 1)
    np.testing.assert_array_equal(params.b[0], [3.0])
