"""What a trainer process spends per session-epoch and per frame, in CPU time (issue 21).

    python benchmarks/bench_trainer.py [--sessions S] [--seconds T]

S default sessions (a trainer's half of a class: 100 of 200), all playing and watched by one
binary viewer each (as the page reads them), in one process, no server: CPU time
(``time.process_time``), so the figures hold on a busy machine where wall-clock rates do not.

- epoch: one stacked epoch of all S (``StackedTrainer.run_epoch``) and its bookkeeping
  (``Resident.record``: the loss history, the gradient-flow series, the replay checkpoints) —
  CPU µs per session-epoch; the gradient flow stacked (``app.trainer.flow_stack``) where the
  code has it: with every epoch measured (a train request; before issue 21's sampling a
  playing session too) and playing (the series sampled at the panel rate: ``FlowSampling``,
  none of the epochs between two samples).
- frame: ``Publisher.send_frames`` for all S (node statistics, grids, the binary encode), in a
  large class (every other frame keeps its grid: ``frame_grid_every``), each at a new epoch
  (the node statistics not yet computed) — CPU µs per frame.
- loop: the trainer's own loop (``Scheduler.turn``, ``Publisher.flush``) over the S sessions
  for ``--seconds`` with CPU time as its clock (``time.process_time``), so that the adaptive
  frame rate and the chunks see the CPU the trainer gets, not a busy machine's wall time:
  epochs/s and frames/s per session on one trainer core, and CPU µs per session-epoch with
  everything (frames, panels, statuses) included.

Then the capacity this gives: the cores 200 students need at 20 frames/s and 60 epochs/s each
(the trainers' part; the web process's comes on top), and the epochs/s per student that two
trainer cores leave at 20 frames/s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.settings import Settings  # noqa: E402
from app.trainer.publisher import Publisher  # noqa: E402
from app.trainer.resident import Resident  # noqa: E402
from app.trainer.scheduler import Scheduler  # noqa: E402
from app.trainer.trains import TrainQueue  # noqa: E402
from engine.stacked import StackedTrainer  # noqa: E402

try:  # the stacked gradient flow (absent before it: each session measures its own)
    from app.trainer.flow_stack import flow_of_stack
except ImportError:  # pragma: no cover
    flow_of_stack = None
try:  # the series sampled at the panel rate while playing (absent before: every kept epoch)
    from app.trainer.flow_stack import FlowSampling
except ImportError:  # pragma: no cover
    FlowSampling = None


class Drop:
    def send(self, message) -> None:
        pass


class Count:
    """A channel that counts the frames it is given (either form) and drops everything."""

    def __init__(self) -> None:
        self.frames = 0

    def send(self, message) -> None:
        if message[0] == "pub":
            self.frames += sum(kind in ("frame", "frame_bin") for _, kind, _ in message[1])


def loop(settings: Settings, S: int, seconds: float) -> tuple[float, float, float]:
    """The trainer loop over S playing, watched default sessions for ``seconds`` of CPU time:
    epochs/s and frames/s per session, and CPU seconds per session-epoch."""
    clock = time.process_time
    channel = Count()
    residents: dict[str, Resident] = {}
    publisher = Publisher(settings, channel, None, clock)  # type: ignore[arg-type]
    scheduler = Scheduler(residents, publisher, clock, job_weight=settings.job_weight)
    scheduler.trains = TrainQueue(settings, publisher, scheduler, clock)
    for k in range(S):
        r = Resident(f"s{k}", f"c{k}", {"network": {"init": {"seed": k}}}, settings)
        r.viewers = r.binary_viewers = 1
        residents[r.id] = r
        scheduler.adopt(r)
        scheduler.play(r)
    warm = clock() + min(1.0, seconds / 4)
    while clock() < warm:  # the frame rate settles
        scheduler.turn()
        publisher.flush()
    epochs = {r.id: int(r.trainer.epoch) for r in residents.values()}
    channel.frames = 0
    start = clock()
    while clock() - start < seconds:
        scheduler.turn()
        publisher.panels.send_stale(residents)
        publisher.flush()
    spent = clock() - start
    done = sum(int(r.trainer.epoch) - epochs[r.id] for r in residents.values())
    return done / S / spent, channel.frames / S / spent, spent / max(done, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=4.0, help="CPU seconds per measurement")
    args = ap.parse_args()
    S = args.sessions
    settings = Settings()
    rs = [
        Resident(f"s{k}", "bench", {"network": {"init": {"seed": k}}}, settings) for k in range(S)
    ]
    for r in rs:
        r.viewers = r.binary_viewers = 1
        r.running = True
    stack = StackedTrainer()

    def epoch(sampled: bool = False) -> None:
        snaps = stack.run_epoch([r.trainer for r in rs])
        if sampled:  # playing, between two samples of the series: none measured
            for r, snap in zip(rs, snaps, strict=True):
                r.record(snap, None, False)
            return
        flows = flow_of_stack(stack, rs, snaps) if flow_of_stack is not None else [None] * S
        for r, snap, flow in zip(rs, snaps, flows, strict=True):
            if flow is None:
                r.record(snap)
            else:
                r.record(snap, flow)

    publisher = Publisher(settings, Drop(), None, time.perf_counter)

    def frames() -> None:
        stack._node_memo = None  # each frame follows new epochs: its node stats are not known
        publisher.send_frames(rs, stack, time.perf_counter())
        publisher.out.clear()

    def measure(fn, per: int) -> float:
        for r in rs:  # a class that starts together: every series at stride 1
            r.flow.clear()
        fn()  # warm
        n, start = 0, time.process_time()
        while time.process_time() - start < args.seconds:
            fn()
            n += 1
        return (time.process_time() - start) / (n * per)

    # a train request's series keeps every epoch while it is short; a playing session's is
    # sampled at the panel rate (FlowSampling), where the code has it
    early = measure(epoch, S)
    playing = measure(lambda: epoch(FlowSampling is not None), S)
    frame = measure(frames, S)
    eps1, fps1, per_epoch = loop(settings, S, args.seconds)
    students, fps, eps = 200, 20, 60
    need = students * (fps * frame + eps * playing)
    left = (2.0 - students * fps * frame) / (students * playing)
    print(f"{S} default sessions in one process, binary viewers; CPU time, {args.seconds:g} s each")
    print(f"epoch, every epoch in the gradient flow:  {1e6 * early:7.1f} µs per session-epoch")
    print(f"epoch, playing (flow at the panel rate):  {1e6 * playing:7.1f} µs per session-epoch")
    print(f"frame (every other one keeps its grid):   {1e6 * frame:7.1f} µs per frame")
    print(
        f"trainer loop, one core (CPU clock):      {eps1:7.1f} epochs/s and {fps1:.1f} frames/s "
        f"per session; {1e6 * per_epoch:.1f} µs per session-epoch, all included"
    )
    print(
        f"200 students at {fps} frames/s and {eps} epochs/s: {need:.2f} trainer cores; "
        f"2 cores at {fps} frames/s leave {left:.0f} epochs/s per student"
    )


if __name__ == "__main__":
    main()
