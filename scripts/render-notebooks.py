#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Executes every notebook in notebooks/ in place (outputs kept for reading on a code host);
their figures are saved as PNG under results/figures/."""
from pathlib import Path

import nbformat
from nbclient import NotebookClient

root = Path(__file__).resolve().parent.parent / "notebooks"
for path in sorted(root.glob("*.ipynb")):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(root)}}).execute()
    nbformat.write(nb, path)
    print(f"rendered {path.name}")
