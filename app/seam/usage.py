"""The web process's view of what its trainers train, for fair shares across them (issue 22).

Each trainer reports the heaviest weight of its runnable sessions (``app.commands.UsageReport``:
1 while a session plays, ``job_weight`` with only jobs, 0 idle); each is told, when it changes,
the heaviest weight runnable on the *other* trainers (``app.commands.Shares``), and rests by it
(``app.trainer.elsewhere``, equations (4)–(5)). Only bytes and typed commands cross: this board
keeps one number per trainer.
"""

from __future__ import annotations

import logging

from app.commands import UsageReport

log = logging.getLogger(__name__)


class UsageBoard:
    """Trainers' reports (by address) and what each was last told."""

    def __init__(self) -> None:
        self.heaviest: dict[int, float] = {}  # trainer → its heaviest runnable weight
        self.told: dict[int, float] = {}  # trainer → the heaviest elsewhere it was told

    def report(self, index: int, data: bytes) -> None:
        """Trainer ``index``'s report (``UsageReport`` JSON); a malformed one is dropped."""
        try:
            self.heaviest[index] = UsageReport.model_validate_json(data).heaviest
        except ValueError:  # pydantic's ValidationError is a ValueError
            log.error("trainer %d: malformed usage report %r", index, data[:200])

    def forget(self, index: int) -> None:
        """Trainer ``index`` (re)started empty: it reports nothing and was told nothing."""
        self.heaviest.pop(index, None)
        self.told.pop(index, None)

    def news(self, live: list[int]) -> list[tuple[int, float]]:
        """(trainer, heaviest weight elsewhere) for each of ``live`` whose value changed since
        it was last told (a trainer not told yet was told 0)."""
        out = []
        for index in live:
            elsewhere = max((w for i, w in self.heaviest.items() if i != index), default=0.0)
            if elsewhere != self.told.get(index, 0.0):
                self.told[index] = elsewhere
                out.append((index, elsewhere))
        return out
