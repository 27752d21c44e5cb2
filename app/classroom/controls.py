"""The controls of a lesson: each one locked (the teacher's value holds) or free.

A control names one thing a student can do or change on the page. The server enforces locks:
every command on a student's session is mapped to the control it needs (``control_of``), and a
new setup a student asks for is compared with the lesson's, control by control
(``changed_controls``). Pausing, choosing the inspected sample, reading and exporting are never
locked.
"""

from __future__ import annotations

from typing import Any

from app.schemas import SessionCreate
from engine.features import DEFAULT_FEATURES_2D

# name → what it covers (shown to the teacher when choosing locks)
CONTROLS: dict[str, str] = {
    "play": "start training (pausing is always allowed)",
    "step": "step epochs or one sample",
    "reset": "reset the weights to their initial values",
    "weights": "edit a weight or a bias by hand",
    "learning_rate": "the learning rate η",
    "batch_size": "the batch size",
    "momentum": "momentum",
    "regularization": "regularisation and its rate",
    "dataset": "the dataset, its size, noise, split and input features",
    "hidden_layers": "the hidden layers and their units",
    "activations": "the activation function of each layer",
    "loss": "the loss function",
    "init": "how weights are initialised, and the seeds",
}

# the training settings a student may change live (WebSocket "set", REST PATCH) → control
TRAINING_CONTROLS: dict[str, str] = {
    "learning_rate": "learning_rate",
    "batch_size": "batch_size",
    "momentum": "momentum",
    "regularization": "regularization",
    "regularization_rate": "regularization",
}

# WebSocket command type → control (None: never locked)
COMMAND_CONTROLS: dict[str, str | None] = {
    "play": "play",
    "pause": None,
    "step": "step",
    "step_sample": "step",
    "reset": "reset",
    "probe": None,
    "set": None,  # decided by its fields (TRAINING_CONTROLS)
}


def check_locks(locks: list[str]) -> list[str]:
    """``locks`` without repeats, in the registry's order; ValueError naming an unknown one."""
    unknown = [name for name in locks if name not in CONTROLS]
    if unknown:
        raise ValueError(f"unknown controls {unknown}; the controls are {list(CONTROLS)}")
    return [name for name in CONTROLS if name in set(locks)]


def controls_of_patch(patch: dict[str, Any]) -> list[str]:
    """The controls a training patch changes (its non-null fields)."""
    return sorted(
        {TRAINING_CONTROLS[k] for k, v in patch.items() if v is not None and k in TRAINING_CONTROLS}
    )


def values(setup: dict[str, Any]) -> dict[str, Any]:
    """A setup (a ``POST /api/sessions`` body) → the value of each setup control, with every
    default filled in, so that two setups compare control by control."""
    body = SessionCreate.model_validate(setup).model_dump(exclude={"state"})
    net, data, training = body["network"], body["dataset"], body["training"]
    layers = len(net["hidden_layers"]) + 1
    if data["features"] is not None and tuple(data["features"]) == DEFAULT_FEATURES_2D:
        data["features"] = None  # the default, written out by the trainer once built
    return {
        "learning_rate": training["learning_rate"],
        "batch_size": training["batch_size"],
        "momentum": training["momentum"],
        "regularization": (training["regularization"], training["regularization_rate"]),
        "dataset": data,
        "hidden_layers": net["hidden_layers"],
        "activations": net["activations"] or ["tanh"] * layers,
        "loss": net["loss"],
        "init": (net["init"], training["seed"], net["weights"], net["biases"]),
    }


def changed_controls(lesson: dict[str, Any], setup: dict[str, Any]) -> list[str]:
    """The setup controls whose value in ``setup`` differs from the lesson's."""
    a, b = values(lesson), values(setup)
    return [name for name in a if a[name] != b[name]]


def differences(lesson: dict[str, Any], setup: dict[str, Any]) -> dict[str, Any]:
    """What a student's setup has that the lesson has not: control → the student's value, in a
    form short enough for a dashboard tile."""
    a, b = values(lesson), values(setup)
    out: dict[str, Any] = {}
    for name in a:
        if a[name] == b[name]:
            continue
        v = b[name]
        if name == "dataset":
            v = v["name"]
        elif name == "init":
            v = v[0]["scheme"]
        elif name == "regularization":
            v = f"{v[0]} {v[1]:g}"
        out[name] = v
    return out


def total_hidden_units(setup: dict[str, Any]) -> int:
    return sum(values(setup)["hidden_layers"])
