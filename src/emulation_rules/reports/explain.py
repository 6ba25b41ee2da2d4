"""Human views of a unit's trace: why a unit got its score, item by item, in plain words.

:func:`explain_unit` renders one unit of a :class:`~emulation_rules.engine.scoring.ClusterResult` as
plain text (``emulation-rules explain``); :func:`render_node` renders one criterion and its
subtree, and is also used to show the differing item of a failing guide test. Views are
functions over the trace: they add nothing to it. :func:`explain_dict` is the machine form,
with the layer (the guide a rule came from) of every criterion.

The text says things as the guide's readers do: inputs by their labels, awards by their
titles, rules in words (``Trừ 0,5 điểm × 3 trường hợp = −1,5 điểm (tối đa 1,5 điểm)``,
bands as ``từ 97 đến dưới 98``), numbers with a decimal comma (:mod:`_support.display`).
No engine word (``TOTAL``, ``benchmark``, ``per_event``, ``cap_line``, ``override``) and no
input identifier reaches it; the JSON form keeps them.

The sentences are the catalogs' (context ``explain``): Vietnamese by default, English with
``--lang en``. The trace's own texts (its rules and notes, which the engine writes in
Vietnamese) are told in the language of the call by :mod:`._trace_words`; the guide's titles,
labels and a reviewer's reasons are shown as written.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from emulation_rules._support.canonical import canonical_value, decimal_text
from emulation_rules._support.display import vn_number, vn_numbers_in, vn_signed
from emulation_rules._support.i18n import pgettext, render_issue
from emulation_rules.engine.evaluator import STAGE_WORDS
from emulation_rules.engine.scoring import trace_to_dict
from emulation_rules.reports._trace_words import trace_text

if TYPE_CHECKING:
    from collections.abc import Mapping

    from emulation_rules.compiler.nodes import CompiledRuleset
    from emulation_rules.engine.evaluator import TraceNode, UnitScore

__all__ = ["explain_dict", "explain_unit", "render_node", "with_layers"]


def status_text() -> dict[str, str]:
    """The statuses of a trace node in words, in the language of the call."""
    return {
        "scored": "",
        "not_applicable": pgettext("explain", "not applicable"),
        "condition_not_met": pgettext("explain", "did not happen"),
        "waived": pgettext("explain", "waived"),
        "forfeited": pgettext("explain", "forfeited"),
        "overridden": pgettext("explain", "agreed score differs from the rule"),
    }


def number(value: Any) -> str:
    """Display form of a trace value: decimals exactly, others as text.

    Example:
        >>> number(Decimal("-0.50"))
        '-0.5'
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return pgettext("explain", "true") if value else pgettext("explain", "false")
    if isinstance(value, Decimal):
        return decimal_text(value)
    return str(value)


def signed(value: Decimal) -> str:
    """A decimal with its sign, for parts and adjustment lines: ``+0.5``, ``-1``."""
    text = decimal_text(value)
    return text if text.startswith("-") else "+" + text


def with_layers(trace: TraceNode, compiled: CompiledRuleset) -> TraceNode:
    """The trace with each node's ``layer`` filled from the guide's compiled criteria."""
    layers = {ident: node.layer for ident, node in compiled.nodes.items()}
    done: dict[int, TraceNode] = {}
    stack: list[tuple[TraceNode, bool]] = [(trace, False)]
    while stack:
        node, expanded = stack.pop()
        if not expanded:
            stack.append((node, True))
            stack.extend((child, False) for child in node.children)
            continue
        children = tuple(done[id(child)] for child in node.children)
        layer = layers.get(node.id, node.layer)
        done[id(node)] = node._replace(children=children, layer=layer)
    return done[id(trace)]


def _is_quiet(node: TraceNode) -> bool:
    """An adjustment that did not apply: shown only with ``show_all``."""
    return (
        node.kind in ("bonus", "deduction", "adjustment")
        and node.value == 0
        and (
            node.status in ("condition_not_met", "scored", "not_applicable")
            and not node.adjustments
        )
    )


