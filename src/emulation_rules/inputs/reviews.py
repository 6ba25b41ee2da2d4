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
stage): a later correction or override of the same field or item replaces an earlier one.

Before they apply, :func:`check_reviews` checks them against the guide (issue 14): a review
dated after the as-of date is left out; an override of an item the guide does not have, or
above the item's maximum (unless it says ``beyond_max: true``), and a correction of an input
the guide does not declare are errors of the reviews file, at its line, and are not applied;
the unit's own submission stays valid. A guide that declares ``reviewers`` (who scores what,
format v2) also requires each review to name its ``body``, and refuses a body's override or
correction outside the sections the guide gives it. The
result keeps, per item, the unit's self-score, the value the written rule gives with the
corrected inputs ("computed"), and the final ("agreed") value, and lists every item where the
agreed value departs from the rule, by how much, who decided it and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from emulation_rules._support.documents import model_from_document, read_document
from emulation_rules._support.i18n import N_
from emulation_rules._support.text import nfc, suggest
from emulation_rules.errors import Issue, Severity
from emulation_rules.guide.model import Id, Name, Num, Text, day_first_iso
from emulation_rules.inputs._validation import CheckedModel

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from decimal import Decimal
    from pathlib import Path

    from emulation_rules._support.yaml import YamlDocument
    from emulation_rules.compiler.nodes import CompiledRuleset

__all__ = [
    "STAGES",
    "Departure",
    "Override",
    "Review",
    "ReviewFile",
    "Reviews",
    "ReviewsCheck",
    "check_reviews",
    "load_reviews",
    "located_reviews",
    "merge_reviews",
    "review_date",
    "without_place",
]

Stage = Literal["self_assessment", "appraisal", "cross_check", "agreed"]
#: The order in which stages apply (a cross-check ranks with an appraisal).
STAGES: dict[str, int] = {"self_assessment": 0, "appraisal": 1, "cross_check": 1, "agreed": 2}


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _check_at(value: str) -> str:
    """``YYYY-MM-DD``, or an ISO date and time (``2022-12-09T14:30``), kept as written."""
    if (iso := day_first_iso(value)) is not None:
        msg = N_("{text} is written day first; write {iso} (YYYY-MM-DD)").format(
            text=f"'{value}'", iso=iso
        )
        raise PydanticCustomError("date-format", msg)
    try:
        if len(value) == len("YYYY-MM-DD"):
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
        valid = _ISO_DAY.match(value) is not None
    except ValueError:
        valid = False
    if not valid:
        raise PydanticCustomError(
            "date-format",
            "'{value}' is not a date written YYYY-MM-DD (or an ISO date and time)",
            {"value": value},
        )
    return value


def review_date(review: Review) -> date:
    """The day a review was made (the date part of its ``at``)."""
    return date.fromisoformat(review.at[:10])


class Override(CheckedModel):
    """An overriding score for one item, with the reason (mandatory) and evidence."""

    item: Id
    score: Num
    reason: Annotated[Text, AfterValidator(nfc)]
    evidence: tuple[Text, ...] = ()
    #: The reviewers grant more than the item's written maximum on purpose (domain.md §4,
    #: mechanism 43); without it, an override above the maximum is refused.
    beyond_max: bool = Field(default=False, exclude_if=lambda v: v is False)


class Review(CheckedModel):
    """One review of one unit at one stage."""

    unit_id: Id
    stage: Stage
    reviewer: Annotated[Text, AfterValidator(nfc)]
    #: When: ``YYYY-MM-DD`` or an ISO date and time, as written (kept as given).
    at: Annotated[Text, AfterValidator(_check_at)]
    #: The scoring body the reviewer acts for, when the guide declares ``reviewers``.
    body: Name | None = Field(default=None, exclude_if=lambda v: v is None)
    #: Corrected input values, validated like the submission's.
    corrections: dict[str, Any] = Field(default_factory=dict)
    overrides: tuple[Override, ...] = ()
    note: str | None = None
    #: The reviews file it was read from, and the line and column of its parts
    #: (``""`` the review, ``"at"``, ``"body"``, ``"overrides.0.item"``, ``"corrections.x"``).
    source: str | None = Field(default=None, exclude=True)
    locations: dict[str, tuple[int, int]] = Field(default_factory=dict, exclude=True)

    def __eq__(self, other: object) -> bool:
        """Reviews are equal when they say the same: where they were read does not count."""
        if not isinstance(other, Review):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _SAID)

    def __hash__(self) -> int:
        return hash((self.unit_id, self.stage, self.at, self.reviewer))


