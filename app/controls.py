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
and ``docs/contract.md``'s table (tested against it). This module imports the engine only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, TypedDict

from engine import ACTIVATIONS, DATASETS, FEATURES, INIT_SCHEMES, LOSSES, REGULARIZATIONS
from engine.datasets import MIN_SAMPLES
from engine.features import DEFAULT_FEATURES_2D
from engine.init import MAX_UNIFORM_RANGE
from engine.training import MAX_MOMENTUM, MAX_REGULARIZATION_RATE, TrainingConfig

LIVE, REBUILD, COMMAND = "live", "rebuild", "command"
KINDS = (LIVE, REBUILD, COMMAND)
GROUPS = ("run", "data", "network", "training")
DEFAULT_ACTIVATION = "tanh"  # every layer's when a body names none (NetworkIn.activations)
SEED_MAX = 2**32 - 1

# the values the page offers for a setting with a select (a ladder, not a limit)
LEARNING_RATE_PRESETS = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
REGULARIZATION_RATE_PRESETS = (0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)

_TRAINING = {f.name: f.default for f in fields(TrainingConfig)}  # the engine's defaults


@dataclass(frozen=True)
class Setting:
    """One request field a control owns. ``path`` is dotted into a session body; ``ge``/``le``
    are inclusive bounds, ``gt``/``lt`` exclusive; ``choices`` are the engine's registry
    names; ``live`` marks a field of the live patch (``TrainingPatch``, the socket's ``set``).
    """

    path: str
    label: str
    type: str  # number | integer | choice | names | units | table | seed
    default: Any = None
    ge: float | None = None
    le: float | None = None
    gt: float | None = None
    lt: float | None = None
    choices: tuple[str, ...] | None = None
    presets: tuple[float, ...] | None = None
    live: bool = False
    description: str = ""
    limit: str | None = None  # the server setting (app/settings.py) that bounds it further

    @property
    def field(self) -> str:
        """The field's name in its request model (the path's last part)."""
        return self.path.rsplit(".", 1)[-1]

    def bounds(self) -> dict[str, float]:
        """The bounds as pydantic ``Field`` keyword arguments."""
        named = {k: getattr(self, k) for k in ("ge", "le", "gt", "lt")}
        return {k: v for k, v in named.items() if v is not None}

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "field": self.field, "label": self.label}
        out["type"] = self.type
        out["default"] = list(self.default) if isinstance(self.default, tuple) else self.default
        out.update(self.bounds())
        if self.choices is not None:
            out["choices"] = list(self.choices)
        if self.presets is not None:
            out["presets"] = list(self.presets)
        out["live"] = self.live
        if self.limit:
            out["limit"] = self.limit
        return out


@dataclass(frozen=True)
class Control:
    """One control (see the module's docstring). ``value(body)`` maps a full session body
    (every default filled in, as ``SessionCreate.model_dump`` gives it) to what a lock holds;
    two bodies agree on the control when ``same(lesson, body)``."""

    name: str
    label: str
    help: str
    kind: str
    group: str
    symbol: str | None = None
    settings: tuple[Setting, ...] = ()
    commands: tuple[str, ...] = ()  # socket message types
    routes: tuple[tuple[str, str], ...] = ()  # (method, path after /api/sessions/{id})
    aliases: tuple[str, ...] = ()
    compare: str = "equal"  # in words, for the catalog and the contract's table
    value: Callable[[dict[str, Any]], Any] | None = None
    same_as: Callable[[dict[str, Any], dict[str, Any]], bool] | None = None

    def same(self, lesson: dict[str, Any], body: dict[str, Any]) -> bool:
        """Whether ``body`` keeps the lesson's value of this control (both full bodies)."""
        if self.same_as is not None:
            return self.same_as(lesson, body)
        assert self.value is not None, f"{self.name} is a command: it has no value"
        return self.value(lesson) == self.value(body)

    @property
    def live_fields(self) -> tuple[str, ...]:
        return tuple(s.field for s in self.settings if s.live)

    def json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "help": self.help,
            "kind": self.kind,
            "group": self.group,
            "symbol": self.symbol,
            "settings": [s.json() for s in self.settings],
            "commands": list(self.commands),
            "routes": [f"{m} {p or '/'}" for m, p in self.routes],
            "aliases": list(self.aliases),
            "compare": self.compare,
        }


# ---- how values compare ---------------------------------------------------------------------


def _get(body: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        body = body[key]
    return body


def _plain(*paths: str) -> Callable[[dict[str, Any]], Any]:
    def value(body: dict[str, Any]) -> Any:
        got = tuple(_get(body, p) for p in paths)
        return got[0] if len(got) == 1 else got

    return value


def regularization_value(body: dict[str, Any]) -> tuple[str, float]:
    """(kind, rate λ); without regularisation the rate does nothing, so it does not count."""
    t = body["training"]
    kind = t["regularization"]
    return (kind, 0.0 if kind == "none" else t["regularization_rate"])


def dataset_value(body: dict[str, Any]) -> tuple[Any, ...]:
    """A dataset by its content: an inline table by its rows; a fixed table (``xor_table``) by
    its name and features; a generated set by the parameters it uses (``DatasetInfo.params``).
    Fields a dataset ignores (``n`` of an inline table) never count; the default features of a
    2-D set are the same as naming none."""
    d = body["dataset"]
    name = d["name"]
    info = DATASETS.get(name)
    features = d.get("features")
    if features is not None and tuple(features) == DEFAULT_FEATURES_2D:
        features = None
    if info is not None and info.generator is None:  # inline
        return (name, d.get("inputs"), d.get("targets"))
    params = info.params if info is not None else ("n", "noise", "train_fraction", "seed")
    return (name, tuple((p, d.get(p)) for p in params), tuple(features or ()))


def hidden_activations_for(lesson_activations: list[str], n_hidden: int) -> list[str]:
    """The hidden activations a network of ``n_hidden`` layers has under a lesson whose
    activations (hidden layers, then the output) are ``lesson_activations``: the lesson's own,
    layer by layer, and past its last hidden layer that layer's activation again (the tanh
    default when the lesson has no hidden layer). What "+ layer" gives with activations locked.
    """
    hidden = list(lesson_activations[:-1]) or [DEFAULT_ACTIVATION]
    return [hidden[min(i, len(hidden) - 1)] for i in range(n_hidden)]


def activations_of(body: dict[str, Any]) -> list[str]:
    net = body["network"]
    return list(net["activations"] or [DEFAULT_ACTIVATION] * (len(net["hidden_layers"]) + 1))


def activations_value(body: dict[str, Any]) -> tuple[str, ...]:
    return tuple(activations_of(body))


def activations_same(lesson: dict[str, Any], body: dict[str, Any]) -> bool:
    """Every hidden layer has the lesson's hidden activation (``hidden_activations_for``) and
    the output the lesson's output activation."""
    want, got = activations_of(lesson), activations_of(body)
    n_hidden = len(body["network"]["hidden_layers"])
    return got == [*hidden_activations_for(want, n_hidden), want[-1]]


def init_value(body: dict[str, Any]) -> tuple[Any, ...]:
    """The scheme, its seed, its range (for the uniform scheme only), the shuffling seed, and
    any initial weights and biases given."""
    net, init = body["network"], body["network"]["init"]
    rng = init.get("range") if init["scheme"] == "uniform" else None
    seeds = (init["seed"], body["training"]["seed"])
    return (init["scheme"], *seeds, rng, net["weights"], net["biases"])


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
        value=_plain("training.learning_rate"),
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
        value=_plain("training.batch_size"),
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
        value=_plain("training.momentum"),
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
        value=_plain("network.loss"),
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
