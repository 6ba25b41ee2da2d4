"""Results and audit records, mirrored as pydantic models of their JSON.

They are the one description of what a result (``score --format json``) and an audit record
(``score --record``) hold: :mod:`emulation_rules.authoring.schemas` publishes them as JSON
Schemas, and :func:`emulation_rules.audit.records.replay` checks a record against them before it
reads anything back (a record is untrusted: an auditor replays what they receive).
"""

# pydantic copies a field's mutable default for each instance (StrictModel is a BaseModel,
# which ruff cannot see through the import).
# ruff: noqa: RUF012

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from emulation_rules._support.formats import StrictModel

__all__ = [
    "AuditDoc",
    "AuditEngine",
    "AuditRuleset",
    "AuditSignature",
    "AwardDoc",
    "DecisionDoc",
    "DepartureDoc",
    "EngineRef",
    "IssueDoc",
    "RejectedDoc",
    "ResultDoc",
    "RulesetRef",
    "TieDoc",
    "TraceDoc",
    "UnitDoc",
]

#: A decimal written as text, as results write them: ``97.5``, ``-0.25``, ``110``.
DECIMAL_TEXT = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$"


#: A decimal written as text.
Dec = Annotated[str, Field(pattern=DECIMAL_TEXT)]


class IssueDoc(StrictModel):
    """An issue, as ``Issue.as_dict()`` writes it (absent fields are left out)."""

    code: str
    message: str
    source: str | None = None
    path: list[str | int] | None = None
    line: int | None = None
    column: int | None = None
    rule_id: str | None = None
    unit_id: str | None = None
    severity: str | None = None
    hint: str | None = None


class TraceDoc(StrictModel):
    """How one criterion got its value (``--trace``)."""

    id: str
    title: str
    kind: str
    rule: str
    inputs: dict[str, Any]
    parts: list[tuple[str, Dec]]
    adjustments: list[tuple[str, Dec, str]]
    value: Dec
    max: Dec | None
    applicable: bool
    status: str
    note: str | None
    line: int | None
    cohort: dict[str, Any]
    children: list[TraceDoc]
    layer: str | None = None


class DepartureDoc(StrictModel):
    """An item whose agreed value departs from the written rule."""

    item: str
    computed: Dec
    agreed: Dec
    difference: Dec
    reviewer: str | None
    stage: str | None
    at: str | None
    reason: str | None
    evidence: list[str]


class UnitDoc(StrictModel):
    """One unit's result."""

    unit_id: str
    name: str
    status: str
    rank: int | None
    total: Dec | None
    max: Dec | None
    percent: Dec | None
    classification: str | None
    reasons: list[str]
    deductions: Dec
    items: dict[str, Dec]
    not_applicable: list[str]
    rank_keys: dict[str, str]
    rank_decided_by: str | None
    eligible: bool
    eligibility_reasons: list[str]
    awards: list[str]
    self_scores: dict[str, Dec]
    computed: dict[str, Dec] | None = None
    computed_total: Dec | None = None
    departures: list[DepartureDoc] = []
    reviews: list[list[str]] = []
    corrected: dict[str, list[str]] = {}
    issues: list[IssueDoc]
    trace: TraceDoc | None = None


class RejectedDoc(StrictModel):
    """A unit whose submission could not be scored."""

    unit_id: str
    name: str | None
    status: str
    issues: list[IssueDoc]


class TieDoc(StrictModel):
    """Units sharing a rank that no key separates."""

    rank: int
    unit_ids: list[str]
    keys: dict[str, Any]


class DecisionDoc(StrictModel):
    """The decision on one unit for one award."""

    unit_id: str
    awarded: bool
    reason: str


class AwardDoc(StrictModel):
    """The decision on one award."""

    id: str
    title: str
    quota: int | None
    arithmetic: str
    vote: str | None
    awarded: list[str]
    decisions: list[DecisionDoc]


class RulesetRef(StrictModel):
    """The guide a result was scored against."""

    id: str
    version: str
    title: str
    digest: str
    source_digest: str | None


class EngineRef(StrictModel):
    """The engine that scored."""

    name: str
    version: str


class ResultDoc(StrictModel):
    """The JSON result of scoring a cluster."""

    ruleset: RulesetRef
    engine: EngineRef
    units: list[UnitDoc]
    rejected: list[RejectedDoc]
    ties: list[TieDoc]
    issues: list[IssueDoc]
    awards: list[AwardDoc]
    cluster: dict[str, Any] | None
    as_of: str | None = None


class AuditEngine(StrictModel):
    """The engine named in an audit record."""

    name: str
    version: str
    expression_language: str
    decimal_context: dict[str, Any]


class AuditRuleset(StrictModel):
    """The guide embedded in an audit record."""

    id: str
    version: str
    title: str
    digest: str
    source_digest: str | None
    source_name: str | None
    source_text: str | None
    #: The base guides of a guide that extends another: path (relative to it) and text.
    bases: list[dict[str, str]] = []


class AuditSignature(StrictModel):
    """An Ed25519 signature of the record's digest and the signer's name."""

    algorithm: Literal["ed25519"]
    #: The signer's public key, raw 32 bytes in base64.
    public_key: str
    signer: str
    #: The signature, 64 bytes in base64.
    value: str


class AuditDoc(StrictModel):
    """An audit record: the guide, the inputs, the result, and their digests."""

    audit_format: str
    engine: AuditEngine
    ruleset: AuditRuleset
    as_of: str | None
    inputs: dict[str, Any]
    input_digest: str
    result: ResultDoc
    digest: str
    #: Who wrote the record (``score --sign-key``): outside the digest, signing it.
    signature: AuditSignature | None = None
