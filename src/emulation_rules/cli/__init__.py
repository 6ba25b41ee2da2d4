"""The ``emulation-rules`` command line: a thin layer over the public API.

Exit codes: 0 success; 1 a problem the user can fix (a bad guide, a bad submission, a unit
that failed); 2 a usage error; 3 an unexpected internal error; 130 interrupted (SIGINT, Ctrl-C);
143 stopped by SIGTERM (``score --stream``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from decimal import Decimal
from typing import TYPE_CHECKING, TextIO

from emulation_rules._support.display import DISPLAY_PLACES as _DISPLAY_PLACES
from emulation_rules._support.display import vn_number
from emulation_rules._support.files import write_atomic
from emulation_rules._support.i18n import LANGUAGES, N_, _, render_issue, translate, use_language
from emulation_rules._version import __version__
from emulation_rules.audit.log import append_record
from emulation_rules.audit.records import (
    EVALUATORS,
    WrittenRecord,
    build_record,
    record_bytes,
    write_record,
)
from emulation_rules.authoring.guidetests import check_suite, is_tests_file
from emulation_rules.authoring.schemas import ruleset_schema
from emulation_rules.cli import (
    _audit_commands,
    _commands,
    _report_commands,
    _table_commands,
    _whatif_commands,
)
from emulation_rules.cli._common import score_from_args
from emulation_rules.cli._stream import stream_command
from emulation_rules.compiler import check_ruleset
from emulation_rules.errors import EmulationRulesError
from emulation_rules.guide.shipped import resolve_guide

if TYPE_CHECKING:
    from collections.abc import Sequence

    from emulation_rules.engine.scoring import ClusterResult
    from emulation_rules.errors import Issue

__all__ = ["main", "ruleset_schema", "run"]

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
#: Exit code after SIGTERM (128 + 15), like a process the signal ended.
EXIT_TERMINATED = 143


class _Parser(argparse.ArgumentParser):
    """argparse that writes usage errors to our stream and exits with 2."""

    def __init__(self, *args: object, stderr: TextIO, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._stderr = stderr

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(self._stderr)
        self._stderr.write(
            _("{prog}: usage: {message}").format(prog=self.prog, message=translate(message)) + "\n"
        )
        raise _UsageError

    def format_usage(self) -> str:
        """The usage line of argparse, its first word in the language of the call."""
        text = super().format_usage()
        return _("usage: ") + text.removeprefix("usage: ")


class _UsageError(Exception):
    pass


def _parser(stderr: TextIO) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="emulation-rules",
        description="Score Vietnamese emulation clusters against declarative guides.",
        stderr=stderr,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    _add_lang(parser, None)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = sub.add_parser("check", help="load and check guides", stderr=stderr)
    check.add_argument("guides", nargs="+", metavar="GUIDE")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")

    run_score = sub.add_parser("score", help="score a cluster's submissions", stderr=stderr)
    run_score.add_argument("guide", metavar="GUIDE")
    run_score.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    run_score.add_argument("--format", choices=("text", "json"), default="text")
    run_score.add_argument("--trace", action="store_true", help="include each unit's trace (json)")
    run_score.add_argument(
        "--cluster",
        metavar="FILE",
        help="cluster facts: members, meeting attendance, votes, next year's head (YAML/JSON)",
    )
    run_score.add_argument(
        "--reviews",
        metavar="FILE",
        action="append",
        default=[],
        help="reviews: corrected inputs and overriding scores with reasons (YAML/JSON)",
    )
    run_score.add_argument(
        "--as-of", metavar="YYYY-MM-DD", help="the date the evaluation is as of (recorded)"
    )
    run_score.add_argument(
        "--audit-log", metavar="FILE", help="append the audit record to this SQLite log"
    )
    run_score.add_argument("--record", metavar="FILE", help="write the audit record (JSON) here")
    run_score.add_argument(
        "--sign-key",
        metavar="KEY",
        help="sign the audit record with this Ed25519 private key (see 'keygen'; needs the "
        "'sign' extra)",
    )
    run_score.add_argument(
        "--signer", metavar="NAME", help="with --sign-key: who signs, as written in the record"
    )
    run_score.add_argument(
        "--stream",
        action="store_true",
        help="read JSON Lines submissions ('-' for standard input), write JSON Lines results",
    )
    run_score.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="with --stream: N processes (at most the number of CPUs)",
    )
    run_score.add_argument(
        "--resume",
        metavar="OUT",
        help="with --stream: continue the interrupted run whose output is OUT, appending to it",
    )
    run_score.add_argument(
        "--reference",
        action="store_true",
        help="score with the independent reference evaluator (the interpreter and simpleeval; "
        "slower): the same result, by another path",
    )
    run_score.add_argument(
        "--allow-version-mismatch",
        action="store_true",
        help="score submissions that name another version of the guide",
    )

    _commands.add_parsers(sub, stderr)
    _audit_commands.add_parsers(sub, stderr)
    _report_commands.add_parsers(sub, stderr)
    _whatif_commands.add_parsers(sub, stderr)
    _table_commands.add_parsers(sub, stderr)
    for command in sub.choices.values():  # --lang before or after the command
        _add_lang(command, argparse.SUPPRESS)
    return parser


#: argparse's own messages (its ``%`` templates written with braces), for the catalogs:
#: :func:`translate` matches a usage error's text against them.
ARGPARSE_MESSAGES = (
    N_("the following arguments are required: {arguments}"),
    N_("unrecognized arguments: {arguments}"),
    N_("argument {argument}: {message}"),
    N_("invalid choice: {value} (choose from {choices})"),
    N_("invalid {kind} value: {value}"),
    N_("expected one argument"),
    N_("one of the arguments {arguments} is required"),
    N_("not allowed with argument {argument}"),
)


def _add_lang(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=default,
        help="language of the messages: vi (default) or en; or EMULATION_RULES_LANG",
    )


def _lang_in(argv: Sequence[str]) -> str | None:
    """The language ``argv`` asks for, read before parsing so usage errors speak it too."""
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        if arg.startswith("--lang="):
            value = arg.partition("=")[2]
        elif arg == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
        else:
            continue
        return value if value in LANGUAGES else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``)."""
    for stream in (sys.stdout, sys.stderr):  # Vietnamese text, whatever the console's locale
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
    try:
        return run(sys.argv[1:] if argv is None else list(argv), sys.stdout, sys.stderr)
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PROBLEM


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """Run the command line with injected streams; return the exit code.

    Human output is in the language of ``--lang`` (``vi`` or ``en``), else of
    ``EMULATION_RULES_LANG``, else Vietnamese; JSON and records are the same in every language.
    """
    with use_language(_lang_in(argv)):
        return _run(argv, stdout, stderr)


