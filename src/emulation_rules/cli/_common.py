"""What several subcommands share: reading the usual inputs and scoring them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulation_rules.compiler import load_ruleset
from emulation_rules.engine.scoring import score
from emulation_rules.errors import EmulationRulesError, Issue, SubmissionError
from emulation_rules.guide.model import parse_iso_date
from emulation_rules.guide.shipped import resolve_example_file, resolve_guide
from emulation_rules.inputs.read import load_submissions
from emulation_rules.inputs.reviews import check_reviews, load_reviews
from emulation_rules.inputs.submissions import load_cluster

if TYPE_CHECKING:
    import argparse
    from datetime import date

    from emulation_rules.compiler.nodes import CompiledRuleset
    from emulation_rules.engine.scoring import ClusterResult
    from emulation_rules.guide.shipped import ExampleFile
    from emulation_rules.inputs.cluster_data import ClusterData
    from emulation_rules.inputs.reviews import Review
    from emulation_rules.inputs.submissions import SubmissionBatch

__all__ = ["Scored", "as_of", "refuse_bad_reviews", "resolve_names", "score_from_args"]


def as_of(text: str | None) -> date | None:
    """The ``--as-of`` date, or None."""
    if text is None:
        return None
    try:
        return parse_iso_date(text)
    except ValueError:
        raise EmulationRulesError(
            "bad --as-of",
            (Issue("usage", f"--as-of {text!r} is not a date written YYYY-MM-DD"),),
        ) from None


#: Arguments that name a guide: a file, or a shipped guide's name.
_GUIDE_ARGUMENTS = ("guide", "old", "new", "ruleset")
#: Arguments that name a submissions, cluster or reviews file, or a shipped example.
_EXAMPLE_ARGUMENTS: tuple[tuple[str, ExampleFile], ...] = (
    ("submissions", "submissions"),
    ("cluster", "cluster"),
    ("reviews", "reviews"),
)


def resolve_names(args: argparse.Namespace) -> None:
    """Replace shipped names by their files, in place; a file that exists wins over a name."""
    for name in _GUIDE_ARGUMENTS:
        value = getattr(args, name, None)
        if isinstance(value, str):
            setattr(args, name, resolve_guide(value))
    if getattr(args, "command", None) == "test":
        args.guides = [resolve_guide(g) for g in args.guides]
    for name, role in _EXAMPLE_ARGUMENTS:
        value = getattr(args, name, None)
        if isinstance(value, str):
            setattr(args, name, resolve_example_file(value, role))
        elif isinstance(value, list):
            setattr(args, name, [resolve_example_file(v, role) for v in value])


def refuse_bad_reviews(
    guide: CompiledRuleset, reviews: list[Review], date_: date | None = None
) -> None:
    """Stop with the located errors of the reviews files, before anything is scored.

    A reviews file with an error (an unknown item, an override above the maximum, a body
    outside its sections) is refused whole, like a guide with an error: the units'
    submissions are not touched, and the author fixes the file and runs again.

    Raises:
        SubmissionError: with every error of the reviews files, at its file and line.
    """
    found = check_reviews(guide, reviews, as_of=date_).issues
    errors = sorted(
        (i for i in found if i.severity == "error"),
        key=lambda i: (i.source or "", i.line or 0, i.column or 0),
    )
    if errors:
        raise SubmissionError("the reviews do not fit the guide", tuple(errors))


@dataclass(frozen=True, slots=True)
class Scored:
    """The inputs read from the command line and the result of scoring them."""

    guide: CompiledRuleset
    batch: SubmissionBatch
    cluster: ClusterData | None
    reviews: list[Review]
    as_of: date | None
    result: ClusterResult


def score_from_args(args: argparse.Namespace) -> Scored:
    """Load the guide, submissions, cluster file and reviews named in ``args``, and score.

    Shipped names among them are replaced by their files first (see :func:`resolve_names`).
    """
    resolve_names(args)
    guide = load_ruleset(args.guide)
    batch = load_submissions(args.submissions)
    cluster_file = getattr(args, "cluster", None)
    cluster = load_cluster(cluster_file) if cluster_file else None
    reviews = [r for path in getattr(args, "reviews", []) for r in load_reviews(path).reviews]
    date_ = as_of(getattr(args, "as_of", None))
    refuse_bad_reviews(guide, reviews, date_)
    result = score(
        guide,
        batch.submissions,
        rejected=batch.rejected,
        issues=batch.issues,
        allow_version_mismatch=getattr(args, "allow_version_mismatch", False),
        cluster=cluster,
        reviews=reviews,
        as_of=date_,
        reference=getattr(args, "reference", False),
    )
    return Scored(guide, batch, cluster, reviews, date_, result)
