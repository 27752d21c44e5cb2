"""Every control of the playground, defined once.

A control is one thing a student can do or change on the page: a setting of the session (the
learning rate η, the dataset, the hidden layers …) or a command (play, step, reset, editing a
weight). Each entry says, in one place:

- the request fields it owns (``settings``: dotted paths into a ``POST /api/sessions`` body),
  with their bounds or choices, read from the engine's own registries and limits, their default
  (the engine's), and whether each may change live (``TrainingPatch`` / the socket's ``set``);
- the commands it covers (socket message types, REST routes on a session);
- a label and one line of help in a student's words, its symbol in the derivation (η of Eq. 7,
  μ and λ of the update in ``engine/training.py``, g of Eq. 3, E of Eq. 1);
- how it changes a session: ``live`` (the running session keeps its weights), ``rebuild`` (a new
  session), ``command`` (an action, not a value);
- how two values compare (``value``): what a lesson's lock holds and what "differs from the
  lesson" means — e.g. a dataset by its content, the activations as "every hidden layer has the
  lesson's hidden activation, and the output the lesson's";
- ``aliases``: older lock names that still mean this control.

Who reads it: the request schemas (their bounds, ``app/schemas.py``), ``GET /api/catalog``
(``controls``), the lock checker (``app/classroom/access.py``, ``app/classroom/teaching.py``
through ``app/classroom/controls.py``), the CSV's "settings changed" and the dashboard's
"differs from the lesson" (``differences``), the page's controls and locks (from the catalog),
and ``docs/contract.md``'s table (tested against it). What a ``Setting`` and a ``Control`` are,
and the functions that compare two values, are ``app/control_model.py``; this module is the
table and its lookups. Both import the engine only.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypedDict

from app.control_model import (  # noqa: F401  (re-exported: the registry's vocabulary)
    COMMAND,
    DEFAULT_ACTIVATION,
    GROUPS,
    KINDS,
    LIVE,
    REBUILD,
    Control,
    Setting,
    activations_same,
    activations_value,
    dataset_value,
    hidden_activations_for,
    init_value,
    plain_value,
    regularization_value,
)
from engine import ACTIVATIONS, DATASETS, FEATURES, INIT_SCHEMES, LOSSES, REGULARIZATIONS
from engine.datasets import MIN_SAMPLES
from engine.init import MAX_UNIFORM_RANGE
from engine.training import MAX_MOMENTUM, MAX_REGULARIZATION_RATE, TrainingConfig

SEED_MAX = 2**32 - 1

# the values the page offers for a setting with a select (a ladder, not a limit)
LEARNING_RATE_PRESETS = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
REGULARIZATION_RATE_PRESETS = (0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)

_TRAINING = {f.name: f.default for f in fields(TrainingConfig)}  # the engine's defaults


# ---- the registry ---------------------------------------------------------------------------


class _SeedSetting(TypedDict):
    type: str
    default: int
    ge: float
    le: float


_SEED: _SeedSetting = {"type": "seed", "default": 0, "ge": 0, "le": SEED_MAX}

REGISTRY: tuple[Control, ...] = (
    Control(
        "play",
        "play",
        "Start training and keep it running (pausing is always allowed).",
        COMMAND,
        "run",
        commands=("play",),
        routes=(("PUT", "/stop"),),
        compare="a command: locked means the student cannot start training",
    ),
    Control(
        "step",
        "step",
        "Train one epoch, or one sample at a time to follow the derivation.",
        COMMAND,
        "run",
        commands=("step", "step_sample"),
        routes=(("POST", "/train"),),
        compare="a command",
    ),
    Control(
        "reset",
        "reset",
        "Put the weights back to where they started.",
        COMMAND,
        "run",
        commands=("reset",),
        routes=(("POST", "/reset"),),
        compare="a command",
    ),
    Control(
        "weights",
        "edit weights",
        "Type a new value for one weight or bias in the inspector.",
        COMMAND,
        "run",
        symbol="w",
        routes=(("POST", "/weights"), ("POST", "/biases")),
        compare="a command",
    ),
    Control(
        "learning_rate",
        "learning rate",
        "How big a step every update takes: too small is slow, too big jumps around.",
        LIVE,
        "training",
        symbol="η",
        settings=(
            Setting(
                "training.learning_rate",
                "learning rate η",
                "number",
                _TRAINING["learning_rate"],
                ge=0,
                presets=LEARNING_RATE_PRESETS,
                live=True,
                limit="max_learning_rate",
                description="η of Eq. 7 (a finite number ≥ 0).",
            ),
        ),
        value=plain_value("training.learning_rate"),
    ),
    Control(
        "batch_size",
        "batch size",
        "How many samples are averaged before each update (1: after every sample).",
        LIVE,
        "training",
        symbol="B",
        settings=(
            Setting(
                "training.batch_size",
                "batch size",
                "integer",
                _TRAINING["batch_size"],
                ge=1,
                live=True,
                limit="max_samples",
                description="Samples per update; 1 = online, N or more = full batch.",
            ),
        ),
        value=plain_value("training.batch_size"),
    ),
    Control(
        "momentum",
        "momentum",
        "How much of the last step carries into the next one, like a rolling ball.",
        LIVE,
        "training",
        symbol="μ",
        settings=(
            Setting(
                "training.momentum",
                "momentum μ",
                "number",
                _TRAINING["momentum"],
                ge=0,
                le=MAX_MOMENTUM,
                live=True,
                description="μ of v ← μ v − η ∂E/∂θ (0 gives Eq. 7).",
            ),
        ),
        value=plain_value("training.momentum"),
    ),
    Control(
        "regularization",
        "regularisation",
        "A pull of every weight towards zero (L1 or L2), as strong as its rate.",
        LIVE,
        "training",
        symbol="λ",
        settings=(
            Setting(
                "training.regularization",
                "regularisation",
                "choice",
                _TRAINING["regularization"],
                choices=tuple(REGULARIZATIONS),
                live=True,
                description="none, l1 or l2 (the weights only, never the biases).",
            ),
            Setting(
                "training.regularization_rate",
                "rate λ",
                "number",
                _TRAINING["regularization_rate"],
                ge=0,
                le=MAX_REGULARIZATION_RATE,
                presets=REGULARIZATION_RATE_PRESETS,
                live=True,
                limit="max_regularization_rate",
                description="λ, the strength of the penalty.",
            ),
        ),
        compare="the kind and its rate; with no regularisation the rate does not count",
        value=regularization_value,
    ),
    Control(
        "dataset",
        "data set",
        "What the network learns from: a data set, how many samples, how noisy, "
        "how many train, and the input features.",
        REBUILD,
        "data",
        settings=(
            Setting(
                "dataset.name",
                "data set",
                "choice",
                "circle",
                choices=tuple(DATASETS),
                description="A dataset of the catalog, or 'inline'.",
            ),
            Setting(
                "dataset.n",
                "samples",
                "integer",
                500,
                ge=MIN_SAMPLES,
                limit="max_samples",
                description="Samples, train and test together.",
            ),
            Setting("dataset.noise", "noise", "number", 0.0, ge=0, le=1),
            Setting(
                "dataset.train_fraction",
                "train split",
                "number",
                0.5,
                gt=0,
                lt=1,
                description="Share of samples trained on.",
            ),
            Setting("dataset.seed", "data seed", **_SEED),
            Setting(
                "dataset.features",
                "features",
                "names",
                None,
                choices=tuple(FEATURES),
                description="Input features for 2-D datasets.",
            ),
            Setting(
                "dataset.inputs",
                "inputs",
                "table",
                None,
                description="Inline inputs, shape (N, n_0).",
            ),
            Setting(
                "dataset.targets",
                "targets",
                "table",
                None,
                description="Inline targets, shape (N, K).",
            ),
        ),
        compare="by content: an inline table by its rows, a generated set by the parameters "
        "it uses (n of a table never counts), default features as none",
        value=dataset_value,
    ),
    Control(
        "hidden_layers",
        "hidden layers",
        "How many layers sit between the inputs and the output, and how many units each has.",
        REBUILD,
        "network",
        settings=(
            Setting(
                "network.hidden_layers",
                "units per hidden layer",
                "units",
                (4, 2),
                ge=1,
                limit="max_units_per_layer",
                description="Units per hidden layer (may be empty).",
            ),
        ),
        value=lambda body: list(body["network"]["hidden_layers"]),
    ),
    Control(
        "activations",
        "activations",
        "The function g each layer applies to its sum z (the output's too).",
        REBUILD,
        "network",
        symbol="g",
        settings=(
            Setting(
                "network.activations",
                "activation per layer",
                "names",
                None,
                choices=tuple(ACTIVATIONS),
                description="One per layer after the input (hidden layers, then the output); "
                "default tanh everywhere.",
            ),
        ),
        compare="every hidden layer has the lesson's hidden activation (a new layer the last "
        "hidden layer's), and the output the lesson's",
        value=activations_value,
        same_as=activations_same,
    ),
    Control(
        "loss",
        "loss",
        "How the error E between the output and the target is measured.",
        REBUILD,
        "network",
        symbol="E",
        settings=(
            Setting(
                "network.loss",
                "loss E",
                "choice",
                "sse",
                choices=tuple(LOSSES),
                description="sse or cross_entropy.",
            ),
        ),
        value=plain_value("network.loss"),
    ),
    Control(
        "init",
        "initial weights",
        "How the weights start before training, and the seeds of every random choice.",
        REBUILD,
        "network",
        settings=(
            Setting(
                "network.init.scheme",
                "init",
                "choice",
                "xavier",
                choices=tuple(INIT_SCHEMES),
                description="xavier, he, uniform or zeros.",
            ),
            Setting("network.init.seed", "init seed", **_SEED),
            Setting(
                "network.init.range",
                "uniform range",
                "number",
                0.5,
                gt=0,
                le=MAX_UNIFORM_RANGE,
                description="Half-width for the uniform scheme.",
            ),
            Setting("training.seed", "shuffling seed", **_SEED),
            Setting("network.weights", "initial weights", "table", None),
            Setting("network.biases", "initial biases", "table", None),
        ),
        compare="the scheme, its seed (and range for uniform), the shuffling seed, and any "
        "initial weights given",
        value=init_value,
    ),
)

BY_NAME: dict[str, Control] = {c.name: c for c in REGISTRY}
ALIASES: dict[str, str] = {a: c.name for c in REGISTRY for a in c.aliases}
SETTINGS: dict[str, Setting] = {s.path: s for c in REGISTRY for s in c.settings}
OWNER: dict[str, str] = {s.path: c.name for c in REGISTRY for s in c.settings}
# live patch field (TrainingPatch, the socket's set) → its control
LIVE_FIELDS: dict[str, str] = {f: c.name for c in REGISTRY for f in c.live_fields}
# socket command type → its control (None: never locked)
COMMANDS: dict[str, str | None] = {
    **{t: c.name for c in REGISTRY for t in c.commands},
    "pause": None,
    "probe": None,
    "set": None,  # decided by the values it would change (LIVE_FIELDS)
}
ROUTES: dict[tuple[str, str], str] = {r: c.name for c in REGISTRY for r in c.routes}
VALUE_CONTROLS: tuple[str, ...] = tuple(c.name for c in REGISTRY if c.kind != COMMAND)
REBUILD_CONTROLS: tuple[str, ...] = tuple(c.name for c in REGISTRY if c.kind == REBUILD)


def setting(path: str) -> Setting:
    """The registry's entry for one request field (KeyError for a field no control owns)."""
    return SETTINGS[path]


