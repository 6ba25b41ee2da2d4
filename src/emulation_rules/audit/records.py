"""Audit records: one self-contained, canonical, digested record per evaluation of a cluster.

A record holds everything needed to reproduce and challenge a result years later: the guide's
exact text and digests, the validated inputs (submissions, reviews, cluster facts) and their
digest, the as-of date (given, never read from the clock), and the whole result with every
unit's trace (the rule of each criterion, its line in the guide, the inputs read, the parts,
caps, rounding and overrides with who, when and why, the cluster-phase facts, the ranking keys
and tie-breaks, the award arithmetic). It is canonical JSON (sorted keys, decimals as strings,
UTF-8, no insignificant whitespace) and carries its own digest, so the same inputs give the
same bytes on every machine, in any order, in any process.

:func:`replay` re-evaluates a record and reports ``identical``, or the first node that differs
and why. With ``reference=True`` it re-evaluates in the reference mode (the interpreter with
simpleeval, see :func:`~emulation_rules.engine.scoring.score`): a second opinion that shares no code
path of expression evaluation with the generated code that usually writes a record.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from emulation_rules._support.canonical import (
    canonical_bytes,
    canonical_json_digest,
    canonical_value,
    digest,
)
from emulation_rules._support.i18n import N_
from emulation_rules._support.text import json_integer
from emulation_rules._version import __version__
from emulation_rules.audit.documents import AuditDoc
from emulation_rules.errors import EmulationRulesError, Issue

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from emulation_rules.compiler.nodes import CompiledRuleset
    from emulation_rules.engine.scoring import ClusterResult
    from emulation_rules.inputs.cluster_data import ClusterData
    from emulation_rules.inputs.reviews import Review
    from emulation_rules.inputs.submissions import Rejected, Submission

__all__ = [
    "AUDIT_FORMAT",
    "EVALUATORS",
    "AuditError",
    "ReplayReport",
    "WrittenRecord",
    "build_record",
    "record_bytes",
    "record_digest",
    "replay",
    "rescored",
    "write_record",
]

#: The version of the audit record format.
AUDIT_FORMAT = "emulation-rules/audit-v1"


class AuditError(EmulationRulesError):
    """An audit record or log is unreadable, altered, or does not reproduce."""


def _submission_dict(sub: Submission) -> dict[str, Any]:
    data = sub.model_dump(mode="json", exclude_none=True)
    # where each value came from, so that a replay reports issues at the same places
    data["source"] = sub.source
    data["locations"] = {k: list(v) for k, v in sorted(sub.locations.items()) if v != (None, None)}
    return canonical_value(data)  # type: ignore[no-any-return]


#: The fields of a submission :func:`_submission_json` writes; another field (a new one)
#: makes every submission take ``_submission_dict``.
_SUBMISSION_FIELDS = frozenset(
    {
        "unit_id",
        "name",
        "values",
        "evidence",
        "self_scores",
        "ruleset",
        "ruleset_version",
        "period",
        "source",
        "locations",
        "cells",
    }
)
_encode_str: Any = json.encoder.encode_basestring
#: The canonical writer (as ``canonical_json_bytes``, without encoding).
_canonical_json = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
).encode
#: The names of a submission's values (as the dict holds them) -> those names in sorted order,
#: each with its JSON text ``"name":``. Few sets of names recur. Bounded: cleared when full.
_ORDERS: dict[tuple[Any, ...], tuple[tuple[str, str], ...]] = {}
_SAFE_INT = 2**53


def _values_json(values: Any) -> str | None:
    """``canonical_json(canonical_value(...))`` of a submission's dumped values, or None.

    Fast path of: the values of :func:`_submission_dict` (``model_dump(mode="json")`` writes a
    decimal as its ``str()``, then ``canonical_value`` makes large integers text). None for any
    value of another type.
    """
    names = tuple(values)
    order = _ORDERS.get(names)
    if order is None:  # the names in sorted order, each with its JSON text: once per set
        if any(type(name) is not str for name in names):
            return None
        if len(_ORDERS) >= 256:
            _ORDERS.clear()
        order = _ORDERS[names] = tuple((name, _encode_str(name) + ":") for name in sorted(names))
    text, decimal = str, Decimal
    out: list[str] = []
    append = out.append
    for name, key in order:
        value = values[name]
        cls = value.__class__
        if cls is decimal:
            append(key + '"' + text(value) + '"')
        elif value is True:
            append(key + "true")
        elif value is False:
            append(key + "false")
        elif cls is int:
            append(key + (text(value) if -_SAFE_INT < value < _SAFE_INT else f'"{value}"'))
        elif cls is str:
            append(key + _encode_str(value))
        elif value is None:
            append(key + "null")
        else:
            return None
    return "{" + ",".join(out) + "}"


def _submission_json(
    sub: Submission, submission: type, shared: dict[int, Any] | None = None
) -> str | None:
    """``canonical_json(_submission_dict(sub))`` without ``model_dump``, or None if unusual.

    Written here: a submission whose values and self-scores are decimals, integers, booleans,
    texts or nulls (its evidence, if any, is still dumped by the model). Kept equal by
    ``tests/test_result_json.py``. ``shared``: the JSON text of submitted values the record's
    writer wrote already, by the id of the values' dict (``result_json_pieces``).
    """
    if type(sub) is not submission:
        return None
    evidence = "{}"
    if sub.evidence:  # references, as the model writes them: only they are dumped
        dumped = sub.model_dump(mode="json", exclude_none=True, include={"evidence"})
        evidence = _canonical_json(canonical_value(dumped["evidence"]))
    known = shared.get(id(sub.values)) if shared else None
    values = known[1] if known is not None and known[0] is sub.values else _values_json(sub.values)
    scores = _values_json(sub.self_scores) if sub.self_scores else "{}"
    if values is None or scores is None:
        return None
    locations = {k: list(v) for k, v in sorted(sub.locations.items()) if v != (None, None)}
    text = (
        '{"evidence":'
        + evidence
        + ',"locations":'
        + (_canonical_json(locations) if locations else "{}")
    )
    text += ',"name":' + _encode_str(sub.name)
    for key, value in (
        ("period", sub.period),
        ("ruleset", sub.ruleset),
        ("ruleset_version", sub.ruleset_version),
    ):
        if value is not None:
            if type(value) is not str:
                return None
            text += ',"' + key + '":' + _encode_str(value)
    source = sub.source
    if not (source is None or type(source) is str) or type(sub.name) is not str:
        return None
    return str(
        text
        + ',"self_scores":'
        + scores
        + ',"source":'
        + ("null" if source is None else _encode_str(source))
        + ',"unit_id":'
        + _encode_str(sub.unit_id)
        + ',"values":'
        + values
        + "}"
    )


def _inputs_json(
    submissions: Sequence[Submission],
    reviews: Iterable[Review],
    cluster: ClusterData | None,
    rejected_before: Iterable[Rejected],
    shared: dict[int, Any] | None = None,
) -> str:
    """``canonical_json(_inputs(...))``, the usual submissions written without ``model_dump``.

    ``shared``: see :func:`_submission_json`.
    """
    from emulation_rules.inputs.submissions import Submission  # noqa: PLC0415 - import cycle

    if set(Submission.model_fields) != _SUBMISSION_FIELDS:
        return _canonical_json(_inputs(submissions, reviews, cluster, rejected_before))
    written: list[tuple[str, str]] = []
    for sub in submissions:
        text = _submission_json(sub, Submission, shared)
        if text is None or type(sub.unit_id) is not str:
            text = _canonical_json(_submission_dict(sub))
        written.append((str(sub.unit_id), text))
    written.sort(key=lambda pair: pair[0])
    rest = _inputs((), reviews, cluster, rejected_before)
    del rest["submissions"]
    head = _canonical_json(rest)
    return head[:-1] + ',"submissions":[' + ",".join([t for _, t in written]) + "]}"


def _rejected_dict(rejected: Rejected) -> dict[str, Any]:
    return canonical_value(  # type: ignore[no-any-return]
        {
            "unit_id": rejected.unit_id,
            "name": rejected.name,
            "issues": [i.as_dict() for i in rejected.issues],
        }
    )


def _inputs(
    submissions: Sequence[Submission],
    reviews: Iterable[Review],
    cluster: ClusterData | None,
    rejected_before: Iterable[Rejected],
) -> dict[str, Any]:
    """The ``inputs`` of a record, canonical."""
    return {
        "submissions": sorted(
            (_submission_dict(s) for s in submissions), key=lambda s: str(s["unit_id"])
        ),
        "rejected_before_scoring": sorted(
            (_rejected_dict(r) for r in rejected_before), key=lambda r: str(r["unit_id"])
        ),
        "reviews": sorted(
            (canonical_value(r.model_dump(mode="json")) for r in reviews),
            key=lambda r: (str(r["unit_id"]), str(r["stage"]), str(r["at"]), str(r["reviewer"])),
        ),
        "cluster": canonical_value(cluster.model_dump(mode="json")) if cluster else None,
    }


def _header(compiled: CompiledRuleset, as_of: date | None) -> dict[str, Any]:
    """The parts of a record around its inputs and result (not canonical yet)."""
    return {
        "audit_format": AUDIT_FORMAT,
        "engine": {
            "name": "emulation-rules",
            "version": __version__,
            "expression_language": "v1",
            "decimal_context": {"precision": 28, "rounding": "half_up"},
        },
        "ruleset": {
            "id": compiled.id,
            "version": compiled.version,
            "title": compiled.ruleset.title,
            "digest": compiled.digest,
            "source_digest": compiled.source_digest,
            "source_name": compiled.source,
            "source_text": compiled.text,
            "bases": _bases(compiled),
        },
        "as_of": as_of.isoformat() if as_of else None,
    }


def build_record(
    compiled: CompiledRuleset,
    submissions: Sequence[Submission],
    result: ClusterResult,
    *,
    reviews: Iterable[Review] = (),
    cluster: ClusterData | None = None,
    rejected_before: Iterable[Rejected] = (),
    as_of: date | None = None,
) -> dict[str, Any]:
    """Build the audit record of one evaluation (a JSON-ready mapping with its ``digest``).

    The record as data, every unit's trace built as a tree: what :func:`replay` compares and
    what a program reads. To store a record, :func:`write_record` writes the same bytes as
    ``record_bytes(build_record(...))`` several times faster, and is kept equal to it (the
    reference) by ``tests/test_result_json.py``.
    """
    inputs = _inputs(submissions, reviews, cluster, rejected_before)
    body: dict[str, Any] = _header(compiled, as_of)
    body["inputs"] = inputs
    body["input_digest"] = canonical_json_digest(inputs)  # canonical already
    body["result"] = result.to_dict(trace=True)
    # the digest of the body (without "digest"): the inputs and the result of a ClusterResult
    # are canonical already and are not walked again, the rest is small
    hashed = {k: canonical_value(v) for k, v in body.items() if k not in _CANONICAL_PARTS}
    hashed["inputs"] = inputs
    result_data = body["result"]
    hashed["result"] = result_data if _canonical_result(result) else canonical_value(result_data)
    body["digest"] = canonical_json_digest(hashed)
    return body


@dataclass(frozen=True, slots=True)
class WrittenRecord:
    """An audit record written as its canonical bytes (:func:`write_record`)."""

    #: ``record_bytes`` of the record: what is stored and hashed.
    data: bytes
    digest: str
    ruleset_id: str
    as_of: str | None


def write_record(
    compiled: CompiledRuleset,
    submissions: Sequence[Submission],
    result: ClusterResult,
    *,
    reviews: Iterable[Review] = (),
    cluster: ClusterData | None = None,
    rejected_before: Iterable[Rejected] = (),
    as_of: date | None = None,
) -> WrittenRecord:
    """The audit record of one evaluation as its canonical bytes, with its digest.

    Fast path of: ``record_bytes(build_record(...))`` (byte for byte the same record; see
    ``tests/test_result_json.py``). The units' traces are written straight from the flat
    records scoring keeps (:mod:`emulation_rules.engine.result_json`): no trace tree and no
    dict per criterion is built, and the record is written once, not walked again for its
    digest.
    """
    if not _canonical_result(result):  # a result whose to_dict was replaced: the reference
        record = build_record(
            compiled,
            submissions,
            result,
            reviews=reviews,
            cluster=cluster,
            rejected_before=rejected_before,
            as_of=as_of,
        )
        return WrittenRecord(record_bytes(record), record["digest"], compiled.id, record["as_of"])
    from emulation_rules.engine.result_json import (  # noqa: PLC0415 - import cycle
        canonical_json,
        result_json_pieces,
    )
    from emulation_rules.engine.scoring import gc_paused  # noqa: PLC0415

    header = {k: canonical_value(v) for k, v in _header(compiled, as_of).items()}
    with gc_paused():
        # the result first: its writer leaves the text of each unit's submitted values (the
        # inputs it reads) for the submissions, which then need not write them again
        shared: dict[int, Any] = {}
        result_pieces = result_json_pieces(result, trace=True, shared=shared)
        inputs = _inputs_json(submissions, reviews, cluster, rejected_before, shared)
        del shared
        inputs_bytes = inputs.encode("utf-8")
        input_digest = "sha256:" + hashlib.sha256(inputs_bytes).hexdigest()
    # the keys in sorted order: as_of, audit_format, (digest), engine, input_digest, inputs,
    # result, ruleset
    before = (
        '{"as_of":'
        + canonical_json(header["as_of"])
        + ',"audit_format":'
        + canonical_json(header["audit_format"])
    ).encode("utf-8")
    middle = (
        ',"engine":'
        + canonical_json(header["engine"])
        + ',"input_digest":'
        + canonical_json(input_digest)
        + ',"inputs":'
    ).encode("utf-8")
    after = (',"ruleset":' + canonical_json(header["ruleset"]) + "}").encode("utf-8")
    hashed = hashlib.sha256(before)
    for part in (middle, inputs_bytes, b',"result":', *result_pieces, after):
        hashed.update(part)
    digest = "sha256:" + hashed.hexdigest()
    data = b"".join(
        (
            before,
            b',"digest":"',
            digest.encode("ascii"),
            b'"',
            middle,
            inputs_bytes,
            b',"result":',
            *result_pieces,
            after,
        )
    )
    return WrittenRecord(data, digest, compiled.id, header["as_of"])


#: The parts of a record :func:`build_record` builds canonical.
_CANONICAL_PARTS = ("inputs", "result")


def _canonical_result(result: ClusterResult) -> bool:
    """Whether ``result.to_dict`` is the one that returns canonical data."""
    from emulation_rules.engine.scoring import ClusterResult  # noqa: PLC0415 - import cycle

    return type(result).to_dict is ClusterResult.to_dict


def _bases(compiled: CompiledRuleset) -> list[dict[str, str]]:
    """The base guides of a composed guide: their paths relative to the guide, and texts."""
    if compiled.source is None or len(compiled.layers) < 2:
        return []
    folder = Path(compiled.source).parent
    # a shipped template reached by name is recorded where its name would be a file beside
    # the guide: a replay writes it there, and a file that exists wins over the name
    shipped = {source: (at, text) for source, at, text in compiled.shipped_bases}
    out = []
    for _ident, source in compiled.layers[:-1]:  # base first; the last layer is the guide
        at, text = shipped.get(source, (source, None))
        out.append(
            {
                "path": os.path.relpath(Path(at), folder).replace(os.sep, "/"),
                "text": text if text is not None else Path(source).read_text(encoding="utf-8"),
            }
        )
    return out


#: How far up a recorded base guide may sit from the guide (``../../base.yaml`` is 2).
_MAX_UPS = 8


@contextmanager
def _recorded_guide(recorded: dict[str, Any]) -> Iterator[CompiledRuleset]:
    """The guide embedded in a record.

    Its base guides, if any, are written to a private folder that lives as long as the replay.
    """
    from emulation_rules.compiler import load_ruleset  # noqa: PLC0415 - import cycle

    text = recorded.get("source_text")
    if text is None:
        raise AuditError(
            "no guide",
            (Issue("audit-format", N_("the record holds no guide text; give --ruleset")),),
        )
    bases = recorded.get("bases") or []
    if not bases:
        yield load_ruleset(text.encode("utf-8"), name=recorded.get("source_name"))
        return
    for base in bases:  # a record is untrusted: its base paths stay inside the replay folder
        parts = Path(base["path"]).parts
        if Path(base["path"]).is_absolute() or not parts or "\x00" in base["path"]:
            raise _malformed(
                N_("the base guide path {path} is not a relative path").format(
                    path=repr(base["path"])
                )
            )
        if parts.count("..") > _MAX_UPS:
            raise _malformed(
                N_("the base guide path {path} climbs too many folders").format(
                    path=repr(base["path"])
                )
            )
    ups = max(Path(b["path"]).parts.count("..") for b in bases)
    with tempfile.TemporaryDirectory(prefix="emulation-rules-replay-") as tmp:
        root = Path(tmp).resolve()
        folder = root.joinpath(*(["g"] * ups))
        name = Path(recorded.get("source_name") or "guide.yaml").name
        guide = folder / (name if name not in ("", ".", "..") else "guide.yaml")
        for base in bases:
            target = (folder / base["path"]).resolve()
            if not target.is_relative_to(root):
                raise _malformed(
                    N_("the base guide path {path} leaves the replay folder").format(
                        path=repr(base["path"])
                    )
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(base["text"], encoding="utf-8")
        folder.mkdir(parents=True, exist_ok=True)
        guide.write_text(text, encoding="utf-8")
        yield load_ruleset(guide)


def record_digest(record: dict[str, Any]) -> str:
    """The digest of a record: sha256 of its canonical JSON without ``digest`` and ``signature``.

    A signature (:mod:`emulation_rules.audit.signing`) signs this digest, so it stands outside it.
    """
    return digest({k: v for k, v in record.items() if k not in _UNDIGESTED})


#: The keys of a record that its digest does not cover.
_UNDIGESTED = frozenset({"digest", "signature"})


def record_bytes(record: dict[str, Any]) -> bytes:
    """The canonical bytes of a record (what is stored and hashed)."""
    return canonical_bytes(record)


def parse_record(data: bytes | str, *, name: str = "<record>") -> dict[str, Any]:
    """Read a record from JSON and check its format and its own digest.

    Raises:
        AuditError: ``audit-format`` for an unreadable record or unknown format,
            ``audit-digest`` when its content does not match its digest (it was altered).
    """
    try:
        record = json.loads(data, parse_int=json_integer)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise AuditError(
            "not an audit record",
            (
                Issue(
                    "audit-format",
                    N_("the record is not JSON: {problem}").format(problem=exc),
                    source=name,
                ),
            ),
        ) from None
    if not isinstance(record, dict) or record.get("audit_format") != AUDIT_FORMAT:
        found = record.get("audit_format") if isinstance(record, dict) else None
        raise AuditError(
            "unknown audit format",
            (
                Issue(
                    "audit-format",
                    N_("audit format {found} is not {expected}").format(
                        found=repr(found), expected=repr(AUDIT_FORMAT)
                    ),
                    source=name,
                ),
            ),
        )
    expected = record_digest(record)
    if record.get("digest") != expected:
        raise AuditError(
            "altered record",
            (
                Issue(
                    "audit-digest",
                    f"the record's content does not match its digest {record.get('digest')!r} "
                    "(it was altered after it was written)",
                    source=name,
                ),
            ),
        )
    return record


Evaluator = Literal["generated", "reference"]

#: What each evaluator of a replay is, in the words of the reports.
EVALUATORS: dict[Evaluator, str] = {
    "generated": "thông thường (mã sinh từ hướng dẫn, trình thông dịch khi cần)",
    "reference": "đánh giá độc lập (trình thông dịch + simpleeval)",
}


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """The outcome of replaying a record."""

    identical: bool
    #: Why the replay differs, most important first (guide digest, then the first node).
    differences: tuple[str, ...]
    recorded_digest: str
    replayed_digest: str
    #: Which evaluator replayed it: ``generated`` (as :func:`score` usually scores) or
    #: ``reference`` (the interpreter with simpleeval).
    evaluator: Evaluator = "generated"

    @property
    def evaluator_text(self) -> str:
        """The evaluator in the words of the reports."""
        return EVALUATORS[self.evaluator]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "identical": self.identical,
            "differences": list(self.differences),
            "recorded_digest": self.recorded_digest,
            "replayed_digest": self.replayed_digest,
            "evaluator": {"mode": self.evaluator, "description": self.evaluator_text},
        }


def replay(
    record: dict[str, Any], *, ruleset: str | bytes | None = None, reference: bool = False
) -> ReplayReport:
    """Re-evaluate a record and compare with what it recorded.

    ``ruleset`` replays against another guide file (or its bytes); by default the guide text
    embedded in the record is used. ``reference=True`` re-evaluates in the reference mode: the
    interpreter with every expression evaluated by simpleeval, never the generated code or the
    compiled closures, so that a fault of the fast path that wrote the record is found.

    Raises:
        AuditError: when the record cannot be replayed at all.
    """
    from emulation_rules.compiler import load_ruleset  # noqa: PLC0415 - import cycle

    _check_record(record)
    recorded_rs = record["ruleset"]
    if ruleset is None:
        with _recorded_guide(recorded_rs) as guide:
            return _replay_with(record, guide, reference=reference)
    given = (
        load_ruleset(ruleset) if isinstance(ruleset, bytes) else load_ruleset(ruleset, name=ruleset)
    )
    return _replay_with(record, given, reference=reference)


def _replay_with(
    record: dict[str, Any], guide: CompiledRuleset, *, reference: bool
) -> ReplayReport:
    recorded_rs = record["ruleset"]
    differences: list[str] = []
    if guide.digest != recorded_rs["digest"]:
        differences.append(
            N_(
                "guide digest differs: recorded {recorded}, now {now} "
                "(guide {id} version {version})"
            ).format(
                recorded=recorded_rs["digest"],
                now=guide.digest,
                id=guide.id,
                version=guide.version,
            )
        )
    inputs = _recorded_inputs(record)
    result = _rescore(guide, inputs, reference=reference)
    evaluator: Evaluator = "reference" if reference else "generated"
    # the usual case first, in bounded memory: the replayed record written as bytes, straight
    # from the flat traces, is the recorded one byte for byte (then nothing can differ)
    written = _written_again(guide, inputs, result)
    if not differences and written.data == _bytes_or_none(record):
        return ReplayReport(
            identical=True,
            differences=(),
            recorded_digest=record["digest"],
            replayed_digest=written.digest,
            evaluator=evaluator,
        )
    del written
    again = _record_from(guide, inputs, result)  # the record as data, to say what differs
    del result
    try:
        first = first_difference(record["result"], again["result"])
        header = _header_differences(record, again)
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        first = N_(
            "the recorded result is malformed ({reason}): it cannot match the replay"
        ).format(reason=_reason(exc))
        header = []
    if first is not None:
        differences.append(first)
    elif again["input_digest"] != record["input_digest"]:
        differences.append(N_("the inputs' digest differs although the results agree"))
    differences.extend(header)
    return ReplayReport(
        not differences, tuple(differences), record["digest"], again["digest"], evaluator
    )


def _bytes_or_none(record: dict[str, Any]) -> bytes | None:
    """The canonical bytes of a record read back (its signature left out), or None."""
    try:
        return record_bytes({k: v for k, v in record.items() if k != "signature"})
    except (TypeError, ValueError, RecursionError):
        return None


_Inputs = tuple[list[Any], list[Any], Any, list[Any], date | None]


def _recorded_inputs(record: dict[str, Any]) -> _Inputs:
    """The submissions, reviews, cluster facts, rejected units and date a record holds."""
    from emulation_rules.inputs.cluster_data import ClusterData  # noqa: PLC0415 - import cycle
    from emulation_rules.inputs.reviews import Review  # noqa: PLC0415
    from emulation_rules.inputs.submissions import Rejected, Submission  # noqa: PLC0415

    try:
        inputs = record["inputs"]
        submissions = [Submission.model_validate(s) for s in inputs["submissions"]]
        reviews = [Review.model_validate(r) for r in inputs["reviews"]]
        cluster = ClusterData.model_validate(inputs["cluster"]) if inputs["cluster"] else None
        rejected = [
            Rejected(r["unit_id"], r.get("name"), tuple(_issue(i) for i in r["issues"]))
            for r in inputs["rejected_before_scoring"]
        ]
        as_of = date.fromisoformat(record["as_of"]) if record.get("as_of") else None
    except (ValidationError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _malformed(
            N_("its inputs cannot be read back ({reason})").format(reason=_reason(exc))
        ) from None
    return submissions, reviews, cluster, rejected, as_of


def _rescore(guide: CompiledRuleset, inputs: _Inputs, *, reference: bool) -> ClusterResult:
    from emulation_rules.engine.scoring import score  # noqa: PLC0415

    submissions, reviews, cluster, rejected, as_of = inputs
    return score(
        guide,
        submissions,
        rejected=rejected,
        reviews=reviews,
        cluster=cluster,
        as_of=as_of,
        allow_version_mismatch=True,
        reference=reference,
    )


def _record_from(guide: CompiledRuleset, inputs: _Inputs, result: ClusterResult) -> dict[str, Any]:
    """The record of a record's inputs scored again (``result``), as data."""
    submissions, reviews, cluster, rejected, as_of = inputs
    return build_record(
        guide,
        submissions,
        result,
        reviews=reviews,
        cluster=cluster,
        rejected_before=rejected,
        as_of=as_of,
    )


