"""The trainer loop (``app.trainer.worker``) driven directly, one command and one turn at a time:
answers, scheduling by work, stacking, divergence, and what it publishes."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import orjson
import pytest

from app.commands import Backprop, CheckSetup, Envelope, decode
from app.settings import Settings
from app.trainer.resident import Resident
from app.trainer.worker import Worker
from engine import SpecError

BIG = {"network": {"hidden_layers": [16, 16, 16]}, "dataset": {"name": "circle", "n": 1000}}
SMALL = {"network": {"hidden_layers": [2]}, "dataset": {"name": "xor", "n": 40}}


class Recorder:
    """A channel that keeps what the worker sends; nothing ever arrives by it."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def recv(self, timeout: float) -> Any:
        return None

    def send(self, message: Any) -> None:
        self.sent.append(message)

    def claim(self, session_id: str) -> None:
        pass

    def release(self, session_id: str) -> None:
        pass

    def replies(self) -> dict[Any, tuple[bool, Any]]:
        return {m[1]: (m[2], m[3]) for m in self.sent if m[0] == "reply"}

    def published(self, session_id: str, kind: str) -> list[dict]:
        return [
            orjson.loads(data)
            for m in self.sent
            if m[0] == "pub"
            for sid, what, data in m[1]
            if sid == session_id and what == kind
        ]


@pytest.fixture
def worker() -> tuple[Worker, Recorder]:
    channel = Recorder()
    return Worker(Settings(frame_rate=200), channel), channel


ids = itertools.count(1)


def command(w: Worker, op: str, sid: str | None = None, **args: Any) -> int:
    """Send the typed command ``op`` as a channel hands it over: validated, in an envelope."""
    request_id = next(ids)
    w.handlers.handle(Envelope(request_id, sid, decode(orjson.dumps({"type": op, **args}))))
    w.flush()
    return request_id


def create(w: Worker, sid: str, body: dict, client: str = "a") -> None:
    command(w, "create", sid, client=client, body=body)


def epoch(w: Worker, sid: str) -> int:
    return w.residents[sid].trainer.epoch


def test_a_train_request_is_answered_with_the_frame_of_its_last_epoch(worker):
    w, channel = worker
    create(w, "s", SMALL)
    rid = command(w, "train", "s", epochs=25)
    assert rid not in channel.replies()  # deferred: the epochs run in turns
    for _ in range(1000):
        if rid in channel.replies():
            break
        w.turn()
        w.flush()
    ok, data = channel.replies()[rid]
    assert ok and orjson.loads(data)["epoch"] == 25 == epoch(w, "s")


def test_commands_are_answered_between_chunks_while_long_trains_run(worker):
    """Four long train requests of one client never hold up another client's create: it is
    answered at the next command pass, before any of the trains."""
    w, channel = worker
    for n in range(4):
        create(w, f"t{n}", BIG, client="busy")
    trains = [command(w, "train", f"t{n}", epochs=1_000) for n in range(4)]
    w.turn()
    created = command(w, "create", "other", client="calm", body=SMALL)
    replies = channel.replies()
    assert replies[created][0] is True
    assert not any(t in replies for t in trains)


def test_training_time_is_shared_by_work_between_clients(worker):
    """A client with a huge network and a client with a tiny one get equal training time, so
    the tiny one runs many more epochs; neither waits more than a chunk behind."""
    w, _ = worker
    create(w, "huge", BIG, client="a")
    create(w, "tiny", SMALL, client="b")
    command(w, "play", "huge")
    command(w, "play", "tiny")
    longest = 0.0
    for _ in range(60):
        before = dict(w.client_vtime)
        w.turn()
        longest = max(longest, *(w.client_vtime[c] - before[c] for c in before))
    assert abs(w.client_vtime["a"] - w.client_vtime["b"]) <= longest + 1e-9
    assert epoch(w, "tiny") > 5 * epoch(w, "huge") > 0


def test_sessions_of_one_client_share_its_time_by_work(worker):
    w, _ = worker
    create(w, "huge", BIG)
    create(w, "tiny", SMALL)
    command(w, "play", "huge")
    command(w, "play", "tiny")
    longest = 0.0
    for _ in range(60):
        before = dict(w.vtime)
        w.turn()
        longest = max(longest, *(w.vtime[s] - before[s] for s in before))
    assert abs(w.vtime["huge"] - w.vtime["tiny"]) <= longest + 1e-9


