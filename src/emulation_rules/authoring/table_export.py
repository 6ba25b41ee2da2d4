"""A guide written as its published table, with notes rows for caps.

The columns are STT | Tiêu chuẩn thi đua | Điểm chuẩn | Điểm thưởng | Điểm trừ.

:func:`table_rows` lays a compiled guide out as rows of text, one per criterion in document
order, the item id in the STT column; :func:`export_table` writes them to a .docx or .xlsx file.
The table reads back with :func:`~emulation_rules.authoring.table_import.import_table` into
the same tree, maxima and points (the rules that are not a number of points — bands, tables,
conditions — are for the guide, not the printed table, and come back as TODOs).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from emulation_rules._support.canonical import decimal_text
from emulation_rules.authoring._tablefile import write_table

if TYPE_CHECKING:
    from pathlib import Path

    from emulation_rules.compiler.nodes import CompiledRuleset, Node
    from emulation_rules.guide.model import Criterion

__all__ = ["HEADER", "TableRow", "export_table", "node_amount", "table_rows"]

#: The header of an exported table.
HEADER = ("STT", "Tiêu chuẩn thi đua", "Điểm chuẩn", "Điểm thưởng", "Điểm trừ")
#: What an exported bonus or deduction cell says when the rule is not one number of points.
SEE_GUIDE = "(theo hướng dẫn)"


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row of the published table."""

    stt: str
    title: str
    benchmark: str = ""
    bonus: str = ""
    deduction: str = ""
    #: A notes row: its text spans the columns after STT.
    note: bool = False

    def cells(self) -> tuple[str, str, str, str, str]:
        """The five cells."""
        return (self.stt, self.title, self.benchmark, self.bonus, self.deduction)


def points_text(value: Decimal, *, signed: bool = False) -> str:
    """Points as a Vietnamese table writes them: a decimal comma, a sign when asked.

    Example:
        >>> points_text(Decimal("-0.5")), points_text(Decimal("1"), signed=True)
        ('-0,5', '+1')
    """
    text = decimal_text(value).replace(".", ",")
    return f"+{text}" if signed and value > 0 else text


def node_amount(node: Node) -> Decimal | None:
    """The points of a bonus or deduction line: a fixed amount, per event, or when late.

    None for a criterion with a maximum, and for rules that are not one number of points.
    """
    if node.declared_max or node.construct is None:
        return None
    for name in ("points", "late"):
        value = getattr(node.construct, name, None)
        if isinstance(value, Decimal):
            return value
    return None


def _row(node: Node) -> TableRow:
    benchmark = points_text(node.max) if node.declared_max and node.max is not None else ""
    amount = node_amount(node)
    bonus = deduction = ""
    if amount is not None:
        if amount >= 0:
            bonus = points_text(amount, signed=True)
        else:
            deduction = points_text(amount)
    elif not node.children and not node.declared_max:
        bonus = SEE_GUIDE if node.kind in ("bonus", "adjustment") else ""
        deduction = SEE_GUIDE if node.kind in ("deduction", "adjustment") else ""
    return TableRow(node.id, node.title, benchmark, bonus, deduction)


def _notes(node: Node) -> list[TableRow]:
    notes = []
    if node.cap_deductions is not None:
        notes.append(
            f"Ghi chú: Tổng điểm trừ của mục {node.id} không quá "
            f"{points_text(node.cap_deductions)} điểm"
        )
    if node.cap_bonuses is not None:
        notes.append(
            f"Ghi chú: Tổng điểm cộng của mục {node.id} không quá "
            f"{points_text(node.cap_bonuses)} điểm"
        )
    if node.cap_adjustments is not None:
        notes.append(
            f"Ghi chú: Điểm trừ, cộng tối đa đối với mục {node.id} không quá "
            f"{points_text(node.cap_adjustments)} điểm"
        )
    cap = getattr(node.construct, "cap", None)
    amount = node_amount(node)
    if isinstance(cap, Decimal) and amount is not None:
        what = "cộng" if amount > 0 else "trừ"
        notes.append(f"Ghi chú: Điểm {what} của mục {node.id} tối đa {points_text(cap)} điểm")
    return [TableRow("", text, note=True) for text in notes]


def table_rows(guide: CompiledRuleset) -> list[TableRow]:
    """The guide as the rows of its published table, notes after each item's lines."""
    rows: list[TableRow] = []

    def visit(criterion: Criterion) -> None:
        node = guide.nodes[criterion.id]
        rows.append(_row(node))
        for child in criterion.children:
            visit(child)
        rows.extend(_notes(node))

    for root in guide.ruleset.criteria:
        visit(root)
    rows.append(TableRow("", "Tổng cộng", points_text(guide.scale)))
    return rows


def export_table(guide: CompiledRuleset, path: str | Path) -> int:
    """Write ``guide`` as its published table to a .docx or .xlsx file; return the row count."""
    rows = table_rows(guide)
    notes = frozenset(i for i, row in enumerate(rows) if row.note)
    write_table(path, guide.ruleset.title, HEADER, [r.cells() for r in rows], notes=notes)
    return len(rows)
