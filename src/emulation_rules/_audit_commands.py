"""The command line's audit subcommands: ``replay`` and ``verify``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from emulation_rules._cli_common import resolve_names
from emulation_rules.audit import AuditError, parse_record, replay
from emulation_rules.auditlog import read_record, verify_log
from emulation_rules.errors import Issue

if TYPE_CHECKING:
    import argparse

__all__ = ["COMMANDS", "add_parsers", "dispatch"]

EXIT_OK, EXIT_PROBLEM = 0, 1

#: The subcommands of this module.
COMMANDS = ("replay", "verify")


def add_parsers(sub: Any, stderr: TextIO) -> None:
    """Add the subcommands to the command line's subparsers."""
    again = sub.add_parser(
        "replay", help="re-evaluate an audit record and prove it reproduces", stderr=stderr
    )
    again.add_argument("record", metavar="RECORD", help="a record file, or an audit log with --seq")
    again.add_argument("--seq", type=int, help="the record's number in an audit log")
    again.add_argument(
        "--ruleset", metavar="GUIDE", help="replay against this guide instead of the recorded one"
    )
    again.add_argument(
        "--reference",
        action="store_true",
        help="a second opinion: replay with the interpreter and simpleeval (slower), "
        "never the generated code",
    )
    again.add_argument("--format", choices=("text", "json"), default="text")
    check = sub.add_parser(
        "verify", help="check an audit log's chain and every record's digest", stderr=stderr
    )
    check.add_argument("log", metavar="LOG")


def dispatch(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run the subcommand ``args.command``."""
    if args.command == "replay":
        return _replay(args, stdout, stderr)
    return _verify(args, stdout, stderr)


def _replay(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    resolve_names(args)
    if args.seq is not None:
        record = read_record(args.record, args.seq)
    else:
        path = Path(args.record)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise AuditError(
                "unreadable",
                (
                    Issue(
                        "file-not-found",
                        f"cannot read the record: {exc.strerror}",
                        source=args.record,
                    ),
                ),
            ) from None
        record = parse_record(data, name=args.record)
    report = replay(record, ruleset=args.ruleset, reference=args.reference)
    if args.format == "json":
        stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, sort_keys=True))
        stdout.write("\n")
        return EXIT_OK if report.identical else EXIT_PROBLEM
    if report.identical:
        stdout.write(f"identical: {report.recorded_digest}\n")
    else:
        stderr.writelines(
            Issue("audit-replay", difference).render() + "\n" for difference in report.differences
        )
        stdout.write(
            f"differs: recorded {report.recorded_digest}, replayed {report.replayed_digest}\n"
        )
    stdout.write(f"bộ đánh giá: {report.evaluator_text}\n")
    return EXIT_OK if report.identical else EXIT_PROBLEM


def _verify(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    report = verify_log(args.log)
    if report.ok:
        stdout.write(f"{args.log}: ok, {report.records} record(s); head {report.head}\n")
        return EXIT_OK
    stderr.writelines(issue.render() + "\n" for issue in report.issues)
    return EXIT_PROBLEM
