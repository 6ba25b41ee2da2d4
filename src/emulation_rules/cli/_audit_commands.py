"""The command line's audit subcommands: ``replay`` and ``verify``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from emulation_rules.audit.log import read_record, verify_log
from emulation_rules.audit.records import AuditError, parse_record, replay
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
    report = replay(record, ruleset=args.ruleset)
    if report.identical:
        stdout.write(f"identical: {report.recorded_digest}\n")
        return EXIT_OK
    stderr.writelines(
        Issue("audit-replay", difference).render() + "\n" for difference in report.differences
    )
    stdout.write(f"differs: recorded {report.recorded_digest}, replayed {report.replayed_digest}\n")
    return EXIT_PROBLEM


def _verify(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    report = verify_log(args.log)
    if report.ok:
        stdout.write(f"{args.log}: ok, {report.records} record(s); head {report.head}\n")
        return EXIT_OK
    stderr.writelines(issue.render() + "\n" for issue in report.issues)
    return EXIT_PROBLEM
