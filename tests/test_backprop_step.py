"""``engine.backprop_step``: the JSON contract of issue 2 (later ``POST /api/backprop``)."""

import copy
import json
import math

import numpy as np
import pytest

from engine import SpecError, backprop_step, init_params
from engine.network import NetworkSpec

MAZUR = {
    "network": {
        "layer_sizes": [2, 2, 2],
        "activations": ["sigmoid", "sigmoid"],
        "loss": "sse",
        "weights": [[[0.15, 0.25], [0.20, 0.30]], [[0.40, 0.50], [0.45, 0.55]]],
        "biases": [[0.35, 0.35], [0.60, 0.60]],
    },
    "inputs": [[0.05, 0.10]],
    "targets": [[0.01, 0.99]],
    "learning_rate": 0.5,
}


def payload(**changes) -> dict:
    p = copy.deepcopy(MAZUR)
    for key, value in changes.items():
        p[key] = value
    return p


def net(**changes) -> dict:
    p = copy.deepcopy(MAZUR)
    p["network"].update(changes)
    return p


def two_sample_payload() -> dict:
    return {
        "network": {
            "layer_sizes": [2, 3, 2],
            "activations": ["tanh", "linear"],
            "loss": "sse",
            "init": {"scheme": "xavier", "seed": 3},
        },
        "inputs": [[0.5, -1.0], [1.5, 0.25]],
        "targets": [[1.0, 0.0], [-0.5, 2.0]],
        "learning_rate": 0.2,
    }


# --------------------------------------------------------------------------- the known answer


def test_issue_example_loss_and_updated_weights():
    out = backprop_step(copy.deepcopy(MAZUR))
    assert out["loss"] == pytest.approx(0.298371109, abs=1e-9)
    np.testing.assert_allclose(
        out["updated"]["weights"][1], [[0.35891648, 0.51130127], [0.40866619, 0.56137012]],
        atol=5e-9,
    )  # fmt: skip
    np.testing.assert_allclose(
        out["updated"]["weights"][0], [[0.14978072, 0.24975114], [0.19956143, 0.29950229]],
        atol=5e-9,
    )  # fmt: skip
    # the trace of the same example: hidden a and output a
    np.testing.assert_allclose(out["layers"][0]["a"], [[0.593269992, 0.596884378]], rtol=1e-9)
    np.testing.assert_allclose(out["layers"][1]["a"], [[0.75136507, 0.772928465]], rtol=1e-8)


def test_output_has_the_contract_keys_and_shapes():
    out = backprop_step(two_sample_payload())
    assert set(out) == {"loss", "layers", "gradients", "updated"}
    assert isinstance(out["loss"], float)
    assert len(out["layers"]) == 2
    for layer, n in zip(out["layers"], [3, 2], strict=True):
        assert set(layer) == {"z", "a", "g_prime", "delta"}
        for values in layer.values():
            assert np.array(values).shape == (2, n)  # [sample][unit]
    for part in ("gradients", "updated"):
        assert set(out[part]) == {"weights", "biases"}
        assert [np.array(w).shape for w in out[part]["weights"]] == [(2, 3), (3, 2)]
        assert [np.array(b).shape for b in out[part]["biases"]] == [(3,), (2,)]


def test_output_is_plain_json():
    out = backprop_step(two_sample_payload())
    assert json.loads(json.dumps(out)) == out


def test_payload_is_not_mutated():
    p = copy.deepcopy(MAZUR)
    backprop_step(p)
    assert p == MAZUR


# --------------------------------------------------------------------------- δ and gradients


def test_gradients_are_batch_means_of_delta_a_and_delta_is_per_sample():
    p = two_sample_payload()
    out = backprop_step(p)
    X = np.array(p["inputs"])
    a = [X] + [np.array(layer["a"]) for layer in out["layers"]]
    for l, layer in enumerate(out["layers"]):
        delta = np.array(layer["delta"])
        mean_outer = (np.outer(a[l][0], delta[0]) + np.outer(a[l][1], delta[1])) / 2
        np.testing.assert_allclose(out["gradients"]["weights"][l], mean_outer, rtol=1e-13)
        np.testing.assert_allclose(
            out["gradients"]["biases"][l], (delta[0] + delta[1]) / 2, rtol=1e-13
        )
    # each row of δ equals that sample's δ alone, i.e. not divided by the batch size
    for n in range(2):
        single = backprop_step({**p, "inputs": [p["inputs"][n]], "targets": [p["targets"][n]]})
        for l in range(2):
            np.testing.assert_allclose(
                out["layers"][l]["delta"][n], single["layers"][l]["delta"][0], rtol=1e-14
            )


def test_loss_is_the_mean_of_the_per_sample_errors():
    p = two_sample_payload()
    out = backprop_step(p)
    singles = [
        backprop_step({**p, "inputs": [x], "targets": [t]})["loss"]
        for x, t in zip(p["inputs"], p["targets"], strict=True)
    ]
    assert out["loss"] == pytest.approx(sum(singles) / 2, rel=1e-14)


