"""Frame encoding: the compact activation grid decodes to the unit's values."""

from __future__ import annotations

import base64

import numpy as np

from app.frames import encode_layer, encode_unit, grid_points


def decode(unit: dict) -> np.ndarray:
    data = np.frombuffer(base64.b64decode(unit["data"]), dtype=np.uint8)
    return unit["lo"] + (unit["hi"] - unit["lo"]) * data / 255.0


def test_a_unit_decodes_to_within_half_a_step_of_its_values():
    values = np.random.default_rng(1).normal(size=24 * 24)
    unit = encode_unit(values)
    step = (values.max() - values.min()) / 255
    assert np.abs(decode(unit) - values).max() <= step / 2 + 1e-12


def test_a_constant_unit_decodes_to_its_constant():
    unit = encode_unit(np.full(16, 0.25))
    assert np.all(decode(unit) == 0.25)


def test_a_layer_is_encoded_like_its_units():
    A = np.random.default_rng(2).uniform(-1, 1, size=(100, 4))
    A[:, 1] = 3.0
    assert encode_layer(A) == [encode_unit(A[:, j]) for j in range(4)]


def test_grid_rows_start_at_the_lowest_x2_and_x1_rises_along_a_row():
    P = grid_points([(-1.0, 1.0), (10.0, 20.0)], 4)
    assert P.shape == (16, 2)
    assert np.all(np.diff(P[:4, 0]) > 0) and np.all(P[:4, 1] == P[0, 1])
    assert P[0, 1] == P[:, 1].min() and P[-1, 1] == P[:, 1].max()
