"""Human views of a unit's trace: why a unit got its score, item by item.

:func:`explain_unit` renders one unit of a :class:`~emulation_rules.engine.scoring.ClusterResult` as
plain text (``emulation-rules explain``); :func:`render_node` renders one criterion and its
subtree, and is also used to show the differing item of a failing guide test. Views are
functions over the trace: they add nothing to it. :func:`explain_dict` is the machine form,
with the layer (the guide a rule came from) of every criterion.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from emulation_rules._support.canonical import canonical_value, decimal_text
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


def _head(node: TraceNode, source: str | None, layers: Mapping[str, str]) -> str:
    value = number(node.value)
    if node.max is not None and node.kind == "score":
        value += f" / {number(node.max)}"
    status = STATUS_TEXT.get(node.status, node.status)
    where = []
    if node.layer:
        where.append(f"lớp {node.layer}")
    if node.line is not None:
        file = layers.get(node.layer, source) if node.layer else source
        where.append(f"{file}:{node.line}" if file else f"dòng {node.line}")
    text = f"{node.id}  {node.title} = {value}"
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
) -> list[str]:
    """Lines explaining ``node`` and, down to ``depth`` levels, its children.

    Each criterion shows its value (and maximum), the rule applied, the inputs it read, the
    parts summed and the lines added after them (caps, forfeits, limits, rounding). Bonuses and
    deductions that did not apply are summarised unless ``show_all``. ``layers`` maps the layer
    of a composed guide to its file, so that each line number names the right file.
    """
    lines: list[str] = []
    stack: list[tuple[TraceNode, str, int]] = [(node, indent, 0)]
    while stack:
        current, pad, level = stack.pop()
        lines.append(pad + _head(current, source, layers or {}))
        lines.extend(pad + "    " + line for line in _details(current))
        if depth is not None and level >= depth:
            continue
        shown = [c for c in current.children if show_all or not _is_quiet(c)]
        quiet = len(current.children) - len(shown)
        if quiet:
            lines.append(f"{pad}    ({quiet} mục cộng/trừ không phát sinh)")
        stack.extend((child, pad + "  ", level + 1) for child in reversed(shown))
    return lines


def _details(node: TraceNode) -> list[str]:
    out = []
    if node.rule:
        out.append(f"quy tắc: {node.rule}")
    if node.inputs:
        out.append("đầu vào: " + ", ".join(f"{k} = {number(v)}" for k, v in node.inputs))
    if node.parts and not (len(node.parts) == 1 and not node.adjustments and not node.children):
        out.append("cộng: " + " ".join(f"{label} {signed(amount)}" for label, amount in node.parts))
    out.extend(
        f"điều chỉnh: {code} {signed(amount)} ({note})" for code, amount, note in node.adjustments
    )
    out.extend(f"{key}: {number(value)}" for key, value in node.cohort)
    if node.note and node.status != "scored":
        out.append(f"lý do: {node.note}")
    elif node.note:
        out.append(f"ghi chú: {node.note}")
    return out


def explain_unit(
    unit: UnitScore,
    compiled: CompiledRuleset,
    *,
    show_all: bool = False,
    depth: int | None = None,
) -> str:
    """Why ``unit`` got its score: the total, its rank and class, then every criterion."""
    lines = [
        f"Đơn vị {unit.unit_id}: {unit.name}",
        f"Hướng dẫn {compiled.id} phiên bản {compiled.version}",
    ]
    if unit.status == "error" or unit.trace is None:
        lines.append("Không chấm được:")
        lines.extend(f"    {issue.render()}" for issue in unit.issues)
        return "\n".join(lines) + "\n"
    summary = f"Tổng điểm {number(unit.total)} / {number(unit.max)}"
    if unit.percent is not None:
        summary += f" ({decimal_text(unit.percent.quantize(Decimal('0.01')))}%)"
    if unit.rank is not None:
        summary += f", hạng {unit.rank}"
        if unit.rank_decided_by:
            summary += f" (phân định bởi {unit.rank_decided_by})"
    if unit.classification:
        summary += f", xếp loại {unit.classification}"
    lines.append(summary)
    lines.extend(f"Không xếp loại: {reason}" for reason in unit.reasons)
    lines.extend(f"Không đủ điều kiện khen thưởng: {r}" for r in unit.eligibility_reasons)
    if unit.awards:
        lines.append("Đề nghị khen thưởng: " + ", ".join(unit.awards))
    lines.extend(_review_lines(unit))
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
        )
    )
    return "\n".join(lines) + "\n"


def _stage(stage: str) -> str:
    return STAGE_WORDS.get(stage, stage)


def _review_lines(unit: UnitScore) -> list[str]:
    """The reviews applied, the corrected inputs, and every departure from the written rule."""
    lines: list[str] = []
    if unit.reviews:
        lines.append(
            "Đã thẩm định: "
            + "; ".join(f"{who} ({_stage(stage)}, {at})" for stage, who, at in unit.reviews)
        )
    for name, (who, stage, at) in unit.corrected.items():
        lines.append(f"Số liệu đã điều chỉnh: {name} (bởi {who}, {_stage(stage)}, {at})")
    if unit.departures:
        computed = number(unit.computed_total)
        lines.append(
            f"Điểm thống nhất khác điểm theo quy định ({computed} theo quy định, "
            f"{number(unit.total)} thống nhất):"
        )
        for d in unit.departures:
            lines.append(
                f"    {d.item}: theo quy định {number(d.computed)}, thống nhất {number(d.agreed)}"
                f" ({signed(d.difference)}) — {d.reviewer}, {d.at}: {d.reason}"
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
