"""Frame encoding: the compact activation grid decodes to the unit's values."""

from __future__ import annotations

import base64

import numpy as np

from app.trainer.frames import encode_layers, grid_points


def decode(unit: dict) -> np.ndarray:
    data = np.frombuffer(base64.b64decode(unit["data"]), dtype=np.uint8)
    return unit["lo"] + (unit["hi"] - unit["lo"]) * data / 255.0


def test_every_unit_decodes_to_within_half_a_step_of_its_values():
    rng = np.random.default_rng(1)
    layers = [rng.normal(size=(24 * 24, 2)), rng.uniform(-5, 5, size=(24 * 24, 3))]
    encoded = encode_layers(layers)
    assert [len(units) for units in encoded] == [2, 3]
    for A, units in zip(layers, encoded, strict=True):
        for j, unit in enumerate(units):
            values = A[:, j]
            assert (unit["lo"], unit["hi"]) == (values.min(), values.max())
            step = (values.max() - values.min()) / 255
            assert np.abs(decode(unit) - values).max() <= step / 2 + 1e-12


def test_a_constant_unit_decodes_to_its_constant():
    A = np.random.default_rng(2).uniform(-1, 1, size=(16, 3))
    A[:, 1] = 0.25
    unit = encode_layers([A])[0][1]
    assert np.all(decode(unit) == 0.25)


def test_a_unit_is_encoded_alike_alone_or_among_other_layers():
    rng = np.random.default_rng(3)
    A, B = rng.uniform(-1, 1, size=(100, 4)), rng.normal(size=(100, 2))
    together = encode_layers([A, B])
    assert together[0] == encode_layers([A])[0]
    assert together[1] == [encode_layers([B[:, [j]]])[0][0] for j in range(2)]


def test_grid_rows_start_at_the_lowest_x2_and_x1_rises_along_a_row():
    P = grid_points([(-1.0, 1.0), (10.0, 20.0)], 4)
    assert P.shape == (16, 2)
    assert np.all(np.diff(P[:4, 0]) > 0) and np.all(P[:4, 1] == P[0, 1])
    assert P[0, 1] == P[:, 1].min() and P[-1, 1] == P[:, 1].max()
