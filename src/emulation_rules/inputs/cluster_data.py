"""The cluster's facts that are not any unit's submission: members, the meeting, votes.

Read by :func:`~emulation_rules.inputs.submissions.load_cluster`; the engine's awards
(:mod:`emulation_rules.engine.awards`) decide with them.
"""

from __future__ import annotations

from pydantic import Field

from emulation_rules.guide.model import Id, Text
from emulation_rules.inputs._validation import CheckedModel

__all__ = ["ClusterData", "Meeting", "NextYear"]


class Meeting(CheckedModel):
    """Who took part in the cluster's vote."""

    #: Members present.
    attendees: int | None = Field(default=None, ge=0)
    #: Valid ballots.
    ballots: int | None = Field(default=None, ge=0)


class NextYear(CheckedModel):
    """Next year's cluster head and deputies, as the meeting decided (never derived)."""

    head: Id | None = None
    deputies: tuple[Id, ...] = ()


class ClusterData(CheckedModel):
    """Facts about the cluster that are not any unit's submission: members, votes, next heads."""

    cluster: Text | None = None
    #: This year's cluster head, who hands the rotating flag to next year's head.
    head: Id | None = None
    #: Number of member units (default: every unit submitted, rejected ones included).
    members: int | None = Field(default=None, ge=1)
    meeting: Meeting = Meeting()
    #: Votes per award id, per unit id.
    votes: dict[Id, dict[Id, int]] = Field(default_factory=dict)
    next_year: NextYear | None = None
