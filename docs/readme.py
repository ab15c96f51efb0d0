"""Regenerate the console output shown in README.md by running its commands as written.

    .venv/bin/python docs/readme.py          # rewrite README.md (part of `make docs`)
    .venv/bin/python docs/readme.py --check  # exit 1 if README.md differs from a fresh run

Every ```console block of the README is a sequence of ``$ .venv/bin/atomatlas ...``
commands. They run in order, in one scratch folder holding the small files they name
(``atomatlas.datasets.examples``). A command's output is shown under it unless the
command line ends with a ``# comment`` (then the comment says what it does). Nothing in
those blocks is pasted by hand; tests/test_readme.py runs the same commands and checks
the README against their output.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PROMPT = "$ .venv/bin/atomatlas "
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


@dataclass
class Command:
    text: str  # the command as shown, continuation lines included
    argv: list[str]
    show_output: bool
    output: list[str] = field(default_factory=list)  # as the README shows it now


def parse_block(body: str) -> list[Command]:
    commands, pending = [], None
    for line in body.splitlines():
        if pending is not None:
            pending.append(line)
            if not line.endswith("\\"):
                commands.append(_command(pending))
                pending = None
            continue
        if line.startswith(PROMPT):
            if line.endswith("\\"):
                pending = [line]
            else:
                commands.append(_command([line]))
        elif commands:
            commands[-1].output.append(line)
    return commands


def _command(lines: list[str]) -> Command:
    text = "\n".join(lines)
    joined = " ".join(part.rstrip("\\").strip() for part in lines)[len(PROMPT):]
    return Command(text=text, argv=shlex.split(joined, comments=True), show_output="#" not in joined)


def console_blocks(readme: str) -> list[list[Command]]:
    return [parse_block(match.group(1)) for match in BLOCK.finditer(readme)]


def run(argv: list[str]) -> tuple[int, str, str]:
    """One command in-process: (exit status, stdout, stderr)."""
    from atomatlas.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def run_all(readme: str, folder: Path) -> list[list[tuple[Command, int, str, str]]]:
    """Every console command of the README, run in order in ``folder`` (which gets the example files)."""
    import os

    from atomatlas.datasets.examples import write_example_files

    write_example_files(folder)
    previous = Path.cwd()
    os.chdir(folder)
    try:
        return [[(command, *run(command.argv)) for command in block] for block in console_blocks(readme)]
    finally:
        os.chdir(previous)


def render(readme: str, results) -> str:
    """The README with every shown output replaced by the fresh one."""
    blocks = iter(results)

    def replace(match):
        lines = []
        for command, _, stdout, _ in next(blocks):
            lines.append(command.text)
            if command.show_output:
                lines += stdout.rstrip("\n").splitlines()
        return "```console\n" + "\n".join(lines) + "\n```"

    return BLOCK.sub(replace, readme)


def main() -> int:
    readme = README.read_text()
    with tempfile.TemporaryDirectory() as scratch:
        results = run_all(readme, Path(scratch))
    failed = [(c.text, status, err) for block in results for c, status, _, err in block if status != 0]
    for text, status, err in failed:
        print(f"README command failed (exit {status}): {text}\n{err}", file=sys.stderr)
    if failed:
        return 1
    fresh = render(readme, results)
    if "--check" in sys.argv:
        if fresh != readme:
            print("README.md console output differs from a fresh run: run `make docs`.", file=sys.stderr)
            return 1
        return 0
    README.write_text(fresh)
    print("wrote README.md console blocks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
