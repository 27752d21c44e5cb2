"""Trainers on the Redis bus as processes of their own: ``trainer_main`` is one
(``backprop-playground trainer`` starts some, and so does the all-in-one role with a bus);
``TrainerProcesses`` starts them and starts another when one dies."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from typing import Any

from app.seam.bus import RedisChannel
from app.seam.threads import one_blas_thread_for_children
from app.settings import Settings

log = logging.getLogger(__name__)


def trainer_main(settings: dict[str, Any], name: str | None = None) -> None:
    """One trainer on the bus (a process of its own: ``backprop-playground trainer``)."""
    from app.store import open_store
    from app.trainer.worker import Worker  # a process of its own: the trainer's code

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="trainer %(process)d: %(message)s")
    config = Settings(**settings)
    store = open_store(config)
    bus = RedisChannel(config, name)
    signal.signal(signal.SIGTERM, lambda *_: bus.inbox.put(None))
    log.info("trainer %s on %s", bus.name, config.bus_url)
    try:
        Worker(config, bus, store).serve()
    finally:
        bus.close()
        store.close()


class TrainerProcesses:
    """Trainers on the bus started by this process (the all-in-one role with a bus, or
    ``backprop-playground trainer``): each a spawned process, started again if it dies."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.count = max(1, count)
        self.processes: list[Any] = []
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None

    def start(self) -> None:
        self._ctx = multiprocessing.get_context("spawn")
        self.processes = [self._spawn() for _ in range(self.count)]
        self._monitor = threading.Thread(target=self._watch, name="bpp-trainers", daemon=True)
        self._monitor.start()

    def _spawn(self) -> Any:
        one_blas_thread_for_children()  # app.seam.threads
        process = self._ctx.Process(
            target=trainer_main, args=(self.settings.model_dump(),), name="bpp-trainer"
        )
        process.start()
        return process

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            for i, process in enumerate(self.processes):
                if not process.is_alive() and not self._stop.is_set():
                    log.error(
                        "trainer process %s exited (%s); starting another",
                        process.pid,
                        process.exitcode,
                    )
                    self.processes[i] = self._spawn()

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.pid is not None]

    def stop(self) -> None:
        self._stop.set()
        for process in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: the trainer saves its sessions and leaves
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.kill()

    def wait(self) -> None:
        """Block until stopped (``backprop-playground trainer``)."""
        while not self._stop.wait(1.0):
            pass
