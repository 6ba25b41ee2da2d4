"""An append-only audit log in SQLite: one file, no server, records chained by digest.

Each row holds a record's canonical bytes, its digest, and a chain digest
``sha256(previous chain digest + record digest)``. :func:`verify_log` recomputes every
record's digest from its stored bytes and every link of the chain, so an edited byte, a
deleted, inserted or reordered record is found and named. Appends run in one ``BEGIN
IMMEDIATE`` transaction, so concurrent writers from several processes queue and lose nothing,
and an interrupted write leaves no partial record.

A chain can only prove what came before its last link: keep the head digest printed by
``emulation-rules verify`` somewhere the log's operator cannot rewrite (a signed report, the
meeting minutes).
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulation_rules._support.i18n import N_
from emulation_rules.audit.records import AuditError, WrittenRecord, parse_record, record_bytes
from emulation_rules.errors import Issue

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["GENESIS", "LogEntry", "VerifyReport", "append_record", "read_record", "verify_log"]

#: The chain digest before the first record.
GENESIS = "sha256:" + "0" * 64
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS audit_log (
        seq INTEGER PRIMARY KEY,
        record_digest TEXT NOT NULL,
        prev_chain TEXT NOT NULL,
        chain TEXT NOT NULL,
        ruleset_id TEXT NOT NULL,
        as_of TEXT,
        body BLOB NOT NULL
    )""",
    "CREATE TABLE IF NOT EXISTS audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    (
        "INSERT OR IGNORE INTO audit_meta (key, value)"
        " VALUES ('format', 'emulation-rules/audit-log-v1')"
    ),
)


def chain_digest(previous: str, record_digest: str) -> str:
    """``sha256:`` of the previous chain digest followed by the record's digest."""
    data = (previous + record_digest).encode("ascii")
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class LogEntry:
    """Where a record was appended."""

    seq: int
    record_digest: str
    chain: str


def _connect(path: str | Path) -> sqlite3.Connection:
    # the default rollback journal: every write takes the database lock in turn, and the busy
    # timeout makes concurrent writers wait for it instead of failing
    if Path(path).is_dir():
        raise _log_error(path, "file-write", N_("it is a folder, not an audit log file"))
    try:
        connection = sqlite3.connect(_uri(path, "rwc"), timeout=60, isolation_level=None, uri=True)
        connection.execute("PRAGMA synchronous=FULL")
    except sqlite3.Error as exc:
        code = "audit-format" if "not a database" in str(exc) else "file-write"
        raise _log_error(
            path, code, N_("cannot open the audit log: {problem}").format(problem=exc)
        ) from None
    return connection


def _uri(path: str | Path, mode: str) -> str:
    """A SQLite URI naming exactly ``path``: '#', '?' and '%' in a name are escaped."""
    return f"{Path(path).resolve().as_uri()}?mode={mode}"


def _read_only(path: str | Path) -> sqlite3.Connection:
    """Open an existing log for reading; a missing file is not created."""
    if not Path(path).is_file():
        reason = N_("it is a folder") if Path(path).is_dir() else N_("no such file")
        raise _log_error(
            path,
            "file-not-found",
            N_("cannot read the audit log: {problem}").format(problem=reason),
        )
    try:
        return sqlite3.connect(_uri(path, "ro"), uri=True)
    except sqlite3.Error as exc:
        raise _log_error(
            path, "audit-format", N_("not an audit log: {problem}").format(problem=exc)
        ) from None


def _log_error(path: str | Path, code: str, message: str) -> AuditError:
    return AuditError(message, (Issue(code, message, source=str(path)),))


