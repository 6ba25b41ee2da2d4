"""Streaming: score JSON Lines of submissions in bounded memory, on one or several processes.

Each input line is one unit's submission (the object of a submission file's ``units`` list,
with ``ruleset``/``ruleset_version`` when the answering guide is to be checked). A line may
carry ``"cluster": "<id>"``: consecutive lines with the same cluster form one cluster, which is
scored, ranked and awarded together (the cluster phase needs all its units); lines without it
are scored unit by unit and have no rank. Each output line is one unit's result, in the input
order; a line that is not valid JSON gives a ``rejected`` result line naming its line number.

The checks of submission files apply to lines too: a key given twice in a line rejects the
unit (``duplicate-key``), and a unit id given again on a later line, in another cluster,
rejects that later line (``duplicate-unit``).

Memory is bounded by the largest cluster (or one batch of units) times the number of jobs:
lines are read, scored and written a window at a time. The only thing that grows is the set of
unit ids already seen (for ``duplicate-unit``), about 100 bytes a unit.

The output is written a whole cluster at a time, flushed after each. With ``marker=True`` the
last line is ``{"stream_end": {...}}`` (see :meth:`StreamStats.marker`), saying whether the
run completed and after which input line to resume it. With ``handle_signals=True`` SIGINT and
SIGTERM stop the run at a cluster boundary: the workers are ended, the marker is written with
``complete: false`` and :func:`stream_score` returns normally, with the signal as ``reason``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
from dataclasses import dataclass, field
from decimal import Decimal
from os import PathLike
from typing import TYPE_CHECKING, Any, TextIO

from emulation_rules._support.pool import Pool, WorkerError, WorkerLostError
from emulation_rules._support.strict_json import DuplicateKeyError, reject_duplicates
from emulation_rules._support.text import json_integer, nfc
from emulation_rules.errors import EmulationRulesError, Issue
from emulation_rules.inputs.submissions import Rejected, Submission

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path
    from types import FrameType

    from emulation_rules.compiler.nodes import CompiledRuleset

__all__ = [
    "MARKER_KEY",
    "ResumePoint",
    "StreamStats",
    "WorkerError",
    "available_cpus",
    "resume_point",
    "stream_score",
]

#: Units scored together when lines name no cluster.
BATCH = 256
#: The only key of the last output line: no unit result has it.
MARKER_KEY = "stream_end"


@dataclass(frozen=True, slots=True)
class StreamStats:
    """What a streaming run did, and where it stopped."""

    #: Unit result lines written by this run.
    units: int
    #: Of them, units rejected (their data could not be scored).
    rejected: int
    #: Clusters written by this run.
    clusters: int
    #: Whether every input line was read and its results written.
    complete: bool = True
    #: Why the run stopped early: ``"SIGINT"``, ``"SIGTERM"`` or ``"worker-lost"``.
    reason: str | None = None
    #: Input lines read, blank lines included (counted from the first line of the input).
    input_lines: int = 0
    #: The last input line whose result is written: a resumed run starts after it.
    resume_after_line: int = 0
    #: Unit lines written before this run, when it resumes an earlier one.
    units_before: int = 0
    #: Clusters (or lines) that were read but not written, as Vietnamese text.
    lost: tuple[str, ...] = field(default=())

    def marker(self) -> dict[str, Any]:
        """The last output line: ``{"stream_end": {...}}``, plain JSON.

        Example:
            >>> StreamStats(3, 0, 1, input_lines=3, resume_after_line=3).marker()
            {'stream_end': {'complete': True, 'input_lines': 3, 'reason': None, \
'resume_after_line': 3, 'units': 3}}
        """
        return {
            MARKER_KEY: {
                "complete": self.complete,
                "input_lines": self.input_lines,
                "reason": self.reason,
                "resume_after_line": self.resume_after_line,
                "units": self.units_before + self.units,
            }
        }


@dataclass(frozen=True, slots=True)
class ResumePoint:
    """Where an earlier run's output ends: read from its ``stream_end`` marker."""

    #: Whether that run completed (then there is nothing to resume).
    complete: bool
    #: The last input line whose result that output holds.
    after_line: int
    #: The unit lines that output holds.
    units: int
    #: The byte offset of the marker line: the output is cut there before appending.
    offset: int


#: The marker is short; a resumed output is read from its end, this many bytes at most.
_TAIL = 65536


