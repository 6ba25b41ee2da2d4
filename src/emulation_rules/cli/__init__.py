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
from typing import TYPE_CHECKING, Any, TextIO

from emulation_rules._support.files import write_atomic
from emulation_rules._support.i18n import (
    LANGUAGES,
    N_,
    _,
    pgettext,
    render_issue,
    translate,
    use_language,
)
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
from emulation_rules.reports.table import render_table

if TYPE_CHECKING:
    from collections.abc import Sequence

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
        # argparse's own words, in the language of the call (argparse reads them from the
        # process-wide gettext domain at import; ours are the package's catalogs)
        self._positionals.title = pgettext("argparse", "positional arguments")
        self._optionals.title = pgettext("argparse", "options")
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):  # noqa: SLF001 - argparse's own
                action.help = _("show this help message and exit")

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

    #: Where --help is written (the injected standard output of :func:`run`).
    stdout: TextIO | None = None

    def _print_message(self, message: str, file: Any = None) -> None:
        if file is None or file is sys.stdout:
            file = self.stdout or sys.stdout
        super()._print_message(message, file)

    def format_help(self) -> str:
        """The help of argparse, its words in the language of the call."""
        text = super().format_help()
        return _("usage: ") + text.removeprefix("usage: ")


class _UsageError(Exception):
    pass


def _parser(stderr: TextIO, stdout: TextIO | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="emulation-rules",
        description=_("Score Vietnamese emulation clusters against declarative guides."),
        stderr=stderr,
    )
    parser.add_argument("--version", action="store_true", help=_("print the version and exit"))
    _add_lang(parser, None)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = sub.add_parser("check", help=_("load and check guides"), stderr=stderr)
    check.add_argument("guides", nargs="+", metavar="GUIDE")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--strict", action="store_true", help=_("treat warnings as errors"))

    run_score = sub.add_parser("score", help=_("score a cluster's submissions"), stderr=stderr)
    run_score.add_argument("guide", metavar="GUIDE")
    run_score.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    run_score.add_argument("--format", choices=("text", "json"), default="text")
    run_score.add_argument(
        "--trace", action="store_true", help=_("include each unit's trace (json)")
    )
    run_score.add_argument(
        "--cluster",
        metavar="FILE",
        help=_("cluster facts: members, meeting attendance, votes, next year's head (YAML/JSON)"),
    )
    run_score.add_argument(
        "--reviews",
        metavar="FILE",
        action="append",
        default=[],
        help=_("reviews: corrected inputs and overriding scores with reasons (YAML/JSON)"),
    )
    run_score.add_argument(
        "--as-of", metavar="YYYY-MM-DD", help=_("the date the evaluation is as of (recorded)")
    )
    run_score.add_argument(
        "--audit-log", metavar="FILE", help=_("append the audit record to this SQLite log")
    )
    run_score.add_argument("--record", metavar="FILE", help=_("write the audit record (JSON) here"))
    run_score.add_argument(
        "--sign-key",
        metavar="KEY",
        help=_(
            "sign the audit record with this Ed25519 private key (see 'keygen'; needs the "
            "'sign' extra)"
        ),
    )
    run_score.add_argument(
        "--signer", metavar="NAME", help=_("with --sign-key: who signs, as written in the record")
    )
    run_score.add_argument(
        "--stream",
        action="store_true",
        help=_("read JSON Lines submissions ('-' for standard input), write JSON Lines results"),
    )
    run_score.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help=_("with --stream: N processes (at most the number of CPUs)"),
    )
    run_score.add_argument(
        "--resume",
        metavar="OUT",
        help=_("with --stream: continue the interrupted run whose output is OUT, appending to it"),
    )
    run_score.add_argument(
        "--reference",
        action="store_true",
        help=_(
            "score with the independent reference evaluator (the interpreter and simpleeval; "
            "slower): the same result, by another path"
        ),
    )
    run_score.add_argument(
        "--allow-version-mismatch",
        action="store_true",
        help=_("score submissions that name another version of the guide"),
    )

    _commands.add_parsers(sub, stderr)
    _audit_commands.add_parsers(sub, stderr)
    _report_commands.add_parsers(sub, stderr)
    _whatif_commands.add_parsers(sub, stderr)
    _table_commands.add_parsers(sub, stderr)
    parser.stdout = stdout
    for command in sub.choices.values():  # --lang before or after the command
        _add_lang(command, argparse.SUPPRESS)
        if isinstance(command, _Parser):
            command.stdout = stdout
        for action in command._actions:  # noqa: SLF001 - argparse keeps them there
            if action.help is None and action.dest in _ARGUMENT_HELP:
                action.help = _(_ARGUMENT_HELP[action.dest])
    return parser


#: The help of the arguments that many commands share, when a command gives none of its own.
_ARGUMENT_HELP = {
    "guide": N_("the guide: a YAML file, or the name of a shipped guide"),
    "guides": N_("guides (YAML files or shipped names) or their tests files (*.tests.yaml)"),
    "submissions": N_("the units' submissions: YAML or JSON files, or filled Excel workbooks"),
    "format": N_("text for people (default) or json for programs"),
    "old": N_("the guide's old version"),
    "new": N_("the guide's new version"),
    "what": N_("which schema to write"),
    "directory": N_("the folder to write into (created if missing)"),
    "log": N_("the audit log (an SQLite file)"),
}


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
    N_("expected at least one argument"),
    N_("ambiguous option: {option} could match {matches}"),
)


def _add_lang(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=default,
        help=_("language of the messages: vi (default) or en; or EMULATION_RULES_LANG"),
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
        args = _parser(stderr, stdout).parse_args(argv)
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
        stderr.write(_("evaluator: {name}").format(name=EVALUATORS["reference"]) + "\n")
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