def append_record(path: str | Path, record: dict[str, Any] | WrittenRecord) -> LogEntry:
    """Append a record to the log (created if absent), chained to the last one.

    ``record`` is a record as data (:func:`~emulation_rules.audit.records.build_record`) or
    as its bytes (:func:`~emulation_rules.audit.records.write_record`).
    """
    if isinstance(record, WrittenRecord):
        body, digest = record.data, record.digest
        ruleset_id, as_of = record.ruleset_id, record.as_of
    else:
        body, digest = record_bytes(record), record["digest"]
        ruleset_id, as_of = record["ruleset"]["id"], record.get("as_of")
    with closing(_connect(path)) as connection:
        try:
            connection.execute("BEGIN IMMEDIATE")  # waits (busy timeout) while another writes
        except sqlite3.Error as exc:
            raise _log_error(
                path, "audit-format", N_("not an audit log: {problem}").format(problem=exc)
            ) from None
        try:
            for statement in _SCHEMA:
                connection.execute(statement)
            row = connection.execute(
                "SELECT seq, chain FROM audit_log ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq, previous = (row[0] + 1, row[1]) if row else (1, GENESIS)
            chain = chain_digest(previous, digest)
            connection.execute(
                "INSERT INTO audit_log (seq, record_digest, prev_chain, chain, ruleset_id, as_of,"
                " body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (seq, digest, previous, chain, ruleset_id, as_of, body),
            )
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            connection.execute("ROLLBACK")
            code = "file-write" if isinstance(exc, sqlite3.OperationalError) else "audit-format"
            if "no such" in str(exc) or "not a database" in str(exc):
                code = "audit-format"
            raise _log_error(
                path, code, N_("cannot append to the audit log: {problem}").format(problem=exc)
            ) from None
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return LogEntry(seq, digest, chain)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of verifying a log."""

    ok: bool
    records: int
    #: The chain digest of the last record: anchor it outside the log.
    head: str
    issues: tuple[Issue, ...]


def verify_log(path: str | Path) -> VerifyReport:
    """Check every record's digest and every link of the chain; name the first bad record."""
    name = str(path)
    issues: list[Issue] = []
    with closing(_read_only(path)) as connection:
        try:
            # one row at a time: memory stays constant, however long the log
            rows = connection.execute(
                "SELECT seq, record_digest, prev_chain, chain, body FROM audit_log ORDER BY seq"
            )
            count, issues, head = _verify_rows(rows, name)
        except sqlite3.Error as exc:
            raise _log_error(
                path, "audit-format", N_("not an audit log: {problem}").format(problem=exc)
            ) from None
    return VerifyReport(not issues, count, head, tuple(issues))


def _verify_rows(
    rows: Iterable[tuple[int, str, str, str, bytes]], name: str
) -> tuple[int, list[Issue], str]:
    """Check each row's digest and link, stopping at the first broken one."""
    issues: list[Issue] = []
    count = 0
    previous, expected_seq, head = GENESIS, 1, GENESIS
    for seq, stored_digest, prev_chain, chain, body in rows:
        count += 1
        if issues:  # the first broken record is named; the rest are only counted
            continue
        where = f"record {seq} ({stored_digest})"
        problem = _check_row(body, stored_digest, name)
        if seq != expected_seq:
            problem = problem or (
                f"{where}: expected record {expected_seq} here; "
                f"{seq - expected_seq} record(s) before it were deleted"
            )
        if problem is None and prev_chain != previous:
            problem = (
                f"{where}: it does not follow the record before it "
                "(a record was deleted, inserted or moved here)"
            )
        if problem is None and chain != chain_digest(prev_chain, stored_digest):
            problem = f"{where}: its chain digest is wrong (the chain was edited)"
        if problem is not None:
            issues.append(Issue("audit-chain", problem, source=name, path=("audit_log", seq)))
            continue
        previous, expected_seq, head = chain, seq + 1, chain
    return count, issues, head


def _check_row(body: bytes, stored_digest: str, name: str) -> str | None:
    try:
        record = parse_record(body, name=name)
    except AuditError as exc:
        return exc.issues[0].message if exc.issues else exc.message
    if record["digest"] != stored_digest:
        return f"record {stored_digest}: its content is another record's ({record['digest']})"
    if record_bytes(record) != bytes(body):
        return f"record {stored_digest}: its stored bytes are not canonical (they were edited)"
    return None


def read_record(path: str | Path, seq: int) -> dict[str, Any]:
    """Read record ``seq`` of a log (checking its own digest)."""
    with closing(_read_only(path)) as connection:
        try:
            row = connection.execute("SELECT body FROM audit_log WHERE seq = ?", (seq,)).fetchone()
        except sqlite3.Error as exc:
            raise _log_error(
                path, "audit-format", N_("not an audit log: {problem}").format(problem=exc)
            ) from None
    if row is None:
        raise AuditError(
            "no such record",
            (Issue("audit-format", f"the log has no record {seq}", source=str(path)),),
        )
    return parse_record(row[0], name=f"{path}#{seq}")