def part_text() -> dict[str, str]:
    """What each part of a criterion's sum is, in words (a child's part is named by its number)."""
    return {
        "benchmark": pgettext("explain", "base points"),
        "rule": pgettext("explain", "by the rule"),
        "met": pgettext("explain", "requirement met"),
        "points": pgettext("explain", "fixed points"),
        "per_event": pgettext("explain", "by the number of cases"),
        "proportional": pgettext("explain", "by the rate"),
        "bands": pgettext("explain", "by band"),
        "table": pgettext("explain", "by the table"),
        "increment": pgettext("explain", "added step by step"),
        "deadline": pgettext("explain", "by the deadline"),
        "lookup": pgettext("explain", "by kind"),
        "formula": pgettext("explain", "by the formula"),
        "target": pgettext("explain", "against the target"),
        "rank_points": pgettext("explain", "by rank"),
        "per_item": pgettext("explain", "item by item"),
    }


def adjustment_text() -> dict[str, str]:
    """What each line added after the parts is, in words; its note says the limit."""
    return {
        "cap_line": pgettext("explain", "Cap reached,"),
        "benchmark_not_met": pgettext("explain", "Not added:"),
        "forfeit": pgettext("explain", "Forfeited when"),
        "override": pgettext("explain", "Agreed score differs from the rule"),
        "excess_bonus": pgettext("explain", "The excess moves to the bonus points"),
        "when_zero": pgettext("explain", "Cannot divide by 0"),
    }


def rounding_text() -> dict[str, str]:
    """The rounding modes of a guide, in words."""
    return {
        "half_up": pgettext("explain", "half up"),
        "half_even": pgettext("explain", "half to even"),
        "half_down": pgettext("explain", "half down"),
        "up": pgettext("explain", "away from 0"),
        "down": pgettext("explain", "dropping the rest"),
        "ceiling": pgettext("explain", "up"),
        "floor": pgettext("explain", "down"),
    }


#: The words of the expression language, as an officer reads them (the catalogs' words).
_EXPRESSION_PATTERNS = (
    (re.compile(r"\bscore\(\s*['\"]([^'\"]+)['\"]\s*\)"), "score"),
    (re.compile(r"\bmax\("), "max("),
    (re.compile(r"\bmin\("), "min("),
    (re.compile(r"\babs\("), "abs("),
    (re.compile(r"\bround\("), "round("),
    (re.compile(r"\band\b"), "and"),
    (re.compile(r"\bor\b"), "or"),
    (re.compile(r"\bnot\b"), "not"),
    (re.compile(r"\bTrue\b|\btrue\b"), "true"),
    (re.compile(r"\bFalse\b|\bfalse\b"), "false"),
    (re.compile(r"\bNone\b|\bnull\b"), "none"),
    (re.compile(r"\bif\b"), "if"),
    (re.compile(r"\belse\b"), "else"),
    (re.compile(r"\bin\b"), "in"),
    (re.compile(r">="), ">="),
    (re.compile(r"<="), "<="),
    (re.compile(r"!="), "!="),
    (re.compile(r"=="), "=="),
)


def _expression_words() -> dict[str, str]:
    """Each word of the expression language as said in the language of the call."""
    return {
        "score": pgettext("expression word", "points of item {item}"),
        "max(": pgettext("expression word", "the greatest of("),
        "min(": pgettext("expression word", "the least of("),
        "abs(": pgettext("expression word", "the absolute value of("),
        "round(": pgettext("expression word", "rounded("),
        "and": pgettext("expression word", "and"),
        "or": pgettext("expression word", "or"),
        "not": pgettext("expression word", "not"),
        "true": pgettext("expression word", "true"),
        "false": pgettext("expression word", "false"),
        "none": pgettext("expression word", "empty"),
        "if": pgettext("expression word", "if"),
        "else": pgettext("expression word", "else"),
        "in": pgettext("expression word", "in"),
        ">=": "≥",
        "<=": "≤",
        "!=": "≠",
        "==": "=",
    }


