"""Engine speed: epochs/second with a full snapshot every epoch, against a plain numpy loop.

    python benchmarks/bench_engine.py [--seconds S] [--repeats R]

For each workload the baseline is a plain vectorised numpy training loop written here (the same
shuffled batches and the same gradient-descent updates, plus one train-loss evaluation per
epoch, but no snapshots). Both run on the same data from the same starting weights; each is
timed `repeats` times, interleaved, and the medians are compared. The last line is
`worst ratio: R`, the smallest engine/baseline ratio (target ≥ 0.8).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import NetworkSpec, Trainer, TrainingConfig, init_params, make_dataset  # noqa: E402

WORKLOADS = {
    # name: (hidden layers, batch size, training points)
    "W1 2-[4,2]-1 b10 n250": ([4, 2], 10, 250),
    "W2 2-[8x6]-1 b10 n250": ([8] * 6, 10, 250),
    "W3 2-[8,8]-1 full n500": ([8, 8], 500, 500),
    "W4 2-[8,8,8]-1 b32 n1000": ([8, 8, 8], 32, 1000),
}
ETA = 0.03


def baseline_epoch(W, b, X, T, rng, B, eta):
    """One epoch of plain mini-batch gradient descent on a tanh network with SSE."""
    N = X.shape[0]
    order = rng.permutation(N)
    Xs, Ts = X[order], T[order]
    L = len(W)
    for s in range(0, N, B):
        x, t = Xs[s : s + B], Ts[s : s + B]
        a = [x]
        for Wl, bl in zip(W, b, strict=True):
            a.append(np.tanh(a[-1] @ Wl + bl))
        d = (a[-1] - t) * (1.0 - a[-1] ** 2)
        inv_n = 1.0 / x.shape[0]
        for l in range(L - 1, -1, -1):
            gW = (a[l].T @ d) * inv_n
            gb = d.sum(axis=0) * inv_n
            if l:
                d_prev = (d @ W[l].T) * (1.0 - a[l] ** 2)
            W[l] -= eta * gW
            b[l] -= eta * gb
            if l:
                d = d_prev
    a = X
    for Wl, bl in zip(W, b, strict=True):
        a = np.tanh(a @ Wl + bl)
    return 0.5 * ((a - T) ** 2).sum(axis=1).mean()


def time_epochs(run_one, seconds: float) -> float:
    """Epochs per second of `run_one` over about `seconds` of wall time."""
    run_one()  # warm-up
    n, t0 = 0, time.perf_counter()
    while True:
        run_one()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n / dt


def bench(hidden, batch, n_train, seconds, repeats):
    data = make_dataset("circle", n=2 * n_train, noise=0.0, train_fraction=0.5, seed=0)
    spec = NetworkSpec((2, *hidden, 1), ("tanh",) * (len(hidden) + 1), "sse")
    params = init_params(spec, "xavier", seed=0)
    trainer = Trainer.from_dataset(
        spec, params.copy(), data, TrainingConfig(learning_rate=ETA, batch_size=batch, seed=0)
    )
    X, T = trainer.X, trainer.T
    Wb, bb = [w.copy() for w in params.W], [v.copy() for v in params.b]
    rng = np.random.default_rng(0)
    # Same arithmetic: one epoch from the same start gives the same weights.
    check = Trainer.from_dataset(
        spec, params.copy(), data, TrainingConfig(learning_rate=ETA, batch_size=batch, seed=0)
    )
    check.run_epoch()
    Wc, bc = [w.copy() for w in params.W], [v.copy() for v in params.b]
    baseline_epoch(Wc, bc, X, T, np.random.default_rng(0), batch, ETA)
    assert all(np.allclose(a, c) for a, c in zip(check.params.W, Wc, strict=True)), "mismatch"

    engine_rates, base_rates = [], []
    for _ in range(repeats):
        engine_rates.append(time_epochs(trainer.run_epoch, seconds))
        base_rates.append(
            time_epochs(lambda: baseline_epoch(Wb, bb, X, T, rng, batch, ETA), seconds)
        )
    e, b = statistics.median(engine_rates), statistics.median(base_rates)
    ratios = [x / y for x, y in zip(engine_rates, base_rates, strict=True)]
    return e, b, statistics.median(ratios)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=0.2, help="seconds per timing")
    ap.add_argument("--repeats", type=int, default=11, help="interleaved timings per side")
    args = ap.parse_args()
    print(f"{'workload':28} {'engine ep/s':>12} {'baseline ep/s':>14} {'ratio':>7}")
    worst = float("inf")
    for name, (hidden, batch, n) in WORKLOADS.items():
        e, b, r = bench(hidden, batch, n, args.seconds, args.repeats)
        worst = min(worst, r)
        print(f"{name:28} {e:12.0f} {b:14.0f} {r:7.2f}", flush=True)
    print(f"worst ratio: {worst:.2f}")


if __name__ == "__main__":
    main()
