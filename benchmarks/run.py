"""The benchmark of issue 8: the anchor workload against two baselines, in one run.

    make bench                                    # = .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --quick    # one repetition of everything (smoke run)
    .venv/bin/python benchmarks/run.py --quick --check-only   # results-equal checks, 30 units

Every run first checks that the three implementations give the same results on the same
units: emulation-rules (trace on and off), simpleeval with parse-once (exactly equal decimals:
every criterion, group and total, the ranking and the audit records), and zen-engine with its
trace (within ``ZEN_TOLERANCE``, as it hands floats to Python; same ranking). Then it times
them (medians of ``--reps`` after a warm-up), measures guide loading, the whole-process
``emulation-rules score`` of the shipped example and peak memory (one subprocess per
measurement), and prints the figures, the ratios and the targets of design.md §8.

The exit status is 1 if any result differs, 0 otherwise (a target not met is reported, not an
error). Nothing here is a test: the suite never times anything.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import decimal
import gc
import importlib.metadata
import json
import os
import platform
import pstats
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import anchor  # noqa: E402 - benchmarks/ is put on sys.path just above
import baselines  # noqa: E402 - same

from emulation_rules import (  # noqa: E402 - same order as the two imports above
    Submission,
    load_ruleset,
    load_submissions,
    score,
)
from emulation_rules.audit.records import write_record  # noqa: E402 - same

TIENGIANG = REPO / "rulesets" / "tiengiang-stnmt-2022.yaml"
POLICE = REPO / "rulesets" / "congan-cum347-2024.yaml"
EXAMPLE = REPO / "examples" / "tiengiang-2022" / "submissions.yaml"
CRITERIA = 120
SMALL = 30
#: zen-engine returns floats: totals up to ~370 carry ~1e-13 of binary rounding.
ZEN_TOLERANCE = Decimal("1e-9")

TARGETS = {
    "evals_per_s": 1_000_000,  # with the full audit trace, 1,000 units
    "ms_1000": 120.0,
    "vs_simpleeval": 4.0,
    "vs_zen": 3.0,
    "ms_30": 5.0,
    "cli_s": 0.5,
}


# --------------------------------------------------------------------------------------------
# The workload, loaded the way a user would load it


class Bench:
    """The anchor guide and submissions, loaded for every implementation."""

    def __init__(self, out_dir: Path, units: int, *, generate: bool = True) -> None:
        if generate:
            self.work, self.guide_path, self.subs_path = anchor.write_workload(out_dir, units)
        else:  # a memory child reuses the files its parent wrote
            self.work = anchor.build_guide()
            self.guide_path, self.subs_path = anchor.workload_paths(out_dir, units)
        self.guide = load_ruleset(self.guide_path)
        batch = load_submissions([self.subs_path])
        if batch.rejected or batch.issues:
            raise SystemExit(f"the generated submissions were rejected: {batch.rejected[:1]}")
        self.subs = list(batch.submissions)
        # the baselines get the same typed values our loader produced (Decimal, int, bool)
        self.values = [(s.unit_id, dict(s.values)) for s in self.subs]
        self.zen_values = [(u, baselines.zen_inputs(v)) for u, v in self.values]

    def ours(self, n: int, *, trace: bool, reference: bool = False) -> Any:
        return score(self.guide, self.subs[:n], trace=trace, reference=reference)


def zen_available() -> str | None:
    """None if zen-engine can be imported, else why not."""
    try:
        import zen  # noqa: F401, PLC0415 - optional benchmark dependency
    except ImportError as exc:
        return f"{exc} (install the benchmark extra: .venv/bin/pip install -e '.[bench]')"
    return None


# --------------------------------------------------------------------------------------------
# Results-equal checks


def ours_view(result: Any) -> dict[str, Any]:
    """Totals, criterion values, ranking and audit of an emulation-rules result."""
    totals = {u.unit_id: u.total for u in result.units}
    items = {u.unit_id: dict(u.items) for u in result.units}
    ranking = [(u.unit_id, u.rank) for u in result.units]
    audit = {}
    for u in result.units:
        if u.trace is None:
            continue
        crit, groups = [], []
        for group in u.trace.children:
            crit += [(c.id, dict(c.inputs), c.value) for c in group.children]
            with decimal.localcontext(baselines.CONTEXT):  # the engine's context
                raw = sum((p[1] for p in group.parts), Decimal(0))
            groups.append((group.id, raw, group.value))
        audit[u.unit_id] = (crit, groups, u.total)
    status = {u.unit_id: u.status for u in result.units}
    return {"totals": totals, "items": items, "ranking": ranking, "audit": audit, "status": status}


class Checker:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.lines: list[str] = []

    def expect(self, ok: bool, what: str) -> None:
        self.lines.append(f"  {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            self.failures.append(what)


def _same_audit(ours: Any, theirs: Any, close: Any) -> bool:
    crit_o, groups_o, total_o = ours
    crit_t, groups_t, total_t = theirs
    if len(crit_o) != len(crit_t) or len(groups_o) != len(groups_t):
        return False
    for (ido, ino, vo), (idt, int_, vt) in zip(sorted(crit_o), sorted(crit_t), strict=True):
        if ido != idt or not close(vo, vt) or set(ino) != set(int_):
            return False
        if any(not close(ino[k], int_[k]) for k in ino):
            return False
    for (go, ro, co), (gt, rt, ct) in zip(groups_o, groups_t, strict=True):
        if go != gt or not close(ro, rt) or not close(co, ct):
            return False
    return close(total_o, total_t)


def _exact(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return Decimal(a) == Decimal(b)


def _within(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return abs(Decimal(a) - Decimal(b)) <= ZEN_TOLERANCE


def verify(bench: Bench, n: int, zen_missing: str | None) -> Checker:
    """Check that every implementation gives the same results on the first ``n`` units."""
    check = Checker()
    on = ours_view(bench.ours(n, trace=True))
    off = ours_view(bench.ours(n, trace=False))
    check.expect(
        all(s == "scored" for s in on["status"].values()) and len(on["totals"]) == n,
        f"emulation-rules scored all {n} units",
    )
    check.expect(
        on["totals"] == off["totals"]
        and on["items"] == off["items"]
        and on["ranking"] == off["ranking"],
        "emulation-rules: trace on and off give the same totals, items and ranking",
    )
    ref = ours_view(bench.ours(n, trace=True, reference=True))
    check.expect(
        ref == on,
        "emulation-rules reference mode (interpreter + simpleeval, issue 22): the same totals, "
        "items, ranking and audit",
    )
    binding = sum(
        1 for u, items in on["items"].items() for g in bench.work.groups if items[g.id] == g.max
    )
    check.lines.append(
        f"  info group cap binds (group value = its max) in {binding / (6 * n):.1%} of unit-groups"
    )

    se = baselines.SimpleevalParsed(bench.work).run(bench.values[:n], trace=True)
    se_off = baselines.SimpleevalParsed(bench.work).run(bench.values[:n], trace=False)
    check.expect(
        se["totals"] == on["totals"]
        and all(type(v) is Decimal for v in se["totals"].values())
        and se_off["totals"] == on["totals"],
        f"simpleeval-parsed: all {n} unit totals EXACTLY equal (Decimal ==)",
    )
    check.expect(
        all(
            all(_exact(v, on["items"][u][k]) for k, v in items.items())
            for u, items in se["items"].items()
        ),
        "simpleeval-parsed: every criterion and group value exactly equal",
    )
    check.expect(se["ranking"] == on["ranking"], "simpleeval-parsed: ranking identical")
    check.expect(
        all(_same_audit(on["audit"][u], se["audit"][u], _exact) for u in on["audit"]),
        "simpleeval-parsed: audit records (inputs read, points, group raw/capped, total) equal",
    )

    if zen_missing:
        check.lines.append(f"  SKIP zen-engine is not installed: {zen_missing}")
        return check
    z = baselines.Zen(bench.work)
    zr = z.run(bench.zen_values[:n], trace=True)
    zr_off = z.run(bench.zen_values[:n], trace=False)
    worst = max(abs(Decimal(zr["totals"][u]) - t) for u, t in on["totals"].items())
    check.expect(
        worst <= ZEN_TOLERANCE and zr_off["totals"] == zr["totals"],
        f"zen-engine: all {n} unit totals within {ZEN_TOLERANCE} (largest difference "
        f"{float(worst):.2e})",
    )
    check.expect(
        all(
            _within(on["items"][u][cid], zr["items"][u][key])
            for u in on["items"]
            for g in bench.work.groups
            for cid, key in [(g.id, g.id)] + [(i.id, i.key) for i in g.items]
        ),
        f"zen-engine: every criterion and group value within {ZEN_TOLERANCE}",
    )
    check.expect(zr["ranking"] == on["ranking"], "zen-engine: ranking identical")
    check.expect(
        all(_same_audit(on["audit"][u], zr["audit"][u], _within) for u in on["audit"]),
        "zen-engine: audit records read back from its trace equal ours (within tolerance)",
    )
    ties = len(set(on["totals"].values())) != n
    check.lines.append(
        "  info "
        + ("the seeded data has tied totals" if ties else "the seeded data has no tied totals")
    )
    return check


def verify_ties(bench: Bench, zen_missing: str | None) -> list[tuple[str, bool]]:
    """A synthetic tie: A and B have equal totals but A has more in G1; C is a copy of A.

    Expected ranking: A and C share rank 1 (no key breaks their tie), B is 3rd.
    """
    g1, g2 = bench.work.groups[0], bench.work.groups[1]
    pair = next(
        (
            (a, b)
            for a in g1.items
            for b in g2.items
            if a.kind == b.kind == "bool" and a.max == b.max
        ),
        None,
    )
    if pair is None:
        return []
    low = dict(bench.values[0][1])
    for item in g1.items + g2.items:  # well under the group caps
        if item.kind == "bool":
            low[item.fields[0]] = False
        elif item.kind in {"prop", "step"}:
            low[item.fields[0]] = 0
    a = {**low, pair[0].fields[0]: True}
    b = {**low, pair[1].fields[0]: True}
    values = [("tie-a", a), ("tie-b", b), ("tie-c", dict(a))]
    subs = [Submission(unit_id=u, name=u, values=v) for u, v in values]
    ours = [(u.unit_id, u.rank) for u in score(bench.guide, subs).units]
    expected = [("tie-a", 1), ("tie-c", 1), ("tie-b", 3)]
    out = [
        (
            "emulation-rules: a tie on total is broken by G1; an unbroken tie shares the rank",
            ours == expected,
        ),
        (
            "simpleeval-parsed: the same tie ranking",
            baselines.SimpleevalParsed(bench.work).run(values, trace=False)["ranking"] == ours,
        ),
    ]
    if not zen_missing:
        zen_values = [(u, baselines.zen_inputs(v)) for u, v in values]
        zr = baselines.Zen(bench.work).run(zen_values, trace=False)
        out.append(("zen-engine: the same tie ranking", zr["ranking"] == ours))
    return out


# --------------------------------------------------------------------------------------------
# Timing


def measure(fn: Any, *, reps: int, warmup: int, min_time: float = 0.0) -> dict[str, float]:
    """Median wall time of ``fn`` (one call, or a loop of calls lasting >= ``min_time``)."""
    for _ in range(warmup):
        fn()
    loops = 1
    if min_time:
        start = time.perf_counter()
        fn()
        once = time.perf_counter() - start
        loops = max(1, int(min_time / max(once, 1e-9)) + 1)
    walls, cpus = [], []
    for _ in range(reps):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(loops):
            fn()
        walls.append((time.perf_counter() - w0) / loops)
        cpus.append((time.process_time() - c0) / loops)
    return {
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "max_s": max(walls),
        "cpu_s": statistics.median(cpus),
        "cpu_per_wall": statistics.median(cpus) / statistics.median(walls),
        "reps": reps,
        "loops": loops,
    }


def time_engines(bench: Bench, args: argparse.Namespace, zen_missing: str | None) -> dict:
    n = len(bench.subs)
    small = min(SMALL, n)
    se = baselines.SimpleevalParsed(bench.work)
    engines: dict[str, Any] = {
        "emulation-rules": lambda k, t: bench.ours(k, trace=t),
        "simpleeval-parsed": lambda k, t: se.run(bench.values[:k], trace=t),
    }
    if not zen_missing:
        z = baselines.Zen(bench.work)
        engines["zen-engine"] = lambda k, t: z.run(bench.zen_values[:k], trace=t)
    traces: dict[str, tuple[bool, ...]] = dict.fromkeys(engines, (True, False))
    if args.reference:  # the second opinion of issue 22: slow, but it must finish
        engines["emulation-rules reference"] = lambda k, t: bench.ours(k, trace=t, reference=True)
        traces["emulation-rules reference"] = (True,)
    out: dict[str, Any] = {}
    for name, run in engines.items():
        for trace in traces[name]:
            row = f"{name} trace={'on' if trace else 'off'}"
            print(f"  timing {row} ...", file=sys.stderr, flush=True)
            big = measure(lambda run=run, t=trace: run(n, t), reps=args.reps, warmup=args.warmup)
            little = measure(
                lambda run=run, t=trace: run(small, t),
                reps=args.reps,
                warmup=args.warmup,
                min_time=args.min_time,
            )
            out[row] = {
                "engine": name,
                "trace": trace,
                "units": n,
                "ms_n": big["median_s"] * 1000,
                "ms_n_spread": [big["min_s"] * 1000, big["max_s"] * 1000],
                "evals_per_s": CRITERIA * n / big["median_s"],
                "cpu_ms_n": big["cpu_s"] * 1000,
                "cpu_per_wall": big["cpu_per_wall"],
                "ms_30": little["median_s"] * 1000,
                "loops_30": little["loops"],
            }
    return out


def time_deferred(bench: Bench, args: argparse.Namespace) -> dict[str, Any]:
    """What the flat trace defers: every TraceNode built, and the whole audit record.

    ``score(trace=True)`` records the trace as flat per-criterion records and builds the
    TraceNode tree when a trace is read; these rows read them all, and build (and serialise)
    the audit record, so the deferred cost is measured too.
    """
    n = len(bench.subs)
    small = min(SMALL, n)

    def read_traces(k: int) -> None:
        for unit in bench.ours(k, trace=True).units:
            assert unit.trace is not None

    def audit(k: int) -> None:
        result = bench.ours(k, trace=True)
        write_record(bench.guide, bench.subs[:k], result)

    out: dict[str, Any] = {}
    for label, fn in (("every trace read", read_traces), ("audit record built", audit)):
        print(f"  timing emulation-rules, {label} ...", file=sys.stderr, flush=True)
        big = measure(lambda fn=fn: fn(n), reps=args.reps, warmup=args.warmup)
        little = measure(
            lambda fn=fn: fn(small), reps=args.reps, warmup=args.warmup, min_time=args.min_time
        )
        out[label] = {
            "ms_n": big["median_s"] * 1000,
            "cpu_ms_n": big["cpu_s"] * 1000,
            "ms_30": little["median_s"] * 1000,
        }
    return out


def count_calls(bench: Bench, units: int = 100) -> dict[str, Any]:
    """Python-level function calls per criterion evaluation (cProfile's count).

    Unlike the clock, this count does not depend on the load of the machine: it is the figure to
    compare between two runs on a noisy host (a change of a few percent is real).
    """
    units = min(units, len(bench.subs))
    se = baselines.SimpleevalParsed(bench.work)
    runs = {
        "emulation-rules": lambda t: bench.ours(units, trace=t),
        "simpleeval-parsed": lambda t: se.run(bench.values[:units], trace=t),
    }
    out = {}
    for name, run in runs.items():
        for trace in (True, False):
            run(trace)  # warm-up: first-call caches do not count
            profiler = cProfile.Profile()
            profiler.runcall(run, trace)
            stats = pstats.Stats(profiler).stats
            calls = sum(row[1] for row in stats.values())
            out[f"{name} trace={'on' if trace else 'off'}"] = calls / (units * CRITERIA)
    return {"units": units, "per_criterion": out}


def time_loads(args: argparse.Namespace, bench: Bench) -> dict[str, Any]:
    out: dict[str, Any] = {}
    guides = [
        ("anchor (120 criteria)", bench.guide_path),
        ("Tiền Giang DONRE 2022", TIENGIANG),
        ("police 1000-point tree (congan-cum347-2024)", POLICE),
    ]
    exe = Path(sys.executable).with_name("emulation-rules")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "emulation_rules"]
    for label, path in guides:
        if not path.exists():
            out[label] = None
            continue
        m = measure(lambda p=path: load_ruleset(p), reps=max(args.reps, 5), warmup=1)
        cold = measure(
            lambda p=path: _run_quiet([*cli, "check", str(p)]),
            reps=args.cli_reps,
            warmup=1,
        )
        out[label] = {
            "path": str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path),
            "load_ms": m["median_s"] * 1000,
            "check_process_s": cold["median_s"],
        }
    cmd = [*cli, "score", str(TIENGIANG), str(EXAMPLE)]
    cold = measure(lambda: _run_quiet(cmd), reps=args.cli_reps, warmup=1)
    out["cli score"] = {
        "command": " ".join(
            [
                ".venv/bin/emulation-rules",
                "score",
                *(str(p.relative_to(REPO)) for p in (TIENGIANG, EXAMPLE)),
            ]
        ),
        "median_s": cold["median_s"],
        "min_s": cold["min_s"],
        "max_s": cold["max_s"],
        "runs": cold["reps"],
    }
    return out


def _run_quiet(cmd: list[str]) -> None:
    done = subprocess.run(  # noqa: S603 - our own command line, fixed arguments
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()}")


# --------------------------------------------------------------------------------------------
# Memory: one subprocess per measurement


def memory_child(args: argparse.Namespace) -> None:
    """Run one scoring in this (child) process and print its memory figures as JSON."""
    bench = Bench(args.out, args.units, generate=False)
    engine, trace = args.child_engine, args.child_trace
    if engine == "emulation-rules":

        def run() -> Any:
            return bench.ours(len(bench.subs), trace=trace)
    elif engine == "simpleeval-parsed":
        se = baselines.SimpleevalParsed(bench.work)

        def run() -> Any:
            return se.run(bench.values, trace=trace)
    elif engine == "zen-engine":
        z = baselines.Zen(bench.work)

        def run() -> Any:
            return z.run(bench.zen_values, trace=trace)
    else:

        def run() -> Any:
            return None

    gc.collect()
    setup_peak = _status_kib("VmHWM")
    before = _status_kib("VmRSS")
    reset = _reset_peak()
    if args.child_tracemalloc:
        tracemalloc.start()
    result = run()
    traced = tracemalloc.get_traced_memory()[1] if args.child_tracemalloc else None
    tracemalloc.stop()
    peak = _status_kib("VmHWM")
    print(
        json.dumps(
            {
                "setup_peak_kib": setup_peak,
                "rss_before_kib": before,
                "scoring_peak_kib": peak if reset else None,
                "process_peak_kib": max(setup_peak, peak),
                "rss_after_kib": _status_kib("VmRSS"),
                "traced_peak_bytes": traced,
                "kept": result is not None,
            }
        )
    )


def kept_child(args: argparse.Namespace) -> None:
    """Print the Python memory a kept result of all the units holds (tracemalloc), as JSON.

    One scoring first, dropped: the guide's generated functions and the caches are not the
    result's. Then the scoring measured, its result kept (``--child-trace``: with the trace).
    """
    bench = Bench(args.out, args.units, generate=False)
    bench.ours(len(bench.subs), trace=args.child_trace)
    gc.collect()
    tracemalloc.start()
    result = bench.ours(len(bench.subs), trace=args.child_trace)
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(json.dumps({"kept_bytes": kept, "units": len(result.units)}))


def measure_kept(args: argparse.Namespace) -> dict[str, Any]:
    """MiB per 1,000 units of kept results, trace on and off (one subprocess each)."""
    out: dict[str, Any] = {}
    for trace in (True, False):
        row = f"trace={'on' if trace else 'off'}"
        print(f"  memory of kept results, {row} ...", file=sys.stderr, flush=True)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child-kept"]
        cmd += ["--units", str(args.units), "--out", str(args.out)]
        if trace:
            cmd.append("--child-trace")
        done = subprocess.run(  # noqa: S603 - this very script, fixed arguments
            cmd, capture_output=True, text=True, check=True
        )
        data = json.loads(done.stdout.strip().splitlines()[-1])
        out[row] = data["kept_bytes"] / 2**20 * 1000 / data["units"]
    return out


def compact_child(args: argparse.Namespace) -> None:
    """Print, as JSON, what a compact store (``CompactResult(result)``, issue 18) of all the
    units costs: the Python memory it holds with the trace (tracemalloc, as :func:`kept_child`:
    the result scored, compacted and dropped), then CPU time (not traced) of compacting the
    result, and of reading each unit, each unit's trace and the whole result back from it.
    """
    from emulation_rules import CompactResult  # noqa: PLC0415 - only this child uses it

    bench = Bench(args.out, args.units, generate=False)
    CompactResult(bench.ours(len(bench.subs), trace=True))  # the functions and caches
    gc.collect()
    tracemalloc.start()
    result = bench.ours(len(bench.subs), trace=True)
    store = CompactResult(result)
    del result
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    units = len(store)
    result = bench.ours(len(bench.subs), trace=True)

    def best(run: Any) -> float:
        times = []
        for _ in range(3):
            gc.collect()
            start = time.process_time()
            run()
            times.append(time.process_time() - start)
        return min(times)

    def read_units() -> None:
        for i in range(units):
            store.unit_at(i)

    def read_traces() -> None:
        for i in range(units):
            store.unit_at(i).trace  # noqa: B018 - built for its cost, then dropped

    def read_original_traces() -> None:  # the same trees from the result as it was kept
        fresh = bench.ours(len(bench.subs), trace=True)
        start = time.process_time()
        for unit in fresh.units:
            unit.trace  # noqa: B018
        spent.append(time.process_time() - start)

    spent: list[float] = []
    best(read_original_traces)
    figures = {
        "kept_bytes": kept,
        "encoded_bytes": store.nbytes,
        "units": units,
        "compact_ms": best(lambda: CompactResult(result)) * 1000,
        "unit_us": best(read_units) * 1e6 / units,
        "trace_us": best(read_traces) * 1e6 / units,
        "original_trace_us": min(spent) * 1e6 / units,
        "result_ms": best(store.result) * 1000,
    }
    print(json.dumps(figures))


def measure_compact(args: argparse.Namespace) -> dict[str, Any]:
    """The compact store of the units with the trace: MiB per 1,000 units and its costs."""
    print("  memory of a compact store ...", file=sys.stderr, flush=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-compact"]
    cmd += ["--units", str(args.units), "--out", str(args.out)]
    done = subprocess.run(  # noqa: S603 - this very script, fixed arguments
        cmd, capture_output=True, text=True, check=True
    )
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    data["trace=on"] = data["kept_bytes"] / 2**20 * 1000 / data["units"]
    return data


def compact_lines(figures: dict[str, Any]) -> list[str]:
    """The compact store's row of the kept results (issue 18), when it was measured."""
    compact = figures.get("kept_compact")
    if not compact:
        return []
    return [
        (
            "- Kept as a compact store (`CompactResult(result)`): "
            f"**{compact['trace=on']:.2f} MiB per 1,000 units** with the trace (target ≤ 5); "
            f"compacting {compact['units']:,} units {compact['compact_ms']:,.0f} ms CPU, "
            f"reading a unit back {compact['unit_us']:,.0f} µs, with its trace "
            f"{compact['trace_us']:,.0f} µs (a kept result's trace: "
            f"{compact['original_trace_us']:,.0f} µs), the whole result back "
            f"{compact['result_ms']:,.0f} ms."
        )
    ]


VERIFY_EXAMPLE = ("rulesets/tinh-mau-stnmt-2022.yaml", "examples/tinh-mau-stnmt-2022")


def build_verify_log(path: Path, count: int) -> int:
    """A log of ``count`` copies of the shipped Tinh mẫu example's audit record, chained.

    Written with one transaction (the log's own append syncs each record: 10,000 syncs would
    measure the disk). Returns the record's size in bytes.
    """
    from emulation_rules.audit.log import _SCHEMA, GENESIS, chain_digest  # noqa: PLC0415

    guide = load_ruleset(REPO / VERIFY_EXAMPLE[0])
    subs = list(load_submissions([REPO / VERIFY_EXAMPLE[1] / "submissions.yaml"]).submissions)
    written = write_record(guide, subs, score(guide, subs))
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    for statement in _SCHEMA:
        connection.execute(statement)
    previous = GENESIS
    for seq in range(1, count + 1):
        chain = chain_digest(previous, written.digest)
        connection.execute(
            "INSERT INTO audit_log (seq, record_digest, prev_chain, chain, ruleset_id, as_of, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, written.digest, previous, chain, guide.id, None, written.data),
        )
        previous = chain
    connection.commit()
    connection.close()
    return len(written.data)


def verify_child(args: argparse.Namespace) -> None:
    """Verify the log ``--child-verify`` names; print its peak RSS and CPU time as JSON."""
    from emulation_rules.audit.log import verify_log  # noqa: PLC0415 - only this child uses it

    gc.collect()
    before = _status_kib("VmRSS")
    reset = _reset_peak()
    start = time.process_time()
    report = verify_log(args.child_verify)
    cpu = time.process_time() - start
    print(
        json.dumps(
            {
                "ok": report.ok,
                "records": report.records,
                "rss_before_kib": before,
                "peak_kib": _status_kib("VmHWM") if reset else None,
                "cpu_s": cpu,
            }
        )
    )


def measure_verify(args: argparse.Namespace) -> dict[str, Any]:
    """``verify`` of a log of ``--verify-records`` records: peak RSS in its own process."""
    count = args.verify_records
    print(f"  verify of {count:,} records ...", file=sys.stderr, flush=True)
    path = args.out / "verify-log.sqlite"
    size = build_verify_log(path, count)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-verify", str(path)]
    try:
        done = subprocess.run(  # noqa: S603 - this very script, fixed arguments
            cmd, capture_output=True, text=True, check=True
        )
    finally:
        path.unlink(missing_ok=True)
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    data["record_bytes"] = size
    return data


def verify_lines(figures: dict[str, Any]) -> list[str]:
    """The `verify` row of the audit trail (issue 18), when it was measured."""
    found = figures.get("verify")
    if not found:
        return []
    peak = found["peak_kib"]
    return [
        (
            f"- `verify` of a log of {found['records']:,} records (copies of the "
            f"{found['record_bytes'] / 1000:,.0f} KB record of the shipped Tinh mẫu example, "
            f"{found['records'] * found['record_bytes'] / 1e6:,.0f} MB), "
            f"{'all verified' if found['ok'] else 'NOT VERIFIED'}: peak RSS "
            + (f"**{peak / 1024:.1f} MiB**" if peak is not None else "not measured")
            + f" ({found['rss_before_kib'] / 1024:.1f} before verifying), "
            f"{found['cpu_s']:,.1f} s CPU (target: constant memory, < 100 MiB)."
        )
    ]


def _status_kib(field: str) -> int:
    """A figure of /proc/self/status, in KiB (VmHWM is the peak RSS of this process image).

    ``ru_maxrss`` is not used: Linux carries it over from the parent across fork and exec, so a
    child of a big parent reports the parent's peak.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss if field == "VmHWM" else 0


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0), so the next peak is the scoring's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure_memory(args: argparse.Namespace, zen_missing: str | None) -> dict[str, Any]:
    engines = ["none", "emulation-rules", "simpleeval-parsed"]
    if not zen_missing:
        engines.append("zen-engine")
    out: dict[str, Any] = {}
    for engine in engines:
        for trace in (True, False) if engine != "none" else (False,):
            row = engine if engine == "none" else f"{engine} trace={'on' if trace else 'off'}"
            print(f"  memory {row} ...", file=sys.stderr, flush=True)
            figures = {}
            for traced in (False, True) if args.tracemalloc else (False,):
                cmd = [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--child-engine",
                    engine,
                    "--units",
                    str(args.units),
                    "--out",
                    str(args.out),
                ]
                if trace:
                    cmd.append("--child-trace")
                if traced:
                    cmd.append("--child-tracemalloc")
                done = subprocess.run(  # noqa: S603 - this very script, fixed arguments
                    cmd, capture_output=True, text=True, check=True
                )
                data = json.loads(done.stdout.strip().splitlines()[-1])
                if traced:
                    figures["traced_peak_mib"] = data["traced_peak_bytes"] / 2**20
                else:
                    for key in ("process_peak", "rss_before", "scoring_peak", "rss_after"):
                        kib = data[f"{key}_kib"]
                        figures[f"{key}_mib"] = None if kib is None else kib / 1024
            out[row] = figures
    return out


# --------------------------------------------------------------------------------------------
# Instructions (valgrind): stable under load, unlike the clock

#: What each instruction-count row runs, once per repetition, on ``--ir-units`` units.
IR_MODES = {
    "score, no trace": "score() without the trace",
    "score, trace": "score() with the trace, never read",
    "score, every trace read": "score(), then every unit's trace read",
    "score + record": "score() + the audit record built and serialised",
}
#: Units of an instruction count (a valgrind run is ~50× slower than the clock).
IR_UNITS = 200


def ir_work(bench: Bench, mode: str, units: int) -> Any:
    """One repetition of an instruction-count mode (see ``IR_MODES``)."""
    subs = bench.subs[:units]
    if mode == "score, no trace":
        return score(bench.guide, subs, trace=False)
    result = score(bench.guide, subs, trace=True)
    if mode == "score, every trace read":
        for unit in result.units:
            assert unit.trace is not None
    elif mode == "score + record":
        return write_record(bench.guide, subs, result)
    return result


def ir_child(args: argparse.Namespace) -> None:
    """Load the workload, then run one mode ``--child-ir-reps`` times (under valgrind).

    Two untimed repetitions first, in both runs whose difference is counted: a guide's
    record writer is generated once it has written 20,000 criteria, and that build must not
    fall inside the counted repetition.
    """
    bench = Bench(args.out, args.units, generate=False)
    for _ in range(2 + args.child_ir_reps):
        ir_work(bench, args.child_ir, args.ir_units)


def valgrind_missing() -> str | None:
    """None if valgrind can count instructions here, else why not."""
    try:
        done = subprocess.run(
            ["valgrind", "--version"],  # noqa: S607 - valgrind from PATH, optional
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        return f"valgrind is not installed ({exc.strerror})"
    return None if done.returncode == 0 else "valgrind --version failed"


def _callgrind_ir(args: argparse.Namespace, mode: str, reps: int, tmp: Path) -> int:
    """Instructions (Ir) of a child process that loads the workload and runs ``mode``."""
    out = tmp / f"callgrind.{len(list(tmp.iterdir()))}"
    cmd = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        str(Path(__file__).resolve()),
        "--child-ir",
        mode,
        "--child-ir-reps",
        str(reps),
        "--ir-units",
        str(args.ir_units),
        "--units",
        str(args.units),
        "--out",
        str(args.out),
    ]
    # the same hash seed in both runs: the same dict and set orders, the same work
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)  # noqa: S603
    for line in out.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"no instruction total in {out}")


def count_instructions(args: argparse.Namespace) -> dict[str, Any]:
    """Ir per criterion evaluation of each ``IR_MODES`` row (callgrind).

    Two runs per row, each loading the workload first: one repetition, then two; the second
    run's extra instructions are one warm repetition (the first one compiles the guide's
    generated functions and fills the caches), so loading is not counted.
    """
    out: dict[str, Any] = {"units": args.ir_units, "criteria": CRITERIA, "rows": {}}
    with tempfile.TemporaryDirectory(prefix="emulation-rules-ir-") as tmp:
        for mode in IR_MODES:
            print(f"  instructions: {mode} (valgrind) ...", file=sys.stderr, flush=True)
            once = _callgrind_ir(args, mode, 1, Path(tmp))
            twice = _callgrind_ir(args, mode, 2, Path(tmp))
            out["rows"][mode] = (twice - once) / (args.ir_units * CRITERIA)
    return out


# --------------------------------------------------------------------------------------------
# Machine and report


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        first = Path("/proc/meminfo").read_text().splitlines()[0]
        mem = f"{int(first.split()[1]) / 2**20:.0f} GiB"
    versions = {}
    for dist in (
        "emulation-rules",
        "simpleeval",
        "zen-engine",
        "pydantic",
        "pydantic-core",
        "PyYAML",
    ):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--", "src")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "versions": versions,
        "commit": f"{commit}{' + uncommitted changes in src/' if dirty else ''}",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def _steal_seconds() -> float:
    """Time the hypervisor ran something else on this guest's vCPUs (all CPUs, seconds)."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    return 0.0