def canonical(name: str) -> str:
    """A control's name, or the control an alias names; ValueError for neither."""
    if name in BY_NAME:
        return name
    if name in ALIASES:
        return ALIASES[name]
    raise ValueError(f"unknown control {name!r}; the controls are {list(BY_NAME)}")


def stored_locks(locks: list[str]) -> list[str]:
    """Locks as a lesson stored them, read today: an alias becomes the control it names, in the
    registry's order; a name no control has any more is dropped (nothing left to lock)."""
    wanted = {ALIASES.get(name, name) for name in locks}
    return [c.name for c in REGISTRY if c.name in wanted]


def catalog() -> list[dict[str, Any]]:
    """The registry as ``GET /api/catalog`` lists it (``controls``)."""
    return [c.json() for c in REGISTRY]


def _bounds_text(s: Setting) -> str:
    parts = []
    if s.choices is not None:
        parts.append(" \\| ".join(s.choices))
    for key, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
        v = getattr(s, key)
        if v is not None and s.type != "seed":
            parts.append(f"{sign} {v:g}")
    if s.limit:
        parts.append(f"≤ `{s.limit}`")
    return ", ".join(parts)


def contract_table() -> str:
    """``docs/contract.md``'s table of the controls, generated from the registry (a test checks
    that the document holds exactly this; ``python -m app.controls`` prints it)."""
    lines = [
        "| Control | Kind | Symbol | Request fields (bounds or choices) | Commands | Compared |",
        "|---|---|---|---|---|---|",
    ]
    for c in REGISTRY:
        fields_text = "; ".join(
            f"`{s.path}`" + (f" ({b})" if (b := _bounds_text(s)) else "") for s in c.settings
        )
        commands = ", ".join([f"`{t}`" for t in c.commands] + [f"`{m} {p}`" for m, p in c.routes])
        lines.append(
            f"| `{c.name}` | {c.kind} | {c.symbol or ''} | {fields_text} | {commands} "
            f"| {c.compare} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(contract_table(), end="")
