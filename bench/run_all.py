"""Every benchmark in one run: bench/results.json and docs/performance.md (what `make bench` runs).

    .venv/bin/python bench/run_all.py [--only NAME ...] [--quick]

Runs each bench/ script as its own process (one after the other: timings on 2 cores are
noisy enough), keeps its printed output, and writes bench/results.json (machine, date,
per script: arguments, seconds, output, the lines that state a ratio or a target) and
docs/performance.md (one table of those lines, then each script's output under what it
measures). Nothing on the page is typed by hand. ``--quick`` runs bench_scale on 10^6
rows instead of the issue's 10^7 (minutes instead of a quarter of an hour).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
PAGE = ROOT / "docs" / "performance.md"

# (title, script, arguments, what it measures: prose without measured numbers)
BENCHES = [
    ("Automatic k", "bench_select_k.py", [],
     "`AtlasCluster(method=\"kmeans\", k=\"auto\")` against the notebook loop it replaces (KMeans with n_init 10 "
     "plus `silhouette_score`, k = 2..10, then a refit) on Carbon8 (3560 x 15); both must choose the same k and "
     "labels. atomatlas also records inertia, Calinski-Harabasz and Davies-Bouldin for every k. Above 6000 rows "
     "silhouette is estimated on a fixed sample of 6000 rows (`learn.select_k.SILHOUETTE_SAMPLE`): the exact "
     "score costs O(n^2)."),
    ("Descriptors", "bench_descriptors.py", [],
     "The same SOAP descriptors with DScribe directly and with atomatlas (n_jobs 1 and 2), checked equal, on seed "
     "000's probe grid (one structure, 10,000 centres) and on 96 rattled 128-atom bcc iron cells, every side with "
     "single-threaded BLAS; the speed-up compares n_jobs=2 with its own chunks run one after the other in one "
     "process, and DScribe's own n_jobs=2 stands beside it. atomatlas splits "
     "the work into tasks of at most 1000 centres, ships the DScribe object once and runs single-threaded BLAS in "
     "its workers; what the speed-up loses goes to starting workers, pickling structures and copying rows back. "
     "Tried and dropped: workers writing rows into one memory-mapped array (slower than returning them)."),
    ("Diffraction fingerprints", "bench_diffraction.py", [],
     "42 rotated ~250-atom clusters of the seven classes fingerprinted three ways: the direct per-pixel sum over "
     "atoms (float32), atomatlas on one core and on two processes. atomatlas evaluates only the pixels the masks "
     "keep, applies the six rotations to q (one matrix product for every phase) and sums per species with a "
     "one-hot matrix; what is left is trigonometry. Tried and dropped: numba's fused loop (no SVML here: slower "
     "than NumPy) and the detectors' 8-fold ring symmetry in NumPy (the extra complex products cost what they "
     "save); next: a compiled kernel that fuses both."),
    ("KMeans in memory", "bench_kmeans_memory.py", [],
     "The issue's in-memory anchor: 10^6 x 64 rows of 20 blobs. atomatlas's `kmeans` (10 starts) beside "
     "scikit-learn's `KMeans` with its defaults (one start) and with the same 10 starts, then `api.cluster` from a "
     "parquet file to a run folder beside the notebook it replaces (read, scale, KMeans, CSV). The end-to-end "
     "difference is what the notebook does not do: the value checks, the scores, the picks, map.csv and the map "
     "figure, and saving the model. This benchmark "
     "found two costs that grew with the rows and were removed: per-row silhouettes of every row (O(n^2); now a "
     "sample of 6000, as k selection uses) and farthest-point picks that copied the table for every pick."),
    ("Crystal classes end to end", "bench_classify.py", [],
     "`classify` from an extxyz file of ~250-atom structures to a run folder (reading, overlap checks, descriptor, "
     "model, files), with the shipped ensemble and with the diffraction CNN, and the ensemble through Dask on a "
     "running 2-worker LocalCluster. Target: >= 100 structures/s on 2 cores."),
    ("Per-atom structure", "bench_identify.py", [],
     "`identify`'s labelling of 50 2048-atom fcc snapshots (102,400 atoms) beside OVITO's Polyhedral Template "
     "Matching (needs the `validate` extra, which `make bench` installs), in process on frames already read; then "
     "both as whole processes from the extxyz file to per-atom labels (`atomatlas identify --no-report` against "
     "a script that imports OVITO, runs PTM with every structure type enabled and writes labels, positions and "
     "RMSD to a CSV); then identify's api from the file to a run folder in memory and through Dask on a running "
     "2-worker LocalCluster. Targets: >= 20,000 atoms/s on 2 cores, and at least PTM's speed both ways (issue "
     "24). Then where identify's whole process spends its time, phase by phase (ASE reads and writes "
     "the extxyz files, pandas labels.csv; OVITO reads and writes in C++). Labelling runs on threads: worker processes label 1.1-1.5x faster once started, but start a second or "
     "more later. Through Dask on one 2-core machine the client reading the file, the scheduler and both "
     "workers share the cores and every chunk is pickled to a worker and written as parquet there: Dask pays off "
     "when the workers are other machines' cores, not here."),
    ("Report", "bench_report.py", [],
     "The demo with and without report.html (and its predict folder's), the median of three each, then the size and "
     "build time of a report of 10^5 points. Target: the ratio at most 1.10."),
    ("Environments of one frame, whole process", "bench_environments.py", [],
     "Issue 22's time-to-result anchor: `atomatlas environments FILE --out RUN` with its defaults on one 2048-atom "
     "Cu frame (half crystal, half strongly displaced) against the five-line notebook it should beat (DScribe SOAP "
     "r_cut 5, n_max 8, l_max 6; StandardScaler; KMeans with the true k; a CSV), each as a whole process, start-up "
     "included. Target: within 2x. What the command does that the notebook does not: describing by local order, "
     "choosing k (Gaussian mixtures of 1..8 components on 12 principal components, two starts each, then merging), "
     "naming the clusters with identify's model, the scores, picks, maps, the saved model and the report."),
    ("SOAP through Dask", "bench_soap_dask.py", [],
     "SOAP of a trajectory of 2000-atom frames: DScribe in one process against `environments --scheduler`'s path "
     "(frames streamed to the workers, described in chunks, written as parquet). Target: a speed-up of at least "
     "0.9 x the workers. Why it falls short on this machine: the client reading and checking the frames, the "
     "scheduler and both workers share the same two cores, and each worker also turns its chunk into a table "
     "and a parquet file; atomatlas's SOAP checks add a little over DScribe's create. The next step is workers "
     "that read their own frames (an index of frame offsets from the client) so that the client only plans."),
    ("Clustering through Dask", "bench_scale.py", ["--rows", "10000000"],
     "Gaussian blobs (20 in 64-D) generated lazily on a 2-worker LocalCluster, clustered as a `[dask]` run "
     "clusters (k-means fitted on a seeded sample of 100,000 rows, then every row labelled on the workers) and "
     "by dask-ml's `KMeans` "
     "(k-means||) on the same workers; ARI against the generating labels, peak memory of client and workers. "
     "Targets: ARI >= 0.99 at 10^7 rows in at most half dask-ml's time, client < 1 GB, workers < 2 GB."),
]
STATED = re.compile(r"ratio|target|goal|overhead|speed-up|structures/s|atoms/s|ARI|peak memory", re.I)


def run(script: str, arguments: list[str]) -> dict:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), *arguments], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"})
    output = done.stdout.strip()
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        output = (output + "\n" if output else "") + f"(did not finish: exit {done.returncode}: {last})"
    return {"arguments": arguments, "seconds": round(time.perf_counter() - started, 1), "exit": done.returncode,
            "output": output, "stated": stated(output)}


def stated(output: str) -> list[str]:
    """The lines of a benchmark's output that state a rate, a ratio or a target, spaces collapsed."""
    return [" ".join(line.split()) for line in output.splitlines() if STATED.search(line)]