def _run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    try:
        args = _parser(stderr).parse_args(argv)
    except _UsageError:
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    if args.version:
        stdout.write(f"emulation-rules {__version__}\n")
        return EXIT_OK
    if args.command is None:
        stderr.write(
            _("emulation-rules: usage: a command is required ({commands})").format(
                commands="check, score, explain, test, diff, schema, init, template, report, "
                "guides, whatif, import, export"
            )
            + "\n"
        )
        return EXIT_USAGE
    try:
        if args.command == "check":
            return _check(args, stdout)
        if args.command == "score":
            return _score(args, stdout, stderr)
        if args.command in _audit_commands.COMMANDS:
            return _audit_commands.dispatch(args, stdout, stderr)
        if args.command in _report_commands.COMMANDS:
            return _report_commands.dispatch(args, stdout, stderr)
        if args.command in _whatif_commands.COMMANDS:
            return _whatif_commands.dispatch(args, stdout, stderr)
        if args.command in _table_commands.COMMANDS:
            return _table_commands.dispatch(args, stdout, stderr)
        return _commands.dispatch(args, stdout, stderr)
    except EmulationRulesError as exc:
        stderr.writelines(render_issue(issue) + "\n" for issue in exc.issues)
        if not exc.issues:
            stderr.write(_("error: {message}").format(message=translate(exc.message)) + "\n")
        return EXIT_PROBLEM
    except KeyboardInterrupt:
        stderr.write(_("interrupted") + "\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        raise
    except Exception as exc:  # noqa: BLE001 - last resort: a bug must not look like a crash dump
        stderr.write(
            _("internal error: {error}").format(error=f"{type(exc).__name__}: {exc}")
            + "\n"
            + _("This is a bug in emulation-rules; please report it with the command you ran.")
            + "\n"
        )
        return EXIT_BUG


def _check_one(guide: str) -> tuple[str, list[Issue]]:
    """The guide's file (a shipped guide's for a name) and its issues."""
    try:
        guide = resolve_guide(guide)
    except EmulationRulesError as exc:
        return guide, list(exc.issues)
    return guide, check_suite(guide) if is_tests_file(guide) else check_ruleset(guide)


def _check(args: argparse.Namespace, stdout: TextIO) -> int:
    failed = False
    report: list[dict[str, object]] = []
    for given in args.guides:
        guide, issues = _check_one(given)
        errors = [i for i in issues if i.severity == "error"]
        warnings = [i for i in issues if i.severity == "warning"]
        failed = failed or bool(errors) or (args.strict and bool(warnings))
        if args.format == "json":
            report.append(
                {"guide": guide, "ok": not errors, "issues": [i.as_dict() for i in issues]}
            )
            continue
        stdout.writelines(render_issue(issue) + "\n" for issue in issues)
        status = _("ok") if not errors else _("{count} error(s)").format(count=len(errors))
        if warnings:
            status += ", " + _("{count} warning(s)").format(count=len(warnings))
        stdout.write(f"{guide}: {status}\n")
    if args.format == "json":
        stdout.write(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return EXIT_PROBLEM if failed else EXIT_OK


def _score(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if bool(args.sign_key) != bool(args.signer) or (
        args.sign_key and not (args.record or args.audit_log)
    ):
        stderr.write(
            _(
                "emulation-rules score: usage: --sign-key and --signer go together, "
                "with --record or --audit-log"
            )
            + "\n"
        )
        return EXIT_USAGE
    if args.stream:
        if args.reference:
            stderr.write(
                _("emulation-rules score: usage: --reference cannot be used with --stream") + "\n"
            )
            return EXIT_USAGE
        return stream_command(args, stdout, stderr)
    scored = score_from_args(args)
    result = scored.result
    if args.reference:  # on stderr: the result itself is the same bytes in either mode
        stderr.write(f"bộ đánh giá: {EVALUATORS['reference']}\n")
    if args.audit_log or args.record:
        writer = build_record if args.sign_key else write_record  # bytes, unless it is signed
        record = writer(
            scored.guide,
            scored.batch.submissions,
            result,
            reviews=scored.reviews,
            cluster=scored.cluster,
            rejected_before=scored.batch.rejected,
            as_of=scored.as_of,
        )
        if isinstance(record, dict):
            record = _audit_commands.sign(record, args.sign_key, args.signer)
        if args.record:
            data = record.data if isinstance(record, WrittenRecord) else record_bytes(record)
            write_atomic(args.record, data)
        if args.audit_log:
            entry = append_record(args.audit_log, record)
            stderr.write(
                _("audit record {seq} appended: {digest}").format(
                    seq=entry.seq, digest=entry.record_digest
                )
                + "\n"
            )
    if args.format == "json":
        stdout.write(result.to_json(trace=args.trace) + "\n")
    else:
        stdout.write(render_table(result))
    for issue in result.issues:
        if issue.severity == "error":
            stderr.write(render_issue(issue) + "\n")
    return EXIT_OK if result.ok else EXIT_PROBLEM


def _fmt(value: Decimal | None, places: int | None = None) -> str:
    """Display form, the Vietnamese way, with ``places`` decimals (default: as few as needed)."""
    if value is None:
        return "—"
    return vn_number(value, places)


#: Most decimal places the text table shows; longer values end with "…" (the JSON is exact).
DISPLAY_PLACES = _DISPLAY_PLACES


def _column(values: Sequence[Decimal | None]) -> list[str]:
    """Display a column with one number of decimal places, the fewest that shows every value."""
    places = 0
    for value in values:
        if value is not None:
            exponent = value.normalize().as_tuple().exponent
            if isinstance(exponent, int):
                places = max(places, -exponent)
    places = min(places, DISPLAY_PLACES)
    out = []
    for value in values:
        shown = _fmt(value, places)
        if value is not None and value != value.quantize(Decimal(1).scaleb(-places)):
            shown += "…"
        out.append(shown)
    return out


def render_table(result: ClusterResult) -> str:
    """The ranked table as plain text, with not-classified, failed and rejected units below."""
    lines = [
        f"{result.ruleset_title}",
        (
            f"Hướng dẫn {result.ruleset_id} phiên bản {result.ruleset_version}"
            f" ({result.ruleset_digest[:19]}…)"
        ),
        "",
    ]
    header: tuple[str, ...] = (
        "Hạng",
        "Mã đơn vị",
        "Đơn vị",
        "Tổng điểm",
        "Tối đa",
        "Tỷ lệ %",
        "Xếp loại",
    )
    scored = [u for u in result.units if u.status == "scored"]
    totals = _column([u.total for u in scored])
    maxima = _column([u.max for u in scored])
    rows: list[tuple[str, ...]] = [
        (
            str(unit.rank),
            unit.unit_id,
            unit.name,
            total,
            maximum,
            _fmt(unit.percent, 2),
            unit.classification or "",
        )
        for unit, total, maximum in zip(scored, totals, maxima, strict=True)
    ]
    if not any(row[-1] for row in rows):  # the guide declares no classification
        header = header[:-1]
        rows = [row[:-1] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    numeric = {0, 3, 4, 5}

    def line(cells: Sequence[str]) -> str:
        out = [
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(out).rstrip()

    lines.append(line(header))
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(line(r) for r in rows)
    others = [u for u in result.units if u.status != "scored"]
    if others:
        lines.append("")
    for unit in others:
        if unit.status == "not_classified":
            lines.append(f"Không xếp loại: {unit.unit_id} ({unit.name}), tổng {_fmt(unit.total)}")
            lines.extend(f"    {reason}" for reason in unit.reasons)
        else:
            lines.append(f"Lỗi khi chấm: {unit.unit_id} ({unit.name})")
            lines.extend(
                f"    {render_issue(issue)}" for issue in unit.issues if issue.severity == "error"
            )
    if result.rejected:
        lines.append("")
    for rejected in result.rejected:
        lines.append(f"Không chấm được (bài nộp sai): {rejected.unit_id}")
        lines.extend(
            f"    {render_issue(issue)}" for issue in rejected.issues if issue.severity == "error"
        )
    lines.extend(_awards_text(result))
    warnings = [i for u in result.units for i in u.issues if i.severity == "warning"]
    warnings += [i for i in result.issues if i.severity == "warning"]
    if warnings:
        lines.append("")
        lines.extend(render_issue(i) for i in warnings)
    return "\n".join(lines) + "\n"


def _awards_text(result: ClusterResult) -> list[str]:
    lines: list[str] = []
    ineligible = [u for u in result.units if u.status == "scored" and not u.eligible]
    if ineligible:
        lines.append("")
        for unit in ineligible:
            lines.append(f"Không đủ điều kiện khen thưởng: {unit.unit_id} ({unit.name})")
            lines.extend(f"    {reason}" for reason in unit.eligibility_reasons)
    for award in result.awards:
        lines.append("")
        names = {u.unit_id: u.name for u in result.units}
        lines.append(f"{award.title}: {award.arithmetic}")
        if award.vote:
            lines.append(f"    Biểu quyết: {award.vote}")
        if award.awarded:
            lines.extend(f"    Đề nghị: {uid} ({names.get(uid, uid)})" for uid in award.awarded)
        else:
            lines.append("    Không có đơn vị được đề nghị")
        lines.extend(
            f"    Không đề nghị {d.unit_id}: {d.reason}"
            for d in award.decisions
            if not d.awarded and d.reason != "không xếp loại"
        )
    next_year = result.cluster.next_year if result.cluster else None
    if next_year and (next_year.head or next_year.deputies):
        lines.append("")
        head = result.cluster.head if result.cluster else None
        if head and next_year.head:
            lines.append(
                f"Cờ luân lưu: cụm trưởng {head} trao cho cụm trưởng năm sau {next_year.head}"
            )
        if next_year.head:
            lines.append(f"Cụm trưởng năm sau: {next_year.head}")
        if next_year.deputies:
            lines.append(f"Cụm phó năm sau: {', '.join(next_year.deputies)}")
    return lines
