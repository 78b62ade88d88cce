#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run an ArchSim sweep on a Dask cluster.

ArchSim splits the work deterministically (`archsim sweep FILE --shard K/N` runs the points of
shard K); Dask only places the shards on workers. Each shard writes its points to its own
directory; `archsim merge` joins them into the same sweep.csv, byte for byte, as one machine
would write. A shard or the merge that archsim refuses (another sweep's points in DIR, a damaged
file) ends the driver with archsim's message and status 2.

    tools/dask_sweep.py SWEEP.yaml --out DIR                       # a LocalCluster on this machine
    tools/dask_sweep.py SWEEP.yaml --out DIR --scheduler tcp://host:8786 --shards 64

On a real cluster every worker needs the archsim binary (same version) and libgsl, and DIR must
be on a file system all workers and this driver share (see README, "Sweeps on a cluster").
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path


def run_shard(archsim: str, sweep: str, k: int, n: int, out: str, jobs: int, extra: list[str]) -> str:
    """One shard on one worker: archsim sweep … --shard K/N (finished points are skipped)."""
    cmd = [archsim, "sweep", sweep, "--shard", f"{k}/{n}", "--out", out, "--jobs", str(jobs), "--quiet", *extra]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"shard {k}/{n} failed ({done.returncode}): {done.stderr.strip()}")
    return out


def default_archsim() -> str:
    local = Path(__file__).resolve().parent.parent / ".build" / "release" / "archsim"
    if local.exists():
        return str(local)
    found = shutil.which("archsim")
    if found:
        return found
    sys.exit("dask_sweep: no archsim binary: build it (swift build -c release) or pass --archsim PATH")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sweep", help="the sweep YAML file")
    p.add_argument("--out", required=True, help="output directory (shared by all workers)")
    p.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://host:8786; "
                                       "default: a LocalCluster on this machine")
    p.add_argument("--workers", type=int, default=2, help="LocalCluster workers (default 2)")
    p.add_argument("--shards", type=int, help="number of shards (default: 2 × workers)")
    p.add_argument("--jobs", type=int, default=1, help="replications run at once inside a shard (default 1)")
    p.add_argument("--archsim", default=None, help="path of the archsim binary on the workers")
    p.epilog = "Options after -- go to archsim sweep (e.g. -- --replications 5)."
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    a = p.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    archsim = a.archsim or default_archsim()
    sweep = str(Path(a.sweep).resolve())
    out = Path(a.out).resolve()
    # Check the sweep file (every point) before using the cluster.
    listed = subprocess.run([archsim, "sweep", sweep, "--list"], capture_output=True, text=True)
    if listed.returncode != 0:
        sys.stderr.write(listed.stderr)
        return listed.returncode

    from dask.distributed import Client, LocalCluster  # imported late: --help works without dask

    if a.scheduler:
        client = Client(a.scheduler)
        workers = max(1, len(client.scheduler_info()["workers"]))
    else:
        cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        workers = a.workers
    n = a.shards or 2 * workers
    shard_dirs = [str(out / "shards" / f"{k}-of-{n}") for k in range(1, n + 1)]
    try:
        futures = [client.submit(run_shard, archsim, sweep, k, n, shard_dirs[k - 1], a.jobs, extra, pure=False)
                   for k in range(1, n + 1)]
        client.gather(futures)
    except RuntimeError as failed:  # a shard's archsim refused (e.g. its directory holds another sweep)
        sys.stderr.write(f"dask_sweep: {failed}\n")
        return 2
    finally:
        client.close()
        if not a.scheduler:
            cluster.close()
    merged = subprocess.run([archsim, "merge", *shard_dirs, "--out", str(out)], capture_output=True, text=True)
    if merged.returncode != 0:
        sys.stderr.write(merged.stderr)
        return merged.returncode
    print(f"wrote {out / 'sweep.csv'} ({n} shards on {workers} workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
