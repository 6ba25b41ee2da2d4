"""The ``whatif`` subcommand: the least change that reaches a goal, or what orders two units.

:mod:`emulation_rules.cli` registers it with :func:`add_parsers` and runs it with
:func:`dispatch`; it is a thin layer over :mod:`emulation_rules.whatif`.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TextIO

from emulation_rules._support.i18n import _
from emulation_rules.cli._common import refuse_bad_reviews
from emulation_rules.compiler import load_ruleset
from emulation_rules.errors import EmulationRulesError, Issue
from emulation_rules.inputs.read import load_submissions
from emulation_rules.inputs.reviews import load_reviews
from emulation_rules.inputs.submissions import load_cluster
from emulation_rules.whatif import compare_units, whatif

if TYPE_CHECKING:
    import argparse

__all__ = ["COMMANDS", "add_parsers", "dispatch"]

EXIT_OK, EXIT_PROBLEM = 0, 1

#: The subcommands of this module.
COMMANDS = ("whatif",)


def add_parsers(sub: Any, stderr: TextIO) -> None:
    """Add the subcommand to the command line's subparsers."""
    parser = sub.add_parser(
        "whatif",
        help=_("the least change of a unit's inputs that reaches a rank, class, award or total"),
        stderr=stderr,
    )
    parser.add_argument("guide", metavar="GUIDE")
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    parser.add_argument("--unit", metavar="ID", help=_("the unit whose inputs may change"))
    parser.add_argument(
        "--goal", metavar="GOAL", help=_("rank:N, class:LABEL, award:ID or total:X")
    )
    parser.add_argument(
        "--compare",
        nargs=2,
        metavar=("ID1", "ID2"),
        help=_("instead: which items decide the order of two units"),
    )
    parser.add_argument("--cluster", metavar="FILE", help=_("cluster facts (YAML/JSON)"))
    parser.add_argument(
        "--reviews", metavar="FILE", action="append", default=[], help=_("reviews (YAML/JSON)")
    )
    parser.add_argument(
        "--keep",
        nargs="+",
        action="extend",
        default=[],
        metavar="INPUT",
        help=_("inputs that cannot change"),
    )
    parser.add_argument(
        "--budget", default="10", metavar="SECONDS", help=_("time the search may take (10)")
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")


def _usage(message: str) -> EmulationRulesError:
    return EmulationRulesError(message, (Issue("usage", message),))


def _budget(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _usage(f"--budget {text!r} is not a number of seconds") from None
    if not value.is_finite() or value <= 0:
        raise _usage(f"--budget {text!r} is not a positive number of seconds")
    return value


def dispatch(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run ``whatif``."""
    del stderr  # problems are raised as issues and written by the caller
    guide = load_ruleset(args.guide)
    batch = load_submissions(args.submissions)
    cluster = load_cluster(args.cluster) if args.cluster else None
    reviews = [r for path in args.reviews for r in load_reviews(path).reviews]
    refuse_bad_reviews(guide, reviews)
    if args.compare:
        comparison = compare_units(
            guide, batch.submissions, *args.compare, cluster=cluster, reviews=reviews
        )
        _write(stdout, args.format, comparison.to_dict(), comparison.render_text())
        return EXIT_OK
    if not args.unit or not args.goal:
        raise _usage("whatif needs --unit ID and --goal GOAL (or --compare ID1 ID2)")
    answer = whatif(
        guide,
        batch.submissions,
        args.unit,
        args.goal,
        cluster=cluster,
        reviews=reviews,
        keep=args.keep,
        budget=_budget(args.budget),
    )
    _write(stdout, args.format, answer.to_dict(), answer.render_text())
    return EXIT_OK if answer.status in ("already", "reached") else EXIT_PROBLEM


def _write(stdout: TextIO, fmt: str, data: dict[str, Any], text: str) -> None:
    if fmt == "json":
        stdout.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    else:
        stdout.write(text)
