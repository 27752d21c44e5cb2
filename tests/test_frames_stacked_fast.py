"""The binary frame's fast paths pinned to the readable ones: the stack's grids quantised in one
pass give each session's JSON grid bytes exactly; the deflate reads back with plain zlib."""

from __future__ import annotations

import base64
import zlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from app.trainer.deflate import deflate
from app.trainer.frame_binary import quantise_stack
from app.trainer.frames import encode_layers

CELL = st.one_of(
    st.floats(-3, 3, allow_nan=False, width=64),
    st.sampled_from([0.0, 1.0, -1.0, 1e300, -1e300]),
)
WILD = st.one_of(CELL, st.sampled_from([np.nan, np.inf, -np.inf]))


@st.composite
def stacks(draw, cells=CELL):
    S = draw(st.integers(1, 4))
    G = draw(st.integers(1, 12))
    widths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    constant = draw(st.booleans())  # a unit whose cells are all equal (hi = lo)
    out = []
    for n in widths:
        a = draw(arrays(np.float64, (S, G, n), elements=cells))
        if constant:
            a[:, :, 0] = a[:, :1, 0]
        out.append(a)
    return out


def assert_same_as_json(grid: list[np.ndarray]) -> None:
    q, lo, hi = quantise_stack([a.copy() for a in grid])
    for i in range(grid[0].shape[0]):
        units = [u for layer in encode_layers([a[i] for a in grid]) for u in layer]
        assert q.shape[1] == len(units)
        for j, unit in enumerate(units):
            assert q[i, j].tobytes() == base64.b64decode(unit["data"]), (i, j)
            assert (lo[i, j], hi[i, j]) == (unit["lo"], unit["hi"]), (i, j)


@settings(max_examples=150, deadline=None)
@given(stacks())
def test_the_stacked_quantisation_gives_each_sessions_json_grid_bytes(grid):
    assert_same_as_json(grid)


@settings(max_examples=60, deadline=None)
@given(stacks(WILD))
def test_the_stacked_quantisation_matches_json_after_an_edit_to_huge_weights(grid):
    assert_same_as_json(grid)


def test_the_stacked_quantisation_leaves_the_engines_grids_alone():
    grid = [np.linspace(-1, 1, 24).reshape(2, 6, 2)]
    before = grid[0].copy()
    quantise_stack(grid)
    np.testing.assert_array_equal(grid[0], before)


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=6000))
def test_the_frames_deflate_reads_back_with_plain_zlib(data):
    assert zlib.decompress(deflate(data)) == data


def test_without_isal_the_frames_deflate_is_zlibs(monkeypatch):
    from app.trainer import deflate as module

    monkeypatch.setattr(module, "isal_zlib", None)
    data = bytes(range(256)) * 8
    assert module.deflate(data) == zlib.compress(data, module.ZLIB_LEVEL)
