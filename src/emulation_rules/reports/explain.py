"""Human views of a unit's trace: why a unit got its score, item by item, in plain Vietnamese.

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
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from emulation_rules._support.canonical import canonical_value, decimal_text
from emulation_rules._support.display import vn_number, vn_numbers_in, vn_signed
from emulation_rules.engine.evaluator import STAGE_WORDS
from emulation_rules.engine.scoring import trace_to_dict

if TYPE_CHECKING:
    from collections.abc import Mapping

    from emulation_rules.compiler.nodes import CompiledRuleset
    from emulation_rules.engine.evaluator import TraceNode, UnitScore

__all__ = ["explain_dict", "explain_unit", "render_node", "with_layers"]

#: Vietnamese words for the statuses of a trace node.
STATUS_TEXT = {
    "scored": "",
    "not_applicable": "không áp dụng",
    "condition_not_met": "không xảy ra",
    "waived": "được miễn",
    "forfeited": "mất điểm",
    "overridden": "điểm thống nhất khác quy định",
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
        return "đúng" if value else "sai"
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


#: What each part of a criterion's sum is, in words (a child's part is named by its number).
PART_TEXT = {
    "benchmark": "điểm chuẩn",
    "rule": "theo quy định",
    "met": "đạt yêu cầu",
    "points": "điểm cố định",
    "per_event": "tính theo số trường hợp",
    "proportional": "tính theo tỷ lệ",
    "bands": "theo mức",
    "table": "theo bảng",
    "increment": "cộng lũy kế",
    "deadline": "theo thời hạn",
    "lookup": "theo loại",
    "formula": "theo công thức",
    "target": "so với chỉ tiêu",
    "rank_points": "theo thứ hạng",
    "per_item": "tính theo từng mục",
}

#: What each line added after the parts is, in words; its note says the limit.
ADJUSTMENT_TEXT = {
    "cap_line": "Chạm mức",
    "benchmark_not_met": "Không được cộng",
    "forfeit": "Mất điểm khi",
    "override": "Điểm thống nhất khác quy định",
    "excess_bonus": "Phần vượt chuyển sang điểm thưởng",
    "when_zero": "Không chia được cho 0",
}

#: The rounding modes of a guide, in words.
ROUNDING_TEXT = {
    "half_up": "lên từ nửa",
    "half_even": "về số chẵn gần nhất",
    "half_down": "xuống từ nửa",
    "up": "ra xa số 0",
    "down": "bỏ phần lẻ",
    "ceiling": "lên",
    "floor": "xuống",
}

#: The words of the expression language, as an officer reads them.
_EXPRESSION_WORDS = (
    (re.compile(r"\bscore\(\s*['\"]([^'\"]+)['\"]\s*\)"), r"điểm mục \1"),
    (re.compile(r"\bmax\("), "lớn nhất("),
    (re.compile(r"\bmin\("), "nhỏ nhất("),
    (re.compile(r"\babs\("), "giá trị tuyệt đối("),
    (re.compile(r"\bround\("), "làm tròn("),
    (re.compile(r"\band\b"), "và"),
    (re.compile(r"\bor\b"), "hoặc"),
    (re.compile(r"\bnot\b"), "không"),
    (re.compile(r"\bTrue\b|\btrue\b"), "đúng"),
    (re.compile(r"\bFalse\b|\bfalse\b"), "sai"),
    (re.compile(r"\bNone\b|\bnull\b"), "trống"),
    (re.compile(r"\bif\b"), "nếu"),
    (re.compile(r"\belse\b"), "nếu không thì"),
    (re.compile(r"\bin\b"), "thuộc"),
    (re.compile(r">="), "≥"),
    (re.compile(r"<="), "≤"),
    (re.compile(r"!="), "≠"),
    (re.compile(r"=="), "="),
)


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
            said = piece
            for pattern, replacement in _EXPRESSION_WORDS:
                said = pattern.sub(replacement, said)
            out.append(_intervals(vn_numbers_in(said)) if numbers else said)
        return "".join(out)


_NUM = r"[\d.,\u2212]+"
_INTERVAL = re.compile(rf"([\[(])(-∞|{_NUM}), ({_NUM}|\+∞)([\])])")


def _interval(match: re.Match[str]) -> str:
    opening, low, high, closing = match.groups()
    if low == "-∞":
        return f"{'đến' if closing == ']' else 'dưới'} {high}"
    if high == "+∞":
        return f"{'từ' if opening == '[' else 'trên'} {low}"
    start = f"từ {low}" if opening == "[" else f"trên {low}"
    end = f"đến {high}" if closing == "]" else f"đến dưới {high}"
    return f"{start} {end}"


def _intervals(text: str) -> str:
    """Bands in words: ``[97, 98)`` → ``từ 97 đến dưới 98``, ``(98, +∞)`` → ``trên 98``."""
    return _INTERVAL.sub(_interval, text)


def _value(value: Any) -> str:
    """An input's value in words: numbers the Vietnamese way, yes/no, dates as dd/mm/yyyy."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, Decimal | int):
        return vn_number(value)
    if isinstance(value, date):
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    return str(value)


