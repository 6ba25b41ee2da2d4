"""Streaming: score JSON Lines of submissions in bounded memory, on one or several processes.

Each input line is one unit's submission (the object of a submission file's ``units`` list,
with ``ruleset``/``ruleset_version`` when the answering guide is to be checked). A line may
carry ``"cluster": "<id>"``: consecutive lines with the same cluster form one cluster, which is
scored, ranked and awarded together (the cluster phase needs all its units); lines without it
are scored unit by unit and have no rank. Each output line is one unit's result, in the input
order; a line that is not valid JSON gives a ``rejected`` result line naming its line number.

Memory is bounded by the largest cluster (or one batch of units) times the number of jobs:
lines are read, scored and written a window at a time.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO

from emulation_rules._support.text import json_integer
from emulation_rules.errors import Issue
from emulation_rules.inputs.submissions import Rejected, Submission

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from emulation_rules.compiler.nodes import CompiledRuleset

__all__ = ["StreamStats", "stream_score"]

#: Units scored together when lines name no cluster.
BATCH = 256


@dataclass(frozen=True, slots=True)
class StreamStats:
    """What a streaming run did."""

    units: int
    rejected: int
    clusters: int


class _Guide:
    """The guide of this process (workers load it once, in their initializer)."""

    compiled: CompiledRuleset | None = None
    trace: bool = False


def _init_worker(source: str, trace: bool) -> None:
    from emulation_rules.compiler import load_ruleset  # noqa: PLC0415 - in the worker

    _Guide.compiled = load_ruleset(source)
    _Guide.trace = trace


def _parse(number: int, line: str) -> dict[str, Any] | Rejected:
    try:
        data = json.loads(line, parse_float=Decimal, parse_int=json_integer)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        return Rejected(
            f"line-{number}",
            None,
            (Issue("yaml-syntax", f"line {number} is not JSON: {exc}", line=number),),
        )
    if not isinstance(data, dict):
        return Rejected(
            f"line-{number}",
            None,
            (Issue("wrong-type", f"line {number} is not a JSON object", line=number),),
        )
    data.setdefault("source", f"line {number}")
    return data


def _score_task(task: tuple[bool, list[tuple[int, str]]]) -> list[str]:
    """Score one cluster (or one batch of independent units); return the output lines."""
    from pydantic import ValidationError  # noqa: PLC0415

    from emulation_rules.engine.scoring import score  # noqa: PLC0415

    clustered, lines = task
    compiled = _Guide.compiled
    assert compiled is not None
    submissions: list[Submission] = []
    rejected: list[Rejected] = []
    order: list[str] = []
    for number, line in lines:
        parsed = _parse(number, line)
        if isinstance(parsed, Rejected):
            rejected.append(parsed)
            order.append(parsed.unit_id)
            continue
        parsed.pop("cluster", None)
        try:
            submission = Submission.model_validate(parsed)
        except ValidationError as exc:
            unit_id = str(parsed.get("unit_id", f"line-{number}"))
            message = "; ".join(e["msg"] for e in exc.errors(include_url=False))
            rejected.append(Rejected(unit_id, None, (Issue("wrong-type", message, line=number),)))
            order.append(unit_id)
            continue
        submissions.append(submission)
        order.append(submission.unit_id)
    independent = not clustered and (
        compiled.ruleset.awards or any(n.cluster for n in compiled.nodes.values())
    )
    if not independent:
        results = [score(compiled, submissions, rejected=rejected, trace=_Guide.trace)]
    else:  # units with no cluster, and a guide with a cluster phase: each unit is its own cohort
        results = [score(compiled, [s], trace=_Guide.trace) for s in submissions] + [
            score(compiled, [], rejected=[r]) for r in rejected
        ]
    by_unit: dict[str, dict[str, Any]] = {}
    for result in results:
        data = result.to_dict(trace=_Guide.trace)
        for unit in data["units"]:
            if not clustered:  # not ranked against anyone: no rank, no award
                unit["rank"] = None
                unit["rank_decided_by"] = None
                unit["awards"] = []
            by_unit[unit["unit_id"]] = unit
        for item in data["rejected"]:
            by_unit.setdefault(item["unit_id"], item)
    out = []
    for unit_id in order:
        unit = by_unit.get(unit_id)
        if unit is not None:
            # to_dict() gives canonical data already (decimals and dates as text)
            out.append(json.dumps(unit, ensure_ascii=False, sort_keys=True))
    return out


def _tasks(lines: Iterable[str]) -> Iterator[tuple[bool, list[tuple[int, str]]]]:
    """Group consecutive lines into clusters (or batches of independent units)."""
    current: list[tuple[int, str]] = []
    current_cluster: str | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        cluster = _cluster_of(line)
        if current and (cluster != current_cluster or (cluster is None and len(current) >= BATCH)):
            yield current_cluster is not None, current
            current = []
        current_cluster = cluster
        current.append((number, line))
    if current:
        yield current_cluster is not None, current


_CLUSTER = re.compile(r'"cluster"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _cluster_of(line: str) -> str | None:
    """The line's cluster, found without parsing the whole line (the parent only groups)."""
    if '"cluster"' not in line:
        return None
    match = _CLUSTER.search(line)
    if match is not None:
        return match.group(1)
    try:  # an unusual form (a number, escapes): parse it properly
        value = json.loads(line, parse_int=json_integer).get("cluster")
    except (json.JSONDecodeError, AttributeError, RecursionError, ValueError):
        return None
    return str(value) if value is not None else None


def stream_score(
    guide_source: str,
    lines: Iterable[str],
    out: TextIO,
    *,
    jobs: int = 1,
    trace: bool = False,
    progress: TextIO | None = None,
) -> StreamStats:
    """Score JSON Lines of submissions, writing one JSON line per unit, in input order."""
    units = rejected = clusters = 0
    window = max(1, jobs) * 16
    pool = None
    if jobs > 1:
        context = multiprocessing.get_context("spawn" if sys.platform == "darwin" else "fork")
        pool = context.Pool(jobs, initializer=_init_worker, initargs=(guide_source, trace))
    else:
        _init_worker(guide_source, trace)
    try:
        pending: list[tuple[bool, list[tuple[int, str]]]] = []
        for task in _tasks(lines):
            pending.append(task)
            if len(pending) >= window:
                units, rejected, clusters = _flush(pending, pool, out, units, rejected, clusters)
                pending = []
                _report(progress, units)
        units, rejected, clusters = _flush(pending, pool, out, units, rejected, clusters)
        _report(progress, units, final=True)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return StreamStats(units, rejected, clusters)


def _flush(
    pending: list[tuple[bool, list[tuple[int, str]]]],
    pool: Any,
    out: TextIO,
    units: int,
    rejected: int,
    clusters: int,
) -> tuple[int, int, int]:
    results = pool.map(_score_task, pending) if pool is not None else map(_score_task, pending)
    for (clustered, _), lines in zip(pending, results, strict=True):
        clusters += 1 if clustered else 0
        for line in lines:
            out.write(line + "\n")
            units += 1
            if '"status":"rejected"' in line.replace(" ", ""):
                rejected += 1
    return units, rejected, clusters


def _report(progress: TextIO | None, units: int, *, final: bool = False) -> None:
    if progress is None:
        return
    progress.write(f"\r{units:,} đơn vị đã chấm" + ("\n" if final else ""))
    progress.flush()