def test_output_delta_is_eq_5_of_the_returned_quantities():
    out = backprop_step(copy.deepcopy(MAZUR))
    o = out["layers"][1]
    for k in range(2):
        expected = (o["a"][0][k] - MAZUR["targets"][0][k]) * o["g_prime"][0][k]
        assert o["delta"][0][k] == pytest.approx(expected, rel=1e-14)


def test_updated_is_one_step_of_eq_7():
    p = two_sample_payload()
    out = backprop_step(p)
    spec = NetworkSpec((2, 3, 2), ("tanh", "linear"), "sse")
    before = init_params(spec, "xavier", seed=3)
    eta = p["learning_rate"]
    for l in range(2):
        np.testing.assert_array_equal(
            out["updated"]["weights"][l],
            before.W[l] - eta * np.array(out["gradients"]["weights"][l]),
        )
        np.testing.assert_array_equal(
            out["updated"]["biases"][l],
            before.b[l] - eta * np.array(out["gradients"]["biases"][l]),
        )


def test_zero_learning_rate_leaves_the_parameters_unchanged():
    out = backprop_step(payload(learning_rate=0))
    assert out["updated"]["weights"] == MAZUR["network"]["weights"]
    assert out["updated"]["biases"] == MAZUR["network"]["biases"]


# --------------------------------------------------------------------------- init


def test_init_replaces_explicit_weights_and_is_seeded():
    p = two_sample_payload()
    a, b = backprop_step(p), backprop_step(copy.deepcopy(p))
    assert a == b
    p["network"]["init"]["seed"] = 4
    assert backprop_step(p)["updated"] != a["updated"]


def test_init_draws_the_same_weights_as_init_params():
    p = two_sample_payload()
    p["learning_rate"] = 0.0
    out = backprop_step(p)
    expected = init_params(NetworkSpec((2, 3, 2), ("tanh", "linear"), "sse"), "xavier", 3)
    for l in range(2):
        np.testing.assert_array_equal(out["updated"]["weights"][l], expected.W[l])


@pytest.mark.parametrize("scheme", ["xavier", "he", "uniform", "zeros"])
def test_every_init_scheme_is_accepted(scheme):
    p = two_sample_payload()
    p["network"]["init"] = {"scheme": scheme, "seed": 1, "range": 0.3}
    assert math.isfinite(backprop_step(p)["loss"])


# --------------------------------------------------------------------------- malformed payloads


def without(path: tuple[str, ...]) -> dict:
    p = copy.deepcopy(MAZUR)
    target = p
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return p


MALFORMED = [
    # missing fields
    (without(("network",)), "network"),
    (without(("network", "layer_sizes")), "network.layer_sizes"),
    (without(("network", "activations")), "network.activations"),
    (without(("inputs",)), "inputs"),
    (without(("targets",)), "targets"),
    (without(("network", "biases")), "network.biases"),
    # wrong shapes
    (net(weights=[[[0.15, 0.25], [0.20, 0.30]]]), "network.weights"),
    (net(weights=[[[0.15, 0.25]], [[0.40, 0.50], [0.45, 0.55]]]), "network.weights[0]"),
    (net(biases=[[0.35, 0.35], [0.60]]), "network.biases[1]"),
    (payload(inputs=[[0.05, 0.10, 0.2]]), "inputs"),
    (payload(inputs=[0.05, 0.10]), "inputs"),
    (payload(inputs=[]), "inputs"),
    (payload(inputs=[[0.05, 0.10], [0.2]]), "inputs"),
    (payload(targets=[[0.01]]), "targets"),
    (payload(targets=[[0.01, 0.99], [0.5, 0.5]]), "targets"),
    (net(activations=["sigmoid"]), "network.activations"),
    # NaN and infinity
    (net(weights=[[[0.15, 0.25], [0.20, float("nan")]], [[0.4, 0.5], [0.45, 0.55]]]),
     "network.weights[0]"),
    (net(biases=[[0.35, 0.35], [float("inf"), 0.6]]), "network.biases[1]"),
    (payload(inputs=[[float("nan"), 0.1]]), "inputs"),
    (payload(targets=[[0.01, float("-inf")]]), "targets"),
    # unknown names
    (net(activations=["sigmoid", "swish"]), "network.activations[1]"),
    (net(loss="mae"), "network.loss"),
    (net(weights=None, biases=None, init={"scheme": "orthogonal"}), "network.init.scheme"),
    # non-numeric / wrong types
    (payload(inputs=[["a", "b"]]), "inputs"),
    (payload(targets="0.5"), "targets"),
    (net(weights=[[["x", 0.25], [0.2, 0.3]], [[0.4, 0.5], [0.45, 0.55]]]), "network.weights[0]"),
    (net(layer_sizes=["2", 2, 2]), "network.layer_sizes[0]"),
    (net(layer_sizes=[2, 2.5, 2]), "network.layer_sizes[1]"),
    (net(layer_sizes="2,2,2"), "network.layer_sizes"),
    (net(activations="sigmoid"), "network.activations"),
    (net(activations=["sigmoid", 3]), "network.activations"),
    (net(loss=1), "network.loss"),
    (net(weights=None, biases=None, init="xavier"), "network.init"),
    (net(weights=None, biases=None, init={"seed": -1}), "network.init.seed"),
    (net(weights=None, biases=None, init={"seed": 1.5}), "network.init.seed"),
    (net(weights=None, biases=None, init={"scheme": "uniform", "range": -1}), "network.init.range"),
    (payload(network=[2, 2, 2]), "network"),
    # sizes
    (net(layer_sizes=[2, -1, 2]), "network.layer_sizes[1]"),
    (net(layer_sizes=[2, 0, 2]), "network.layer_sizes[1]"),
    (net(layer_sizes=[2]), "network.layer_sizes"),
    (net(layer_sizes=[2, 1000, 2]), "network.layer_sizes[1]"),
    (net(layer_sizes=[2] * 20, activations=["tanh"] * 19), "network.layer_sizes"),
    # invalid pairings
    (net(loss="cross_entropy", activations=["sigmoid", "tanh"]), "network.loss"),
    (net(activations=["softmax", "sigmoid"]), "network.activations[0]"),
    # learning rate
    (payload(learning_rate=float("nan")), "learning_rate"),
    (payload(learning_rate=float("inf")), "learning_rate"),
    (payload(learning_rate=-0.1), "learning_rate"),
    (payload(learning_rate=True), "learning_rate"),
    (payload(learning_rate="0.5"), "learning_rate"),
    (payload(learning_rate=None), "learning_rate"),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "field"), MALFORMED, ids=[f for _, f in MALFORMED])
