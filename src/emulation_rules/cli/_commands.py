"""The rule authors' subcommands: test, explain, diff, schema, init, guides.

:mod:`emulation_rules.cli` registers them with :func:`add_parsers` and runs them with
:func:`dispatch`; each is a thin layer over a public module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from emulation_rules._support.i18n import N_, _, pgettext, render_issue
from emulation_rules.audit.log import read_record
from emulation_rules.audit.records import AuditError, parse_record, rescored
from emulation_rules.authoring import schemas
from emulation_rules.authoring.diff import diff_guides
from emulation_rules.authoring.guidetests import coverage, load_suite, run_suite, tests_path_for
from emulation_rules.authoring.scaffold import write_scaffold
from emulation_rules.cli._common import resolve_names, score_from_args
from emulation_rules.compiler import load_ruleset
from emulation_rules.errors import Issue, SubmissionError
from emulation_rules.guide.shipped import shipped_guides
from emulation_rules.inputs.read import load_submissions
from emulation_rules.inputs.submissions import load_cluster
from emulation_rules.reports.explain import explain_dict, explain_unit

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from emulation_rules.compiler.nodes import CompiledRuleset
    from emulation_rules.engine.scoring import ClusterResult
    from emulation_rules.guide.shipped import ShippedGuide

__all__ = ["COMMANDS", "add_parsers", "dispatch", "render_guides"]

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2

#: The subcommands of this module.
COMMANDS = ("test", "explain", "diff", "schema", "init", "guides")


def add_parsers(sub: Any, stderr: TextIO) -> None:
    """Add the subcommands to the command line's subparsers."""
    test = sub.add_parser(
        "test",
        help=_("run the test cases written beside guides (<guide>.tests.yaml)"),
        stderr=stderr,
    )
    test.add_argument("guides", nargs="+", metavar="GUIDE", help=_("guides or their tests files"))
    test.add_argument("--format", choices=("text", "json"), default="text")
    test.add_argument(
        "--coverage", action="store_true", help=_("report the parts of the guide no case exercises")
    )

    explain = sub.add_parser(
        "explain",
        help=_(
            "why a unit got its score, item by item (from a guide and its submissions, or "
            "from an audit record alone: 'explain RECORD.json --unit ID', "
            "'explain LOG.sqlite --seq N --unit ID')"
        ),
        stderr=stderr,
    )
    explain.add_argument(
        "guide",
        metavar="GUIDE|RECORD|LOG",
        help=_("the guide (a YAML file or a shipped name), an audit record (JSON) or a log"),
    )
    explain.add_argument("submissions", nargs="*", metavar="SUBMISSION")
    explain.add_argument("--unit", required=True, metavar="ID", help=_("the unit to explain"))
    explain.add_argument(
        "--seq", type=int, metavar="N", help=_("the record's number in an audit log (with LOG)")
    )
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.add_argument("--cluster", metavar="FILE", help=_("cluster facts (YAML/JSON)"))
    explain.add_argument(
        "--reviews", metavar="FILE", action="append", default=[], help=_("reviews to apply")
    )
    explain.add_argument(
        "--all", action="store_true", help=_("also list bonuses and deductions that did not apply")
    )

    diff = sub.add_parser(
        "diff",
        help=_("which units' scores, ranks and awards change between two guide versions"),
        stderr=stderr,
    )
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    diff.add_argument("--cluster", metavar="FILE", help=_("cluster facts (YAML/JSON)"))
    diff.add_argument("--format", choices=("text", "json"), default="text")

    schema = sub.add_parser(
        "schema",
        help=_("JSON Schema of the guide format, of a guide's submissions, of results, of tests"),
        stderr=stderr,
    )
    schema.add_argument(
        "what",
        nargs="?",
        choices=("ruleset", "submission", "result", "audit", "tests"),
        default="ruleset",
    )
    schema.add_argument("guide", nargs="?", metavar="GUIDE", help=_("the guide (for 'submission')"))

    init = sub.add_parser(
        "init",
        help=_("write a small working guide, its tests and an example submission into DIR"),
        stderr=stderr,
    )
    init.add_argument("directory", metavar="DIR")
    init.add_argument("--force", action="store_true", help=_("overwrite existing files"))

    guides = sub.add_parser(
        "guides",
        help=_("list the guides, base templates and examples shipped with the package"),
        stderr=stderr,
    )
    guides.add_argument("--format", choices=("text", "json"), default="text")


