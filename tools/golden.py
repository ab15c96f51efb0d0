"""Golden run folders: every shipped recipe and every `--help` example, run with its seed and digested file by file.

    .venv/bin/python tools/golden.py save     # before a refactor: writes tools/golden.json
    .venv/bin/python tools/golden.py check    # after it: everything runs again; exit 1 naming each file that changed

The guard of issue 23 (one engine): moving the run kinds must leave what they write unchanged for the same seed.
Runs go to out/golden/ (a fixed place, so recorded paths match between save and check). A file's digest is its
bytes, except where bytes carry what is not a result: JSON loses timings, versions and the like (:data:`VOLATILE`), gzip and parquet are
digested by their content, and report.html, ASE databases, saved models (zip archives) and chemiscope exports are
left out (each is rebuilt from files that are digested). Digests hold for one environment: save and check on the
same installed versions.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out" / "golden"
SAVED = Path(__file__).resolve().parent / "golden.json"
sys.path.insert(0, str(ROOT / "tests" / "cli"))  # the suite's own reading of the examples (test_examples)
SKIPPED = re.compile(r"report\.html$|\.db$|\.skops$|\.pt$|chemiscope\.json\.gz$|\.lock$")
# JSON keys that are no result: timings and rates, versions, a process id, a Dask scheduler's port, the hash of a
# zip archive (its entries carry their write times)
VOLATILE = re.compile(r"seconds|per_second|^time|versions?$|elapsed|^pid$|^address$|sha256$")


def _clean(value):
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if not VOLATILE.search(str(k))}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def digest(path: Path) -> str:
    """The digest of one output file (see the module docstring for what is left out of it)."""
    if path.suffix == ".json" or path.name == ".atomatlas-run":
        data = json.dumps(_clean(json.loads(path.read_text())), sort_keys=True).encode()
    elif path.suffix == ".gz":
        data = gzip.decompress(path.read_bytes())
    elif path.suffix == ".parquet" or path.name.endswith(".parquet"):
        import pandas as pd

        data = pd.read_parquet(path).to_csv(index=False).encode()
    else:
        data = path.read_bytes()
    return hashlib.sha256(data).hexdigest()


def folder_digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): digest(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and not SKIPPED.search(p.name) and ".partial" not in str(p)}


def commands() -> dict[str, list[list[str]]]:
    """name -> the atomatlas argument lists it runs: one per recipe, then each --help block's examples in order."""
    from test_examples import BLOCKS, example_commands

    from atomatlas import recipes

    out = {f"recipe {name}": [["run", name, "--out", f"runs/recipe-{name}"]] for name in recipes.names()}
    out.update({f"help {block}": example_commands(text) for block, text in BLOCKS.items()})
    return out


def run_all() -> dict[str, dict[str, str]]:
    """Every command run in a fresh copy of the example files; the digests of every folder it leaves."""
    from atomatlas.cli.main import main
    from atomatlas.datasets.examples import write_example_files
    from test_examples import AFTER, ANSWERS

    shutil.rmtree(OUT, ignore_errors=True)
    files = write_example_files(OUT / "files")
    results = {}
    for name, argvs in commands().items():
        sandbox = OUT / re.sub(r"\W+", "-", name)
        shutil.copytree(files, sandbox)
        before = {p for p in sandbox.rglob("*") if p.is_file()}
        os.chdir(sandbox)
        sys.stdin = io.StringIO(ANSWERS)
        for number, argv in enumerate(argvs):
            status = main(argv)
            if status != 0:
                raise SystemExit(f"{name}: atomatlas {' '.join(argv)} exited {status}")
            block = name.removeprefix("help ")
            if (block, number) in AFTER:
                AFTER[(block, number)](sandbox)
        written = {str(p.relative_to(sandbox)): digest(p) for p in sorted(sandbox.rglob("*"))
                   if p.is_file() and p not in before and not SKIPPED.search(p.name) and ".partial" not in str(p)}
        results[name] = written
        print(f"  {name}: {len(written)} files", file=sys.stderr, flush=True)
    os.chdir(ROOT)
    return results


def compare(saved: dict, now: dict) -> list[str]:
    """One line per file that is new, gone or changed."""
    lines = []
    for name in sorted(set(saved) | set(now)):
        old, new = saved.get(name, {}), now.get(name, {})
        lines += [f"{name}: {f} is new" for f in sorted(set(new) - set(old))]
        lines += [f"{name}: {f} is gone" for f in sorted(set(old) - set(new))]
        lines += [f"{name}: {f} changed" for f in sorted(set(old) & set(new)) if old[f] != new[f]]
    return lines


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ["ATOMATLAS_CACHE"] = str(OUT / "cache")  # a cold cache: the same work every time
    what = sys.argv[1] if len(sys.argv) > 1 else "check"
    if what not in ("save", "check"):
        raise SystemExit("usage: tools/golden.py save|check")
    results = run_all()
    if what == "save":
        SAVED.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
        print(f"saved {sum(len(v) for v in results.values())} digests of {len(results)} runs to {SAVED}")
    else:
        changed = compare(json.loads(SAVED.read_text()), results)
        print("\n".join(changed) or f"all {len(results)} golden runs unchanged")
        raise SystemExit(1 if changed else 0)
