# SPDX-License-Identifier: GPL-3.0-or-later
"""The 12-point sweep run by the Dask driver on a LocalCluster of 2 workers gives the same
sweep.csv, byte for byte, as one `archsim sweep` process."""
import subprocess
import sys
from pathlib import Path

import dask_sweep

ROOT = Path(__file__).resolve().parent.parent
ARCHSIM = ROOT / ".build" / "release" / "archsim"
GRID = ROOT / "Tests" / "CLITests" / "Fixtures" / "sweep" / "grid12.yaml"


def test_dask_localcluster_matches_one_process(tmp_path):
    one = tmp_path / "one"
    subprocess.run([str(ARCHSIM), "sweep", str(GRID), "--out", str(one), "--quiet"], check=True)
    dask_out = tmp_path / "dask"
    assert dask_sweep.main([str(GRID), "--out", str(dask_out), "--workers", "2", "--shards", "3",
                            "--archsim", str(ARCHSIM)]) == 0
    assert (dask_out / "sweep.csv").read_bytes() == (one / "sweep.csv").read_bytes()


def test_bad_sweep_file_fails_before_the_cluster(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"scenario: {GRID.parent / 'base.yaml'}\ngrid:\n  architecture.services.front.instances: []\n")
    assert dask_sweep.main([str(bad), "--out", str(tmp_path / "o"), "--archsim", str(ARCHSIM)]) == 2
    assert "empty grid" in capsys.readouterr().err


def test_out_holding_another_sweep_is_refused(tmp_path, capsys):
    """A shard directory left by another sweep is not resumed (nor merged) under this one's labels."""
    other = tmp_path / "other.yaml"
    other.write_text(f"scenario: {GRID.parent / 'base.yaml'}\nreplications: 1\n"
                     "grid:\n  architecture.services.front.instances: [1, 2]\n")
    out = tmp_path / "dask"
    subprocess.run([str(ARCHSIM), "sweep", str(other), "--shard", "1/3", "--out", str(out / "shards" / "1-of-3"),
                    "--duration", "1s", "--quiet"], check=True)
    assert dask_sweep.main([str(GRID), "--out", str(out), "--workers", "2", "--shards", "3",
                            "--archsim", str(ARCHSIM), "--", "--duration", "2s"]) == 2
    err = capsys.readouterr().err
    assert "shard 1/3 failed (2)" in err and "another sweep" in err
    assert not (out / "sweep.csv").exists()


def test_replications_as_sweep_points_match_one_process(tmp_path):
    """Replications spread over workers (the `replication` sweep parameter) merge into the same
    sweep.csv and replication-summary.csv (Student-t intervals) as one process."""
    sweep = tmp_path / "reps.yaml"
    sweep.write_text(f"scenario: {GRID.parent / 'base.yaml'}\n"
                     "grid:\n  architecture.services.front.instances: [1, 2]\n  replication: [0, 1, 2]\n")
    one = tmp_path / "one"
    subprocess.run([str(ARCHSIM), "sweep", str(sweep), "--out", str(one), "--quiet", "--duration", "2s"], check=True)
    dask_out = tmp_path / "dask"
    assert dask_sweep.main([str(sweep), "--out", str(dask_out), "--workers", "2", "--shards", "3",
                            "--archsim", str(ARCHSIM), "--", "--duration", "2s"]) == 0
    for name in ["sweep.csv", "replication-summary.csv"]:
        assert (dask_out / name).read_bytes() == (one / name).read_bytes(), name
    rows = [line.split(",") for line in (one / "replication-summary.csv").read_text().splitlines()]
    header = rows[0]
    assert header[:4] == ["architecture.services.front.instances", "scenario", "request_type", "replications"]
    alls = [r for r in rows[1:] if r[2] == "all"]
    # One row per instance count, over its three replications, with an interval.
    assert [r[0] for r in alls] == ["1", "2"] and all(r[3] == "3" for r in alls)
    assert all(float(r[header.index("throughput_rps_ci95")]) > 0 for r in alls)