def _written_again(guide: CompiledRuleset, inputs: _Inputs, result: ClusterResult) -> WrittenRecord:
    """The record of a record's inputs scored again (``result``), as bytes."""
    submissions, reviews, cluster, rejected, as_of = inputs
    return write_record(
        guide,
        submissions,
        result,
        reviews=reviews,
        cluster=cluster,
        rejected_before=rejected,
        as_of=as_of,
    )


def _record_again(
    guide: CompiledRuleset, inputs: _Inputs, *, reference: bool
) -> tuple[ClusterResult, dict[str, Any]]:
    """A record's inputs scored again with ``guide``, and the record that scoring makes."""
    result = _rescore(guide, inputs, reference=reference)
    return result, _record_from(guide, inputs, result)


@contextmanager
def rescored(record: dict[str, Any]) -> Iterator[tuple[CompiledRuleset, ClusterResult, bool]]:
    """The guide a record embeds, its inputs scored again, and whether the result matches.

    What ``explain RECORD`` needs: an inspector who holds only the record sees each unit's
    trace without rebuilding the guide and submission files. The third value says whether
    the result scored again is the one recorded (``replay`` says where it differs).

    Raises:
        AuditError: when the record is malformed or holds no guide text.
    """
    _check_record(record)
    with _recorded_guide(record["ruleset"]) as guide:
        result, again = _record_again(guide, _recorded_inputs(record), reference=False)
        try:
            same = first_difference(record["result"], again["result"]) is None
        except (KeyError, TypeError, AttributeError, IndexError):
            same = False
        yield guide, result, same and guide.digest == record["ruleset"]["digest"]


