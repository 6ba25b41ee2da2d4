"""``emulation-rules score GUIDE FILE.jsonl --stream``: the command around :func:`stream_score`.

Exit codes: 0 every unit scored; 1 a rejected unit, an input with no unit, a worker process
lost (``stream-worker-lost``), an output that cannot be resumed; 2 a bad ``--jobs``; 130 stopped
by SIGINT (Ctrl-C); 143 stopped by SIGTERM. A stopped run ends its output with a marker saying
so, and ``--resume OUT`` continues it.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from emulation_rules._support.i18n import _
from emulation_rules.compiler import load_ruleset
from emulation_rules.errors import EmulationRulesError, Issue
from emulation_rules.guide.shipped import resolve_guide
from emulation_rules.stream import available_cpus, resume_point, stream_score

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator, Sequence

    from emulation_rules.stream import StreamStats

__all__ = ["stream_command"]

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2
#: The exit code for each signal that stops a run: 128 + the signal's number.
EXIT_SIGNAL = {"SIGINT": 130, "SIGTERM": 143}


def vn_number(number: int) -> str:
    """A count written the Vietnamese way, with dots between thousands.

    Example:
        >>> vn_number(1234567)
        '1.234.567'
    """
    return f"{number:,}".replace(",", ".")


def _jobs(requested: int, stderr: TextIO) -> int | None:
    """The number of processes to use, or None for a usage error (already reported)."""
    if requested < 1:
        message = _("emulation-rules score: usage: --jobs must be 1 or more, not {jobs}")
        stderr.write(message.format(jobs=requested) + "\n")
        return None
    cpus = available_cpus()
    if requested > cpus:
        stderr.write(f"--jobs {requested} giảm xuống {cpus}: máy chỉ có {cpus} CPU dùng được\n")
        return cpus
    return requested


def _lines(sources: Sequence[str]) -> Iterator[str]:
    """The lines of every source in turn ('-' is standard input), one file open at a time."""
    for source in sources:
        if source == "-":
            yield from sys.stdin
            continue
        with Path(source).open(encoding="utf-8") as lines:
            yield from lines


def stream_command(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run ``score --stream``; return the exit code."""
    jobs = _jobs(args.jobs, stderr)
    if jobs is None:
        return EXIT_USAGE
    args.guide = resolve_guide(args.guide)  # a shipped guide's name; the lines are JSON Lines
    load_ruleset(args.guide)  # every problem of the guide before any line is read
    missing = [s for s in args.submissions if s != "-" and not Path(s).is_file()]
    if missing:  # before a resumed output is touched
        issues = tuple(
            Issue("file-not-found", "cannot read the file: No such file or directory", source=s)
            for s in missing
        )
        raise EmulationRulesError("input not found", issues)
    skip = before = 0
    with contextlib.ExitStack() as stack:
        out = stdout
        if args.resume:
            point = resume_point(args.resume)
            if point.complete:
                stderr.write(f"{args.resume}: lần chấm trước đã xong, không còn gì để chấm tiếp\n")
                return EXIT_OK
            skip, before = point.after_line, point.units
            with Path(args.resume).open("r+b") as old:  # the old marker goes
                old.truncate(point.offset)
            out = stack.enter_context(Path(args.resume).open("a", encoding="utf-8"))
        stats = stream_score(
            args.guide,
            _lines(args.submissions),
            out,
            jobs=jobs,
            trace=args.trace,
            progress=stderr if stderr.isatty() else None,
            marker=True,
            handle_signals=True,
            skip_lines=skip,
            units_before=before,
        )
    return _outcome(stats, args, stderr)


def _outcome(stats: StreamStats, args: argparse.Namespace, stderr: TextIO) -> int:
    written = (
        f"đã ghi {vn_number(stats.units_before + stats.units)} đơn vị, "
        f"đến hết dòng {vn_number(stats.resume_after_line)} của đầu vào"
    )
    again = f"chạy tiếp: thêm --resume {args.resume or '<tệp kết quả>'} vào lệnh vừa chạy"
    if stats.reason in EXIT_SIGNAL:
        stderr.write(f"Đã dừng theo yêu cầu ({stats.reason}): {written}; {again}\n")
        return EXIT_SIGNAL[stats.reason]
    if stats.reason is not None:  # a worker was lost
        message = "; ".join((*stats.lost, f"{written}; các dòng sau chưa được chấm", again))
        raise EmulationRulesError("a worker was lost", (Issue("stream-worker-lost", message),))
    if stats.units_before + stats.units == 0:
        message = "đầu vào không có đơn vị nào (không có dòng nào ngoài dòng trống)"
        raise EmulationRulesError("no unit", (Issue("empty-document", message),))
    if stats.rejected:
        message = _("{rejected} of {units} unit(s) rejected")
        stderr.write(message.format(rejected=stats.rejected, units=stats.units) + "\n")
        return EXIT_PROBLEM
    return EXIT_OK