def _points(value: Decimal | None) -> str:
    return f"{vn_number(value)} điểm"


def _head(node: TraceNode, source: str | None, layers: Mapping[str, str], root: bool) -> str:
    value = vn_number(node.value)
    if node.max is not None and node.kind == "score":
        value += f" / {vn_number(node.max)}"
    value += " điểm"
    status = STATUS_TEXT.get(node.status, node.status)
    where = []
    if node.layer:
        where.append(f"lớp {node.layer}")
    if node.line is not None:
        file = layers.get(node.layer, source) if node.layer else source
        where.append(f"{file}:{node.line}" if file else f"dòng {node.line}")
    text = f"Tổng điểm = {value}" if root else f"{node.id}  {node.title} = {value}"
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
            lines.append(f"{pad}    ({quiet} mục cộng/trừ không phát sinh)")
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
    verb = "Trừ" if points < 0 else "Cộng"
    text = f"{verb} {_points(abs(points))} × {vn_number(count)} trường hợp = {vn_signed(raw)} điểm"
    cap = getattr(construct, "cap", None)
    if isinstance(cap, Decimal):
        text += f" (tối đa {_points(cap)})"
    return text


def _rule(node: TraceNode, construct: Any, words: Words) -> str | None:
    if not node.rule:
        return None
    if node.id == "TOTAL" or node.kind == "total":
        return None
    per_event = _per_event(node, construct) if construct is not None else None
    if per_event is not None:
        return per_event
    return "Cách tính: " + words.expression(node.rule)


def _part(label: str, amount: Decimal) -> str:
    name = PART_TEXT.get(label, label)
    return (
        f"{name} {vn_signed(amount)}" if label not in PART_TEXT else f"{name}: {vn_signed(amount)}"
    )


def _adjustment(code: str, amount: Decimal, note: str, words: Words) -> str:
    head = ADJUSTMENT_TEXT.get(code, "Điều chỉnh")
    if code == "override":
        return f"{head}: {vn_signed(amount)} điểm — {note}"
    if code == "forfeit":
        return f"{head} {words.expression(note)}: {vn_signed(amount)} điểm"
    if code == "rounding":
        for mode, text in ROUNDING_TEXT.items():
            note = note.replace(f"({mode})", f"({text})")
        return f"{vn_numbers_in(note).capitalize()}: {vn_signed(amount)} điểm"
    if code == "benchmark_not_met":
        return f"{head} {_points(-amount)} ({vn_numbers_in(note)})"
    if code == "cap_line":
        return f"{head} {vn_numbers_in(note)} điểm: {vn_signed(amount)} điểm"
    if code == "excess_bonus":
        return f"{head}: {vn_signed(amount)} điểm"
    if code == "shared_cap":
        return f"{vn_numbers_in(note)} điểm (trần chung): {vn_signed(amount)} điểm"
    if code == "when_zero":
        return f"{note[:1].upper()}{note[1:]} ({head.lower()})"
    note = vn_numbers_in(note)
    return f"{note[:1].upper()}{note[1:]} điểm: điều chỉnh {vn_signed(amount)} điểm"