#: The fields of a record's guide header that replay recomputes and compares.
_HEADER = ("id", "version", "title")


def _header_differences(record: dict[str, Any], again: dict[str, Any]) -> list[str]:
    """The guide header and the result's header, compared with what replay recomputed.

    A record's digest is plain sha256, so anyone can edit the guide version or title and
    recompute it; the guide text embedded in the record says what they really are.
    """
    found = []
    for where, old, new in (
        ("ruleset", record["ruleset"], again["ruleset"]),
        ("result.ruleset", record["result"].get("ruleset", {}), again["result"]["ruleset"]),
    ):
        for key in _HEADER:
            if key in new and (not isinstance(old, dict) or old.get(key) != new[key]):
                shown = old.get(key) if isinstance(old, dict) else old
                found.append(
                    N_("{where}.{key} differs: recorded {old}, now {new}").format(
                        where=where, key=key, old=repr(shown), new=repr(new[key])
                    )
                )
    return found


def _check_record(record: dict[str, Any]) -> None:
    """Refuse a record that is not of the recorded shape, then not of its published schema.

    A record is untrusted (an auditor replays what they receive): nothing is read back from
    it before both checks pass.

    Raises:
        AuditError: ``audit-format``, naming the first part that is wrong.
    """
    _check_shape(record)
    try:  # the record's own schema (what `emulation-rules schema audit` publishes)
        AuditDoc.model_validate(record)
    except ValidationError as exc:
        raise _malformed(
            N_("it does not follow the audit record schema ({reason})").format(reason=_reason(exc))
        ) from None