#: The fields of a review that say something (its place in a file is not one of them).
_SAID = tuple(name for name in Review.model_fields if name not in ("source", "locations"))


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


@dataclass(frozen=True, slots=True)
class ReviewsCheck:
    """Reviews checked against a guide: those to apply, and what was wrong with the others."""

    #: The reviews to apply, without the overrides and corrections that were refused.
    applied: tuple[Review, ...]
    #: Errors of the reviews files (each refused override or correction, each review without
    #: a valid body) and warnings (a review dated after the as-of date, left out).
    issues: tuple[Issue, ...]


def located_reviews(reviews: ReviewFile, document: YamlDocument, source: str) -> ReviewFile:
    """The reviews with the file they come from and where each of their parts is."""
    by_review: dict[int, dict[str, tuple[int, int]]] = {}
    for path, position in document.positions.values.items():
        if len(path) >= 2 and path[0] == "reviews" and isinstance(path[1], int):
            key = ".".join(str(p) for p in path[2:])
            by_review.setdefault(path[1], {})[key] = position
    return reviews.model_copy(
        update={
            "reviews": tuple(
                r.model_copy(update={"source": source, "locations": by_review.get(i, {})})
                for i, r in enumerate(reviews.reviews)
            )
        }
    )


class _Checker:
    """Check one review after another against a compiled guide (see :func:`check_reviews`)."""

    def __init__(self, compiled: CompiledRuleset) -> None:
        self.compiled = compiled
        self.bodies = compiled.ruleset.reviewers
        self.issues: list[Issue] = []
        self._owned: dict[str, frozenset[str]] = {}
        self._readers: dict[str, set[str]] = {}
        for node in compiled.nodes.values():
            for name in node.reads:
                self._readers.setdefault(name, set()).add(node.id)

    def issue(
        self,
        code: str,
        message: str,
        review: Review,
        where: str,
        *,
        hint: str | None = None,
        severity: Severity = "error",
    ) -> None:
        line, column = review.locations.get(where) or review.locations.get("") or (None, None)
        self.issues.append(
            Issue(
                code,
                message,
                source=review.source,
                line=line,
                column=column,
                unit_id=review.unit_id,
                hint=hint,
                severity=severity,
            )
        )

    def owned(self, body: str) -> frozenset[str]:
        """The items a body scores: its sections and everything under them."""
        if body not in self._owned:
            assert self.bodies is not None
            found: set[str] = set()
            stack = [s for s in self.bodies[body].sections if s in self.compiled.nodes]
            while stack:
                ident = stack.pop()
                found.add(ident)
                stack.extend(self.compiled.nodes[ident].children)
            self._owned[body] = frozenset(found)
        return self._owned[body]

    def who(self, review: Review) -> str:
        said = N_("{reviewer} ({stage}, {at})")
        return said.format(reviewer=review.reviewer, stage=review.stage, at=review.at)

    def body_of(self, review: Review) -> tuple[bool, frozenset[str] | None]:
        """Whether the review may apply, and the items its body may set (None: any)."""
        if self.bodies is None:
            if review.body is None:
                return True, None
            self.issue(
                "review-body",
                N_(
                    "the review by {who} names the body {body}, but the guide declares no reviewers"
                ).format(who=self.who(review), body=repr(review.body)),
                review,
                "body",
                hint=N_("leave 'body' out, or declare 'reviewers' in the guide"),
            )
            return False, None
        names = sorted(self.bodies)
        if review.body is None:
            self.issue(
                "review-body",
                N_(
                    "the review by {who} names no body; the guide says who scores what: one "
                    "of {names}"
                ).format(who=self.who(review), names=", ".join(names)),
                review,
                "",
                hint=N_("add 'body: …' to the review"),
            )
            return False, None
        if review.body not in self.bodies:
            self.issue(
                "review-body",
                N_(
                    "the review by {who} names the body {body}, which the guide does not "
                    "declare (it declares {names})"
                ).format(who=self.who(review), body=repr(review.body), names=", ".join(names)),
                review,
                "body",
                hint=suggest(review.body, names),
            )
            return False, None
        return True, self.owned(review.body)

    def overrides(self, review: Review, owned: frozenset[str] | None) -> list[Override]:
        kept: list[Override] = []
        nodes = self.compiled.nodes
        for index, override in enumerate(review.overrides):
            where = f"overrides.{index}.item"
            node = nodes.get(override.item)
            if node is None:
                self.issue(
                    "unknown-criterion",
                    N_(
                        "an override by {who} names item {item}, which is not a criterion of "
                        "the guide"
                    ).format(who=self.who(review), item=repr(override.item)),
                    review,
                    where,
                    hint=suggest(override.item, nodes),
                )
            elif owned is not None and override.item not in owned:
                self.issue(
                    "review-not-owner",
                    N_(
                        "the body {body} ({who}) may not set item {item}: the guide gives it "
                        "the sections {sections}"
                    ).format(
                        body=repr(review.body),
                        who=self.who(review),
                        item=repr(override.item),
                        sections=self._sections(review),
                    ),
                    review,
                    where,
                )
            elif node.max is not None and override.score > node.max and not override.beyond_max:
                self.issue(
                    "override-above-max",
                    N_(
                        "an override by {who} gives item {item} {score} points, above its "
                        "maximum {max}"
                    ).format(
                        who=self.who(review),
                        item=repr(override.item),
                        score=override.score,
                        max=node.max,
                    ),
                    review,
                    f"overrides.{index}.score",
                    hint=N_(
                        "correct the score, or add 'beyond_max: true' to grant more than the "
                        "written maximum on purpose"
                    ),
                )
            else:
                kept.append(override)
        return kept

    def corrections(self, review: Review, owned: frozenset[str] | None) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        for name, value in review.corrections.items():
            where = f"corrections.{name}"
            if name not in self.compiled.inputs:
                self.issue(
                    "unknown-input",
                    N_(
                        "a correction by {who} names input {name}, which the guide does not declare"
                    ).format(who=self.who(review), name=repr(name)),
                    review,
                    where,
                    hint=suggest(name, self.compiled.inputs),
                )
                continue
            outside = sorted(self._readers.get(name, set()) - owned) if owned is not None else []
            if outside:
                self.issue(
                    "review-not-owner",
                    N_(
                        "the body {body} ({who}) may not correct input {name}: it is read by "
                        "{items}, outside the sections {sections}"
                    ).format(
                        body=repr(review.body),
                        who=self.who(review),
                        name=repr(name),
                        items=", ".join(repr(i) for i in outside),
                        sections=self._sections(review),
                    ),
                    review,
                    where,
                )
                continue
            kept[name] = value
        return kept

    def _sections(self, review: Review) -> str:
        assert self.bodies is not None
        assert review.body is not None
        sections = self.bodies[review.body].sections
        return ", ".join(repr(s) for s in sections)


