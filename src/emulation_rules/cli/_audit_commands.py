"""The command line's audit subcommands: ``replay``, ``verify`` and ``keygen``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from emulation_rules._support.files import write_atomic
from emulation_rules._support.i18n import _, pgettext, render_issue
from emulation_rules.audit.log import read_record, verify_log
from emulation_rules.audit.records import AuditError, parse_record, replay
from emulation_rules.audit.signing import (
    check_signature,
    generate_keypair,
    public_fingerprint,
    sign_record,
)
from emulation_rules.cli._common import resolve_names
from emulation_rules.errors import Issue

if TYPE_CHECKING:
    import argparse

__all__ = ["COMMANDS", "add_parsers", "dispatch"]

EXIT_OK, EXIT_PROBLEM = 0, 1

#: The subcommands of this module.
COMMANDS = ("replay", "verify", "keygen")


def add_parsers(sub: Any, stderr: TextIO) -> None:
    """Add the subcommands to the command line's subparsers."""
    again = sub.add_parser(
        "replay", help=_("re-evaluate an audit record and prove it reproduces"), stderr=stderr
    )
    again.add_argument(
        "record", metavar="RECORD", help=_("a record file, or an audit log with --seq")
    )
    again.add_argument("--seq", type=int, help=_("the record's number in an audit log"))
    again.add_argument(
        "--ruleset",
        metavar="GUIDE",
        help=_("replay against this guide instead of the recorded one"),
    )
    again.add_argument(
        "--reference",
        action="store_true",
        help=_(
            "a second opinion: replay with the interpreter and simpleeval (slower), "
            "never the generated code"
        ),
    )
    again.add_argument(
        "--trust",
        metavar="PUBLIC_KEY",
        action="append",
        default=[],
        help=_("require a valid signature by this Ed25519 public key (PEM); may be repeated"),
    )
    again.add_argument("--format", choices=("text", "json"), default="text")
    keys = sub.add_parser(
        "keygen",
        help=_("make an Ed25519 key pair to sign audit records (needs the 'sign' extra)"),
        stderr=stderr,
    )
    keys.add_argument("private", metavar="PRIVATE_KEY", help=_("where to write the private key"))
    keys.add_argument(
        "--public", metavar="PUBLIC_KEY", help=_("where to write the public key (PRIVATE.pub.pem)")
    )
    check = sub.add_parser(
        "verify", help=_("check an audit log's chain and every record's digest"), stderr=stderr
    )
    check.add_argument("log", metavar="LOG")


def dispatch(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run the subcommand ``args.command``."""
    if args.command == "replay":
        return _replay(args, stdout, stderr)
    if args.command == "keygen":
        return _keygen(args, stdout)
    return _verify(args, stdout, stderr)


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise AuditError(
            "unreadable",
            (Issue("file-not-found", f"cannot read the {what}: {exc.strerror}", source=path),),
        ) from None


def sign(record: dict[str, Any], key_path: str, signer: str) -> dict[str, Any]:
    """``record`` signed with the private key at ``key_path`` (``score --sign-key``)."""
    return sign_record(record, _read(key_path, "key"), signer=signer, key_name=key_path)


def _keygen(args: argparse.Namespace, stdout: TextIO) -> int:
    private_path = Path(args.private)
    public_path = Path(args.public) if args.public else private_path.with_suffix(".pub.pem")
    for path in (private_path, public_path):
        if path.exists():
            message = "the file exists; a key is never overwritten"
            raise AuditError(message, (Issue("file-write", message, source=str(path)),))
    private_pem, public_pem = generate_keypair()
    write_atomic(private_path, private_pem)
    private_path.chmod(0o600)
    write_atomic(public_path, public_pem)
    private = pgettext("keygen", "private key: {path} (keep it secret, for the signer only)")
    public = pgettext(
        "keygen", "public key: {path} (send it to the auditors, with its fingerprint)"
    )
    fingerprint = pgettext("keygen", "fingerprint: {fingerprint}")
    stdout.write(
        private.format(path=private_path)
        + "\n"
        + public.format(path=public_path)
        + "\n"
        + fingerprint.format(fingerprint=public_fingerprint(public_pem))
        + "\n"
    )
    return EXIT_OK


def _replay(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    resolve_names(args)
    if args.seq is not None:
        record = read_record(args.record, args.seq)
    else:
        record = parse_record(_read(args.record, "record"), name=args.record)
    trusted = [(key, _read(key, "public key")) for key in args.trust] or None
    signature = check_signature(record, trusted)
    signed_ok = signature.ok or (trusted is None and signature.status == "unsigned")
    report = replay(record, ruleset=args.ruleset, reference=args.reference)
    ok = report.identical and signed_ok
    if args.format == "json":
        shown = report.to_dict()
        shown["signature"] = {
            "status": signature.status,
            "signer": signature.signer,
            "fingerprint": signature.fingerprint,
            "trusted_checked": signature.trusted_checked,
        }
        stdout.write(json.dumps(shown, ensure_ascii=False, indent=2, sort_keys=True))
        stdout.write("\n")
        return EXIT_OK if ok else EXIT_PROBLEM
    if not signed_ok:
        said = pgettext("signature", "signature {outcome}")
        issue = Issue("audit-signature", said.format(outcome=signature.describe()))
        stderr.write(render_issue(issue) + "\n")
    if report.identical:
        stdout.write(_("identical: {digest}").format(digest=report.recorded_digest) + "\n")
    else:
        stderr.writelines(
            render_issue(Issue("audit-replay", difference)) + "\n"
            for difference in report.differences
        )
        stdout.write(
            _("differs: recorded {recorded}, replayed {replayed}").format(
                recorded=report.recorded_digest, replayed=report.replayed_digest
            )
            + "\n"
        )
    evaluator = {
        "generated": pgettext(
            "replay", "the usual one (code generated from the guide, the interpreter when needed)"
        ),
        "reference": pgettext("replay", "the independent one (the interpreter and simpleeval)"),
    }.get(report.evaluator, report.evaluator_text)
    stdout.write(pgettext("replay", "evaluator: {evaluator}").format(evaluator=evaluator) + "\n")
    said = pgettext("replay", "signature: {outcome}")
    stdout.write(said.format(outcome=signature.describe()) + "\n")
    return EXIT_OK if ok else EXIT_PROBLEM


def _verify(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    report = verify_log(args.log)
    if report.ok:
        stdout.write(
            _("{log}: ok, {count} record(s); head {head}").format(
                log=args.log, count=report.records, head=report.head
            )
            + "\n"
        )
        return EXIT_OK
    stderr.writelines(render_issue(issue) + "\n" for issue in report.issues)
    return EXIT_PROBLEM
