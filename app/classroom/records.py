"""The classroom's records as ``Rooms`` gives them out: frozen dataclasses of a lesson, a
classroom, a seat and who owns a seat's session, each made from a store row (``_make``) and
shown to the API as JSON (``json``, times as ISO 8601)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from app.controls import stored_locks


def _shown(row: Any) -> dict[str, Any]:
    """A row as the API shows it: times as ISO 8601, the owning teacher's id left out."""
    d = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(row).items()}
    d.pop("teacher_id", None)
    return d


@dataclass(frozen=True)
class Lesson:
    id: str
    teacher_id: str
    title: str
    setup: dict[str, Any]
    locks: list[str]
    challenge: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    instructions: str = ""  # Markdown the students read on their seat
    steps: list[dict[str, Any]] = field(default_factory=list)  # an activity's (issue 18)

    def __post_init__(self) -> None:  # stored lock names, read through the registry's aliases
        object.__setattr__(self, "locks", stored_locks(self.locks))

    def json(self) -> dict[str, Any]:
        return _shown(self)


@dataclass(frozen=True)
class Classroom:
    id: str
    teacher_id: str
    lesson_id: str | None
    name: str
    code: str | None
    status: str
    lobby_locked: bool
    approval_required: bool
    hide_names: bool
    leaderboard: bool
    leaderboard_names: bool
    challenge_active: bool
    setup: dict[str, Any]
    locks: list[str]
    challenge: dict[str, Any] | None
    created_at: datetime
    closed_at: datetime | None
    instructions: str = ""  # the lesson's, copied with it
    steps: list[dict[str, Any]] = field(default_factory=list)  # the lesson's, copied with it
    step_open: int | None = None  # the activity's open step (None: not started)
    step_mode: str = "class"  # "class": everyone on step_open; "self": up to it
    revealed: list[int] = field(default_factory=list)  # steps whose answers are revealed

    def __post_init__(self) -> None:  # stored lock names, read through the registry's aliases
        object.__setattr__(self, "locks", stored_locks(self.locks))

    @property
    def open(self) -> bool:
        return self.status == "open"

    def json(self) -> dict[str, Any]:
        return _shown(self)


@dataclass(frozen=True)
class Seat:
    id: str
    classroom_id: str
    number: int
    name: str
    session_id: str | None
    status: str
    joined_at: datetime
    challenge_met: dict[str, Any] | None

    @property
    def label(self) -> str:
        """What the class sees when names are hidden."""
        return f"Student {self.number}"

    def json(self, hide_name: bool = False) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "label": self.label,
            "name": self.label if hide_name else self.name,
            "session_id": self.session_id,
            "status": self.status,
            "joined_at": self.joined_at.isoformat(),
            "challenge_met": self.challenge_met,
        }


@dataclass(frozen=True)
class SeatOwner:
    """What deciding access to a seat's session needs, in one read."""

    seat_id: str
    token_hash: str
    seat_status: str
    classroom_id: str
    teacher_id: str
    classroom_open: bool
    locks: list[str]
    setup: dict[str, Any] = field(default_factory=dict)  # the lesson's: what a lock holds

    def __post_init__(self) -> None:  # stored lock names, read through the registry's aliases
        object.__setattr__(self, "locks", stored_locks(self.locks))


def _make(cls, row) -> Any:
    m = row._mapping
    return cls(**{f.name: m[f.name] for f in fields(cls)})