def resume_point(path: str | Path) -> ResumePoint:
    """Read the ``stream_end`` marker that ends the output of an earlier run.

    Raises:
        EmulationRulesError: the output cannot be read, or its last line is not a marker
            (``stream-resume``).
    """

    def fail(message: str) -> EmulationRulesError:
        issue = Issue("stream-resume", message, source=str(path))
        return EmulationRulesError("cannot resume", (issue,))

    try:
        with open(path, "rb") as file:  # noqa: PTH123 - str or Path
            size = file.seek(0, os.SEEK_END)
            start = max(0, size - _TAIL)
            file.seek(start)
            tail = file.read()
    except OSError as exc:
        raise fail(f"không đọc được tệp kết quả: {exc.strerror or exc}") from None
    body = tail.rstrip(b"\n")
    cut = body.rfind(b"\n") + 1
    try:
        data = json.loads(body[cut:].decode("utf-8"))
        end = data[MARKER_KEY]
        point = ResumePoint(
            complete=end["complete"] is True,
            after_line=int(end["resume_after_line"]),
            units=int(end["units"]),
            offset=start + cut,
        )
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError, KeyError, ValueError):
        message = (
            f"dòng cuối không phải dòng kết thúc {{{MARKER_KEY!r}: …}} của một lần chấm "
            "--stream (tệp bị cắt ngang hoặc không phải kết quả --stream)"
        )
        raise fail(message) from None
    if point.after_line < 0 or point.units < 0:
        raise fail("dòng kết thúc có số dòng hoặc số đơn vị âm")
    return point


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


class _Guide:
    """The guide of this process (workers load it once, in their initializer)."""

    compiled: CompiledRuleset | None = None
    trace: bool = False


def _init_worker(source: str | PathLike[str] | CompiledRuleset, trace: bool) -> None:
    from emulation_rules.compiler import load_ruleset  # noqa: PLC0415 - in the worker
    from emulation_rules.compiler.nodes import CompiledRuleset  # noqa: PLC0415

    if isinstance(source, CompiledRuleset):
        _Guide.compiled = source  # compiled once, by the caller
    elif isinstance(source, str | PathLike):
        _Guide.compiled = load_ruleset(os.fspath(source))
    else:
        raise TypeError(
            f"stream_score() takes a compiled guide or a guide's path, not {type(source).__name__}"
        )
    _Guide.trace = trace


@dataclass(frozen=True, slots=True)
class _Task:
    """One cluster, or one batch of units without a cluster, as read (sent to a worker)."""

    cluster: str | None
    #: ``(line number, text)`` of each non-blank line.
    lines: list[tuple[int, str]]
    #: Lines whose unit id was given before: line number -> (unit id, first line number).
    duplicates: dict[int, tuple[str, int]]

    @property
    def clustered(self) -> bool:
        return self.cluster is not None

    @property
    def last_line(self) -> int:
        return self.lines[-1][0]

    def describe(self) -> str:
        first, last = self.lines[0][0], self.last_line
        where = f"dòng {first}" if first == last else f"dòng {first}–{last}"
        return f"cụm {self.cluster!r} ({where})" if self.cluster is not None else where


def _parse(number: int, line: str) -> dict[str, Any] | Rejected:
    try:
        data = json.loads(
            line,
            object_pairs_hook=reject_duplicates,
            parse_float=Decimal,
            parse_int=json_integer,
        )
    except DuplicateKeyError as exc:
        return Rejected(
            _unit_id_of(line) or f"line-{number}",
            None,
            (Issue("duplicate-key", f"line {number}: {exc}", line=number),),
        )
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


def _rejected_dict(compiled: CompiledRuleset, rejected: Rejected) -> dict[str, Any]:
    from emulation_rules.engine.scoring import score  # noqa: PLC0415

    return score(compiled, [], rejected=[rejected]).to_dict()["rejected"][0]  # type: ignore[no-any-return]


def _duplicate(number: int, unit_id: str, first: int) -> Rejected:
    message = (
        f"unit id {unit_id!r} is submitted again (first on line {first}); this line is not scored"
    )
    issue = Issue("duplicate-unit", message, source=f"line {number}", unit_id=unit_id, line=number)
    return Rejected(unit_id, None, (issue,))


