"""Where the time goes: cProfile of emulation-rules scoring the anchor workload.

    .venv/bin/python benchmarks/profile_anchor.py                 # 1,000 units, trace on
    .venv/bin/python benchmarks/profile_anchor.py --no-trace --top 15
    .venv/bin/python benchmarks/profile_anchor.py --out /tmp/anchor.prof   # for snakeviz etc.

Prints the top functions by self time and by cumulative time, and the self time summed per
source file (our modules, simpleeval, pydantic, the standard library). cProfile slows pure
Python code down by roughly 2×, so read shares, not absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import anchor  # noqa: E402 - benchmarks/ is put on sys.path just above

from emulation_rules import load_ruleset, load_submissions, score  # noqa: E402 - same

if TYPE_CHECKING:
    from collections.abc import Callable


def where(filename: str) -> str:
    """A short name for the file a function lives in."""
    if filename.startswith(("~", "<")):
        return "built-in (C)"
    path = Path(filename)
    parts = path.parts
    if "emulation_rules" in parts:
        return "emulation_rules/" + path.name
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    return "stdlib/" + path.name


def stages(guide: Any, subs: list[Any], trace: bool, reps: int = 3) -> list[tuple[str, float]]:
    """Unprofiled CPU time of each stage of ``score`` (internal functions: may move)."""
    from emulation_rules.engine.evaluator import evaluate_values  # noqa: PLC0415 - internal, optional
    from emulation_rules.engine.ranking import rank  # noqa: PLC0415
    from emulation_rules.inputs.submissions import validate_submission  # noqa: PLC0415

    def best(fn: Callable[[], object]) -> float:
        times = []
        for _ in range(reps):
            start = time.process_time()
            fn()
            times.append(time.process_time() - start)
        return min(times)

    valid = [validate_submission(guide, s)[0] for s in subs]
    units = [
        evaluate_values(guide, s.unit_id, s.name, v, trace=trace)
        for s, v in zip(subs, valid, strict=True)
    ]
    return [
        (
            "validate_submission (typed values)",
            best(lambda: [validate_submission(guide, s) for s in subs]),
        ),
        (
            f"evaluate_values (trace={trace})",
            best(
                lambda: [
                    evaluate_values(guide, s.unit_id, s.name, v, trace=trace)
                    for s, v in zip(subs, valid, strict=True)
                ]
            ),
        ),
        ("rank", best(lambda: rank(units, guide.ruleset.ranking))),
        ("score (all of it)", best(lambda: score(guide, subs, trace=trace))),
    ]


def main() -> int:
    p = argparse.ArgumentParser(description="cProfile of emulation-rules on the anchor workload")
    p.add_argument("--units", type=int, default=anchor.UNITS)
    p.add_argument("--no-trace", action="store_true", help="score with trace=False")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--out", type=Path, help="also dump the raw profile here")
    p.add_argument(
        "--dir", type=Path, default=Path(tempfile.gettempdir()) / "emulation-rules-bench"
    )
    args = p.parse_args()

    _, guide_path, subs_path = anchor.write_workload(args.dir, args.units)
    guide = load_ruleset(guide_path)
    subs = list(load_submissions([subs_path]).submissions)
    trace = not args.no_trace
    score(guide, subs[:30], trace=trace)  # warm-up

    start = time.perf_counter()
    score(guide, subs, trace=trace)
    plain = time.perf_counter() - start

    try:
        rows = stages(guide, subs, trace)
    except (ImportError, TypeError, AttributeError) as exc:  # internals moved: skip, say so
        print(f"(stage breakdown skipped: {exc})\n")
    else:
        print(f"Stages of score(), unprofiled CPU time, best of 3, {args.units} units:")
        whole = rows[-1][1]
        for name, seconds in rows:
            print(f"  {seconds * 1000:8.1f} ms  {seconds / whole:6.1%}  {name}")
        print()

    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(score, guide, subs, trace=trace)
    profiled = time.perf_counter() - start
    if args.out:
        profiler.dump_stats(args.out)

    stats = pstats.Stats(profiler)
    total = stats.total_tt
    calls = sum(v[1] for v in stats.stats.values())
    print(
        f"score(guide, {args.units} units, trace={trace}): {plain * 1000:.0f} ms unprofiled, "
        f"{profiled * 1000:.0f} ms under cProfile; {calls:,} function calls "
        f"({calls / (args.units * 120):.0f} per criterion evaluation)\n"
    )

    per_file: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
        per_file[where(filename)] += tottime
    print("Self time per source file:")
    for name, tt in sorted(per_file.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {tt / total:6.1%}  {tt:7.3f} s  {name}")
    print()

    for key, title in (("tottime", "self time"), ("cumulative", "cumulative time")):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(args.top)
        body = out.getvalue()
        body = body[body.index("   ncalls") :]
        print(f"Top {args.top} by {title}:\n{body}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
