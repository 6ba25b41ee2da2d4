"""The audit record's CPU time against the scoring's, for one or more source trees (issue 18).

Each tree is measured in its own process (its ``src/`` first on ``sys.path``, this virtual
environment), the trees alternated ``--rounds`` times, on the anchor workload of
``benchmarks/anchor.py``: per repetition ``score(trace=True)`` of every unit, then
``write_record`` of the result, each timed with ``time.process_time`` after three untimed
warm-up records (the guide's record writer is generated during them). Prints per tree and
round the best and the median of ``--reps`` repetitions, the ratio record ÷ scoring, and the
record's size and digest (equal trees write the same bytes)::

    python benchmarks/record_ratio.py --tree /path/to/main --tree . --units 1000

The load average is printed before and after: the figures are CPU time, but a busy machine
still slows them (caches, memory bandwidth).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(tree: Path, out: Path, units: int, reps: int) -> dict[str, object]:
    """Run in the child: time ``reps`` repetitions of scoring then writing the record."""
    sys.path.insert(0, str(tree / "src"))
    sys.path.insert(0, str(HERE))
    import anchor  # noqa: PLC0415 - benchmarks/ is on sys.path only now

    from emulation_rules import load_ruleset, load_submissions, score  # noqa: PLC0415
    from emulation_rules.audit.records import write_record  # noqa: PLC0415

    guide_path, subs_path = anchor.workload_paths(out, units)
    guide = load_ruleset(guide_path)
    subs = list(load_submissions([subs_path]).submissions)
    for _ in range(3):  # warm: the guide's generated functions and record writer built
        written = write_record(guide, subs, score(guide, subs, trace=True))
    scoring, record = [], []
    for _ in range(reps):
        start = time.process_time()
        result = score(guide, subs, trace=True)
        scored = time.process_time()
        written = write_record(guide, subs, result)
        record.append(time.process_time() - scored)
        scoring.append(scored - start)
    return {
        "score_best_ms": min(scoring) * 1e3,
        "score_median_ms": statistics.median(scoring) * 1e3,
        "record_best_ms": min(record) * 1e3,
        "record_median_ms": statistics.median(record) * 1e3,
        "bytes": len(written.data),
        "sha256": hashlib.sha256(written.data).hexdigest(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tree", type=Path, action="append", help="a source tree (repeatable)")
    p.add_argument("--units", type=int, default=1000, help="units (default 1000)")
    p.add_argument("--reps", type=int, default=5, help="timed repetitions (default 5)")
    p.add_argument("--rounds", type=int, default=2, help="times each tree runs (default 2)")
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.out, args.units, args.reps)))
        return 0
    trees = [t.resolve() for t in (args.tree or [HERE.parent])]
    sys.path.insert(0, str(HERE))
    import anchor  # noqa: PLC0415 - benchmarks/ is on sys.path only now

    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="emulation-rules-record-ratio-") as tmp:
        anchor.write_workload(Path(tmp), args.units)
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        for round_ in range(args.rounds):
            for tree in trees:
                cmd = [sys.executable, __file__, "--child", str(tree), "--out", tmp]
                cmd += ["--units", str(args.units), "--reps", str(args.reps)]
                done = subprocess.run(  # noqa: S603 - this interpreter, this script
                    cmd, capture_output=True, text=True, check=True, env=env
                )
                f = json.loads(done.stdout.splitlines()[-1])
                print(
                    f"round {round_ + 1} {tree}: score {f['score_best_ms']:.1f} ms best, "
                    f"{f['score_median_ms']:.1f} median; record {f['record_best_ms']:.1f} best, "
                    f"{f['record_median_ms']:.1f} median; record ÷ score "
                    f"{f['record_best_ms'] / f['score_best_ms']:.2f}× best, "
                    f"{f['record_median_ms'] / f['score_median_ms']:.2f}× median; "
                    f"{f['bytes']:,} bytes, sha256 {str(f['sha256'])[:16]}"
                )
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