def _git(*argv: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed git arguments, for the report only
            ["git", "-C", str(REPO), *argv],  # noqa: S607 - git from PATH, for the report only
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return ""
    return done.stdout.strip()


def verdict(ok: bool | None) -> str:
    if ok is None:
        return "not measured"
    return "met" if ok else "NOT met"


def report(figures: dict[str, Any]) -> str:
    m = figures["machine"]
    lines = [
        "## Machine",
        "",
        f"- CPU: {m['cpu']}; {m['cores']} cores (usable: {m['affinity']}); memory {m['memory']}",
        f"- {m['os']}; {m['python']}",
        "- " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        f"- emulation-rules commit {m['commit']}; run {m['date']}",
        f"- command: {figures['command']}",
        "",
    ]
    t = figures.get("timing")
    if t:
        n = figures["units"]
        lines += [
            (
                f"## Anchor workload: {CRITERIA} criteria × {n} units "
                f"(median of {figures['reps']} after {figures['warmup']} warm-up)"
            ),
            "",
            (
                f"| engine | trace | crit-evals/s | ms / {n} units | ms / {SMALL} units "
                f"| CPU ms / {n} units | cpu/wall |"
            ),
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for row in t.values():
            lines.append(
                f"| {row['engine']} | {'on' if row['trace'] else 'off'} | "
                f"{row['evals_per_s']:,.0f} | {row['ms_n']:,.1f} | {row['ms_30']:,.2f} | "
                f"{row['cpu_ms_n']:,.1f} | {row['cpu_per_wall']:.2f} |"
            )
        steal = figures.get("steal")
        lines += [
            "",
            (
                "Wall-clock medians; crit-evals/s = 120 × units ÷ wall time. cpu/wall < 1 for a "
                "single-threaded engine means the process was not running for part of the time "
                f"(host steal: {steal})."
            ),
            "",
        ]
        ours = t["emulation-rules trace=on"]
        ratios = []
        for other in ("simpleeval-parsed", "zen-engine"):
            for tr in ("on", "off"):
                key = f"{other} trace={tr}"
                mine = t[f"emulation-rules trace={tr}"]
                if key in t:
                    ratios.append(
                        f"| {other} | {tr} | {t[key]['ms_n'] / mine['ms_n']:.2f}× | "
                        f"{t[key]['ms_30'] / mine['ms_30']:.2f}× |"
                    )
        lines += [
            (
                "Speed-up of emulation-rules over each baseline (baseline time ÷ our time, "
                "> 1 means we are faster):"
            ),
            "",
            f"| baseline | trace | {n} units | {SMALL} units |",
            "|---|---|---:|---:|",
            *ratios,
            "",
        ]
        calls = figures["calls"]
        lines += [
            f"Python function calls per criterion evaluation (cProfile count over {calls['units']} "
            "units; independent of the machine's load): "
            + ", ".join(f"{k} {v:.1f}" for k, v in calls["per_criterion"].items())
            + ".",
            "",
        ]
        off = t["emulation-rules trace=off"]
        lines.append(
            f"Cost of the audit trace in emulation-rules: {ours['ms_n'] / off['ms_n']:.2f}× "
            f"({ours['ms_n']:.1f} vs {off['ms_n']:.1f} ms per {n} units)."
        )
        lines.append("")
        ref = t.get("emulation-rules reference trace=on")
        if ref:
            lines += [
                (
                    "Reference mode (`score(..., reference=True)`: the interpreter with "
                    f"simpleeval, issue 22): {ref['ms_n']:,.1f} ms per {n} units with the trace, "
                    f"{ref['ms_n'] / ours['ms_n']:.1f}× the usual path ({ours['ms_n']:,.1f} ms)."
                ),
                "",
            ]
    deferred = figures.get("deferred")
    if deferred and t:
        lines += [
            (
                "What the flat trace defers (emulation-rules, trace on): `score()` records each "
                "criterion's trace as a flat record and builds the `TraceNode` tree when a trace "
                "is read. These rows read every trace, and build and serialise the audit record:"
            ),
            "",
            (
                f"| emulation-rules, trace on | ms / {n} units | CPU ms / {n} units "
                f"| ms / {SMALL} units |"
            ),
            "|---|---:|---:|---:|",
            f"| `score()` | {ours['ms_n']:,.1f} | {ours['cpu_ms_n']:,.1f} | {ours['ms_30']:,.2f} |",
            *(
                f"| `score()`, then {label} | {row['ms_n']:,.1f} | {row['cpu_ms_n']:,.1f} | "
                f"{row['ms_30']:,.2f} |"
                for label, row in deferred.items()
            ),
            "",
        ]
    lines += audit_trail_lines(figures)
    loads = figures.get("loads")
    if loads:
        lines += [
            "## Guide load+check, whole-process command line",
            "",
            (
                "| guide | `load_ruleset` in process (ms) "
                "| `emulation-rules check` whole process (s) |"
            ),
            "|---|---:|---:|",
        ]
        for label, row in loads.items():
            if label == "cli score":
                continue
            if row is None:
                lines.append(f"| {label} | not yet available | not yet available |")
            else:
                lines.append(f"| {label} | {row['load_ms']:.1f} | {row['check_process_s']:.3f} |")
        cli = loads["cli score"]
        lines += [
            "",
            (
                f"Cold `{cli['command']}`: median {cli['median_s']:.3f} s over {cli['runs']} "
                f"runs (min {cli['min_s']:.3f}, max {cli['max_s']:.3f})."
            ),
            "",
        ]
    mem = figures.get("memory")
    if mem:
        lines += [
            f"## Peak memory ({figures['units']} units, one subprocess per row)",
            "",
            (
                "| process | whole-process peak RSS | RSS before scoring | peak RSS while scoring "
                "| RSS after (result kept) | Python heap peak while scoring (tracemalloc) |"
            ),
            "|---|---:|---:|---:|---:|---:|",
        ]
        for label, row in mem.items():
            cells = [
                row.get(k)
                for k in (
                    "process_peak_mib",
                    "rss_before_mib",
                    "scoring_peak_mib",
                    "rss_after_mib",
                    "traced_peak_mib",
                )
            ]
            name = "workload loaded, nothing scored" if label == "none" else label
            lines.append(
                f"| {name} | " + " | ".join("" if c is None else f"{c:.1f}" for c in cells) + " |"
            )
        lines += [
            "",
            (
                "MiB. RSS figures come from /proc/self/status (VmHWM, reset before scoring); "
                "tracemalloc sees only Python allocations (not zen-engine's own memory)."
            ),
            "",
        ]
    if t:
        lines += targets_table(figures)
    return "\n".join(lines)


def audit_trail_lines(figures: dict[str, Any]) -> list[str]:
    """The figures of issue 18: Ir per criterion, the record/score ratio, MiB kept."""
    lines = ["## The audit trail (issue 18)", ""]
    t, deferred = figures.get("timing"), figures.get("deferred")
    if t and deferred:
        ours = t["emulation-rules trace=on"]
        record = deferred["audit record built"]
        alone = record["ms_n"] - ours["ms_n"]
        alone_cpu = record["cpu_ms_n"] - ours["cpu_ms_n"]
        lines += [
            (
                f"- The audit record of {figures['units']} units (score, build, serialise): "
                f"{record['ms_n']:,.1f} ms, {record['ms_n'] / ours['ms_n']:.2f}× the scoring "
                f"({ours['ms_n']:,.1f} ms); the record alone {alone:,.1f} ms, "
                f"**{alone / ours['ms_n']:.2f}×** the scoring; by CPU time "
                f"{alone_cpu / ours['cpu_ms_n']:.2f}× (target ≤ 2×)."
            ),
        ]
    kept = figures.get("kept")
    if kept:
        lines.append(
            "- Kept results (tracemalloc, the Python memory a result holds after scoring, "
            f"{figures['units']} units scored): **{kept['trace=on']:.2f} MiB per 1,000 units** "
            f"with the trace, {kept['trace=off']:.2f} without (target ≤ 5)."
        )
    lines += compact_lines(figures)
    lines += verify_lines(figures)
    ir = figures.get("instructions")
    if ir and "skipped" in ir:
        lines.append(f"- Instructions: {ir['skipped']}.")
    elif ir:
        lines += [
            "",
            (
                f"Instructions (valgrind callgrind, Ir) per criterion evaluation, "
                f"{ir['criteria']} criteria × {ir['units']} units, one warm repetition (a run "
                "with two repetitions less a run with one, both loading the workload first):"
            ),
            "",
            "| what | Ir per criterion evaluation |",
            "|---|---:|",
            *(f"| {IR_MODES[mode]} | {value:,.0f} |" for mode, value in ir["rows"].items()),
        ]
    lines.append("")
    return lines


def targets_table(figures: dict[str, Any]) -> list[str]:
    t = figures["timing"]
    n = figures["units"]
    ours = t["emulation-rules trace=on"]
    cpu_rate = CRITERIA * n / (ours["cpu_ms_n"] / 1000)
    rows = [
        (
            f"criterion evaluations/s, trace on, {n} units",
            "≥ 1,000,000",
            f"{ours['evals_per_s']:,.0f} (CPU time: {cpu_rate:,.0f})",
            ours["evals_per_s"] >= TARGETS["evals_per_s"],
        ),
        (
            "ms per 1,000 units, trace on",
            "≤ 120",
            f"{ours['ms_n'] * 1000 / n:,.1f} (CPU time: {ours['cpu_ms_n'] * 1000 / n:,.1f})",
            ours["ms_n"] * 1000 / n <= TARGETS["ms_1000"],
        ),
    ]
    for other, key in (("simpleeval-parsed", "vs_simpleeval"), ("zen-engine", "vs_zen")):
        row = t.get(f"{other} trace=on")
        if row is None:
            rows.append(
                (
                    f"faster than {other} (trace on)",
                    f"≥ {TARGETS[key]:g}×",
                    "not installed",
                    None,
                )
            )
            continue
        ratio = row["ms_n"] / ours["ms_n"]
        rows.append(
            (
                f"faster than {other} (trace on)",
                f"≥ {TARGETS[key]:g}×",
                f"{ratio:.2f}×",
                ratio >= TARGETS[key],
            )
        )
    rows.append(
        (
            f"{SMALL}-unit cluster scored and audited",
            "< 5 ms",
            f"{ours['ms_30']:.2f} ms",
            ours["ms_30"] < TARGETS["ms_30"],
        )
    )
    cli = figures.get("loads", {}).get("cli score")
    if cli:
        rows.append(
            (
                "cold `score` of the shipped example, whole process",
                "< 0.5 s",
                f"{cli['median_s']:.3f} s",
                cli["median_s"] < TARGETS["cli_s"],
            )
        )
    out = ["## Targets (design.md §8)", "", "| target | bar | measured | |", "|---|---|---:|---|"]
    out += [f"| {a} | {b} | {c} | {verdict(d)} |" for a, b, c, d in rows]
    out.append("")
    return out


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="The anchor-workload benchmark of issue 8.")
    p.add_argument(
        "--quick", action="store_true", help="one repetition, no warm-up, no tracemalloc"
    )
    p.add_argument(
        "--check-only", action="store_true", help="only the results-equal checks (no timing)"
    )
    p.add_argument(
        "--units",
        type=int,
        help=f"units in the big cluster (default {anchor.UNITS}; {SMALL} with --check-only)",
    )
    p.add_argument(
        "--reps", type=int, help="timed repetitions (median is reported; default 5, 1 with --quick)"
    )
    p.add_argument("--warmup", type=int, help="untimed warm-up runs (default 1, 0 with --quick)")
    p.add_argument(
        "--min-time",
        type=float,
        help="a 30-unit repetition loops until this many seconds (default 0.2)",
    )
    p.add_argument(
        "--cli-reps",
        type=int,
        help="whole-process runs of the command line (default 7, 2 with --quick)",
    )
    p.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    p.add_argument(
        "--no-reference",
        dest="reference",
        action="store_false",
        help="skip timing the reference mode (score(reference=True), issue 22)",
    )
    p.add_argument(
        "--no-loads", action="store_true", help="skip guide loading and the command line"
    )
    p.add_argument(
        "--out",
        type=Path,
        help="write the generated guide and submissions here (default: a fresh temporary "
        "directory, removed at the end)",
    )
    p.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    p.add_argument("--child-engine", help=argparse.SUPPRESS)
    p.add_argument("--child-trace", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-tracemalloc", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-kept", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-compact", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-verify", type=Path, help=argparse.SUPPRESS)
    p.add_argument(
        "--verify-records",
        type=int,
        help="records in the log `verify` reads (default 10,000; 1,000 with --quick; 0 skips)",
    )
    p.add_argument("--child-ir", help=argparse.SUPPRESS)
    p.add_argument("--child-ir-reps", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument(
        "--no-ir",
        action="store_true",
        help="skip the instruction counts (valgrind; skipped anyway when it is not installed)",
    )
    p.add_argument(
        "--ir-units",
        type=int,
        default=IR_UNITS,
        help=f"units of each instruction count (default {IR_UNITS}; valgrind is ~50x slower)",
    )
    args = p.parse_args(argv)
    default_units = SMALL if args.check_only else anchor.UNITS
    args.units = args.units or default_units
    args.reps = args.reps or (1 if args.quick else 5)
    args.warmup = args.warmup if args.warmup is not None else (0 if args.quick else 1)
    args.min_time = args.min_time if args.min_time is not None else (0.05 if args.quick else 0.2)
    args.cli_reps = args.cli_reps or (2 if args.quick else 7)
    if args.verify_records is None:
        args.verify_records = 1_000 if args.quick else 10_000
    args.tracemalloc = not args.quick
    args.ir_units = min(args.ir_units, args.units)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_engine:
        memory_child(args)
        return 0
    if args.child_kept:
        kept_child(args)
        return 0
    if args.child_compact:
        compact_child(args)
        return 0
    if args.child_verify:
        verify_child(args)
        return 0
    if args.child_ir:
        ir_child(args)
        return 0
    if args.out is None:
        with tempfile.TemporaryDirectory(prefix="emulation-rules-bench-") as tmp:
            args.out = Path(tmp)
            return run_all(args, argv)
    return run_all(args, argv)


def run_all(args: argparse.Namespace, argv: list[str] | None) -> int:
    command = "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    figures: dict[str, Any] = {
        "machine": machine(),
        "command": command.strip(),
        "units": args.units,
    }
    figures["reps"], figures["warmup"] = args.reps, args.warmup
    zen_missing = zen_available()
    if zen_missing:
        print(f"NOTE: zen-engine is not installed; its baseline is skipped: {zen_missing}")

    print(
        f"Generating the anchor workload ({args.units} units) into {args.out} ...", file=sys.stderr
    )
    bench = Bench(args.out, args.units)
    print(f"  guide {bench.guide_path}\n  submissions {bench.subs_path}", file=sys.stderr)

    check = verify(bench, args.units, zen_missing)
    for what, ok in verify_ties(bench, zen_missing):
        check.expect(ok, what)
    print(f"## Results-equal checks ({args.units} units)\n")
    print("\n".join(check.lines))
    print()
    figures["checks"] = {"lines": check.lines, "failures": check.failures}
    if check.failures:
        print(f"RESULTS DIFFER: {len(check.failures)} check(s) failed; no timing.")
        return 1
    if args.check_only:
        print("All results-equal checks passed.")
        return 0

    steal0 = _steal_seconds()
    wall0 = time.perf_counter()
    figures["timing"] = time_engines(bench, args, zen_missing)
    figures["deferred"] = time_deferred(bench, args)
    figures["calls"] = count_calls(bench)
    steal = _steal_seconds() - steal0
    figures["steal"] = (
        f"{steal:.1f} s of stolen vCPU time over {time.perf_counter() - wall0:.1f} s of timing, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    if not args.no_loads:
        print("  guide loading and the command line ...", file=sys.stderr, flush=True)
        figures["loads"] = time_loads(args, bench)
    if not args.no_memory:
        figures["memory"] = measure_memory(args, zen_missing)
    figures["kept"] = measure_kept(args)
    figures["kept_compact"] = measure_compact(args)
    if args.verify_records:
        figures["verify"] = measure_verify(args)
    missing = "skipped (--no-ir)" if args.no_ir else valgrind_missing()
    if missing:
        figures["instructions"] = {"skipped": missing}
    else:
        figures["instructions"] = count_instructions(args)
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
