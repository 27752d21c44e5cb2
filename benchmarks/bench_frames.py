"""Frame size and encode time: the JSON frame against the binary frame (docs/contract.md).

    python benchmarks/bench_frames.py [--sessions S] [--repeats R] [--quick]

For the default network (2-[4,2]-1 tanh on circle data) and a 6×8 network (six hidden layers of
8), S same-shaped sessions (different seeds) train a few epochs in one ``StackedTrainer``; their
node statistics and heatmap grids are computed stacked once (``frame_stats``), as the trainer
does. Then each side encodes every session's frame from those statistics:

- ``json``: ``Resident.frame_bytes`` per session (the JSON form, today's frame);
- ``binary, per session``: ``Resident.binary_frame`` per session (a stack of one);
- ``binary, stacked``: one ``frame_binary.encode_stack`` call for all S (its grids deflated by
  ``app/trainer/deflate.py``: ISA-L where installed);
- ``stacked, zlib``: the same with zlib's deflate (level 1), what it was before ISA-L.

The table gives the median frame bytes and the median (over ``repeats``) encode time per frame.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.frame_format import ZLIB_LEVEL  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.trainer import frame_binary  # noqa: E402
from app.trainer.deflate import BACKEND  # noqa: E402
from app.trainer.resident import Resident  # noqa: E402
from engine.stacked import StackedTrainer  # noqa: E402

NETWORKS = {
    "default 2-[4,2]-1": {"network": {"hidden_layers": [4, 2]}},
    "6x8 2-[8]*6-1": {"network": {"hidden_layers": [8] * 6}},
}


def residents(body: dict, S: int, epochs: int) -> list[Resident]:
    settings = Settings()
    out = []
    for k in range(S):
        b = {**body, "network": {**body["network"], "init": {"seed": k}}}
        out.append(Resident(f"s{k}", "bench", b, settings))
    stack = StackedTrainer()
    for _ in range(epochs):
        stack.run_epoch([r.trainer for r in out])
    return out


def timed(fn, repeats: int, per: int) -> float:
    """Median seconds per frame over ``repeats`` runs of ``fn`` (which encodes ``per``)."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) / per)
    return statistics.median(times)


def bench(name: str, body: dict, S: int, repeats: int) -> dict:
    rs = residents(body, S, epochs=20)
    stack = StackedTrainer()
    stack.run_epoch([r.trainer for r in rs])
    stats = stack.frame_stats([r.trainer for r in rs], rs[0].grid_inputs())
    members = [stats.member(i) for i in range(S)]

    def json_all() -> list[bytes]:
        return [r.frame_bytes(stats=m) for r, m in zip(rs, members, strict=True)]

    def binary_each() -> list[bytes]:
        return [r.binary_frame(m) for r, m in zip(rs, members, strict=True)]

    def binary_stacked() -> list[bytes]:
        return frame_binary.encode_stack(
            [r.frame_member() for r in rs], rs[0].built.dataset, stats.node_stats, stats.grid
        )

    def binary_stacked_zlib() -> list[bytes]:
        fast = frame_binary.deflate
        frame_binary.deflate = lambda data: zlib.compress(data, ZLIB_LEVEL)
        try:
            return binary_stacked()
        finally:
            frame_binary.deflate = fast

    json_bytes = statistics.median(len(b) for b in json_all())
    bin_bytes = statistics.median(len(b) for b in binary_stacked())
    return {
        "network": name,
        "json B": json_bytes,
        "binary B": bin_bytes,
        "ratio": json_bytes / bin_bytes,
        "json µs": 1e6 * timed(json_all, repeats, S),
        "bin each µs": 1e6 * timed(binary_each, repeats, S),
        "bin stacked µs": 1e6 * timed(binary_stacked, repeats, S),
        "stacked zlib µs": 1e6 * timed(binary_stacked_zlib, repeats, S),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--quick", action="store_true", help="8 sessions, 3 repeats")
    args = ap.parse_args()
    S, repeats = (8, 3) if args.quick else (args.sessions, args.repeats)
    rows = [bench(name, body, S, repeats) for name, body in NETWORKS.items()]
    cols = list(rows[0])
    print(f"frames of {S} same-shaped sessions, medians of {repeats} repeats; deflate: {BACKEND}")
    print(" | ".join(f"{c:>18}" for c in cols))
    for row in rows:
        cells = [
            f"{v:>18}" if isinstance(v, str) else f"{v:>18.1f}" if c != "ratio" else f"{v:>17.2f}×"
            for c, v in row.items()
        ]
        print(" | ".join(cells))
    default = rows[0]
    verdict = "met" if default["binary B"] <= 3500 else "NOT met"
    print(f"default network: {default['binary B']:.0f} B binary (target ≤ 3500: {verdict})")


if __name__ == "__main__":
    main()
