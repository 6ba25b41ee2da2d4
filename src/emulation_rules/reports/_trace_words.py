"""The engine's Vietnamese words of a trace, told in the language of the call.

A trace's rule and notes are written in Vietnamese by the compiler and the engine
(:mod:`emulation_rules.engine.words`, ``compiler.constructs.rule_of``, the cluster phase,
``compiler.pools``) and kept as they are in results and audit records. The explanation tells
them in the language of the call with :func:`~emulation_rules._support.i18n.retell`: each
template below is a catalog entry (context ``trace``) whose msgid is the English text and
whose Vietnamese translation is the engine's text, placeholders for its values. A text that
no template matches is shown as written (a guide's own note, a reviewer's reason).
``tests/test_explain_english.py`` checks the templates against the engine's functions.
"""

from __future__ import annotations

from emulation_rules._support.i18n import pgettext, retell

__all__ = ["trace_text"]


def _templates() -> tuple[str, ...]:
    """The engine's texts in the language of the call (see the module's docstring)."""
    return (
        # engine/words.py
        pgettext("trace", "not applicable"),
        pgettext("trace", "not applicable: no sub-criterion applies"),
        pgettext("trace", "the excess moves to the bonus points"),
        pgettext("trace", "the sum of the standards"),
        pgettext("trace", "self-assessment"),
        pgettext("trace", "appraisal"),
        pgettext("trace", "cross-check"),
        pgettext("trace", "agreed"),
        pgettext("trace", "not applicable: missing {names}"),
        pgettext("trace", "not applicable: {condition}"),
        pgettext("trace", "at most {cap}"),
        pgettext("trace", "the result is 0: {scored}"),
        pgettext("trace", "the target is 0: {scored}"),
        pgettext("trace", "the maximum is scored"),
        pgettext("trace", "0 points"),
        pgettext("trace", "cannot be scored"),
        pgettext("trace", "{item}: added only when all the base points are earned"),
        pgettext("trace", "deductions at most {cap}"),
        pgettext("trace", "bonuses at most {cap}"),
        pgettext("trace", "deductions and bonuses at most {cap}"),
        pgettext("trace", "not above {most}"),
        pgettext("trace", "not below {least}"),
        pgettext("trace", "rounded to {places} places ({mode})"),
        pgettext("trace", "the total not above {scale}"),
        pgettext("trace", "rounded to {places} places"),
        # compiler/constructs.py: the rule of each construct
        pgettext("trace", "{max} if met ({condition}), else 0"),
        pgettext("trace", "{points} points"),
        pgettext("trace", "{rule}, at most {cap}"),
        pgettext("trace", "{rule} (a falling indicator: the plan divided by the result)"),
        pgettext("trace", "by the range of ({of}): {bands}"),
        pgettext("trace", "a two-way table: ({rows}) × ({columns})"),
        pgettext("trace", "from {start}: {points} for every full {every}, no partial step"),
        pgettext("trace", "above {start}: {points} for every full {every}, no partial step"),
        pgettext("trace", "from {start}: {points}, and {points} for every {every} more"),
        pgettext("trace", "above {start}: {points}, and {points} for every {every} more"),
        pgettext("trace", "due {due}: on time {on_time}, late {late}"),
        pgettext("trace", "{rule}, {days} days early {points}"),
        pgettext("trace", "by the value of ({of}): {pairs}"),
        pgettext(
            "trace",
            "Article 6: scale {max}, target ({target}), result ({achieved}): below the target "
            "½·S·A/T; met ½·S; above and leading S; above, not leading "
            "½·S + (excess rate / the leader's excess rate)·½·S",
        ),
        pgettext("trace", "{rule}; no target given: S·A / the leader's A"),
        pgettext("trace", "rank given from outside ({input}): {ranks}; other ranks: {other}"),
        pgettext("trace", "ranked in the cluster by {source}: {ranks}; other ranks: {other}"),
        pgettext("trace", "the average of ({names})"),
        pgettext("trace", "rank {rank}: {points}"),
        pgettext("trace", "each item of {of} by ({value}): {bands}"),
        pgettext("trace", "{rule}; otherwise → {points}"),
        pgettext("trace", "{rule}; in total at most {cap}"),
        pgettext("trace", "one of the cases ({which})"),
        pgettext("trace", "the highest"),
        pgettext("trace", "the first that scores"),
        pgettext("trace", "the sum of the sub-criteria"),
        pgettext("trace", "base points {max} (met by default)"),
        # engine/cluster.py: the cluster phase's notes and facts
        pgettext("trace", "no target given: not scored, taken out of the maximum"),
        pgettext("trace", "the leader's result (a unit without a target)"),
        pgettext("trace", "no target given: scored against the cluster's leader"),
        pgettext("trace", "target"),
        pgettext("trace", "result"),
        pgettext("trace", "below the target: ½·S·A/T"),
        pgettext("trace", "target met: ½·S"),
        pgettext("trace", "excess %"),
        pgettext("trace", "the leader's excess %"),
        pgettext("trace", "leading units"),
        pgettext("trace", "above the target, leading the cluster: S"),
        pgettext(
            "trace",
            "above the target, not leading: ½·S + (excess rate / the leader's excess rate)·½·S",
        ),
        pgettext("trace", "no value to rank by"),
        pgettext("trace", "value ranked"),
        pgettext("trace", "rank in the cluster"),
        pgettext("trace", "units ranked"),
        pgettext("trace", "tied with"),
        pgettext("trace", "rank {rank}"),
        pgettext("trace", "no rank given from outside"),
        pgettext("trace", "rank given from outside"),
        pgettext("trace", "rank {rank} (given from outside, not ranked again in the cluster)"),
        # compiler/pools.py: a shared cap's line
        pgettext("trace", "{title}: deductions in total at most {max}"),
        pgettext("trace", "{title}: bonuses in total at most {max}"),
        # engine/evaluator.py: an agreed score's line
        pgettext("trace", "{reviewer} ({stage}, {at}): {reason}"),
        # engine/awards.py: the award decisions
        pgettext("trace", "not classified"),
        pgettext("trace", "not eligible for an award: {reasons}"),
        pgettext("trace", "class '{label}' is not one of {labels}"),
        pgettext("trace", "not classified yet"),
        pgettext("trace", "rank {rank}, needs rank {best} or better"),
        pgettext("trace", "total {total} below {least}"),
        pgettext("trace", "percentage {percent}% below {least}%"),
        pgettext("trace", "needs {share} of the {base} or more"),
        pgettext("trace", "needs more than {share} of the {base}"),
        pgettext("trace", "member units"),
        pgettext("trace", "eligible units"),
        pgettext("trace", "qualifying units"),
        pgettext("trace", "members at the meeting"),
        pgettext("trace", "valid ballots"),
        pgettext("trace", "{rule} ({count})"),
        pgettext("trace", "{rule}; no {missing} yet, so it cannot be decided"),
        pgettext("trace", "votes"),
        pgettext("trace", "a count of {base}"),
        pgettext("trace", "no {missing} yet"),
        pgettext(
            "trace", "{rule}; not enough members at the meeting (needs {quorum} of {members})"
        ),
        pgettext("trace", "the meeting lacks a quorum"),
        pgettext("trace", "{rule}; {attendees}/{members} at the meeting, quorum {quorum} met"),
        pgettext("trace", "{count}/{total} votes, short of {share}"),
        pgettext("trace", "{count}/{total} votes, not more than {share}"),
        pgettext("trace", "no limit on the number"),
        pgettext("trace", "at most {count} units"),
        pgettext("trace", "{share} of {base} {units} = {exact} → {count} ({rounding})"),
        pgettext("trace", "rounded down"),
        pgettext("trace", "rounded up"),
        pgettext("trace", "rounded"),
        pgettext("trace", "already proposed for {award} (no two awards for one achievement)"),
        pgettext("trace", "the quota is used up ({limit} units)"),
        pgettext(
            "trace",
            "tied at rank {rank} with {ids}: {room} places left, so none is chosen by itself; "
            "the meeting is asked to decide",
        ),
        pgettext("trace", "the places left wait for the meeting to decide the tie of {ids}"),
        pgettext("trace", "{place}, eligible, within the quota"),
        pgettext("trace", "qualifies"),
        # lists: each part told on its own
        pgettext("trace", "{first}; {rest}"),
        pgettext("trace", "{first}, {rest}"),
    )


#: A number of the engine's texts: a decimal, or a guide's named value (``0.1 * S = 1.5``).
_NUMBER = r"(?:[^;:«»]* = )?-?\d+(?:\.\d+)?(?:E[+-]?\d+)?|None"
#: The placeholders that hold a number, and their shape.
_SHAPES = tuple(
    (name, _NUMBER)
    for name in (
        "points",
        "max",
        "cap",
        "most",
        "least",
        "scale",
        "places",
        "days",
        "every",
        "start",
    )
) + (
    ("rank", r"\d+|None"),
    ("count", r"\d+"),
    ("limit", r"\d+|None"),
    # a review's stage and date hold no comma nor bracket: a reviewer's name may ("X (head), Y")
    ("stage", r"[^(),]+"),
    ("at", r"[^(),]+"),
)
#: The placeholders that hold a guide's or a reviewer's own text: shown as written.
_KEPT = frozenset(
    {
        *("title", "reviewer", "at", "reason", "condition", "names", "of", "input", "item"),
        *("due", "reasons", "labels", "award", "ids"),
    }
)


def trace_text(text: str) -> str:
    """A text of the trace (a rule, a note, a fact's name) in the language of the call."""
    return retell(text, _templates, shapes=_SHAPES, kept=_KEPT)
