"""Streaming benchmark: units per second and peak memory of `score --stream`, 1 and 2 jobs.

The anchor guide's submissions are written as JSON Lines (generated lazily, never held in
memory), in clusters of 30 units, then `emulation-rules score --stream` runs as a separate
process; its peak memory (the largest of the process and its workers) comes from
`getrusage(RUSAGE_CHILDREN)`. Run with several sizes to see that the peak does not grow with
the number of submissions:

    .venv/bin/python benchmarks/stream_bench.py --units 20000 100000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from anchor import SUBMISSIONS_SEED, build_guide

CLUSTER = 30


def write_lines(path: Path, work, units: int) -> None:
    rng = random.Random(SUBMISSIONS_SEED)
    with path.open("w", encoding="utf-8") as out:
        for n in range(1, units + 1):
            values: dict[str, object] = {}
            for item in work.items:
                if item.kind == "bool":
                    values[item.fields[0]] = rng.random() < 0.5
                elif item.kind == "prop":
                    target = Decimal(rng.randint(1000, 20000)) / 100
                    achieved = (target * Decimal(rng.randint(20, 120)) / 100).quantize(
                        Decimal("0.01")
                    )
                    values[item.fields[0]] = str(achieved)
                    values[item.fields[1]] = str(target)
                elif item.kind == "step":
                    due = rng.randint(1, 60)
                    values[item.fields[0]] = rng.randint(due * 2 // 10, due)
                    values[item.fields[1]] = due
                else:
                    values[item.fields[0]] = rng.choice((0, 0, 0, 1, 1, 2, 3))
            unit = {
                "cluster": f"c{(n - 1) // CLUSTER}",
                "unit_id": f"u{n:07d}",
                "name": f"Đơn vị số {n}",
                "values": values,
            }
            out.write(json.dumps(unit, ensure_ascii=False) + "\n")


def run(guide: Path, lines: Path, jobs: int) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "emulation_rules",
            "score",
            str(guide),
            str(lines),
            "--stream",
            "--jobs",
            str(jobs),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr.decode())
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[20000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    work = build_guide()
    with tempfile.TemporaryDirectory(prefix="emulation-rules-stream-") as tmp:
        guide = Path(tmp) / "anchor-guide.yaml"
        guide.write_text(work.guide_yaml, encoding="utf-8")
        print("| units | jobs | seconds | units/s | peak RSS MiB (largest process) |")
        print("|---:|---:|---:|---:|---:|")
        for units in args.units:
            lines = Path(tmp) / f"anchor-{units}.jsonl"
            write_lines(lines, work, units)
            for jobs in args.jobs:
                elapsed, peak = run(guide, lines, jobs)
                print(
                    f"| {units:,} | {jobs} | {elapsed:.1f} | {units / elapsed:,.0f} | {peak:.0f} |"
                )
            lines.unlink()


if __name__ == "__main__":
    main()
