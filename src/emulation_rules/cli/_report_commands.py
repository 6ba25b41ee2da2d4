"""The subcommands for forms and reports: ``template`` and ``report``.

:mod:`emulation_rules.cli` registers them with :func:`add_parsers` and runs them with
:func:`dispatch`; each is a thin layer over :mod:`emulation_rules.inputs.workbook_template`,
:mod:`emulation_rules.reports.excel_summary` and :mod:`emulation_rules.reports.html`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from emulation_rules._support.files import make_folder
from emulation_rules._support.i18n import _, render_issue
from emulation_rules.cli._common import resolve_names, score_from_args
from emulation_rules.compiler import load_ruleset

if TYPE_CHECKING:
    import argparse

__all__ = ["COMMANDS", "add_parsers", "dispatch"]

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2

#: The subcommands of this module.
COMMANDS = ("template", "report")


def add_parsers(sub: Any, stderr: TextIO) -> None:
    """Add the subcommands to the command line's subparsers."""
    template = sub.add_parser(
        "template",
        help=_("write the Excel submission workbook of a guide (needs the 'excel' extra)"),
        stderr=stderr,
    )
    template.add_argument("guide", metavar="GUIDE")
    template.add_argument(
        "-o", "--output", required=True, metavar="FILE", help=_("the workbook to write (.xlsx)")
    )
    template.add_argument(
        "--rows", type=int, default=200, metavar="N", help=_("rows prepared for units (200)")
    )

    report = sub.add_parser(
        "report",
        help=_("score a cluster and write the Excel summary and the HTML report"),
        stderr=stderr,
    )
    report.add_argument("guide", metavar="GUIDE")
    report.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    report.add_argument("--cluster", metavar="FILE", help=_("cluster facts (YAML/JSON)"))
    report.add_argument(
        "--reviews",
        metavar="FILE",
        action="append",
        default=[],
        help=_("reviews: corrected inputs and agreed scores with reasons (YAML/JSON)"),
    )
    report.add_argument("--as-of", metavar="YYYY-MM-DD", help=_("the date the evaluation is as of"))
    report.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        help=_(
            "write both reports into DIR (<guide id>-bang-tong-hop.xlsx, <guide id>-bao-cao.html)"
        ),
    )
    report.add_argument("--excel", metavar="FILE", help=_("write the Excel summary to FILE"))
    report.add_argument("--html", metavar="FILE", help=_("write the HTML report to FILE"))
    report.add_argument(
        "--allow-version-mismatch",
        action="store_true",
        help=_("score submissions that name another version of the guide"),
    )


def dispatch(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run the subcommand ``args.command``."""
    if args.command == "template":
        return _template(args, stdout)
    return _report(args, stdout, stderr)


def _template(args: argparse.Namespace, stdout: TextIO) -> int:
    resolve_names(args)
    guide = load_ruleset(args.guide)
    from emulation_rules.inputs.workbook_template import write_template  # noqa: PLC0415 - start-up

    write_template(guide, args.output, rows=max(1, args.rows))
    stdout.write(f"{args.output}\n")
    return EXIT_OK


def _report(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    excel: Path | None = Path(args.excel) if args.excel else None
    page: Path | None = Path(args.html) if args.html else None
    if excel is None and page is None and not args.output_dir:
        stderr.write(
            _("emulation-rules report: usage: give -o DIR, --excel FILE or --html FILE") + "\n"
        )
        return EXIT_USAGE
    resolve_names(args)
    if args.output_dir:
        directory = make_folder(args.output_dir)
        guide_id = load_ruleset(args.guide).id
        excel = excel or directory / f"{guide_id}-bang-tong-hop.xlsx"
        page = page or directory / f"{guide_id}-bao-cao.html"
    assert excel is not None or page is not None
    scored = score_from_args(args)
    guide, result = scored.guide, scored.result
    # The report writers are imported by this command only: the other commands start faster.
    if page is not None:
        from emulation_rules.reports.html import write_html  # noqa: PLC0415 - start-up

        stdout.writelines(f"{written}\n" for written in write_html(guide, result, page))
    if excel is not None:
        from emulation_rules.reports.excel_summary import write_summary  # noqa: PLC0415

        write_summary(guide, result, excel)
        stdout.write(f"{excel}\n")
    for issue in result.issues:
        if issue.severity == "error":
            stderr.write(render_issue(issue) + "\n")
    for rejected in result.rejected:
        stderr.writelines(render_issue(i) + "\n" for i in rejected.issues if i.severity == "error")
    for unit in result.units:
        stderr.writelines(render_issue(i) + "\n" for i in unit.issues if i.severity == "error")
    return EXIT_OK if result.ok else EXIT_PROBLEM
