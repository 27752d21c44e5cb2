"""What a control of the registry (``app/controls.py``) is: its ``Setting``s (request fields
with bounds or choices) and the ``Control`` itself, the kinds (live, rebuild, command), and how
two values of a control compare — what a lesson's lock holds and what "differs from the
lesson" means (``regularization_value``, ``dataset_value``, ``activations_same`` …). This
module imports the engine only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine import DATASETS
from engine.features import DEFAULT_FEATURES_2D

LIVE, REBUILD, COMMAND = "live", "rebuild", "command"
KINDS = (LIVE, REBUILD, COMMAND)
GROUPS = ("run", "data", "network", "training")
DEFAULT_ACTIVATION = "tanh"  # every layer's when a body names none (NetworkIn.activations)


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


def plain_value(*paths: str) -> Callable[[dict[str, Any]], Any]:
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
