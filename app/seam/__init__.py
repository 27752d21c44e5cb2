"""The one seam between the web process and the trainers.

The web process sees the trainers through two interfaces (``app.seam.base``): ``Trainers``,
where sessions train and commands go, and ``Hub``, which fans out what the trainers publish to
this web process's viewers. ``open_seam`` is the one place that chooses their implementations
from the settings:

- ``BPP_TRAINERS=0``: a ``TrainerPool`` (``pipes``) with one trainer in a thread
  (``inthread.in_thread``) and a ``LocalHub``;
- ``BPP_TRAINERS=N`` (default: one per core): a ``TrainerPool`` of N trainer processes behind
  pipes (``pipes.in_processes``) and a ``LocalHub``;
- ``BPP_BUS_URL=redis://…``: ``BusPool`` (``redis``) and ``RedisHub`` (``redis_hub``); trainers
  are processes of their own (``processes``).

Across a process boundary only commands and encoded bytes travel, never live objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.seam.base import Hub, Trainers
from app.settings import Settings
from app.store import Store

if TYPE_CHECKING:
    from app.seam.processes import TrainerProcesses


@dataclass
class Seam:
    hub: Hub
    trainers: Trainers
    spawned: TrainerProcesses | None  # trainers on the bus this process starts (role "all")


def open_seam(settings: Settings, store: Store) -> Seam:
    """The hub and trainers ``settings`` ask for (see the module docstring)."""
    if settings.bus_url:  # web processes and trainers on several hosts, joined by Redis
        from app.seam.processes import TrainerProcesses
        from app.seam.redis import BusPool
        from app.seam.redis_hub import RedisHub

        spawned = None
        if settings.role == "all":
            spawned = TrainerProcesses(settings, settings.trainer_count())
        return Seam(RedisHub(settings), BusPool(settings), spawned)
    from app.seam.pipes import TrainerPool, in_processes
    from app.web.hub import LocalHub

    count = settings.trainer_count()
    if count == 0:
        from app.seam.inthread import in_thread

        start = in_thread(settings, store)
    else:
        start = in_processes(settings)
    hub = LocalHub()
    return Seam(hub, TrainerPool(settings, hub, start, count), None)