def test_a_session_that_starts_late_gets_no_backlog_of_time(worker):
    w, _ = worker
    create(w, "first", SMALL, client="a")
    create(w, "late", BIG, client="b")
    command(w, "play", "first")
    for _ in range(20):
        w.turn()
    command(w, "play", "late")
    assert w.client_vtime["b"] >= w.client_vtime["a"] - 1e-9


def test_same_shaped_sessions_train_together_and_match_training_alone(worker):
    w, _ = worker
    bodies = [
        {**SMALL, "training": {"learning_rate": eta, "momentum": mu, "seed": seed}}
        for eta, mu, seed in [(0.3, 0.0, 1), (0.1, 0.9, 2), (1.0, 0.5, 3)]
    ]
    for n, body in enumerate(bodies):
        create(w, f"s{n}", body)
        command(w, "play", f"s{n}")
    w.turn()
    epochs = [epoch(w, f"s{n}") for n in range(3)]
    assert epochs[0] >= 1 and len(set(epochs)) == 1  # one turn trained all three together
    for _ in range(5):
        w.turn()
    for n, body in enumerate(bodies):
        alone = Resident("x", "a", body, w.settings).trainer
        alone.train(epoch(w, f"s{n}"))
        got = w.residents[f"s{n}"].trainer
        mine_all, theirs_all = got.params.W + got.params.b, alone.params.W + alone.params.b
        for mine, theirs in zip(mine_all, theirs_all, strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-12)


def test_a_diverging_session_stops_alone_and_its_group_trains_on(worker):
    w, channel = worker
    linear = {**SMALL, "network": {"hidden_layers": [2], "activations": ["linear", "linear"]}}
    create(w, "wild", {**linear, "training": {"learning_rate": 100.0}})
    create(w, "calm", {**linear, "training": {"learning_rate": 0.01}})
    command(w, "watch", "wild", viewers=1, summary_viewers=0)
    for sid in ("wild", "calm"):
        command(w, "play", sid)
    for _ in range(40):
        w.turn()
        w.flush()
    assert w.residents["wild"].status == "diverged"
    assert w.residents["calm"].status == "running"
    assert np.isfinite(w.residents["calm"].trainer.params.W[0]).all()
    statuses = channel.published("wild", "status")
    assert statuses[-1]["status"] == "diverged"
    assert channel.published("wild", "frame")[-1]["status"] == "diverged"


def test_frames_are_encoded_only_for_watched_sessions(worker):
    w, channel = worker
    create(w, "seen", SMALL)
    create(w, "unseen", SMALL)
    command(w, "watch", "seen", viewers=1, summary_viewers=0)
    for sid in ("seen", "unseen"):
        command(w, "play", sid)
    for _ in range(10):
        w.turn()
        w.flush()
    assert channel.published("seen", "frame")
    assert not channel.published("unseen", "frame")


def test_a_dashboard_gets_summaries_of_the_sessions_it_watches(worker):
    w, channel = worker
    create(w, "s", {"dataset": {"name": "circle", "n": 60}})
    command(w, "play", "s")
    command(w, "watch", "s", viewers=0, summary_viewers=1)
    summary = channel.published("s", "summary")[0]  # one at once, when watching starts
    assert summary["id"] == "s" and summary["status"] == "running"
    picture = summary["thumbnail"]
    assert picture["resolution"] == w.settings.summary_resolution
    assert picture["lo"] <= picture["hi"]
    assert not channel.published("s", "frame")


def test_a_deleted_session_answers_its_pending_train_and_is_gone(worker):
    w, channel = worker
    create(w, "s", SMALL)
    rid = command(w, "train", "s", epochs=10_000)
    w.turn()
    command(w, "delete", "s")
    assert channel.replies()[rid][0] is True
    gone = command(w, "get", "s")
    ok, (field, _, status, _) = channel.replies()[gone]
    assert not ok and field == "session_id" and status == 404


def test_a_bad_command_is_refused_naming_the_field_and_the_trainer_goes_on(worker):
    w, channel = worker
    create(w, "s", SMALL)
    bad = command(w, "probe", "s", index=10**6)
    ok, (field, message, status, _) = channel.replies()[bad]
    assert not ok and field == "index" and status == 422
    good = command(w, "probe", "s", index=1)
    assert channel.replies()[good][0] is True


class Inbox:
    """A channel's intake with commands waiting on it; records each ``recv``'s timeout."""

    def __init__(self, *messages: Any) -> None:
        self.waiting = list(messages)
        self.timeouts: list[float] = []

    def recv(self, timeout: float) -> Any:
        self.timeouts.append(timeout)
        return self.waiting.pop(0) if self.waiting else None