def test_malformed_payload_raises_spec_error_naming_the_field(bad, field):
    with pytest.raises(SpecError) as info:
        backprop_step(bad)
    assert info.value.field == field
    assert info.value.message
    assert str(info.value).startswith(field)


@pytest.mark.parametrize("bad", [None, [], "x", 3])
def test_non_object_payload_is_refused(bad):
    with pytest.raises(SpecError) as info:
        backprop_step(bad)
    assert info.value.field == "payload"


def test_overflowing_network_is_refused_not_returned_as_nan():
    huge = [[1e200, 1e200], [1e200, 1e200]]
    bad = net(activations=["linear", "linear"], weights=[huge, huge])
    with pytest.raises(SpecError) as info:
        backprop_step(bad)
    assert info.value.field == "network.weights"


def test_too_many_samples_is_refused_under_a_custom_limit():
    p = payload(inputs=[[0.05, 0.10]] * 3, targets=[[0.01, 0.99]] * 3)
    with pytest.raises(SpecError) as info:
        backprop_step(p, limits={"max_samples": 2})
    assert info.value.field == "inputs"


def test_softmax_targets_that_are_not_a_distribution_are_refused():
    """δ_k = a_k − t_k is ∂E/∂z_k for E = −Σ t_k log softmax(z)_k only when Σ_k t_k = 1
    (in general it is a_k Σ_m t_m − t_k). Accepting other targets returns gradients that do
    not belong to the returned loss."""
    p = {
        "network": {"layer_sizes": [2, 3], "activations": ["softmax"], "loss": "cross_entropy"},
        "inputs": [[0.3, -0.7]],
        "targets": [[0.5, 0.9, 0.0]],
    }
    with pytest.raises(SpecError) as info:
        backprop_step(p)
    assert info.value.field == "targets"


@pytest.mark.parametrize(
    ("output", "targets"),
    [("sigmoid", [[1.5, 0.0, 0.0]]), ("sigmoid", [[-0.1, 0.0, 1.0]]),
     ("softmax", [[1.2, -0.2, 0.0]])],
)  # fmt: skip
def test_cross_entropy_targets_outside_0_1_are_refused(output, targets):
    p = {
        "network": {"layer_sizes": [2, 3], "activations": [output], "loss": "cross_entropy"},
        "inputs": [[0.3, -0.7]],
        "targets": targets,
    }
    with pytest.raises(SpecError) as info:
        backprop_step(p)
    assert info.value.field == "targets"


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_cross_entropy_accepts_probability_targets(output):
    p = {
        "network": {"layer_sizes": [2, 3], "activations": [output], "loss": "cross_entropy"},
        "inputs": [[0.3, -0.7], [1.0, 2.0]],
        "targets": [[0.2, 0.3, 0.5], [0.0, 1.0, 0.0]],
        "learning_rate": 0.1,
    }
    out = backprop_step(p)
    assert math.isfinite(out["loss"]) and out["loss"] > 0


def test_a_missing_learning_rate_is_named_not_defaulted():
    p = {
        "network": {"layer_sizes": [2, 1], "activations": ["tanh"]},
        "inputs": [[0.3, -0.7]],
        "targets": [[0.5]],
    }
    with pytest.raises(SpecError) as info:
        backprop_step(p)
    assert info.value.field == "learning_rate"