def _check_shape(record: dict[str, Any]) -> None:
    """Refuse a record whose parts replay reads are not of the recorded shape.

    Raises:
        AuditError: ``audit-format``, naming the first part that is wrong.
    """
    rs = record.get("ruleset")
    if not isinstance(rs, dict):
        raise _malformed(N_("'ruleset' is not an object"))
    for key in ("id", "version", "title", "digest"):
        if not isinstance(rs.get(key), str):
            raise _malformed(N_("'ruleset.{key}' is not text").format(key=key))
    for key in ("source_text", "source_name"):
        if not isinstance(rs.get(key), str | None):
            raise _malformed(N_("'ruleset.{key}' is not text").format(key=key))
    bases = rs.get("bases") or []
    if not isinstance(bases, list) or not all(
        isinstance(b, dict) and isinstance(b.get("path"), str) and isinstance(b.get("text"), str)
        for b in bases
    ):
        raise _malformed(N_("'ruleset.bases' is not a list of path and text"))
    inputs = record.get("inputs")
    if not isinstance(inputs, dict):
        raise _malformed(N_("'inputs' is not an object"))
    for key in ("submissions", "reviews", "rejected_before_scoring"):
        if not isinstance(inputs.get(key), list):
            raise _malformed(N_("'inputs.{key}' is not a list").format(key=key))
    if not isinstance(record.get("result"), dict):
        raise _malformed(N_("'result' is not an object"))
    if not isinstance(record.get("as_of"), str | None):
        raise _malformed(N_("'as_of' is not a date"))


