"""Engine speed: one session against the fastest plain numpy loop, and stacked sessions.

    python benchmarks/bench_engine.py [--seconds S] [--repeats R] [--quick]

**Single session.** For each workload the baseline is the fastest plain numpy training loop we
could write for the same work: a tanh network with the SSE loss, the same shuffled batches and
the same gradient-descent steps, and one train-loss evaluation per epoch — every buffer
preallocated and written with ``out=``, the bias kept as an extra weight row fed by a column of
ones (so z = [a, 1] W and [a, 1]ᵀδ are one matrix product each), η/n folded into the output δ,
and z never stored (tanh' = 1 − a²). The engine's side is ``Trainer.run_epoch`` with its full
snapshot (train and test error, accuracy, W, b, mean gradients, a lazily computed probe).
Both start from the same weights on the same data; a check first asserts that one epoch of
each lands on the same weights. Each side is timed ``repeats`` times, interleaved; the table
gives the medians and the median of the per-repeat ratios. The machine is noisy: read ratios.

**Stacked sessions.** S sessions of the default network (2-[4,2]-1 tanh, circle data n = 500,
train_fraction 0.5, batch 10, η = 0.03), built as ``app/trainer/build.py`` builds them, trained one
epoch at a time either together with ``StackedTrainer.run_epoch`` or one after another with
``Trainer.run_epoch``; the table gives session-epochs per second of each and their ratio.

The last line is ``worst ratio: R``, the smallest single-session engine/baseline ratio
(target ≥ 0.8).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import (  # noqa: E402
    NetworkSpec,
    StackedTrainer,
    Trainer,
    TrainingConfig,
    init_params,
    make_dataset,
)

WORKLOADS = {
    # name: (hidden layers, batch size, training points)
    "W1 2-[4,2]-1 b10 n250": ([4, 2], 10, 250),
    "W2 2-[8x6]-1 b10 n250": ([8] * 6, 10, 250),
    "W3 2-[8,8]-1 full n500": ([8, 8], 500, 500),
    "W4 2-[8,8,8]-1 b32 n1000": ([8, 8, 8], 32, 1000),
}
STACKS = (1, 10, 50, 200)
ETA = 0.03


class Baseline:
    """Plain mini-batch gradient descent on a tanh network with SSE, as fast as plain numpy
    goes: preallocated buffers, ``out=`` everywhere, bias rows, η/n folded into δ."""

    def __init__(self, W, b, X, T, batch: int, eta: float, seed: int) -> None:
        N, n0 = X.shape
        self.N, self.rng = N, np.random.default_rng(seed)
        self.Wa = [np.vstack([w, v[None]]) for w, v in zip(W, b, strict=True)]
        self.WT = [w[:-1].T for w in self.Wa]  # views: the weights without the bias row
        self.Xa = np.hstack([X, np.ones((N, 1))])
        self.T = T
        self.Xs, self.Ts = np.empty_like(self.Xa), np.empty_like(T)
        B = min(batch, N)
        self.shuffle = B < N
        widths = [w.shape[1] for w in self.Wa]
        self.batches = []
        for s in range(0, N, B):
            x = self.Xs[s : s + B] if self.shuffle else self.Xa
            t = self.Ts[s : s + B] if self.shuffle else T
            n = x.shape[0]
            A = [x] + [np.ones((n, k + 1)) for k in widths[:-1]] + [np.empty((n, widths[-1]))]
            out = [a[:, :-1] for a in A[1:-1]] + [A[-1]]
            self.batches.append(
                (
                    x,
                    t,
                    A,
                    out,
                    [a.T for a in A[:-1]],
                    [np.empty((n, k)) for k in widths],
                    [np.empty((n, k)) for k in widths],
                    [np.empty_like(w) for w in self.Wa],
                    eta / n,
                )
            )
        self.loss_A = [self.Xa] + [np.ones((N, k + 1)) for k in widths[:-1]]
        self.loss_A.append(np.empty((N, widths[-1])))
        self.loss_out = [a[:, :-1] for a in self.loss_A[1:-1]] + [self.loss_A[-1]]

    def epoch(self) -> float:
        matmul, tanh, multiply, subtract = np.matmul, np.tanh, np.multiply, np.subtract
        Wa, WT, L = self.Wa, self.WT, len(self.Wa)
        if self.shuffle:
            order = self.rng.permutation(self.N)
            np.take(self.Xa, order, axis=0, out=self.Xs)
            np.take(self.T, order, axis=0, out=self.Ts)
        for _, t, A, out, AT, D, G, GW, c in self.batches:
            for l in range(L):
                matmul(A[l], Wa[l], out=out[l])
                tanh(out[l], out=out[l])
            a, d, g = out[-1], D[-1], G[-1]
            subtract(a, t, out=d)
            multiply(a, a, out=g)
            subtract(1.0, g, out=g)
            multiply(d, g, out=d)
            multiply(d, c, out=d)
            for l in range(L - 2, -1, -1):
                d, g, a = D[l], G[l], out[l]
                matmul(D[l + 1], WT[l + 1], out=d)
                multiply(a, a, out=g)
                subtract(1.0, g, out=g)
                multiply(d, g, out=d)
            for l in range(L):
                matmul(AT[l], D[l], out=GW[l])
                subtract(Wa[l], GW[l], out=Wa[l])
        A, out = self.loss_A, self.loss_out
        for l in range(L):
            matmul(A[l], Wa[l], out=out[l])
            tanh(out[l], out=out[l])
        e = subtract(out[-1], self.T, out=out[-1])
        return 0.5 * float(np.vdot(e, e)) / self.N


def interleaved(sides: dict, seconds: float, repeats: int) -> dict[str, list[float]]:
    """Calls per second of each side, timed ``repeats`` times in turn."""
    rates: dict[str, list[float]] = {name: [] for name in sides}
    for fn in sides.values():
        fn()  # warm-up
    for _ in range(repeats):
        for name, fn in sides.items():
            n, t0 = 0, time.perf_counter()
            while True:
                fn()
                n += 1
                dt = time.perf_counter() - t0
                if dt >= seconds:
                    break
            rates[name].append(n / dt)
    return rates


def bench_single(hidden, batch, n_train, seconds, repeats):
    data = make_dataset("circle", n=2 * n_train, noise=0.0, train_fraction=0.5, seed=0)
    spec = NetworkSpec((2, *hidden, 1), ("tanh",) * (len(hidden) + 1), "sse")
    params = init_params(spec, "xavier", seed=0)
    config = TrainingConfig(learning_rate=ETA, batch_size=batch, seed=0)

    def trainer() -> Trainer:
        return Trainer.from_dataset(spec, params.copy(), data, config)

    engine = trainer()
    X, T = engine.X, engine.T
    # the same arithmetic: one epoch from the same start lands on the same weights
    check, base = trainer(), Baseline(params.W, params.b, X, T, batch, ETA, seed=0)
    check.run_epoch()
    base.epoch()
    for l in range(spec.depth):
        np.testing.assert_allclose(base.Wa[l][:-1], check.params.W[l], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(base.Wa[l][-1], check.params.b[l], rtol=1e-9, atol=1e-12)
    baseline = Baseline(params.W, params.b, X, T, batch, ETA, seed=0)
    rates = interleaved({"engine": engine.run_epoch, "base": baseline.epoch}, seconds, repeats)
    ratios = [e / b for e, b in zip(rates["engine"], rates["base"], strict=True)]
    return statistics.median(rates["engine"]), statistics.median(rates["base"]), ratios


def default_sessions(S: int) -> list[Trainer]:
    """S sessions of the default network, built like ``app/trainer/build.py`` builds them (each its
    own data and weights: seeds 0 … S−1)."""
    out = []
    for s in range(S):
        data = make_dataset("circle", n=500, noise=0.0, train_fraction=0.5, seed=s)
        spec = NetworkSpec((2, 4, 2, 1), ("tanh", "tanh", "tanh"), "sse")
        params = init_params(spec, "xavier", s, 0.5)
        out.append(
            Trainer(
                spec,
                params,
                data.X_train,
                data.encode_targets(data.T_train, "tanh"),
                data.X_test,
                data.encode_targets(data.T_test, "tanh"),
                config=TrainingConfig(learning_rate=ETA, batch_size=10, seed=s),
                task=data.task,
            )
        )
    return out


def bench_stacked(S: int, seconds: float, repeats: int):
    stacked, alone = default_sessions(S), default_sessions(S)
    group = StackedTrainer()

    def one_by_one() -> None:
        for tr in alone:
            tr.run_epoch()

    rates = interleaved(
        {"stacked": lambda: group.run_epoch(stacked), "alone": one_by_one}, seconds, repeats
    )
    per = {k: [r * S for r in v] for k, v in rates.items()}  # session-epochs per second
    ratios = [s / a for s, a in zip(per["stacked"], per["alone"], strict=True)]
    return statistics.median(per["stacked"]), statistics.median(per["alone"]), ratios


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=0.2, help="seconds per timing")
    ap.add_argument("--repeats", type=int, default=9, help="interleaved timings per side")
    ap.add_argument("--quick", action="store_true", help="short timings (a smoke test)")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.repeats = 0.05, 3
    print("single session: Trainer.run_epoch with snapshots vs the fastest plain numpy loop")
    print(f"{'workload':28} {'engine ep/s':>12} {'baseline ep/s':>14} {'ratio':>7}")
    worst = float("inf")
    for name, (hidden, batch, n) in WORKLOADS.items():
        e, b, ratios = bench_single(hidden, batch, n, args.seconds, args.repeats)
        r = statistics.median(ratios)
        worst = min(worst, r)
        print(f"{name:28} {e:12.0f} {b:14.0f} {r:7.2f}", flush=True)
    print()
    print("stacked: default network (2-[4,2]-1 tanh, circle n=500, batch 10), session-epochs/s")
    print(f"{'sessions':>8} {'stacked':>12} {'one by one':>12} {'per-session speed-up':>21}")
    for S in STACKS:
        s, a, ratios = bench_stacked(S, args.seconds, args.repeats)
        print(f"{S:8d} {s:12.0f} {a:12.0f} {statistics.median(ratios):20.1f}x", flush=True)
    print(f"worst ratio: {worst:.2f}")


if __name__ == "__main__":
    main()
