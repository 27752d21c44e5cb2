"""The gradient-flow series measured stacked (``app.trainer.flow_stack``) pinned to each
session's own measurement (``Resident.record_flow``: ``Trainer.node_stats`` of the snapshot)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.settings import Settings
from app.trainer.flow_stack import flow_of_stack
from app.trainer.resident import Resident
from engine.stacked import StackedTrainer

SETTINGS = Settings()


def residents(hidden: list[int], dataset: str, rates: list[float]) -> list[Resident]:
    return [
        Resident(
            f"s{k}",
            "client",
            {
                "network": {"hidden_layers": hidden, "init": {"seed": k}},
                "dataset": {"name": dataset},
                "training": {"learning_rate": eta},
            },
            SETTINGS,
        )
        for k, eta in enumerate(rates)
    ]


@settings(max_examples=20, deadline=None)
@given(
    hidden=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    dataset=st.sampled_from(["circle", "xor", "spiral"]),
    rates=st.lists(st.sampled_from([0.003, 0.03, 0.3, 3.0]), min_size=2, max_size=4),
    epochs=st.integers(1, 4),
)
def test_the_stacked_gradient_flow_is_each_sessions_own(hidden, dataset, rates, epochs):
    stacked, alone = residents(hidden, dataset, rates), residents(hidden, dataset, rates)
    stack = StackedTrainer()
    for _ in range(epochs):
        snaps = stack.run_epoch([r.trainer for r in stacked])
        flows = flow_of_stack(stack, stacked, snaps)
        for r, snap, flow in zip(stacked, snaps, flows, strict=True):
            r.record(snap, flow)
        for r in alone:
            r.record(r.trainer.run_epoch())
    for got, want in zip(stacked, alone, strict=True):
        g, w = got.flow.to_json(), want.flow.to_json()
        assert g["epoch"] == w["epoch"]
        for key in ("delta", "grad_w"):
            np.testing.assert_allclose(g[key], w[key], rtol=1e-9, atol=1e-300, equal_nan=True)


def test_only_the_members_whose_series_keeps_the_epoch_are_measured():
    rs = residents([4, 2], "circle", [0.03, 0.03, 0.03])
    stack = StackedTrainer()
    rs[0].flow.stride = 4  # keeps every 4th epoch from its first one (0)
    snaps = stack.run_epoch([r.trainer for r in rs])
    flows = flow_of_stack(stack, rs, snaps)
    assert flows[0] is None and flows[1] is not None and flows[2] is not None
    # per layer after the input: mean |δ| and mean |∂E/∂w|
    assert [(len(d), len(g)) for d, g in flows[1:]] == [(3, 3), (3, 3)]
