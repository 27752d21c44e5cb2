"""Issue 11 "Build": the trained network as code, gradient flow, stop condition and confusion
matrix, your own data — each driven through the page in a real browser."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from .conftest import open_playground, rest

pytestmark = pytest.mark.browser


def test_the_py_button_downloads_a_script_that_reproduces_the_servers_outputs(page, tmp_path):
    open_playground(page)
    page.click("#btn-step")
    page.wait_for_function("Number(document.getElementById('epoch').textContent) === 1")
    with page.expect_download() as dl:
        page.click("#btn-code-numpy")
    assert dl.value.suggested_filename == "network_numpy.py"
    script = tmp_path / "network.py"
    script.write_text(open(dl.value.path()).read())
    X = [[0.5, -1.0], [2.0, 3.0], [-4.0, 0.25]]
    out = subprocess.run(
        [sys.executable, str(script)],
        input=json.dumps(X),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    sid = page.evaluate("window.__bpp.sessionId")
    expected = rest(page, "POST", f"/api/sessions/{sid}/predict", {"inputs": X})["outputs"]
    np.testing.assert_allclose(json.loads(out.stdout), expected, rtol=0, atol=1e-12)
    with page.expect_download() as dl:
        page.click("#btn-code-torch")
    assert "class Network(nn.Module)" in open(dl.value.path()).read()
