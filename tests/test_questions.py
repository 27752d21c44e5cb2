"""The engine's checker of numeric questions: every named quantity equals what the engine's own
``backprop_step`` (the API's step) reports for that sample, a 2-2-1 network worked by hand agrees,
and typed answers parse the way a student writes them."""

import numpy as np
import pytest

from engine.contract import backprop_step
from engine.errors import SpecError
from engine.init import init_params
from engine.network import NetworkSpec
from engine.questions import (
    QUANTITIES,
    Quantity,
    expected_value,
    hidden_fields,
    is_close,
    parse_answer,
)

SPECS = [
    NetworkSpec((2, 2, 1), ("sigmoid", "sigmoid"), "sse"),
    NetworkSpec((3, 4, 3, 2), ("tanh", "relu", "linear"), "sse"),
    NetworkSpec((2, 3, 3), ("sigmoid", "softmax"), "cross_entropy"),
]


def every_quantity(spec):
    yield Quantity("E")
    for layer in range(1, spec.depth + 1):
        for unit in range(spec.layer_sizes[layer]):
            for name in ("z", "a", "delta", "dE_db", "b_updated"):
                yield Quantity(name, layer, unit)
            for source in range(spec.layer_sizes[layer - 1]):
                for name in ("dE_dw", "w_updated"):
                    yield Quantity(name, layer, unit, source)


def step_value(step, q):
    if q.name == "E":
        return step["loss"]
    l, j = q.layer - 1, q.unit
    if q.name in ("z", "a", "delta"):
        return step["layers"][l][q.name][0][j]
    if q.name == "dE_dw":
        return step["gradients"]["weights"][l][q.source][j]
    if q.name == "dE_db":
        return step["gradients"]["biases"][l][j]
    if q.name == "w_updated":
        return step["updated"]["weights"][l][q.source][j]
    return step["updated"]["biases"][l][j]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: "-".join(map(str, s.layer_sizes)))
def test_every_quantity_equals_the_engines_backprop_step(spec):
    rng = np.random.default_rng(7)
    params = init_params(spec, "xavier", 3, 0.5)
    x = rng.normal(size=spec.layer_sizes[0])
    t = np.zeros(spec.layer_sizes[-1])
    t[0] = 1.0
    eta = 0.3
    step = backprop_step(
        {
            "network": {
                "layer_sizes": list(spec.layer_sizes),
                "activations": list(spec.activations),
                "loss": spec.loss,
                "weights": [w.tolist() for w in params.W],
                "biases": [b.tolist() for b in params.b],
            },
            "inputs": [x.tolist()],
            "targets": [t.tolist()],
            "learning_rate": eta,
        }
    )
    quantities = list(every_quantity(spec))
    assert {q.name for q in quantities} == set(QUANTITIES)
    for q in quantities:
        assert expected_value(spec, params, x, t, q, eta) == pytest.approx(
            step_value(step, q), rel=1e-12, abs=1e-15
        ), q


def test_a_2_2_1_network_worked_by_hand_agrees():
    spec = SPECS[0]
    params = init_params(spec, "xavier", 0, 0.5)
    W1, b1, W2, b2 = params.W[0], params.b[0], params.W[1], params.b[1]
    x, t, eta = np.array([0.5, -1.0]), np.array([1.0]), 0.5

    def sig(v):
        return 1.0 / (1.0 + np.exp(-v))

    z_j = b1 + x @ W1
    a_j = sig(z_j)
    z_k = b2 + a_j @ W2
    a_k = sig(z_k)
    d_k = (a_k - t) * a_k * (1 - a_k)  # Eq. 5
    d_j = a_j * (1 - a_j) * (W2 @ d_k)  # Eq. 14
    hand = {
        Quantity("z", 1, 1): z_j[1],
        Quantity("a", 1, 0): a_j[0],
        Quantity("z", 2, 0): z_k[0],
        Quantity("E"): 0.5 * np.sum((a_k - t) ** 2),  # Eq. 1
        Quantity("delta", 2, 0): d_k[0],
        Quantity("delta", 1, 1): d_j[1],
        Quantity("dE_dw", 2, 0, 1): d_k[0] * a_j[1],  # Eq. 6
        Quantity("dE_dw", 1, 0, 1): d_j[0] * x[1],  # Eq. 15
        Quantity("w_updated", 1, 1, 0): W1[0, 1] - eta * d_j[1] * x[0],  # Eq. 7
        Quantity("b_updated", 2, 0): b2[0] - eta * d_k[0],
    }
    for q, value in hand.items():
        assert expected_value(spec, params, x, t, q, eta) == pytest.approx(value, rel=1e-12), q


@pytest.mark.parametrize(
    ("quantity", "field"),
    [
        (Quantity("sigma", 1, 0), "quantity.name"),
        (Quantity("z", 3, 0), "quantity.layer"),
        (Quantity("z", 0, 0), "quantity.layer"),
        (Quantity("a", 1, 2), "quantity.unit"),
        (Quantity("dE_dw", 1, 0, 2), "quantity.source"),
        (Quantity("dE_dw", 1, 0), "quantity.source"),
    ],
)
def test_a_quantity_outside_the_network_is_refused_naming_the_field(quantity, field):
    with pytest.raises(SpecError) as err:
        quantity.check(SPECS[0])
    assert err.value.field == field


def test_an_update_without_a_learning_rate_is_refused():
    spec = SPECS[0]
    params = init_params(spec, "xavier", 0, 0.5)
    with pytest.raises(SpecError, match="learning rate"):
        expected_value(spec, params, [0, 1], [1], Quantity("w_updated", 1, 0, 0))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.25", 0.25),
        ("0,25", 0.25),
        ("-0,125", -0.125),
        ("−0.5", -0.5),
        (" 1 234,5 ".replace(" ", "\u00a0"), 1234.5),
        ("2.5e-1", 0.25),
        (",5", 0.5),
        ("3", 3.0),
        (0.75, 0.75),
    ],
)
def test_answers_accept_a_decimal_comma_and_a_typographic_minus(text, value):
    assert parse_answer(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", "0.1.2", "nan", "inf", "1e999", True, None])
def test_an_answer_that_is_not_a_number_is_refused(text):
    with pytest.raises(SpecError) as err:
        parse_answer(text)
    assert err.value.field == "answer"


def test_tolerance_is_relative_with_a_floor_at_zero():
    assert is_close(1.009, 1.0, 0.01)
    assert not is_close(1.02, 1.0, 0.01)
    assert is_close(-0.2005, -0.2, 0.01)
    assert not is_close(0.2, -0.2, 0.01)
    assert is_close(1e-12, 0.0, 0.01)
    assert not is_close(1e-3, 0.0, 0.01)


def test_an_open_question_hides_its_quantity_and_what_gives_it_away():
    assert hidden_fields({"delta"}) >= {"delta", "gradients", "updated"}
    assert hidden_fields({"z"}) >= {"z", "a", "g_prime"}
    assert "delta" not in hidden_fields({"z"})
    assert hidden_fields(set()) == frozenset()
