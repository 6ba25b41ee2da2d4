"""The cluster's facts that are not any unit's submission: members, the meeting, votes.

Read by :func:`~emulation_rules.inputs.submissions.load_cluster`; the engine's awards
(:mod:`emulation_rules.engine.awards`) decide with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from emulation_rules._support.i18n import N_
from emulation_rules.compiler.fields import ValueProblem, coerce_value
from emulation_rules.errors import Issue
from emulation_rules.guide.model import Id, Name, Text
from emulation_rules.inputs._validation import CheckedModel

if TYPE_CHECKING:
    from emulation_rules.compiler.nodes import CompiledRuleset

__all__ = ["ClusterData", "Meeting", "NextYear", "unit_facts"]


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
    #: Facts about units that a guide reads (its ``cluster_facts``, format v2): per fact, the
    #: value of each unit, e.g. ``{vai_tro: {so-noi-vu: truong_khoi}}``.
    facts: dict[Name, dict[Id, Any]] = Field(
        default_factory=dict, json_schema_extra={"since": "v2"}
    )

    @model_serializer(mode="wrap")
    def _without_empty_facts(self, handler: SerializerFunctionWrapHandler) -> Any:
        """No ``facts`` key when there are none: results and records keep their v1 shape."""
        data = handler(self)
        if not self.facts and isinstance(data, dict):
            data.pop("facts", None)
        return data


def unit_facts(
    compiled: CompiledRuleset, cluster: ClusterData | None, unit_id: str
) -> tuple[dict[str, Any] | None, list[Issue]]:
    """The cluster facts a guide reads, for one unit, from the cluster file.

    Returns the typed facts (a fact the file does not give for the unit takes the guide's
    ``missing`` value) and the issues; the facts are None when an issue stops the unit from
    being scored: no cluster file, a fact missing with no ``missing`` value, a wrong value.
    """
    if not compiled.cluster_facts:
        return {}, []
    out: dict[str, Any] = {}
    issues: list[Issue] = []
    for name, spec in compiled.cluster_facts.items():
        if cluster is None:
            issues.append(
                Issue(
                    "cluster-fact-missing",
                    N_(
                        "{label}: the guide reads the cluster fact {name}, but no cluster file "
                        "was given"
                    ).format(label=spec.label, name=repr(name)),
                    unit_id=unit_id,
                    hint=N_("give the cluster file with --cluster FILE"),
                )
            )
            continue
        given = cluster.facts.get(name, {})
        if unit_id in given:
            try:
                out[name] = coerce_value(spec, given[unit_id])
            except ValueProblem as problem:
                issues.append(
                    Issue(
                        problem.code,
                        N_("{label}: {problem}").format(label=spec.label, problem=problem.message),
                        path=("facts", name, unit_id),
                        unit_id=unit_id,
                        hint=problem.hint,
                    )
                )
        elif not spec.required:
            out[name] = spec.missing
        else:
            issues.append(
                Issue(
                    "cluster-fact-missing",
                    N_("{label}: the cluster file gives no {name} for this unit").format(
                        label=spec.label, name=repr(name)
                    ),
                    path=("facts", name),
                    unit_id=unit_id,
                    hint=N_("add it under facts.{name} in the cluster file").format(name=name),
                )
            )
    return (None if issues else out), issues
