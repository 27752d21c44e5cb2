"""The controls registry (app/controls.py) and the lesson's lock compare
(app/classroom/controls.py): every control defined once, locks compare values."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from app.classroom.controls import (
    CONTROLS,
    changed_controls,
    check_locks,
    differences,
    locked_in_patch,
)
from app.controls import (
    BY_NAME,
    COMMAND,
    KINDS,
    LIVE_FIELDS,
    REGISTRY,
    SETTINGS,
    contract_table,
    hidden_activations_for,
)
from app.schemas import SessionCreate, TrainingPatch
from app.web.routers.api import catalog_document
from engine import ACTIVATIONS, DATASETS, INIT_SCHEMES, LOSSES, REGULARIZATIONS
from engine.training import MAX_MOMENTUM, MAX_REGULARIZATION_RATE, TrainingConfig
from tests.support.classroom import XOR_TABLE as XOR

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict = {}


def test_every_request_field_of_a_setup_is_owned_by_exactly_one_control():
    body = SessionCreate().model_dump(exclude={"state", "stop"})
    paths = set()
    for group, fields in body.items():
        for name, value in fields.items():
            if group == "network" and name == "init":
                paths |= {f"network.init.{k}" for k in value}
            else:
                paths.add(f"{group}.{name}")
    assert paths == set(SETTINGS)
    owners = [s.path for c in REGISTRY for s in c.settings]
    assert len(owners) == len(set(owners))


def test_the_request_schemas_take_their_defaults_and_bounds_from_the_registry():
    schema = SessionCreate.model_json_schema()
    defs = schema["$defs"]
    for path, s in SETTINGS.items():
        group, *rest = path.split(".")
        model = {"network": "NetworkIn", "dataset": "DatasetIn", "training": "TrainingIn"}[group]
        if rest[0] == "init":
            model, rest = "InitIn", rest[1:]
        prop = defs[model]["properties"][rest[0]]
        for key, word in (("ge", "minimum"), ("le", "maximum"), ("gt", "exclusiveMinimum")):
            if getattr(s, key) is not None and s.type not in ("units", "seed"):
                assert prop.get(word) == getattr(s, key), (path, key)
    patch = TrainingPatch.model_json_schema()["properties"]
    assert set(patch) == set(LIVE_FIELDS)
    assert patch["momentum"]["anyOf"][0]["maximum"] == MAX_MOMENTUM


def test_the_registry_reads_the_engine_registries_and_defaults():
    assert SETTINGS["network.activations"].choices == tuple(ACTIVATIONS)
    assert SETTINGS["network.loss"].choices == tuple(LOSSES)
    assert SETTINGS["dataset.name"].choices == tuple(DATASETS)
    assert SETTINGS["network.init.scheme"].choices == tuple(INIT_SCHEMES)
    assert SETTINGS["training.regularization"].choices == tuple(REGULARIZATIONS)
    assert SETTINGS["training.regularization_rate"].le == MAX_REGULARIZATION_RATE
    engine_defaults = TrainingConfig()
    for name in LIVE_FIELDS:
        assert SETTINGS[f"training.{name}"].default == getattr(engine_defaults, name)
    defaults = SessionCreate().model_dump()
    assert defaults["training"]["momentum"] == SETTINGS["training.momentum"].default


def test_every_control_has_a_label_help_kind_and_a_way_to_compare():
    for c in REGISTRY:
        assert c.kind in KINDS and c.label and c.help.endswith(".")
        if c.kind == COMMAND:
            assert c.commands or c.routes, c.name
        else:
            assert c.settings and (c.value or c.same_as), c.name
    assert BY_NAME["learning_rate"].symbol == "η"
    assert list(CONTROLS) == [c.name for c in REGISTRY]


def test_the_catalog_lists_the_registry_as_controls_and_keeps_its_keys():
    doc = catalog_document()
    for key in ("activations", "losses", "init_schemes", "regularizations", "datasets"):
        assert key in doc
    names = [c["name"] for c in doc["controls"]]
    assert names == list(CONTROLS)
    lr = doc["controls"][names.index("learning_rate")]
    assert lr["kind"] == "live" and lr["settings"][0]["path"] == "training.learning_rate"


def test_the_contract_tables_every_control_as_the_registry_defines_it():
    text = (ROOT / "docs" / "contract.md").read_text()
    assert contract_table() in text, "regenerate the table: python -m app.controls"
    for c in REGISTRY:
        assert f"| `{c.name}` | {c.kind} |" in text


def test_an_unknown_lock_name_is_refused_and_aliases_read_as_their_control(monkeypatch):
    with pytest.raises(ValueError, match="unknown controls"):
        check_locks(["everything"])
    import app.controls as registry

    monkeypatch.setitem(registry.ALIASES, "eta", "learning_rate")  # a renamed control
    assert check_locks(["eta", "loss", "learning_rate"]) == ["learning_rate", "loss"]
    # a lesson stored before the rename reads its lock as the control's name today
    from app.classroom.rooms import SeatOwner

    owner = SeatOwner("s", "h", "active", "c", "t", True, ["loss", "eta", "gone"])
    assert owner.locks == ["learning_rate", "loss"]


# ---- locks compare values -------------------------------------------------------------------


def test_a_live_change_that_keeps_a_locked_value_is_not_a_change():
    # the page's whole training group with only η changed: batch_size locked holds
    patch = {
        "learning_rate": 0.3,
        "batch_size": 10,
        "momentum": 0.0,
        "regularization": "none",
        "regularization_rate": 0.0,
    }
    assert locked_in_patch(DEFAULTS, patch, ["batch_size"]) == []
    assert locked_in_patch(DEFAULTS, {**patch, "batch_size": 20}, ["batch_size"]) == ["batch_size"]
    assert locked_in_patch(DEFAULTS, patch, ["learning_rate"]) == ["learning_rate"]


def test_a_regularisation_rate_without_regularisation_changes_nothing():
    assert locked_in_patch(DEFAULTS, {"regularization_rate": 0.1}, ["regularization"]) == []
    assert locked_in_patch(DEFAULTS, {"regularization": "l2"}, ["regularization"]) == [
        "regularization"
    ]


def test_a_patch_value_that_cannot_be_compared_counts_as_a_change():
    odd = {"regularization": "l2", "regularization_rate": "x"}
    assert locked_in_patch(DEFAULTS, odd, ["regularization"]) == ["regularization"]
    assert locked_in_patch(DEFAULTS, {"momentum": [1]}, ["momentum"]) == ["momentum"]


def test_an_inline_dataset_sent_again_without_its_n_is_the_same_dataset():
    again = copy.deepcopy(XOR)
    del again["dataset"]["n"]
    again["network"]["hidden_layers"] = [2, 2]
    again["network"]["activations"] = ["sigmoid", "sigmoid", "sigmoid"]
    assert changed_controls(XOR, again) == ["hidden_layers"]
    other = copy.deepcopy(XOR)
    other["dataset"]["targets"] = [[0], [1], [1], [1]]
    assert changed_controls(XOR, other) == ["dataset"]


def test_a_generated_dataset_compares_the_parameters_it_uses():
    table = {"dataset": {"name": "xor_table", "n": 4}}
    assert changed_controls(table, {"dataset": {"name": "xor_table", "noise": 0.3}}) == []
    circle = {"dataset": {"name": "circle", "n": 200}}
    assert changed_controls(circle, {"dataset": {"name": "circle", "n": 300}}) == ["dataset"]


def test_a_new_layer_with_activations_locked_keeps_the_lesson_activations():
    lesson = {"network": {"hidden_layers": [4, 2], "activations": ["relu", "tanh", "sigmoid"]}}
    deeper = {
        "network": {"hidden_layers": [4, 2, 2], "activations": ["relu", "tanh", "tanh", "sigmoid"]}
    }
    assert changed_controls(lesson, deeper) == ["hidden_layers"]
    wrong = {
        "network": {"hidden_layers": [4, 2, 2], "activations": ["relu", "tanh", "relu", "sigmoid"]}
    }
    assert changed_controls(lesson, wrong) == ["hidden_layers", "activations"]
    other_output = {"network": {"hidden_layers": [4], "activations": ["relu", "tanh"]}}
    assert "activations" in changed_controls(lesson, other_output)
    assert hidden_activations_for(["sigmoid"], 2) == ["tanh", "tanh"]  # no hidden: the default
    # the default activations (none named) are tanh everywhere, whatever the depth
    assert changed_controls({}, {"network": {"hidden_layers": [4, 2, 2]}}) == ["hidden_layers"]


def test_the_csv_difference_of_a_student_who_changed_nothing_is_empty():
    shown = copy.deepcopy(XOR)
    shown["dataset"].pop("inputs")
    shown["dataset"].pop("targets")
    assert differences(XOR, shown, shown=True) == {}
    faster = copy.deepcopy(shown)
    faster["training"]["learning_rate"] = 1.0
    assert differences(XOR, faster, shown=True) == {"learning_rate": 1.0}


def test_no_page_module_keeps_a_table_of_the_controls_own_words():
    """The page reads each control's label, help and group from the catalog: a module that
    maps most control names to strings (labels, groups) is a second definition that drifts."""
    import re

    names = [c.name for c in REGISTRY]
    tables = {}
    for path in sorted((ROOT / "static" / "js").rglob("*.js")):
        text = path.read_text()
        named = {n for n in names if re.search(rf'(?<![\w.]){n}\s*:\s*"', text)}
        if len(named) >= len(names) // 2:
            tables[str(path.relative_to(ROOT))] = sorted(named)
    assert tables == {}, tables