def _dates(results: dict) -> str:
    """When the scripts ran: one date, or each day's scripts (``--only`` reruns some of them later)."""
    days: dict[str, list[str]] = {}
    for script, entry in results["scripts"].items():
        days.setdefault(entry.get("date", results["date"]), []).append(script)
    if len(days) <= 1:
        return f"run {next(iter(days), results['date'])}"
    return "scripts run on several days: " + "; ".join(f"{day}: {', '.join(names)}" for day, names in sorted(days.items()))


def page(results: dict) -> str:
    lines = ["# Performance", "",
             "Regenerated by `make bench` (bench/run_all.py) from bench/results.json; do not edit by hand. Timings "
             "on these 2-core machines are noisy, so every claim is a benchmark that runs our code and its "
             "reference side by side in one process and prints the ratio.", "",
             f"Machine: {results['machine']}; {_dates(results)}.", "",
             "| benchmark | what it states |", "|---|---|"]
    for title, script, _, _ in BENCHES:
        if script in results["scripts"]:
            stated = results["scripts"][script]["stated"] or ["(see below)"]
            lines.append(f"| {title} (`bench/{script}`) | {'<br>'.join(s.replace('|', '/') for s in stated)} |")
    for title, script, _, prose in BENCHES:
        if script not in results["scripts"]:
            continue
        entry = results["scripts"][script]
        command = " ".join([f".venv/bin/python bench/{script}", *entry["arguments"]])
        when = entry.get("date", results["date"])
        lines += ["", f"## {title}", "", prose, "", f"`{command}` ({entry['seconds']:.0f} s, run {when}):", "", "```",
                  entry["output"], "```"]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="SCRIPT", help="run only these scripts (e.g. bench_scale.py); "
                        "the others keep their last results")
    parser.add_argument("--quick", action="store_true", help="bench_scale on 10^6 rows")
    parser.add_argument("--page", action="store_true", help="only rewrite docs/performance.md from bench/results.json")
    args = parser.parse_args()
    if args.page:
        results = json.loads(RESULTS.read_text())
        for entry in results["scripts"].values():
            entry["stated"] = stated(entry["output"])
        PAGE.write_text(page(results))
        return 0
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() and args.only else {"scripts": {}}
    for entry in results["scripts"].values():  # kept from an earlier run: it keeps that run's date
        entry.setdefault("date", results.get("date"))
    for title, script, arguments, _ in BENCHES:
        if args.only and script not in args.only:
            continue
        if args.quick and script == "bench_scale.py":
            arguments = ["--rows", "1000000"]
        print(f"{title}: bench/{script} {' '.join(arguments)}", file=sys.stderr, flush=True)
        results["scripts"][script] = {**run(script, arguments), "date": datetime.date.today().isoformat()}
        print(results["scripts"][script]["output"], file=sys.stderr, flush=True)
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    results["date"] = datetime.date.today().isoformat()
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    PAGE.write_text(page(results))
    print("\n".join(["", "stated:"] + [f"  {script}: {line}" for script, entry in results["scripts"].items()
                                       for line in entry["stated"]]))
    print(f"wrote {RESULTS.relative_to(ROOT)} and {PAGE.relative_to(ROOT)}")
    return 0 if all(entry["exit"] == 0 for entry in results["scripts"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
