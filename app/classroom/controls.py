"""The controls of a lesson: each one locked (the teacher's value holds) or free.

The controls themselves are defined once, in ``app/controls.py`` (the registry); this module is
what a lesson does with them. The server enforces locks by comparing values: every command on
a student's session is mapped to the control it needs (``COMMAND_CONTROLS``); a live change
(``set``, ``PATCH``) or a new setup is refused only where it would change a locked control's
value from the lesson's (``locked_in_patch``, ``changed_controls``) — sending a locked field
unchanged is fine. Pausing, choosing the inspected sample, reading and exporting are never
locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app import controls as registry
from app.controls import BY_NAME, COMMANDS, LIVE_FIELDS, REGISTRY, ROUTES, VALUE_CONTROLS
from app.schemas import SessionCreate, drop_arrays

# name → what it covers (shown to the teacher when choosing locks)
CONTROLS: dict[str, str] = {c.name: c.help for c in REGISTRY}

# the training settings a student may change live (WebSocket "set", REST PATCH) → control
TRAINING_CONTROLS: dict[str, str] = dict(LIVE_FIELDS)

# WebSocket command type → control (None: never locked)
COMMAND_CONTROLS: dict[str, str | None] = dict(COMMANDS)

# REST route on a session (method, path after /api/sessions/{id}) → control
ROUTE_CONTROLS: dict[tuple[str, str], str] = dict(ROUTES)


@dataclass(frozen=True)
class LivePatch:
    """A live training change (REST ``PATCH``, the socket's ``set``) waiting for the lesson's
    values: the access gate turns it into the locked controls it would change."""

    fields: dict[str, Any]

    @classmethod
    def of(cls, body: dict[str, Any]) -> LivePatch:
        return cls({k: v for k, v in body.items() if v is not None})


def check_locks(locks: list[str]) -> list[str]:
    """``locks`` without repeats, aliases read as the control they name, in the registry's
    order; ValueError naming an unknown one."""
    unknown = [name for name in locks if name not in BY_NAME and name not in registry.ALIASES]
    if unknown:
        raise ValueError(f"unknown controls {unknown}; the controls are {list(CONTROLS)}")
    wanted = {registry.canonical(name) for name in locks}
    return [name for name in CONTROLS if name in wanted]


def controls_of_patch(patch: dict[str, Any]) -> list[str]:
    """The controls a training patch names (its non-null fields), changed or not."""
    return sorted(
        {TRAINING_CONTROLS[k] for k, v in patch.items() if v is not None and k in TRAINING_CONTROLS}
    )


def full(setup: dict[str, Any]) -> dict[str, Any]:
    """A setup (a ``POST /api/sessions`` body) with every default filled in."""
    return SessionCreate.model_validate(setup).model_dump(exclude={"state"})


def patched(setup: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``setup`` (full) with a live training patch's non-null fields applied."""
    out = {**setup, "training": dict(setup["training"])}
    for key, value in patch.items():
        if value is not None and key in TRAINING_CONTROLS:
            out["training"][key] = value
    return out


def locked_in_patch(lesson: dict[str, Any], patch: dict[str, Any], locks: list[str]) -> list[str]:
    """The locked controls whose value a live patch would change from the lesson's. A locked
    control always holds the lesson's value, so the patch is applied to the lesson's setup."""
    named = [c for c in controls_of_patch(patch) if c in locks]
    if not named:
        return []
    base = full(lesson)
    after = patched(base, patch)
    return [c for c in named if not _same(c, base, after)]


def _same(name: str, lesson: dict[str, Any], body: dict[str, Any]) -> bool:
    """``same`` for a body not yet validated (a raw patch): a value that cannot be compared is
    a change (the route's own validation names it when the control is free)."""
    try:
        return bool(BY_NAME[name].same(lesson, body))
    except (TypeError, ValueError, KeyError):
        return False


def _value_of(name: str, body: dict[str, Any]) -> Any:
    """Control ``name``'s value in a full ``body`` (the registry's ``value``)."""
    value = BY_NAME[name].value
    if value is None:
        raise KeyError(f"{name} is a command: it has no value")
    return value(body)


def values(setup: dict[str, Any]) -> dict[str, Any]:
    """A setup → the value of each setup control (the registry's ``value``), every default
    filled in."""
    body = full(setup)
    return {name: _value_of(name, body) for name in VALUE_CONTROLS}


def changed_controls(lesson: dict[str, Any], setup: dict[str, Any]) -> list[str]:
    """The setup controls whose value in ``setup`` differs from the lesson's, each compared as
    the registry says (a dataset by content, activations layer by layer against the lesson's
    hidden and output activations)."""
    a, b = full(lesson), full(setup)
    return [name for name in VALUE_CONTROLS if not BY_NAME[name].same(a, b)]


def differences(
    lesson: dict[str, Any], setup: dict[str, Any], shown: bool = False
) -> dict[str, Any]:
    """What a student's setup has that the lesson has not: control → the student's value, in a
    form short enough for a dashboard tile or a CSV cell. The same compare as the locks.
    ``shown``: ``setup`` is a setup as summaries show it, without its arrays (inline rows,
    initial weights), so the lesson is compared without its arrays too."""
    if shown:
        lesson = drop_arrays(full(lesson))
    body = full(setup)
    out: dict[str, Any] = {}
    for name in changed_controls(lesson, setup):
        v = _value_of(name, body)
        if name == "dataset":
            v = v[0]
        elif name == "init":
            v = v[0]
        elif name == "regularization":
            v = f"{v[0]} {v[1]:g}"
        elif name == "activations":
            v = list(v)
        out[name] = v
    return out


def total_hidden_units(setup: dict[str, Any]) -> int:
    return sum(full(setup)["network"]["hidden_layers"])
