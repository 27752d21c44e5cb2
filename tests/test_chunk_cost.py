"""How much of a stacked group trains in one chunk (``app.trainer.chunk_cost``, issue 22)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.trainer.chunk_cost import COST_SMOOTHING, SECONDS_PER_WORK, ChunkCost

KEY = ("shape",)


def member(name: str, client: str, work: int = 1_000_000):
    return SimpleNamespace(id=name, client=client, epoch_work=lambda: work)


def served_in_order(order: list[str]):
    return lambda r: (0.0, float(order.index(r.id)))


def test_a_lone_clients_stack_trains_whole_however_costly():
    group = [member(n, "a", work=10**12) for n in "pqrs"]
    assert ChunkCost().cut(group, KEY, 0.001, False, served_in_order(list("pqrs"))) == group


def test_with_others_waiting_the_least_served_members_that_fit_the_budget_train():
    group = [member(n, "a") for n in "pqrs"]  # first guess: 1e6 work units = 0.02 s each
    budget = 2.5 * 1_000_000 * SECONDS_PER_WORK
    cut = ChunkCost().cut(group, KEY, budget, True, served_in_order(list("sqrp")))
    assert [r.id for r in cut] == ["s", "q"]


def test_at_least_one_member_trains_even_when_one_epoch_is_over_the_budget():
    group = [member(n, "a") for n in "pq"]
    cut = ChunkCost().cut(group, KEY, 1e-9, True, served_in_order(["q", "p"]))
    assert [r.id for r in cut] == ["q"]


def test_two_clients_in_one_group_are_cut_as_if_others_waited():
    group = [member("p", "a"), member("q", "b")]
    cost = ChunkCost()
    cost.learn(KEY, 1.0, 1)  # one member-epoch takes a second
    cut = cost.cut(group, KEY, 0.5, False, served_in_order(["q", "p"]))
    assert [r.id for r in cut] == ["q"]


def test_the_measured_cost_replaces_the_guess_and_then_averages_exponentially():
    cost = ChunkCost()
    cost.learn(KEY, 0.4, 4)
    assert cost.seconds[KEY] == pytest.approx(0.1)
    cost.learn(KEY, 0.3, 1)
    assert cost.seconds[KEY] == pytest.approx(0.1 + COST_SMOOTHING * (0.3 - 0.1))
    cost.learn(KEY, 1.0, 0)  # no epoch trained: nothing learnt
    assert cost.seconds[KEY] == pytest.approx(0.1 + COST_SMOOTHING * 0.2)
    group = [member(n, "a") for n in "pqrs"]
    assert len(cost.cut(group, KEY, 0.45, True, served_in_order(list("pqrs")))) == 2


def test_shapes_nobody_trains_are_forgotten():
    cost = ChunkCost()
    cost.learn(KEY, 1.0, 1)
    cost.learn(("other",), 1.0, 1)
    cost.keep_only({KEY})
    assert set(cost.seconds) == {KEY}
