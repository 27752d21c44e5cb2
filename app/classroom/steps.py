"""An activity's steps as the store keeps them (issue 18): checked when a lesson is saved,
resolved when a step opens, and guarded when a running activity is edited.

A stored step is ``StepIn``'s JSON with its setup checked (``check_setup``: the limits, then a
trainer builds it) — or None, "continue with the network from the step before". A lesson
without steps is one step with no question: ``effective_steps`` makes it so, so every reader
sees the same shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from app.classroom.activity import StepIn
from app.errors import FieldError
from app.schemas import SessionCreate
from app.settings import Settings

SetupCheck = Callable[[SessionCreate], Awaitable[dict[str, Any]]]


async def checked_steps(
    steps: list[StepIn], check_setup: SetupCheck, settings: Settings
) -> list[dict[str, Any]]:
    """The steps to store: within ``max_activity_steps``, each setup checked (named
    ``steps.N.setup.…``), each text within ``max_lesson_instructions_chars``."""
    if len(steps) > settings.max_activity_steps:
        raise FieldError(
            "steps",
            f"at most {settings.max_activity_steps} steps (max_activity_steps); "
            f"this lesson has {len(steps)}",
        )
    out = []
    for n, step in enumerate(steps):
        if len(step.instructions) > settings.max_lesson_instructions_chars:
            raise FieldError(
                f"steps.{n}.instructions",
                f"at most {settings.max_lesson_instructions_chars} characters "
                "(max_lesson_instructions_chars)",
            )
        d = step.model_dump(mode="json", exclude={"setup"})
        d["setup"] = None
        if step.setup is not None:
            try:
                d["setup"] = await check_setup(step.setup)
            except FieldError as exc:
                raise FieldError(f"steps.{n}.{exc.field}", exc.message) from None
        out.append(d)
    return out


def with_first_setup(steps: list[dict[str, Any]], setup: dict[str, Any]) -> list[dict[str, Any]]:
    """A classroom's copy of the steps: step 0 without a setup takes ``setup`` (the lesson's),
    so that opening step 0 again later brings the class back to it."""
    if not steps or steps[0].get("setup") is not None:
        return steps
    return [{**steps[0], "setup": setup}, *steps[1:]]


def effective_steps(room: Any) -> list[dict[str, Any]]:
    """The room's steps; a room without any is one step: its lesson, no question."""
    if room.steps:
        return list(room.steps)
    return [
        {
            "title": "",
            "instructions": room.instructions,
            "setup": None,
            "locks": list(room.locks),
            "question": None,
        }
    ]


def check_edit(room: Any, new: list[dict[str, Any]]) -> None:
    """A running activity may change only the steps not yet opened: 409 naming ``steps.N``
    for the first opened step that differs (or is missing)."""
    if room.step_open is None:
        return
    old = effective_steps(room) if room.steps else []
    for n in range(min(room.step_open + 1, len(old))):
        if n >= len(new) or _comparable(new[n]) != _comparable(old[n]):
            raise FieldError(
                f"steps.{n}",
                f"step {n} is opened already: a running activity changes only the steps not yet "
                f"opened (after {room.step_open})",
                status_code=409,
            )


def _comparable(step: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in step.items() if k != "setup" or v is not None}


def step_at(room: Any, n: int, field: str = "step") -> dict[str, Any]:
    steps = effective_steps(room)
    if not 0 <= n < len(steps):
        raise FieldError(field, f"this activity has steps 0 to {len(steps) - 1} (got {n})", 404)
    return steps[n]