def _details(node: TraceNode, words: Words, construct: Any = None) -> list[str]:
    out = []
    rule = _rule(node, construct, words)
    if rule:
        out.append(rule)
    if node.inputs:
        out.append(
            "Số liệu: " + "; ".join(f"{words.label(k)} = {_value(v)}" for k, v in node.inputs)
        )
    if node.parts and not (len(node.parts) == 1 and not node.adjustments and not node.children):
        out.append("Gồm: " + "; ".join(_part(label, amount) for label, amount in node.parts))
    out.extend(_adjustment(code, amount, note, words) for code, amount, note in node.adjustments)
    target = _target_sentence(node) if node.status == "scored" else None
    if target is not None:
        out.append(target)
        return out
    out.extend(f"{key}: {_value(value)}" for key, value in node.cohort)
    if node.note and node.status != "scored":
        out.append(f"Lý do: {_reason(node, words)}")
    elif node.note:
        out.append(f"Ghi chú: {words.expression(node.note, numbers=False)}")
    return out


def _target_sentence(node: TraceNode) -> str | None:
    """A result against its target (Article 6 of the police tables) as one sentence.

    ``Vượt 12,5% so với chỉ tiêu (kết quả 9, chỉ tiêu 8): ½ thang điểm 2,5 điểm, cộng 0,31
    điểm theo tỷ lệ vượt so với đơn vị dẫn đầu cụm (ca-xa-an-binh, vượt 100%) = 2,81 điểm``.
    Built from the cohort facts the cluster phase recorded; None for any other criterion.
    """
    facts = dict(node.cohort)
    target, achieved = facts.get("chỉ tiêu"), facts.get("kết quả")
    if not isinstance(target, Decimal) or not isinstance(achieved, Decimal) or node.max is None:
        return None
    if not node.parts or node.parts[0][0] != "target":
        return None
    scale, value = node.max, node.parts[0][1]
    half = scale / 2
    given = f"(kết quả {vn_number(achieved)}, chỉ tiêu {vn_number(target)})"
    if achieved < target:
        return (
            f"Chưa đạt chỉ tiêu {given}: ½ thang điểm {_points(half)} × "
            f"{vn_number(achieved)}/{vn_number(target)} = {_points(value)}"
        )
    if achieved == target:
        return f"Đạt chỉ tiêu {given}: ½ thang điểm = {_points(value)}"
    own, best = facts.get("tỷ lệ vượt %"), facts.get("tỷ lệ vượt % dẫn đầu cụm")
    if not isinstance(own, Decimal) or not isinstance(best, Decimal):
        return None
    head = f"Vượt {vn_number(own)}% so với chỉ tiêu {given}"
    if value == scale:
        return f"{head}, dẫn đầu cụm: cả thang điểm = {_points(value)}"
    leaders = facts.get("đơn vị dẫn đầu") or "—"
    return (
        f"{head}: ½ thang điểm {_points(half)}, cộng {_points(value - half)} theo tỷ lệ vượt "
        f"so với đơn vị dẫn đầu cụm ({leaders}, vượt {vn_number(best)}%) = {_points(value)}"
    )


