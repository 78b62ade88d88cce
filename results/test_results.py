# SPDX-License-Identifier: GPL-3.0-or-later
"""A determinism and regression guard: the quick bundled results, re-run now, must be
byte-identical to the committed ones (regenerate them all with scripts/results)."""
import filecmp
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARCHSIM = ROOT / ".build" / "release" / "archsim"
FILES = ["summary.csv", "components.csv", "replications.csv", "timeseries.csv"]


def run(args, out):
    subprocess.run([str(ARCHSIM), *args, "--out", str(out), "--quiet"], check=True, cwd=ROOT)


@pytest.mark.parametrize("scenario, committed", [
    ("scenarios/double11-monolith.yaml", "results/double11-monolith"),
    ("scenarios/evolution/01-monolith.yaml", "results/evolution/evolution-01-monolith"),
    ("scenarios/evolution/02-cluster.yaml", "results/evolution/evolution-02-cluster"),
])
def test_run_matches_committed(scenario, committed, tmp_path):
    run(["run", scenario], tmp_path)
    for name in FILES:
        assert filecmp.cmp(tmp_path / name, ROOT / committed / name, shallow=False), f"{committed}/{name} differs"


@pytest.mark.parametrize("sweep, committed", [
    ("scenarios/claims/replicas.sweep.yaml", "results/replicas"),
    ("scenarios/claims/capacity-grid.sweep.yaml", "results/capacity-grid"),
])
def test_sweep_matches_committed(sweep, committed, tmp_path):
    run(["sweep", sweep], tmp_path)
    assert filecmp.cmp(tmp_path / "sweep.csv", ROOT / committed / "sweep.csv", shallow=False)
