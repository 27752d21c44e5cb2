"""What a trainer process spends per session-epoch and per frame, in CPU time (issue 21).

    python benchmarks/bench_trainer.py [--sessions S] [--seconds T]

S default sessions (a trainer's half of a class: 100 of 200), all playing and watched by one
binary viewer each (as the page reads them), in one process, no server: CPU time
(``time.process_time``), so the figures hold on a busy machine where wall-clock rates do not.

- epoch: one stacked epoch of all S (``StackedTrainer.run_epoch``) and its bookkeeping
  (``Resident.record``: the loss history, the gradient-flow series, the replay checkpoints) —
  CPU µs per session-epoch; the gradient flow stacked (``app.trainer.flow_stack``) where the
  code has it.
- frame: ``Publisher.send_frames`` for all S (node statistics, grids, the binary encode), in a
  large class (every other frame keeps its grid: ``frame_grid_every``) — CPU µs per frame.

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
from engine.stacked import StackedTrainer  # noqa: E402

try:  # this branch's stacked gradient flow (absent before it: each session measures its own)
    from app.trainer.flow_stack import flow_of_stack
except ImportError:  # pragma: no cover
    flow_of_stack = None


class Drop:
    def send(self, message) -> None:
        pass


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

    def epoch() -> None:
        snaps = stack.run_epoch([r.trainer for r in rs])
        flows = flow_of_stack(stack, rs, snaps) if flow_of_stack is not None else [None] * S
        for r, snap, flow in zip(rs, snaps, flows, strict=True):
            if flow is None:
                r.record(snap)
            else:
                r.record(snap, flow)

    publisher = Publisher(settings, Drop(), None, time.perf_counter)

    def frames() -> None:
        publisher.send_frames(rs, stack, time.perf_counter())
        publisher.out.clear()

    def measure(fn, per: int) -> float:
        fn()  # warm
        n, start = 0, time.process_time()
        while time.process_time() - start < args.seconds:
            fn()
            n += 1
        return (time.process_time() - start) / (n * per)

    # the gradient-flow series keeps every epoch while it is short (a class that starts
    # together), then every 2nd, 4th, …: measure both regimes
    early = measure(epoch, S)
    for _ in range(2 * settings.max_gradient_flow_points):
        stack.run_epoch([r.trainer for r in rs])  # let the thinning start (stride ≥ 2)
        for r in rs:
            r.flow.stride = max(r.flow.stride, 8)
    later = measure(epoch, S)
    frame = measure(frames, S)
    students, fps, eps = 200, 20, 60
    need = students * (fps * frame + eps * early)
    left = (2.0 - students * fps * frame) / (students * early)
    print(f"{S} default sessions in one process, binary viewers; CPU time, {args.seconds:g} s each")
    print(f"epoch, every epoch in the gradient flow:  {1e6 * early:7.1f} µs per session-epoch")
    print(f"epoch, every 8th in the gradient flow:    {1e6 * later:7.1f} µs per session-epoch")
    print(f"frame (every other one keeps its grid):   {1e6 * frame:7.1f} µs per frame")
    print(
        f"200 students at {fps} frames/s and {eps} epochs/s: {need:.2f} trainer cores; "
        f"2 cores at {fps} frames/s leave {left:.0f} epochs/s per student"
    )


if __name__ == "__main__":
    main()