def _malformed(message: str) -> AuditError:
    return AuditError(
        "malformed record",
        (Issue("audit-format", N_("the record is malformed: {problem}").format(problem=message)),),
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    if isinstance(exc, KeyError):
        return f"missing {exc.args[0]!r}"
    return f"{type(exc).__name__}: {exc}"


def _issue(data: dict[str, Any]) -> Issue:
    fields = dict(data)
    if "path" in fields:
        fields["path"] = tuple(fields["path"])
    return Issue(**fields)


def first_difference(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """Describe the first place two results differ: a unit's criterion, or a cluster field.

    A difference in values (a value, its parts, caps, status) is reported before a difference
    in the wording of a rule only, because it is what changes a score.
    """
    return _first_difference(old, new, _VALUE_FIELDS) or _first_difference(old, new, _RULE_FIELDS)


def _first_difference(
    old: dict[str, Any], new: dict[str, Any], fields: tuple[str, ...]
) -> str | None:
    old_units = {u["unit_id"]: u for u in old.get("units", [])}
    new_units = {u["unit_id"]: u for u in new.get("units", [])}
    for unit_id in [u["unit_id"] for u in old.get("units", [])]:
        if unit_id not in new_units:
            return N_("unit {unit}: scored when recorded, not scored now").format(
                unit=repr(unit_id)
            )
        found = _unit_difference(unit_id, old_units[unit_id], new_units[unit_id], fields)
        if found:
            return found
    for unit_id in new_units:
        if unit_id not in old_units:
            return N_("unit {unit}: scored now, not when recorded").format(unit=repr(unit_id))
    for key in sorted(set(old) | set(new)):
        if key != "units" and old.get(key) != new.get(key):
            return N_("result field {key} differs: recorded {old}, now {new}").format(
                key=repr(key), old=repr(old.get(key)), new=repr(new.get(key))
            )
    return None


def _unit_difference(
    unit_id: str, old: dict[str, Any], new: dict[str, Any], fields: tuple[str, ...]
) -> str | None:
    old_trace, new_trace = old.get("trace"), new.get("trace")
    if old_trace is not None and new_trace is not None:
        found = _node_difference(old_trace, new_trace, fields)
        if found is not None:
            template, values = found
            return template.format(unit=repr(unit_id), **values)
    for key in sorted(set(old) | set(new)):
        if key != "trace" and old.get(key) != new.get(key):
            return N_("unit {unit}: {key} differs: recorded {old}, now {new}").format(
                unit=repr(unit_id), key=key, old=repr(old.get(key)), new=repr(new.get(key))
            )
    return None


_VALUE_FIELDS = ("value", "parts", "adjustments", "status", "max", "inputs", "cohort")
#: The fields of a trace node in words (a message of the catalogs: translated when shown).
_FIELD_WORDS = {
    "value": N_("the value"),
    "parts": N_("the parts"),
    "adjustments": N_("the lines added after the parts"),
    "status": N_("the status"),
    "max": N_("the maximum"),
    "inputs": N_("the inputs"),
    "cohort": N_("the cluster facts"),
    "rule": N_("the rule"),
}
_RULE_FIELDS = ("rule",)


def _node_difference(
    old: dict[str, Any], new: dict[str, Any], fields: tuple[str, ...]
) -> tuple[str, dict[str, Any]] | None:
    """Depth first, children before the node: the deepest first cause is reported.

    The difference is a whole message of the catalogs, the unit's (``{unit}``) filled in by
    the caller, with its values.
    """
    old_children = {c["id"]: c for c in old.get("children", [])}
    new_children = {c["id"]: c for c in new.get("children", [])}
    for child in old.get("children", []):
        other = new_children.get(child["id"])
        if other is None:
            template = N_("unit {unit}, criterion {id}: present when recorded, absent now")
            return template, {"id": repr(child["id"])}
        found = _node_difference(child, other, fields)
        if found is not None:
            return found
    for ident in new_children:
        if ident not in old_children:
            template = N_("unit {unit}, criterion {id}: absent when recorded, present now")
            return template, {"id": repr(ident)}
    for key in fields:
        if old.get(key) != new.get(key):
            values = {
                "id": repr(old["id"]),
                "key": _FIELD_WORDS.get(key, key),
                "old": repr(old.get(key)),
                "new": repr(new.get(key)),
            }
            if new.get("line"):
                template = N_(
                    "unit {unit}, criterion {id} (guide line {line}): {key} differs: "
                    "recorded {old}, now {new}"
                )
                return template, {**values, "line": new.get("line")}
            template = N_("unit {unit}, criterion {id}: {key} differs: recorded {old}, now {new}")
            return template, values
    return None