def test_the_handlers_take_at_most_a_turns_commands_and_only_the_first_waits(worker):
    """``Handlers.take``: the first ``recv`` waits up to the timeout, the others take only what
    is already there; at the limit the rest is left for the next turn, each taken one answered."""
    w, channel = worker
    inbox = Inbox(*(Envelope(n, None, decode(b'{"type": "ping"}')) for n in (100, 101, 102)))
    assert w.handlers.take(inbox, 0.5, limit=2) == 2
    w.flush()
    assert inbox.timeouts == [0.5, 0.0] and len(inbox.waiting) == 1
    assert set(channel.replies()) == {100, 101}
    assert w.handlers.take(inbox, 0.5, limit=2) == 1  # the last; then nothing came
    assert inbox.timeouts[2:] == [0.5, 0.0]


def test_the_handlers_stop_taking_once_told_to_close(worker):
    w, _ = worker
    ping = Envelope(2, None, decode(b'{"type": "ping"}'))
    inbox = Inbox(Envelope(1, None, decode(b'{"type": "close"}')), ping)
    assert w.handlers.take(inbox, 0.0, limit=256) == 1
    assert w.closed and inbox.waiting == [ping]


def test_a_failing_handler_is_answered_as_a_bug_and_the_trainer_goes_on(worker, monkeypatch):
    """A refusal is answered naming its field (a ``SpecError`` as a 422), a bug as a 500, a
    malformed message not at all; the next command is answered as ever."""
    w, channel = worker

    def refuse(*_: Any) -> None:
        raise SpecError("network.hidden_layers", "too many")

    def fail(*_: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setitem(w.handlers.table, CheckSetup, refuse)
    monkeypatch.setitem(w.handlers.table, Backprop, fail)
    refused = command(w, "check_setup", body={})
    failed = command(w, "backprop", payload={})
    w.handlers.handle(("not", "an envelope"))
    w.handlers.handle(None)
    w.flush()
    replies = channel.replies()
    assert replies[refused] == (False, ("network.hidden_layers", "too many", 422, "spec_error"))
    assert replies[failed] == (False, ("message", "the trainer failed on this command", 500, "bug"))
    assert set(replies) == {refused, failed}
    ping = command(w, "ping")
    assert channel.replies()[ping][0] is True


class WorkClock:
    """A fake clock that advances only while networks train: each epoch of a trainer costs
    ``SECONDS_PER_UNIT`` × N × P (its training samples × parameters), as numpy roughly does."""

    SECONDS_PER_UNIT = 20e-9

    def __init__(self) -> None:
        self.now = 0.0
        self.costs: dict[int, float] = {}  # id(trainer) → fake seconds per epoch, if set

    def __call__(self) -> float:
        return self.now

    def charge(self, trainers: Any) -> None:
        for tr in trainers:
            params = sum(w.size + b.size for w, b in zip(tr.params.W, tr.params.b, strict=True))
            self.now += self.costs.get(id(tr), self.SECONDS_PER_UNIT * tr.n_train * params)


@pytest.fixture
def timed(monkeypatch) -> tuple[Worker, Recorder, WorkClock]:
    from engine.stacked import StackedTrainer
    from engine.training import Trainer

    clock = WorkClock()
    alone, stacked = Trainer.run_epoch, StackedTrainer.run_epoch

    def run_alone(self):
        clock.charge([self])
        return alone(self)

    def run_stacked(self, trainers):
        clock.charge(trainers)
        return stacked(self, trainers)

    monkeypatch.setattr(Trainer, "run_epoch", run_alone)
    monkeypatch.setattr(StackedTrainer, "run_epoch", run_stacked)
    channel = Recorder()
    return Worker(Settings(), channel, clock=clock), channel, clock


LARGE = {"network": {"hidden_layers": [32] * 4}, "dataset": {"name": "circle", "n": 2000}}


def test_four_large_jobs_of_one_client_leave_the_other_client_its_share(timed):
    """Issue 22: one client's four large same-shaped jobs stack into one group whose epoch
    costs four large epochs; the other client's playing session must still get about half
    the trainer's time and wait at most about one large epoch (not four) between chunks. (At
    job weight 1, the old rule: the weights are pinned by the tests below.)"""
    w, channel, clock = timed
    w.scheduler.job_weight = 1.0
    create(w, "calm", {}, client="calm")
    command(w, "play", "calm")
    for n in range(4):
        create(w, f"job{n}", LARGE, client="busy")
        rid = command(w, "train", f"job{n}", epochs=30, job=True)
        assert channel.replies()[rid][0] is True
    start = clock.now
    clock.charge([w.residents["job0"].trainer])
    one_epoch, clock.now = clock.now - start, start  # one large epoch's (fake) seconds
    assert one_epoch > w.publisher.frame_interval  # larger than a frame interval
    last_calm, longest_wait = 0.0, 0.0
    while clock.now < 20 * one_epoch:
        before = epoch(w, "calm")
        w.turn()
        w.flush()
        if epoch(w, "calm") > before:
            longest_wait = max(longest_wait, clock.now - last_calm)
            last_calm = clock.now
    total = w.client_vtime["calm"] + w.client_vtime["busy"]
    assert w.client_vtime["calm"] / total >= 0.45
    assert longest_wait <= 1.5 * one_epoch


JOB_SECONDS, PLAY_SECONDS = 0.1, 0.01  # fake seconds per epoch of a job, of the playing one


def jobs_beside(w: Worker, clock: WorkClock, jobs: int, client: str) -> None:
    """``jobs`` same-shaped sessions of ``client`` running long jobs, each epoch costing
    ``JOB_SECONDS`` (tiny networks really: the test stays fast); "calm" costs ``PLAY_SECONDS``."""
    channel = w.channel
    for n in range(jobs):
        create(w, f"job{n}", SMALL, client=client)
        clock.costs[id(w.residents[f"job{n}"].trainer)] = JOB_SECONDS
        rid = command(w, "train", f"job{n}", epochs=10_000, job=True)
        assert channel.replies()[rid][0] is True  # type: ignore[attr-defined]
    clock.costs[id(w.residents["calm"].trainer)] = PLAY_SECONDS


def share_of_time(w: Worker, clock: WorkClock, watch: str, epochs: float) -> float:
    """Turn for ``epochs`` job epochs of fake time; the fraction of it ``watch`` trained in
    (its turns train it alone: no other session has its shape)."""
    start, watched = clock.now, 0.0
    while clock.now - start < epochs * JOB_SECONDS:
        before, at = epoch(w, watch), clock.now
        w.turn()
        w.flush()
        if epoch(w, watch) > before:
            watched += clock.now - at
    return watched / (clock.now - start)


@pytest.mark.parametrize("job_weight", [1.0, 0.1])
def test_another_clients_jobs_weigh_job_weight_against_a_playing_session(timed, job_weight):
    """Issue 22 (``app.trainer.shares``, eq. 3): beside another client's four jobs, a playing
    session gets 1 / (1 + job_weight) of the trainer's time — half at weight 1 (the old rule),
    0.91 at the default 0.1 — however many jobs there are; the jobs still train."""
    w, _, clock = timed
    w.scheduler.job_weight = job_weight
    create(w, "calm", {}, client="calm")
    command(w, "play", "calm")
    jobs_beside(w, clock, 4, client="busy")
    share = share_of_time(w, clock, "calm", epochs=60)
    assert share == pytest.approx(1 / (1 + job_weight), abs=0.05)
    assert all(epoch(w, f"job{n}") > 0 for n in range(4))


def test_a_clients_own_playing_session_goes_before_its_jobs(timed):
    """Within one client the same weights hold: its playing session gets 1 / (1 + w) of the
    trainer beside its own job; once it pauses, the job takes all of it."""
    w, _, clock = timed
    create(w, "calm", {}, client="a")
    command(w, "play", "calm")
    jobs_beside(w, clock, 1, client="a")
    share = share_of_time(w, clock, "calm", epochs=30)
    assert share == pytest.approx(1 / (1 + w.settings.job_weight), abs=0.05)
    command(w, "pause", "calm")
    assert share_of_time(w, clock, "calm", epochs=5) == 0.0


@pytest.mark.parametrize(
    "data",
    [
        {"type": "set", "training": {"learning_rate": 0.25}},
        {"type": "create", "client": "a", "body": SMALL},
        {"type": "conceal", "fields": ["probe.delta"], "frozen": "q1"},
        {"type": "close"},
    ],
    ids=lambda d: d["type"],
)
def test_a_command_crosses_a_trainer_pipe_as_the_same_model(data):
    """A trainer process's pipe (multiprocessing pickles what it sends) delivers the model the
    edge validated, equal field by field and of the same type: nothing to decode again."""
    import multiprocessing

    command = decode(orjson.dumps(data))
    web, trainer = multiprocessing.Pipe(duplex=True)
    try:
        web.send(Envelope(7, "s", command))
        request_id, session_id, received = trainer.recv()
    finally:
        web.close()
        trainer.close()
    assert (request_id, session_id) == (7, "s")
    assert type(received) is type(command)
    assert received == command