def _said_expression(text: str) -> str:
    """``text`` with the expression language's words as an officer reads them."""
    said = _expression_words()
    for pattern, word in _EXPRESSION_PATTERNS:
        if word == "score":
            template = said["score"]

            def item(match: re.Match[str], template: str = template) -> str:
                return template.format(item=match.group(1))

            text = pattern.sub(item, text)
        else:
            text = pattern.sub(said[word].replace("\\", "\\\\"), text)
    return text


class Words:
    """How to say a guide's own things: its input labels, criterion titles, award titles."""

    def __init__(self, compiled: CompiledRuleset | None) -> None:
        """Read the labels and titles of ``compiled`` (none: identifiers stay as they are)."""
        self.labels: dict[str, str] = {}
        self.titles: dict[str, str] = {}
        self.awards: dict[str, str] = {}
        if compiled is not None:
            self.labels = {name: field.label for name, field in compiled.inputs.items()}
            # a unit's facts from the cluster file (format v2), named by their labels too
            self.labels.update({n: f.label for n, f in compiled.cluster_facts.items()})
            self.titles = {ident: node.title for ident, node in compiled.nodes.items()}
            self.awards = {a.id: a.title for a in compiled.ruleset.awards}
        names = sorted(self.labels, key=len, reverse=True)
        self._names = (
            re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, names)) + r")(?![\w])")
            if names
            else None
        )

    def label(self, name: str) -> str:
        """The label of input ``name`` (its name when the guide gives none)."""
        return self.labels.get(name) or name

    def expression(self, text: str, *, numbers: bool = True) -> str:
        """An expression or generated rule text in words: labels for names, ≥ for >=, …."""
        if self._names is not None:
            text = self._names.sub(lambda m: f"«{self.label(m.group(1))}»", text)
        quoted = re.split(r"(«[^»]*»)", text)
        out = []
        for piece in quoted:
            if piece.startswith("«"):
                out.append(piece)
                continue
            said = _said_expression(piece)
            out.append(_intervals(vn_numbers_in(said)) if numbers else said)
        return "".join(out)


_NUM = r"[\d.,\u2212]+"
_INTERVAL = re.compile(rf"([\[(])(-∞|{_NUM}), ({_NUM}|\+∞)([\])])")


def _interval(match: re.Match[str]) -> str:
    opening, low, high, closing = match.groups()
    if low == "-∞":
        if closing == "]":
            return pgettext("band", "up to {high}").format(high=high)
        return pgettext("band", "below {high}").format(high=high)
    if high == "+∞":
        if opening == "[":
            return pgettext("band", "from {low}").format(low=low)
        return pgettext("band", "above {low}").format(low=low)
    template = {
        ("[", "]"): pgettext("band", "from {low} to {high}"),
        ("[", ")"): pgettext("band", "from {low} to below {high}"),
        ("(", "]"): pgettext("band", "above {low} to {high}"),
        ("(", ")"): pgettext("band", "above {low} to below {high}"),
    }[opening, closing]
    return template.format(low=low, high=high)


def _intervals(text: str) -> str:
    """Bands in words: ``[97, 98)`` → ``từ 97 đến dưới 98``, ``(98, +∞)`` → ``trên 98``."""
    return _INTERVAL.sub(_interval, text)