def _score_task(task: _Task) -> list[str]:
    """Score one cluster (or one batch of independent units); return the output lines."""
    from pydantic import ValidationError  # noqa: PLC0415

    from emulation_rules.engine.scoring import score  # noqa: PLC0415

    compiled = _Guide.compiled
    assert compiled is not None
    submissions: list[Submission] = []
    rejected: list[Rejected] = []
    # a unit id to look up in the results, or a result made here (a repeated unit id)
    order: list[str | dict[str, Any]] = []
    for number, line in task.lines:
        if number in task.duplicates:
            order.append(_rejected_dict(compiled, _duplicate(number, *task.duplicates[number])))
            continue
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
    independent = not task.clustered and (
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
            if not task.clustered:  # not ranked against anyone: no rank, no award
                unit["rank"] = None
                unit["rank_decided_by"] = None
                unit["awards"] = []
            by_unit[unit["unit_id"]] = unit
        for item in data["rejected"]:
            by_unit.setdefault(item["unit_id"], item)
    out = []
    for key in order:
        unit = by_unit.get(key) if isinstance(key, str) else key
        if unit is not None:
            # to_dict() gives canonical data already (decimals and dates as text)
            out.append(json.dumps(unit, ensure_ascii=False, sort_keys=True))
    return out


class _Reader:
    """Groups input lines into tasks, counts them, and notes unit ids given again."""

    def __init__(self, lines: Iterable[str], skip_lines: int) -> None:
        self._lines = lines
        self._skip = skip_lines
        #: Input lines read so far.
        self.count = 0
        #: Each unit id seen (casefolded) -> the line it was first given on.
        self._seen: dict[str, int] = {}

    def tasks(self) -> Iterator[_Task]:
        """Group consecutive lines into clusters (or batches of independent units)."""
        current: list[tuple[int, str]] = []
        current_cluster: str | None = None
        for number, raw in enumerate(self._lines, start=1):
            self.count = number
            line = raw.strip()
            if not line:
                continue
            if number <= self._skip:  # written by the run being resumed: only its ids count
                self._remember(number, line)
                continue
            cluster = _cluster_of(line)
            if current and (
                cluster != current_cluster or (cluster is None and len(current) >= BATCH)
            ):
                yield self._task(current_cluster, current)
                current = []
            current_cluster = cluster
            current.append((number, line))
        if current:
            yield self._task(current_cluster, current)

    def _remember(self, number: int, line: str) -> None:
        unit_id = _unit_id_of(line)
        if unit_id is not None:
            self._seen.setdefault(unit_id.casefold(), number)

    def _task(self, cluster: str | None, lines: list[tuple[int, str]]) -> _Task:
        duplicates: dict[int, tuple[str, int]] = {}
        ids: dict[str, int] = {}
        for number, line in lines:
            unit_id = _unit_id_of(line)
            if unit_id is None:
                continue
            key = unit_id.casefold()
            first = self._seen.get(key)
            if first is None and cluster is None:
                # independent units are each their own cohort: the first one given counts
                first = ids.get(key)
            if first is not None:
                duplicates[number] = (unit_id, first)
            else:
                ids.setdefault(key, number)
        # within a cluster, scoring itself rejects every copy of a repeated id, like files
        for key, number in ids.items():
            self._seen.setdefault(key, number)
        return _Task(cluster, lines, duplicates)


_CLUSTER = re.compile(r'"cluster"\s*:\s*"((?:[^"\\]|\\.)*)"')
_UNIT_ID = re.compile(r'"unit_id"\s*:\s*"((?:[^"\\]|\\.)*)"')


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


def _unit_id_of(line: str) -> str | None:
    """The line's unit id as text (NFC), found without parsing the line; None if not a string.

    A string value cannot fake the key: inside a JSON string its quotes are escaped.
    """
    match = _UNIT_ID.search(line)
    if match is None:
        return None
    text = match.group(1)
    if "\\" in text:
        try:
            text = json.loads(f'"{text}"')
        except json.JSONDecodeError:
            return None
    return nfc(text)


class _Stop(BaseException):
    """Raised in the main thread by SIGINT or SIGTERM, outside the writing of a cluster."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _Signals:
    """SIGINT/SIGTERM handlers that stop the run, but never in the middle of a cluster's lines."""

    def __init__(self) -> None:
        self.pending: int | None = None
        self._raised = False
        self._writing = False

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.pending is None:
            self.pending = signum
        if not self._writing:
            self._raise()

    def _raise(self) -> None:
        if self.pending is not None and not self._raised:
            self._raised = True  # once: a second Ctrl-C must not break the shutdown
            raise _Stop(self.pending)

    def finish(self) -> None:
        """Stop raising: the run is over, only its end is written now."""
        self._raised = True

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Defer a signal until the block is done (a cluster's lines are written whole)."""
        self._writing = True
        try:
            yield
        finally:
            self._writing = False
        self._raise()

    @contextlib.contextmanager
    def installed(self, enabled: bool) -> Iterator[None]:
        if not enabled:
            yield
            return
        old = {s: signal.signal(s, self.handle) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            self._raised = True  # from here on, a late signal only stays pending
            for number, handler in old.items():
                signal.signal(number, handler)


class _Writer:
    """Writes whole tasks' lines, flushed, and counts what was written."""

    def __init__(self, out: TextIO, signals: _Signals, progress: TextIO | None) -> None:
        self.out = out
        self.signals = signals
        self.progress = progress
        self.units = self.rejected = self.clusters = 0
        self.resume_after_line = 0

    def write(self, task: _Task, lines: list[str]) -> None:
        text = "".join(line + "\n" for line in lines)
        with self.signals.writing():
            self.out.write(text)
            self.out.flush()
            self.resume_after_line = task.last_line
            self.units += len(lines)
            self.clusters += 1 if task.clustered else 0
            self.rejected += sum('"status":"rejected"' in line.replace(" ", "") for line in lines)
        if self.progress is not None and self.units % 1000 < len(lines):
            _report(self.progress, self.units)


def stream_score(
    guide_source: CompiledRuleset | str | PathLike[str],
    lines: Iterable[str],
    out: TextIO,
    *,
    jobs: int = 1,
    trace: bool = False,
    progress: TextIO | None = None,
    marker: bool = False,
    handle_signals: bool = False,
    skip_lines: int = 0,
    units_before: int = 0,
) -> StreamStats:
    """Score JSON Lines of submissions, writing one JSON line per unit, in input order.

    Args:
        guide_source: the compiled guide (``load_ruleset``: it is not compiled again), or the
            guide's path. Worker processes inherit it (forked); where they are spawned
            (macOS) a compiled guide is loaded again from its ``source`` file.
        lines: the input lines (a file object works).
        out: where result lines go; written a whole cluster at a time and flushed after each.
        jobs: worker processes (1: score in this process); at most :func:`available_cpus`.
        trace: include each unit's trace.
        progress: where to report progress (a terminal), if anywhere.
        marker: end the output with the ``{"stream_end": ...}`` line.
        handle_signals: stop at a cluster boundary on SIGINT/SIGTERM and return (main thread
            only); otherwise the signal's usual exception propagates, after the workers end.
        skip_lines: resume after this input line (its results were written by an earlier run;
            its unit ids still count for ``duplicate-unit``).
        units_before: unit lines the earlier run wrote (for the marker's count).

    Returns:
        What was written and, when the run stopped early, why and where to resume.

    Raises:
        RulesetError: the guide does not load.
        WorkerError: a worker failed with an unexpected exception (a bug).
        TypeError: ``guide_source`` is neither a compiled guide nor a path.
    """
    _init_worker(guide_source, trace)  # the guide's problems here; forked workers inherit it
    compiled = _Guide.compiled
    assert compiled is not None
    # what a spawned worker loads (forked ones inherit the compiled guide and never use it)
    worker_source: str | PathLike[str] | CompiledRuleset = (
        compiled.source
        if compiled.source and not isinstance(guide_source, str | PathLike)
        else guide_source
    )
    jobs = max(1, min(jobs, available_cpus()))
    signals = _Signals()
    writer = _Writer(out, signals, progress)
    reader = _Reader(lines, skip_lines)
    writer.resume_after_line = skip_lines
    reason: str | None = None
    lost: tuple[str, ...] = ()
    error: WorkerError | None = None
    pool: Pool[_Task, list[str]] | None = None
    with signals.installed(handle_signals):
        try:
            if jobs > 1:
                pool = Pool(
                    jobs, _score_task, initializer=_init_worker, initargs=(worker_source, trace)
                )
                results: Iterable[tuple[_Task, list[str]]] = pool.imap(reader.tasks(), jobs * 16)
            else:
                results = ((task, _score_task(task)) for task in reader.tasks())
            for task, written in results:
                writer.write(task, written)
            if pool is not None:
                pool.close()
                pool = None
        except _Stop as stop:
            reason = signal.Signals(stop.signum).name
        except WorkerLostError as exc:
            reason = "worker-lost"
            lost = (_lost_message(exc),)
        except WorkerError as exc:
            reason, error = "worker-error", exc
        finally:
            signals.finish()  # from here on a signal cannot break the shutdown or the marker
            if pool is not None:  # stopped, or an exception on its way out: end workers now
                pool.terminate()
        stats = StreamStats(
            writer.units,
            writer.rejected,
            writer.clusters,
            complete=reason is None,
            reason=reason,
            input_lines=max(reader.count, writer.resume_after_line),
            resume_after_line=writer.resume_after_line if reason else reader.count,
            units_before=units_before,
            lost=lost,
        )
        if marker:
            with signals.writing():
                out.write(json.dumps(stats.marker(), ensure_ascii=False, sort_keys=True) + "\n")
                out.flush()
    if error is not None:
        raise error
    _report(progress, writer.units, final=True)
    return stats


def _lost_message(exc: WorkerLostError) -> str:
    if exc.exitcode is not None and exc.exitcode < 0:
        how = f"tín hiệu {signal.Signals(-exc.exitcode).name}"
    else:
        how = f"mã thoát {exc.exitcode}"
    what = exc.task.describe() if isinstance(exc.task, _Task) else "?"
    return f"tiến trình chấm {exc.pid} đã dừng đột ngột ({how}) khi đang chấm {what}"


def _report(progress: TextIO | None, units: int, *, final: bool = False) -> None:
    if progress is None:
        return
    progress.write(f"\r{units:,} đơn vị đã chấm" + ("\n" if final else ""))
    progress.flush()
