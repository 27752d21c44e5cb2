"""The example notebook (docs/client.ipynb) runs top to bottom without an error: the 2-2-2
worked example by hand and through the API, a trained network, its loss and |δ| plots. It
starts its own in-process server (``Playground.local()``). About 15 s."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.server import ROOT

NOTEBOOK = ROOT / "docs" / "client.ipynb"

pytestmark = pytest.mark.notebook


def test_the_example_notebook_runs_without_an_error(tmp_path: Path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.delenv("BPP_URL", raising=False)
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the inline backend draws PNGs
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},  # runs in an empty folder
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "E = 0.298371109" in text and "the API agrees" in text
    assert any("image/png" in o.get("data", {}) for o in outputs), "no plot was drawn"
    assert not any(tmp_path.iterdir()), "the notebook left files behind"
