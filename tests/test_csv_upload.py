"""Your own data: POST /api/csv reads a CSV file's text into the tables of an inline dataset;
a bad file is refused naming line and column; limits are named settings."""

from __future__ import annotations

import pytest

CLEAN = "x1,x2,label\n0.5,1.0,1\n-1.5,2,0\n\n0.25,-4,1\n2,2,0\n"


# one app for the file, fresh sessions per test (tests/conftest.py, ``client``)
pytestmark = pytest.mark.shared_app


def test_columns_rows_and_preview_of_a_file(client):
    r = client.post("/api/csv", json={"text": CLEAN})
    assert r.status_code == 200
    body = r.json()
    assert body["columns"] == ["x1", "x2", "label"] and body["rows"] == 4
    assert body["preview"][0] == [0.5, 1.0, 1.0]


def test_chosen_columns_become_an_inline_session(client, new_session):
    r = client.post(
        "/api/csv", json={"text": CLEAN, "inputs": ["x1", "x2"], "targets": ["label"]}
    ).json()
    assert r["inputs"] == [[0.5, 1.0], [-1.5, 2.0], [0.25, -4.0], [2.0, 2.0]]
    assert r["targets"] == [[1.0], [0.0], [1.0], [0.0]]
    state = new_session(
        {
            "network": {"hidden_layers": [3], "activations": ["tanh", "sigmoid"]},
            "dataset": {"name": "inline", "inputs": r["inputs"], "targets": r["targets"]},
        }
    )
    assert state["data"]["task"] == "classification"
    assert state["data"]["train"]["points"] == r["inputs"]


def test_a_file_without_header_gets_column_names_and_tabs_or_semicolons_work(client):
    assert client.post("/api/csv", json={"text": "1\t2\n3\t4\n"}).json()["columns"] == ["c1", "c2"]
    assert client.post("/api/csv", json={"text": "a;b\n1;2\n"}).json()["rows"] == 1


@pytest.mark.parametrize(
    "text, message",
    [
        ("x1,x2,t\n1,2,3\n4,abc,6\n", "line 3, column 2 ('x2'): 'abc' is not a number"),
        ("x1,x2,t\n1,2,3\n4,5\n", "line 3: 2 columns, but the file has 3"),
        ("x1,x2,t\n\n1,2,3\n4,5,inf\n", "line 4, column 3 ('t')"),
        ("x1,x2,t\n1,2,1e9\n", "max_abs_value"),
        ("", "empty"),
        ("a,b\n", "no rows"),
        ("a,a\n1,2\n", "'a' appears twice"),
        ("a,b\n1," + "9" * 140_000 + "\n", "line 2: field larger than field limit"),
        ("a,b\n1,2\x00\n", "line 2, column 2 ('b')"),
    ],
)
def test_a_bad_file_is_refused_naming_line_and_column(client, text, message):
    r = client.post("/api/csv", json={"text": text})
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["field"] == "text"
    assert message in detail["msg"]


def test_limits_are_named_settings(make_client):
    client = make_client(max_csv_rows=4, max_csv_columns=3, max_csv_bytes=200)
    rows = "a,b\n" + "1,2\n" * 5
    assert "max_csv_rows" in client.post("/api/csv", json={"text": rows}).json()["detail"][0]["msg"]
    wide = "1,2,3,4\n"
    r = client.post("/api/csv", json={"text": wide}).json()["detail"][0]
    assert "line 1" in r["msg"] and "max_csv_columns" in r["msg"]
    big = "a,b\n" + "1.000000,2.000000\n" * 20
    assert "max_csv_bytes" in client.post("/api/csv", json={"text": big}).json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    "choice, field",
    [
        ({"inputs": ["x1", "nope"], "targets": ["label"]}, "inputs[1]"),
        ({"inputs": ["x1"], "targets": []}, "targets"),
        ({"inputs": [], "targets": ["label"]}, "inputs"),
        ({"inputs": ["x1", "label"], "targets": ["label"]}, "targets[0]"),
        ({"inputs": "x1", "targets": ["label"]}, "inputs"),
    ],
)
def test_bad_column_choices_name_the_field(client, choice, field):
    r = client.post("/api/csv", json={"text": CLEAN, **choice})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == field


def test_a_missing_text_is_refused_naming_it(client):
    r = client.post("/api/csv", json={})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "text"