def _value(value: Any) -> str:
    """An input's value in words: numbers the Vietnamese way, yes/no, dates as dd/mm/yyyy."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return pgettext("explain", "yes") if value else pgettext("explain", "no")
    if isinstance(value, Decimal | int):
        return vn_number(value)
    if isinstance(value, date):
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    return str(value)


def _points(value: Decimal | None) -> str:
    return pgettext("explain", "{amount} points").format(amount=vn_number(value))


def _head(node: TraceNode, source: str | None, layers: Mapping[str, str], root: bool) -> str:
    value = vn_number(node.value)
    if node.max is not None and node.kind == "score":
        value += f" / {vn_number(node.max)}"
    value = pgettext("explain", "{amount} points").format(amount=value)
    status = status_text().get(node.status, node.status)
    where = []
    if node.layer:
        where.append(pgettext("explain", "layer {layer}").format(layer=node.layer))
    if node.line is not None:
        file = layers.get(node.layer, source) if node.layer else source
        where.append(
            f"{file}:{node.line}"
            if file
            else pgettext("explain", "line {line}").format(line=node.line)
        )
    text = (
        pgettext("explain", "Total = {value}").format(value=value)
        if root
        else f"{node.id}  {node.title} = {value}"
    )
    if status:
        text += f" ({status})"
    if where:
        text += f"  [{', '.join(where)}]"
    return text


def render_node(
    node: TraceNode,
    *,
    depth: int | None = None,
    show_all: bool = False,
    source: str | None = None,
    indent: str = "",
    layers: Mapping[str, str] | None = None,
    compiled: CompiledRuleset | None = None,
) -> list[str]:
    """Lines explaining ``node`` and, down to ``depth`` levels, its children, in plain words.

    Each criterion shows its value (and maximum), the rule applied in words, the inputs it
    read by their labels, the parts summed and the lines added after them (caps, forfeits,
    limits, rounding, agreed scores). Bonuses and deductions that did not apply are summarised
    unless ``show_all``. ``layers`` maps the layer of a composed guide to its file, so that
    each line number names the right file; ``compiled`` gives the labels and titles.
    """
    words = Words(compiled)
    constructs = {ident: n.construct for ident, n in compiled.nodes.items()} if compiled else {}
    lines: list[str] = []
    stack: list[tuple[TraceNode, str, int]] = [(node, indent, 0)]
    while stack:
        current, pad, level = stack.pop()
        root = current.kind == "total" or (current is node and current.id == "TOTAL")
        lines.append(pad + _head(current, source, layers or {}, root))
        details = _details(current, words, constructs.get(current.id))
        lines.extend(pad + "    " + line for line in details)
        if depth is not None and level >= depth:
            continue
        shown = [c for c in current.children if show_all or not _is_quiet(c)]
        quiet = len(current.children) - len(shown)
        if quiet:
            said = pgettext("explain", "({count} bonus/deduction items did not arise)")
            lines.append(f"{pad}    " + said.format(count=quiet))
        stack.extend((child, pad + "  ", level + 1) for child in reversed(shown))
    return lines


def _per_event(node: TraceNode, construct: Any) -> str | None:
    """``Trừ 0,5 điểm × 3 trường hợp = −1,5 điểm (tối đa 1,5 điểm)`` for a per-event rule."""
    points = getattr(construct, "points", None)
    count_expression = getattr(construct, "count", None)
    if not isinstance(points, Decimal) or points == 0 or count_expression is None:
        return None
    raw = sum((amount for label, amount in node.parts if label == "per_event"), Decimal(0))
    if not node.parts:
        raw = node.value - sum((amount for _, amount, _ in node.adjustments), Decimal(0))
    count = raw / points
    template = (
        pgettext("explain", "Deduct {points} × {count} cases = {amount} points")
        if points < 0
        else pgettext("explain", "Add {points} × {count} cases = {amount} points")
    )
    text = template.format(
        points=_points(abs(points)), count=vn_number(count), amount=vn_signed(raw)
    )
    cap = getattr(construct, "cap", None)
    if isinstance(cap, Decimal):
        text += " " + pgettext("explain", "(at most {cap})").format(cap=_points(cap))
    return text


def _rule(node: TraceNode, construct: Any, words: Words) -> str | None:
    if not node.rule:
        return None
    if node.id == "TOTAL" or node.kind == "total":
        return None
    per_event = _per_event(node, construct) if construct is not None else None
    if per_event is not None:
        return per_event
    said = words.expression(trace_text(node.rule))
    return pgettext("explain", "How it is scored: {rule}").format(rule=said)


def _part(label: str, amount: Decimal) -> str:
    parts = part_text()
    name = parts.get(label, label)
    return f"{name} {vn_signed(amount)}" if label not in parts else f"{name}: {vn_signed(amount)}"


def _adjustment(code: str, amount: Decimal, note: str, words: Words) -> str:
    head = adjustment_text().get(code, pgettext("explain", "Adjustment"))
    signed = vn_signed(amount)
    if code == "override":
        said = pgettext("explain", "{head}: {amount} points — {note}")
        return said.format(head=head, amount=signed, note=trace_text(note))
    if code == "forfeit":
        said = pgettext("explain", "{head} {condition}: {amount} points")
        return said.format(head=head, condition=words.expression(note), amount=signed)
    note = trace_text(note)
    if code == "rounding":
        for mode, text in rounding_text().items():
            note = note.replace(f"({mode})", f"({text})")
        said = pgettext("explain", "{rounding}: {amount} points")
        return said.format(rounding=vn_numbers_in(note).capitalize(), amount=signed)
    if code == "benchmark_not_met":
        return f"{head} {_points(-amount)} ({vn_numbers_in(note)})"
    if code == "cap_line":
        said = pgettext("explain", "{head} {cap} points: {amount} points")
        return said.format(head=head, cap=vn_numbers_in(note), amount=signed)
    if code == "excess_bonus":
        return pgettext("explain", "{head}: {amount} points").format(head=head, amount=signed)
    if code == "shared_cap":
        said = pgettext("explain", "{cap} points (shared cap): {amount} points")
        return said.format(cap=vn_numbers_in(note), amount=signed)
    if code == "when_zero":
        return f"{note[:1].upper()}{note[1:]} ({head.lower()})"
    note = vn_numbers_in(note)
    said = pgettext("explain", "{limit} points: adjusted by {amount} points")
    return said.format(limit=f"{note[:1].upper()}{note[1:]}", amount=signed)


def _details(node: TraceNode, words: Words, construct: Any = None) -> list[str]:
    out = []
    rule = _rule(node, construct, words)
    if rule:
        out.append(rule)
    if node.inputs:
        said = "; ".join(f"{words.label(k)} = {_value(v)}" for k, v in node.inputs)
        out.append(pgettext("explain", "Inputs: {inputs}").format(inputs=said))
    if node.parts and not (len(node.parts) == 1 and not node.adjustments and not node.children):
        said = "; ".join(_part(label, amount) for label, amount in node.parts)
        out.append(pgettext("explain", "Made of: {parts}").format(parts=said))
    out.extend(_adjustment(code, amount, note, words) for code, amount, note in node.adjustments)
    target = _target_sentence(node) if node.status == "scored" else None
    if target is not None:
        out.append(target)
        return out
    out.extend(f"{trace_text(key)}: {_value(value)}" for key, value in node.cohort)
    if node.note and node.status != "scored":
        out.append(pgettext("explain", "Why: {reason}").format(reason=_reason(node, words)))
    elif node.note:
        said = words.expression(trace_text(node.note), numbers=False)
        out.append(pgettext("explain", "Note: {note}").format(note=said))
    return out


def _target_sentence(node: TraceNode) -> str | None:
    """A result against its target (Article 6 of the police tables) as one sentence.

    ``Vượt 12,5% so với chỉ tiêu (kết quả 9, chỉ tiêu 8): ½ thang điểm 2,5 điểm, cộng 0,31
    điểm theo tỷ lệ vượt so với đơn vị dẫn đầu cụm (ca-xa-an-binh, vượt 100%) = 2,81 điểm``.
    Built from the cohort facts the cluster phase recorded; None for any other criterion.
    """
    facts = dict(node.cohort)  # the cluster phase's facts, named in Vietnamese in the trace
    target, achieved = facts.get("chỉ tiêu"), facts.get("kết quả")
    if not isinstance(target, Decimal) or not isinstance(achieved, Decimal) or node.max is None:
        return None
    if not node.parts or node.parts[0][0] != "target":
        return None
    scale, value = node.max, node.parts[0][1]
    half = scale / 2
    given = pgettext("explain", "(result {achieved}, target {target})").format(
        achieved=vn_number(achieved), target=vn_number(target)
    )
    if achieved < target:
        said = pgettext(
            "explain", "Below the target {given}: ½ of the scale {half} × {ratio} = {points}"
        )
        ratio = f"{vn_number(achieved)}/{vn_number(target)}"
        return said.format(given=given, half=_points(half), ratio=ratio, points=_points(value))
    if achieved == target:
        said = pgettext("explain", "Target met {given}: ½ of the scale = {points}")
        return said.format(given=given, points=_points(value))
    own, best = facts.get("tỷ lệ vượt %"), facts.get("tỷ lệ vượt % dẫn đầu cụm")
    if not isinstance(own, Decimal) or not isinstance(best, Decimal):
        return None
    head = pgettext("explain", "{excess}% above the target {given}").format(
        excess=vn_number(own), given=given
    )
    if value == scale:
        said = pgettext("explain", "{head}, leading the cluster: the whole scale = {points}")
        return said.format(head=head, points=_points(value))
    leaders = facts.get("đơn vị dẫn đầu") or "—"
    said = pgettext(
        "explain",
        "{head}: ½ of the scale {half}, plus {extra} by the excess against the cluster's "
        "leader ({leaders}, {best}% above) = {points}",
    )
    return said.format(
        head=head,
        half=_points(half),
        extra=_points(value - half),
        leaders=leaders,
        best=vn_number(best),
        points=_points(value),
    )


def _reason(node: TraceNode, words: Words) -> str:
    """Why a criterion did not score as written, in words (a condition, not its source)."""
    note = trace_text(node.note or "")
    said = words.expression(note, numbers=False)
    if said != note or note in words.labels:
        prefix = {
            "condition_not_met": pgettext("explain", "condition not met"),
            "not_applicable": pgettext("explain", "not a case where it applies"),
            "waived": pgettext("explain", "waived when"),
            "forfeited": pgettext("explain", "forfeited when"),
            "overridden": pgettext("explain", "by the rule not met"),
        }.get(node.status, pgettext("explain", "condition"))
        return f"{prefix}: {said}"
    return said


def rank_key_text() -> dict[str, str]:
    """The ranking keys, in words."""
    return {
        "total": pgettext("explain", "total points"),
        "percent": pgettext("explain", "percentage of points"),
        "deductions": pgettext("explain", "deductions"),
    }


def _rank_key(key: str, words: Words) -> str:
    if key.startswith("score:"):
        ident = key.removeprefix("score:")
        title = words.titles.get(ident)
        said = pgettext("explain", "points of item {item}").format(item=ident)
        return said + (f" ({title})" if title else "")
    return rank_key_text().get(key, key)


def explain_unit(
    unit: UnitScore,
    compiled: CompiledRuleset,
    *,
    show_all: bool = False,
    depth: int | None = None,
) -> str:
    """Why ``unit`` got its score, in plain words: total, rank, class, every criterion."""
    words = Words(compiled)
    lines = [
        pgettext("explain", "Unit {unit}: {name}").format(unit=unit.unit_id, name=unit.name),
        pgettext("explain", "Guide: {title} ({guide}, version {version})").format(
            title=compiled.ruleset.title, guide=compiled.id, version=compiled.version
        ),
    ]
    if unit.status == "error" or unit.trace is None:
        lines.append(pgettext("explain", "Could not be scored:"))
        lines.extend(f"    {render_issue(issue)}" for issue in unit.issues)
        return "\n".join(lines) + "\n"
    summary = pgettext("explain", "Total {total} / {max}").format(
        total=vn_number(unit.total), max=_points(unit.max)
    )
    if unit.percent is not None:
        summary += f" ({vn_number(unit.percent)}%)"
    if unit.rank is not None:
        summary += pgettext("explain", ", rank {rank}").format(rank=unit.rank)
        if unit.rank_decided_by:
            said = pgettext("explain", " (decided by {key})")
            summary += said.format(key=_rank_key(unit.rank_decided_by, words))
    if unit.classification:
        said = pgettext("explain", ", classified {classification}")
        summary += said.format(classification=unit.classification)
    lines.append(summary)
    not_classified = pgettext("explain", "Not classified: {reason}")
    lines.extend(not_classified.format(reason=trace_text(r)) for r in unit.reasons)
    not_eligible = pgettext("explain", "Not eligible for an award: {reason}")
    lines.extend(not_eligible.format(reason=trace_text(r)) for r in unit.eligibility_reasons)
    if unit.awards:
        said = ", ".join(words.awards.get(a, a) for a in unit.awards)
        lines.append(pgettext("explain", "Proposed for: {awards}").format(awards=said))
    lines.extend(_review_lines(unit, words))
    layered = compiled.layers and len(compiled.layers) > 1
    if layered:
        said = " → ".join(f"{ident} ({source})" for ident, source in compiled.layers)
        lines.append(pgettext("explain", "Layers: {layers}").format(layers=said))
    lines.append("")
    trace = with_layers(unit.trace, compiled) if layered else unit.trace
    lines.extend(
        render_node(
            trace,
            show_all=show_all,
            depth=depth,
            source=compiled.source,
            layers=dict(compiled.layers),
            compiled=compiled,
        )
    )
    return "\n".join(lines) + "\n"


def _stage(stage: str) -> str:
    return trace_text(STAGE_WORDS.get(stage, stage))


def _review_lines(unit: UnitScore, words: Words) -> list[str]:
    """The reviews applied, the corrected inputs, and every departure from the written rule."""
    lines: list[str] = []
    if unit.reviews:
        said = "; ".join(f"{who} ({_stage(stage)}, {at})" for stage, who, at in unit.reviews)
        lines.append(pgettext("explain", "Reviewed: {reviews}").format(reviews=said))
    corrected = pgettext("explain", "Input corrected: {input} (by {who}, {stage}, {at})")
    for name, (who, stage, at) in unit.corrected.items():
        lines.append(corrected.format(input=words.label(name), who=who, stage=_stage(stage), at=at))
    if unit.departures:
        said = pgettext(
            "explain",
            "Agreed score differs from the rule's ({computed} by the rule, {agreed} agreed):",
        )
        lines.append(
            said.format(computed=vn_number(unit.computed_total), agreed=vn_number(unit.total))
        )
        departure = pgettext(
            "explain",
            "{item}: by the rule {computed}, agreed {agreed} ({difference}) — {reviewer}, {at}: "
            "{reason}",
        )
        for d in unit.departures:
            said = departure.format(
                item=d.item,
                computed=vn_number(d.computed),
                agreed=vn_number(d.agreed),
                difference=vn_signed(d.difference),
                reviewer=d.reviewer,
                at=d.at,
                reason=d.reason,
            )
            lines.append(f"    {said}")
            if d.evidence:
                said = pgettext("explain", "evidence: {evidence}")
                lines.append("        " + said.format(evidence="; ".join(d.evidence)))
    return lines


def explain_dict(unit: UnitScore, compiled: CompiledRuleset) -> dict[str, Any]:
    """The explanation as JSON-ready data (decimals as strings), with every node's layer."""
    data: dict[str, Any] = {
        "ruleset": {"id": compiled.id, "version": compiled.version, "digest": compiled.digest},
        "layers": [{"id": ident, "source": source} for ident, source in compiled.layers],
        "unit_id": unit.unit_id,
        "name": unit.name,
        "status": unit.status,
        "total": unit.total,
        "max": unit.max,
        "percent": unit.percent,
        "rank": unit.rank,
        "rank_decided_by": unit.rank_decided_by,
        "classification": unit.classification,
        "reasons": list(unit.reasons),
        "eligibility_reasons": list(unit.eligibility_reasons),
        "awards": list(unit.awards),
        "computed_total": unit.computed_total,
        "departures": [d.as_dict() for d in unit.departures],
        "issues": [i.as_dict() for i in unit.issues],
        "trace": trace_to_dict(with_layers(unit.trace, compiled)) if unit.trace else None,
    }
    return canonical_value(data)  # type: ignore[no-any-return]


def layer_of(compiled: CompiledRuleset) -> Mapping[str, str | None]:
    """The layer of every criterion of a compiled guide, by id."""
    return {ident: node.layer for ident, node in compiled.nodes.items()}
