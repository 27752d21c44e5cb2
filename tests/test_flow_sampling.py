"""The gradient-flow series of a playing session measured at the panel rate
(``app.trainer.flow_stack.FlowSampling``): at most one point per ``stride / panel_rate``
seconds while it plays, every kept epoch of a train request, and the epoch it stops at."""

from __future__ import annotations

import numpy as np

from app.settings import Settings
from app.trainer.flow_stack import FlowSampling
from app.trainer.publisher import Publisher
from app.trainer.resident import Resident
from app.trainer.scheduler import Scheduler
from app.trainer.trains import TrainQueue
from engine import gradient_flow

SMALL = {"network": {"hidden_layers": [3]}, "dataset": {"name": "xor", "n": 40}}
TICK = 0.001  # the test clock advances this much each time it is read


class Drop:
    def send(self, message) -> None:
        pass


def trainer(n: int, panel_rate: float = 10.0):
    now = [0.0]

    def clock() -> float:
        now[0] += TICK
        return now[0]

    settings = Settings(panel_rate=panel_rate, frame_rate=60)
    residents: dict[str, Resident] = {}
    publisher = Publisher(settings, Drop(), None, clock)  # type: ignore[arg-type]
    scheduler = Scheduler(residents, publisher, clock)
    scheduler.trains = TrainQueue(settings, publisher, scheduler, clock)
    for k in range(n):
        body = {**SMALL, "network": {**SMALL["network"], "init": {"seed": k}}}
        r = Resident(f"s{k}", "c", body, settings)
        residents[r.id] = r
        scheduler.adopt(r)
    return scheduler, residents, now


def exact_flow(r: Resident, epoch: int, other: Resident) -> tuple[list[float], list[float]]:
    """The flow ``r`` had at ``epoch``, from ``other``: the same session trained alone."""
    while other.trainer.epoch < epoch:
        other.trainer.run_epoch()
    snap = other.trainer.last
    return gradient_flow(other.trainer.node_stats(snap), snap.grad_W)


def test_a_playing_series_gets_at_most_one_point_per_panel_interval():
    for n in (1, 3):  # alone and stacked
        scheduler, residents, now = trainer(n, panel_rate=10.0)
        for r in residents.values():
            scheduler.play(r)
        while now[0] < 2.0:
            scheduler.turn()
        for r in residents.values():
            epochs = r.flow.epoch
            trained = int(r.trainer.epoch)
            assert trained > 10 * len(epochs)  # most epochs are not measured
            # epoch 0 (created), then at most one per 0.1 s of the 2 s (stride 1)
            assert 10 <= len(epochs) <= 2 + 2.0 * 10
            assert epochs == sorted(set(epochs))


def test_a_sampled_point_is_its_epochs_exact_flow():
    scheduler, residents, now = trainer(3)
    for r in residents.values():
        scheduler.play(r)
    while now[0] < 0.5:
        scheduler.turn()
    r = residents["s1"]
    body = {**SMALL, "network": {**SMALL["network"], "init": {"seed": 1}}}
    alone = Resident("x", "c", body, r.settings)
    points = list(zip(r.flow.epoch, r.flow.delta, r.flow.grad_w, strict=True))
    assert len(points) >= 4
    for epoch, delta, grad_w in points[1:4]:
        want_d, want_g = exact_flow(r, epoch, alone)
        np.testing.assert_allclose(delta, want_d, rtol=1e-9)
        np.testing.assert_allclose(grad_w, want_g, rtol=1e-9)


def test_a_train_request_measures_every_epoch_and_a_pause_the_last_one():
    scheduler, residents, now = trainer(2)
    a, b = residents["s0"], residents["s1"]
    scheduler.trains.start(a, None, 30, None)  # a train request: not playing
    scheduler.play(b)
    while a.runnable:
        scheduler.turn()
    assert a.flow.epoch == list(range(31))
    scheduler.pause(b)
    assert b.flow.epoch[-1] == int(b.trainer.epoch)  # the epoch it stopped at


def test_the_sampling_interval_grows_with_the_series_stride():
    sampling = FlowSampling(0.5)
    r = Resident("s", "c", SMALL, Settings())
    r.running = True
    assert sampling.due([r], 0.0) == [True]  # never measured while playing: due
    r.flow.stride = 4
    sampling.measured(r, 0, 10.0)
    assert sampling.due([r], 11.9) == [False] and sampling.due([r], 12.0) == [True]
    r.running = False
    assert sampling.due([r], 10.1) == [True]  # a train request's epochs are all measured
