"""Instruction counts of ``score()`` on the anchor workload, one source tree against another.

    .venv/bin/python benchmarks/callgrind_score.py --src /tmp/old13/src --src /tmp/new13/src

Each ``--src`` is the ``src/`` folder of a checkout (``git worktree add --detach DIR COMMIT``);
every tree is run by this virtual environment's Python (the same dependencies for all), with
``PYTHONPATH`` pointing at it and ``PYTHONHASHSEED=0``. For each tree, valgrind's callgrind
runs the same child twice: once to import, load the anchor guide and its 1,000 submissions and
score 30 units (warm-up), and once doing all that and then ``score(guide, submissions,
trace=True)``. The difference of the two totals is the instructions of that one ``score()``
call; unlike wall-clock time it does not move with the load of a shared machine. No bytecode
is written (``PYTHONDONTWRITEBYTECODE=1``): in a fresh checkout both runs compile the same
modules, and that cost cancels in the difference (a ``__pycache__`` written by the first run
would be counted in it only, and wrongly subtracted from the score).

Needs valgrind. Each tree takes some ten minutes under callgrind on a quiet machine, half an
hour on a loaded one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import anchor  # noqa: E402 - benchmarks/ is put on sys.path just above

PHASES = ("setup", "score")


def child(phase: str, guide_path: Path, subs_path: Path) -> None:
    """The measured program: load, warm up, and (in the ``score`` phase) score every unit."""
    from emulation_rules import load_ruleset, load_submissions, score  # noqa: PLC0415

    guide = load_ruleset(guide_path)
    subs = list(load_submissions([subs_path]).submissions)
    score(guide, subs[:30], trace=True)  # warm-up: first-use work is not the score's
    if phase == "score":
        score(guide, subs, trace=True)


def _child_command(phase: str, guide: Path, subs: Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", phase, str(guide), str(subs)]


def instructions(src: Path, phase: str, guide: Path, subs: Path, out: Path) -> int:
    """Total instructions (Ir) callgrind counted for one run of the child."""
    env = dict(os.environ, PYTHONPATH=str(src), PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        *_child_command(phase, guide, subs),
    ]
    subprocess.run(command, env=env, check=True, capture_output=True)  # noqa: S603
    for line in out.read_text().splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    msg = f"no totals in {out}"
    raise RuntimeError(msg)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--src", type=Path, action="append", help="a checkout's src/ folder")
    p.add_argument("--units", type=int, default=anchor.UNITS)
    p.add_argument("--child", nargs=3, metavar=("PHASE", "GUIDE", "SUBS"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        phase, guide, subs = args.child
        child(phase, Path(guide), Path(subs))
        return 0
    if not args.src:
        p.error("give at least one --src")
    with tempfile.TemporaryDirectory() as tmp:
        _, guide, subs = anchor.write_workload(Path(tmp), args.units)
        print(f"score(guide, {args.units:,} units, trace=True), instructions (callgrind Ir)")
        print("| source | setup + warm-up | with score() | score() | per unit |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for src in args.src:
            setup, total = (
                instructions(src, phase, guide, subs, Path(tmp) / f"callgrind.{phase}")
                for phase in PHASES
            )
            one = total - setup
            print(
                f"| `{src}` | {setup:,} | {total:,} | {one:,} | {one // args.units:,} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