def dispatch(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run the subcommand ``args.command``."""
    handler = {
        "test": _test,
        "explain": _explain,
        "diff": _diff,
        "schema": _schema,
        "init": _init,
        "guides": _guides,
    }[args.command]
    return handler(args, stdout, stderr)


def _dump(data: Any, stdout: TextIO) -> None:
    stdout.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


# --------------------------------------------------------------------------------------------
# test


def _test(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    resolve_names(args)
    paths = list(dict.fromkeys(tests_path_for(g) for g in args.guides))
    failed = False
    report: list[dict[str, Any]] = []
    for path in paths:
        if not path.exists():
            issue = Issue(
                "file-not-found",
                N_("the guide has no tests file (write one beside it, named like this)"),
                source=str(path),
            )
            stderr.write(render_issue(issue) + "\n")
            failed = True
            continue
        suite = load_suite(path)
        results = run_suite(suite)
        cover = coverage(suite, [r.result for r in results if r.result]) if args.coverage else None
        failed = failed or any(not r.passed for r in results)
        if args.format == "json":
            report.append(_suite_json(suite, results, cover))
            continue
        stdout.write(f"{suite.source} ({suite.guide.id} {suite.guide.version})\n")
        for result in results:
            status = pgettext("test", "ok") if result.passed else pgettext("test", "FAIL")
            stdout.write(f"  {status:<4}  {result.name}\n")
            stdout.writelines(f"      {line}\n" for line in result.render(suite))
        passed = sum(r.passed for r in results)
        summary = _("{count} case(s): {passed} passed, {failed} failed").format(
            count=len(results), passed=passed, failed=len(results) - passed
        )
        stdout.write(f"  {summary}\n")
        if cover is not None:
            stdout.writelines(f"  {line}\n" for line in cover.render())
    if args.format == "json":
        _dump(report, stdout)
    return EXIT_PROBLEM if failed else EXIT_OK


def _suite_json(suite: Any, results: list[Any], cover: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tests": suite.source,
        "guide": {"id": suite.guide.id, "version": suite.guide.version},
        "cases": [
            {
                "name": r.name,
                "passed": r.passed,
                "failures": [
                    {
                        "unit_id": m.unit_id,
                        "what": m.what,
                        "issue": m.issue.as_dict(),
                        "message": m.issue.render(),
                    }
                    for m in r.mismatches
                ],
            }
            for r in results
        ],
    }
    if cover is not None:
        data["coverage"] = {
            "total": cover.total,
            "exercised": cover.exercised,
            "gaps": [
                {"id": g.id, "kind": g.kind, "title": g.title, "missing": list(g.missing)}
                for g in cover.gaps
            ],
            "constant": list(cover.constant),
        }
    return data


# --------------------------------------------------------------------------------------------
# explain


def _explain(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.seq is not None or not args.submissions:
        if args.cluster or args.reviews:
            stderr.write(
                _(
                    "emulation-rules explain: usage: a record holds its own cluster facts and "
                    "reviews; give --cluster and --reviews only with a guide and submissions"
                )
                + "\n"
            )
            return EXIT_USAGE
        if args.seq is not None:
            record = read_record(args.guide, args.seq)
        else:
            record = parse_record(_read_file(args.guide), name=args.guide)
        with rescored(record) as (guide, result, same):
            if not same:
                stderr.write(
                    "cảnh báo: chấm lại bản ghi không ra đúng kết quả đã ghi; "
                    "xem 'emulation-rules replay'\n"
                )
            return _explain_unit(args, guide, result, stdout, stderr)
    scored = score_from_args(args)
    return _explain_unit(args, scored.guide, scored.result, stdout, stderr)


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        issue = Issue("file-not-found", f"cannot read the record: {exc.strerror}", source=path)
        raise AuditError("unreadable", (issue,)) from None


def _explain_unit(
    args: argparse.Namespace,
    guide: CompiledRuleset,
    result: ClusterResult,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    for rejected in result.rejected:
        if rejected.unit_id == args.unit:
            raise SubmissionError(
                N_("the submission of unit {unit} is invalid").format(unit=repr(args.unit)),
                rejected.issues,
            )
    try:
        unit = result.unit(args.unit)
    except KeyError:
        known = ", ".join(u.unit_id for u in result.units) or _("none")
        message = _("error: no unit {unit} in the submissions (units: {known})")
        stderr.write(message.format(unit=repr(args.unit), known=known) + "\n")
        return EXIT_PROBLEM
    if args.format == "json":
        _dump(explain_dict(unit, guide), stdout)
    else:
        stdout.write(explain_unit(unit, guide, show_all=args.all))
    return EXIT_PROBLEM if unit.status == "error" else EXIT_OK


# --------------------------------------------------------------------------------------------
# diff, schema, init


def _diff(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    resolve_names(args)
    old, new = load_ruleset(args.old), load_ruleset(args.new)
    batch = load_submissions(args.submissions)
    cluster = load_cluster(args.cluster) if args.cluster else None
    found = diff_guides(
        old, new, batch.submissions, rejected=batch.rejected, issues=batch.issues, cluster=cluster
    )
    if args.format == "json":
        _dump(found.to_dict(), stdout)
    else:
        stdout.write(found.render())
    errors = [i for i in batch.issues if i.severity == "error"]
    stderr.writelines(render_issue(issue) + "\n" for issue in errors)
    return EXIT_PROBLEM if errors else EXIT_OK


def _schema(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    resolve_names(args)
    if args.what == "submission":
        if args.guide is None:
            stderr.write(_("emulation-rules schema: usage: 'schema submission GUIDE'") + "\n")
            return EXIT_USAGE
        _dump(schemas.submission_schema(load_ruleset(args.guide)), stdout)
        return EXIT_OK
    if args.guide is not None:
        message = _("emulation-rules schema: usage: 'schema {what}' takes no guide")
        stderr.write(message.format(what=args.what) + "\n")
        return EXIT_USAGE
    makers = {
        "ruleset": schemas.ruleset_schema,
        "result": schemas.result_schema,
        "audit": schemas.audit_schema,
        "tests": schemas.guide_tests_schema,
    }
    _dump(makers[args.what](), stdout)
    return EXIT_OK


def _init(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    try:
        paths = write_scaffold(args.directory, force=args.force)
    except FileExistsError as exc:
        message = _("error: these files exist already (use --force to overwrite): {files}")
        stderr.write(message.format(files=exc) + "\n")
        return EXIT_PROBLEM
    stdout.writelines(_("wrote {path}").format(path=path) + "\n" for path in paths)
    guide, tests, submission = paths
    stdout.write(
        _("next:") + "\n"
        f"  emulation-rules check {guide}\n"
        f"  emulation-rules score {guide} {submission}\n"
        f"  emulation-rules test {tests} --coverage\n"
    )
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# guides


def _guides(args: argparse.Namespace, stdout: TextIO, _stderr: TextIO) -> int:
    found = shipped_guides()
    if args.format == "json":
        _dump(
            [
                {
                    "name": g.name,
                    "id": g.id,
                    "version": g.version,
                    "title": g.title,
                    "path": str(g.path),
                    "template": g.template,
                    "examples": list(g.examples),
                }
                for g in found
            ],
            stdout,
        )
        return EXIT_OK
    stdout.write(render_guides(found))
    return EXIT_OK


def render_guides(found: Sequence[ShippedGuide]) -> str:
    """The shipped guides as a plain-text table, then how to use the names."""
    # the title last: the titles are long, and a wrapped last column keeps the others aligned
    header = (
        pgettext("guides", "Name"),
        pgettext("guides", "Version"),
        pgettext("guides", "Examples"),
        pgettext("guides", "Title"),
    )
    shared = pgettext("guides", "[shared template, use with extends]") + " "
    rows = [
        (
            g.name,
            g.version,
            ", ".join(g.examples) or "—",
            (shared if g.template else "") + g.title,
        )
        for g in found
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, tuple("-" * w for w in widths), *rows]
    ]
    example = next((g for g in found if g.examples), None)
    lines.append("")
    lines.append(
        pgettext("guides", "Use a name instead of a file's path (a file that exists comes first):")
    )
    if example is not None:
        lines.append(f"  emulation-rules check {example.name}")
        lines.append(f"  emulation-rules score {example.name} {example.examples[0]}")
        lines.append(f"  emulation-rules test {example.name}")
    template = next((g for g in found if g.template), None)
    if template is not None:
        said = pgettext("guides", "A guide anywhere may inherit the shared template: {extends}")
        lines.append(said.format(extends=f"extends: {template.name}"))
    folder = found[0].path.parent if found else "—"
    lines.append(pgettext("guides", "Data folder: {folder}").format(folder=folder))
    return "\n".join(lines) + "\n"