#: The stages of a review as a message shows them (the format's words, translated when shown).
_STAGE_WORDS = (N_("self_assessment"), N_("appraisal"), N_("cross_check"), N_("agreed"))
#: The engine's message about a review of a unit with no submission (engine/scoring.py), for
#: the catalogs.
_ENGINE_MESSAGES = (N_("a review names unit {unit}, which has no submission"),)


def check_reviews(
    compiled: CompiledRuleset, reviews: Iterable[Review], *, as_of: date | None = None
) -> ReviewsCheck:
    """Check reviews against a guide before they apply; see the module's docstring.

    A review dated after ``as_of`` is left out (a warning); a refused override or correction
    is left out of its review (an error of the reviews file, located when the review was read
    from a file); the rest of the review applies.
    """
    checker = _Checker(compiled)
    applied: list[Review] = []
    for review in reviews:
        if as_of is not None and review_date(review) > as_of:
            checker.issue(
                "review-after-as-of",
                N_(
                    "the review by {who} is dated after the as-of date {date}: it is not applied"
                ).format(who=checker.who(review), date=as_of.isoformat()),
                review,
                "at",
                severity="warning",
            )
            continue
        allowed, owned = checker.body_of(review)
        if not allowed:
            continue
        overrides = checker.overrides(review, owned)
        corrections = checker.corrections(review, owned)
        if len(overrides) != len(review.overrides) or corrections != review.corrections:
            review = review.model_copy(  # noqa: PLW2901 - the review as it applies
                update={"overrides": tuple(overrides), "corrections": corrections}
            )
        applied.append(review)
    return ReviewsCheck(tuple(applied), tuple(checker.issues))


def without_place(issues: Sequence[Issue]) -> tuple[Issue, ...]:
    """Issues without the file, line and column (what a replay of a record can reproduce)."""
    return tuple(i.evolve(source=None, line=None, column=None) for i in issues)


def load_reviews(source: str | Path) -> ReviewFile:
    """Read a reviews file (YAML or JSON).

    Raises:
        SubmissionError: with every located issue of the file.
    """
    name = str(source)
    document, issues = read_document(source)
    reviews = model_from_document(document, issues, name, ReviewFile, what="the reviews file")
    assert document is not None  # model_from_document raised otherwise
    return located_reviews(reviews, document, name)