def _reason(node: TraceNode, words: Words) -> str:
    """Why a criterion did not score as written, in words (a condition, not its source)."""
    note = node.note or ""
    said = words.expression(note, numbers=False)
    if said != note or note in words.labels:
        prefix = {
            "condition_not_met": "chưa đạt điều kiện",
            "not_applicable": "không thuộc trường hợp áp dụng",
            "waived": "được miễn khi",
            "forfeited": "mất điểm khi",
            "overridden": "theo quy định chưa đạt",
        }.get(node.status, "điều kiện")
        return f"{prefix}: {said}"
    return said


#: The ranking keys, in words.
RANK_KEY_TEXT = {
    "total": "tổng điểm",
    "percent": "tỷ lệ điểm",
    "deductions": "điểm trừ",
}


def _rank_key(key: str, words: Words) -> str:
    if key.startswith("score:"):
        ident = key.removeprefix("score:")
        title = words.titles.get(ident)
        return f"điểm mục {ident}" + (f" ({title})" if title else "")
    return RANK_KEY_TEXT.get(key, key)


def explain_unit(
    unit: UnitScore,
    compiled: CompiledRuleset,
    *,
    show_all: bool = False,
    depth: int | None = None,
) -> str:
    """Why ``unit`` got its score, in plain Vietnamese: total, rank, class, every criterion."""
    words = Words(compiled)
    lines = [
        f"Đơn vị {unit.unit_id}: {unit.name}",
        f"Hướng dẫn: {compiled.ruleset.title} ({compiled.id}, phiên bản {compiled.version})",
    ]
    if unit.status == "error" or unit.trace is None:
        lines.append("Không chấm được:")
        lines.extend(f"    {issue.render()}" for issue in unit.issues)
        return "\n".join(lines) + "\n"
    summary = f"Tổng điểm {vn_number(unit.total)} / {_points(unit.max)}"
    if unit.percent is not None:
        summary += f" ({vn_number(unit.percent)}%)"
    if unit.rank is not None:
        summary += f", hạng {unit.rank}"
        if unit.rank_decided_by:
            summary += f" (phân định theo {_rank_key(unit.rank_decided_by, words)})"
    if unit.classification:
        summary += f", xếp loại {unit.classification}"
    lines.append(summary)
    lines.extend(f"Không xếp loại: {reason}" for reason in unit.reasons)
    lines.extend(f"Không đủ điều kiện khen thưởng: {r}" for r in unit.eligibility_reasons)
    if unit.awards:
        lines.append(
            "Đề nghị khen thưởng: " + ", ".join(words.awards.get(a, a) for a in unit.awards)
        )
    lines.extend(_review_lines(unit, words))
    layered = compiled.layers and len(compiled.layers) > 1
    if layered:
        lines.append(
            "Các lớp: " + " → ".join(f"{ident} ({source})" for ident, source in compiled.layers)
        )
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
    return STAGE_WORDS.get(stage, stage)


def _review_lines(unit: UnitScore, words: Words) -> list[str]:
    """The reviews applied, the corrected inputs, and every departure from the written rule."""
    lines: list[str] = []
    if unit.reviews:
        lines.append(
            "Đã thẩm định: "
            + "; ".join(f"{who} ({_stage(stage)}, {at})" for stage, who, at in unit.reviews)
        )
    for name, (who, stage, at) in unit.corrected.items():
        lines.append(
            f"Số liệu đã điều chỉnh: {words.label(name)} (bởi {who}, {_stage(stage)}, {at})"
        )
    if unit.departures:
        computed = vn_number(unit.computed_total)
        lines.append(
            f"Điểm thống nhất khác điểm theo quy định ({computed} theo quy định, "
            f"{vn_number(unit.total)} thống nhất):"
        )
        for d in unit.departures:
            lines.append(
                f"    {d.item}: theo quy định {vn_number(d.computed)}, thống nhất "
                f"{vn_number(d.agreed)} ({vn_signed(d.difference)}) — {d.reviewer}, {d.at}: "
                f"{d.reason}"
            )
            if d.evidence:
                lines.append(f"        căn cứ: {'; '.join(d.evidence)}")
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
