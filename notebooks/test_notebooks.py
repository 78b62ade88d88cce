# SPDX-License-Identifier: GPL-3.0-or-later
"""Every notebook executes headless without an error (a broken notebook fails CI). Each runs on a
copy, so the committed notebooks keep their rendered outputs; scripts/results re-renders them."""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
NOTEBOOKS = sorted(HERE.glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    # Figures go to a scratch folder here, not over the committed PNGs.
    monkeypatch.setenv("ARCHSIM_FIGURES", str(tmp_path))
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert any(tmp_path.glob("*.png")), "the notebook saves its figures as PNG"
