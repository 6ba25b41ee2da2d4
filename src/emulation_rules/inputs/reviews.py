"""Reviews layered on submissions: corrected inputs and overriding scores, with reasons.

A review is a separate record, never an edit of the submission: a stage (self-assessment,
appraisal or cross-check, agreed), a reviewer, a time, and per unit either corrected inputs or
an overriding score for an item **with a mandatory reason** and evidence references::

    ruleset: tiengiang-stnmt-2022
    ruleset_version: "2022.1"
    reviews:
      - unit_id: tp-my-tho
        stage: agreed
        reviewer: Đoàn thẩm định Sở Tài nguyên và Môi trường
        at: "2022-12-09"
        corrections: {c431_so_bai_viet_duoc_dang: 4}
        overrides:
          - item: a7.6
            score: 3
            reason: Thống nhất theo biên bản
            evidence: [Biên bản 09/12/2022]

Reviews apply in stage order (self-assessment, then appraisal, then agreed; by time within a
stage): a later correction or override of the same field or item replaces an earlier one. The
result keeps, per item, the unit's self-score, the value the written rule gives with the
corrected inputs ("computed"), and the final ("agreed") value, and lists every item where the
agreed value departs from the rule, by how much, who decided it and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field

from emulation_rules._support.documents import read_model
from emulation_rules._support.text import nfc
from emulation_rules.guide.model import Id, Num, Text
from emulation_rules.inputs._validation import CheckedModel

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from decimal import Decimal
    from pathlib import Path

__all__ = [
    "STAGES",
    "Departure",
    "Override",
    "Review",
    "ReviewFile",
    "Reviews",
    "load_reviews",
    "merge_reviews",
]

Stage = Literal["self_assessment", "appraisal", "cross_check", "agreed"]
#: The order in which stages apply (a cross-check ranks with an appraisal).
STAGES: dict[str, int] = {"self_assessment": 0, "appraisal": 1, "cross_check": 1, "agreed": 2}


class Override(CheckedModel):
    """An overriding score for one item, with the reason (mandatory) and evidence."""

    item: Id
    score: Num
    reason: Annotated[Text, AfterValidator(nfc)]
    evidence: tuple[Text, ...] = ()


class Review(CheckedModel):
    """One review of one unit at one stage."""

    unit_id: Id
    stage: Stage
    reviewer: Annotated[Text, AfterValidator(nfc)]
    #: When: ``YYYY-MM-DD`` or an ISO date and time, as written (kept as given).
    at: Text
    #: Corrected input values, validated like the submission's.
    corrections: dict[str, Any] = Field(default_factory=dict)
    overrides: tuple[Override, ...] = ()
    note: str | None = None


class ReviewFile(CheckedModel):
    """A file of reviews, naming the guide it applies to."""

    ruleset: Text
    ruleset_version: Text
    reviews: tuple[Review, ...] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class AppliedOverride:
    """An override as applied to one unit: the score and who decided it, when and why."""

    score: Decimal
    reviewer: str
    stage: str
    at: str
    reason: str
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reviews:
    """The effect of all reviews of one unit: merged corrections and overrides."""

    corrections: Mapping[str, Any]
    #: Which review set each corrected input: ``input → (reviewer, stage, at)``.
    corrected_by: Mapping[str, tuple[str, str, str]]
    overrides: Mapping[str, AppliedOverride]
    #: The reviews applied, in order, as ``(stage, reviewer, at)``.
    applied: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True, slots=True)
class Departure:
    """An item whose agreed value departs from what the written rule gives."""

    item: str
    computed: Decimal
    agreed: Decimal
    difference: Decimal
    reviewer: str | None
    stage: str | None
    at: str | None
    reason: str | None
    evidence: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data (decimals stay Decimal; the result's writer makes them text)."""
        return {
            "item": self.item,
            "computed": self.computed,
            "agreed": self.agreed,
            "difference": self.difference,
            "reviewer": self.reviewer,
            "stage": self.stage,
            "at": self.at,
            "reason": self.reason,
            "evidence": list(self.evidence),
        }


def merge_reviews(reviews: Iterable[Review]) -> Reviews:
    """Merge one unit's reviews in stage order (and time order within a stage)."""
    ordered = sorted(reviews, key=lambda r: (STAGES[r.stage], r.at, r.reviewer))
    corrections: dict[str, Any] = {}
    corrected_by: dict[str, tuple[str, str, str]] = {}
    overrides: dict[str, AppliedOverride] = {}
    for review in ordered:
        for name, value in review.corrections.items():
            corrections[name] = value
            corrected_by[name] = (review.reviewer, review.stage, review.at)
        for override in review.overrides:
            overrides[override.item] = AppliedOverride(
                override.score,
                review.reviewer,
                review.stage,
                review.at,
                override.reason,
                override.evidence,
            )
    applied = tuple((r.stage, r.reviewer, r.at) for r in ordered)
    return Reviews(corrections, corrected_by, overrides, applied)


def load_reviews(source: str | Path) -> ReviewFile:
    """Read a reviews file (YAML or JSON).

    Raises:
        SubmissionError: with every located issue of the file.
    """
    return read_model(source, ReviewFile, what="the reviews file")
