"""The table subcommands: ``import`` (a Word or Excel table to a draft guide) and ``export``.

:mod:`emulation_rules.cli` registers them with :func:`add_parsers` and runs them with
:func:`dispatch`; each is a thin layer over :mod:`emulation_rules.authoring.table_import` and
:mod:`emulation_rules.authoring.table_export`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from emulation_rules._support.i18n import _, render_issue
from emulation_rules.authoring.table_export import export_table
from emulation_rules.authoring.table_import import import_table
from emulation_rules.compiler import check_ruleset, load_ruleset

if TYPE_CHECKING:
    import argparse

__all__ = ["COMMANDS", "add_parsers", "dispatch"]

EXIT_OK = 0

#: The subcommands of this module.
COMMANDS = ("import", "export")


def add_parsers(sub: Any, stderr: TextIO) -> None:
    """Add the subcommands to the command line's subparsers."""
    imp = sub.add_parser(
        "import",
        help=_("turn a published scoring table (.docx, .xlsx) into a draft guide"),
        stderr=stderr,
    )
    imp.add_argument("table", metavar="TABLE", help=_("the Word (.docx) or Excel (.xlsx) file"))
    imp.add_argument(
        "-o", "--output", metavar="DRAFT", help=_("write the draft here (else stdout)")
    )
    imp.add_argument(
        "--table", dest="table_number", type=int, metavar="N", help=_("the N-th table")
    )
    imp.add_argument(
        "--like",
        metavar="GUIDE",
        help=_("take the id, version, period and inputs of this guide (so its submissions fit)"),
    )
    imp.add_argument("--id", dest="guide_id", metavar="ID", help=_("the draft guide's id"))

    exp = sub.add_parser(
        "export", help=_("write a guide as its published table (.docx, .xlsx)"), stderr=stderr
    )
    exp.add_argument("guide", metavar="GUIDE")
    exp.add_argument("-o", "--output", required=True, metavar="TABLE", help=_(".docx or .xlsx"))


def dispatch(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run the subcommand ``args.command``."""
    if args.command == "import":
        return _import(args, stdout, stderr)
    return _export(args, stdout, stderr)


def _import(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    like = load_ruleset(args.like) if args.like else None
    draft = import_table(args.table, table=args.table_number, like=like, guide_id=args.guide_id)
    stderr.writelines(render_issue(issue) + "\n" for issue in draft.issues)
    items = sum(1 for root in draft.roots for _ in root.walk())
    summary = (
        f"Đã nhập {items} mục từ bảng {draft.table} của {args.table}; "
        f"{len(draft.todos)} chỗ cần viết tiếp (import-todo)"
    )
    if args.output is None:
        stdout.write(draft.text)
        stderr.write(summary + "\n")
        return EXIT_OK
    Path(args.output).write_text(draft.text, encoding="utf-8")
    issues = check_ruleset(args.output)
    errors = [i for i in issues if i.severity == "error"]
    stderr.writelines(render_issue(issue) + "\n" for issue in errors)
    stdout.write(f"{summary}.\nBản nháp: {args.output}")
    stdout.write(
        f" (emulation-rules check: {len(errors)} lỗi, {len(issues) - len(errors)} cảnh báo)\n"
    )
    return EXIT_OK


def _export(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:  # noqa: ARG001
    guide = load_ruleset(args.guide)
    rows = export_table(guide, args.output)
    stdout.write(f"Đã ghi bảng {rows} hàng của {guide.id} {guide.version}: {args.output}\n")
    return EXIT_OK
