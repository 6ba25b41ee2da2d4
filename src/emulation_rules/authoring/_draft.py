"""The draft guide of an import: its criteria, their inputs, and the YAML text with TODOs.

:mod:`emulation_rules.authoring.table_import` builds a tree of :class:`DraftItem` from the rows of a
table; :func:`finish` decides the kinds of groups and the levels that replace each other,
:func:`declare_input` gives every rule its input (ASCII snake_case id, Vietnamese label), and
:func:`render_draft` writes the guide with a ``# TODO`` comment at each criterion the table
left open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.numbers import parse_decimal
from emulation_rules.authoring._numbering import ascii_slug
from emulation_rules.errors import Issue

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from emulation_rules.authoring._numbering import Number
    from emulation_rules.compiler import CompiledRuleset

__all__ = ["DraftItem", "InputDecl", "Kind", "declare_input", "finish", "render_draft"]


Kind = Literal["score", "bonus", "deduction", "adjustment"]


@dataclass(eq=False)
class DraftItem:
    """A criterion of the draft, with where it came from."""

    id: str
    title: str
    line: int
    number: Number | None = None
    kind: Kind = "score"
    max: Decimal | None = None
    #: Points of a bonus or deduction line (signed), per event when ``per_event``.
    amount: Decimal | None = None
    per_event: bool = False
    cap: Decimal | None = None
    caps: dict[str, Decimal] = field(default_factory=dict)
    combine: str | None = None
    reviewed_by: str | None = None
    #: The column text said bonus or deduction without a number of points.
    marked: bool = False
    #: The item comes from a row without a number of its own (sub-row, wording).
    unnumbered: bool = False
    children: list[DraftItem] = field(default_factory=list)
    parent: DraftItem | None = None
    comments: list[str] = field(default_factory=list)
    #: The input the rule reads, once declared.
    input: str | None = None

    @property
    def basis(self) -> str:
        """What the ids of its unnumbered children start with: the number, else the id."""
        return self.number.id if self.number is not None else self.id

    def walk(self) -> Iterator[DraftItem]:
        """This item and its descendants, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class InputDecl:
    """An input the draft declares."""

    name: str
    type: str
    label: str
    missing: str


# --------------------------------------------------------------------------------------------
# Finishing the tree: kinds of groups, levels, inputs


def finish(item: DraftItem, issues: list[Issue], source: str) -> None:
    """Kinds of groups from their lines; levels whose maxima exceed the item's (combine)."""
    for child in item.children:
        finish(child, issues, source)
    if item.children and item.max is None and item.amount is None and not item.marked:
        kinds = {c.kind for c in item.children}
        if kinds == {"bonus"}:
            item.kind = "bonus"
        elif kinds == {"deduction"}:
            item.kind = "deduction"
        elif kinds <= {"bonus", "deduction", "adjustment"}:
            item.kind = "adjustment"
    scored = [c for c in item.children if c.kind == "score" and c.max is not None]
    if item.max is not None and scored:
        total = sum((c.max for c in scored if c.max is not None), Decimal(0))
        if total > item.max:
            item.combine = "highest"
            _todo_item(
                item,
                issues,
                source,
                f"các mục con có tổng điểm chuẩn {decimal_text(total)} > {decimal_text(item.max)}: "
                "bản nháp coi là các mức thay thế nhau (combine: highest); viết điều kiện "
                "của từng mức (bands hoặc met)",
            )
        elif total < item.max:
            _todo_item(
                item,
                issues,
                source,
                f"các mục con có tổng điểm chuẩn {decimal_text(total)} < {decimal_text(item.max)}",
            )


def _todo_item(item: DraftItem, issues: list[Issue], source: str, message: str) -> None:
    issues.append(
        Issue(
            "import-todo",
            message,
            source=source,
            line=item.line,
            column=2,
            rule_id=item.id,
            severity="warning",
        )
    )
    item.comments.append(f"TODO (hàng {item.line}, cột 2): {message}")


_LEADING = re.compile(r"^[\s\-–•*'+]*(mỗi trường hợp|mỗi|cứ mỗi|cứ|trường hợp)?\s*", re.IGNORECASE)
_TRAILING = re.compile(
    r"[:,.]?\s*(trừ|cộng|được cộng|được)\s*[+\-]?\s*\d+(?:[.,]\d+)?\s*điểm.*$", re.IGNORECASE
)


def _label_text(title: str) -> str:
    text = " ".join(title.split())
    text = _TRAILING.sub("", text)
    text = _LEADING.sub("", text).strip(" :;,.-")
    if len(text) > 160:
        text = text[:157].rsplit(" ", 1)[0] + "…"
    return (text[:1].upper() + text[1:]) if text else "Dòng cộng/trừ"


def _input_prefix(ident: str) -> str:
    prefix = re.sub(r"[^a-z0-9]+", "_", ident.lower()).strip("_")
    return prefix if prefix[:1].isalpha() else f"c{prefix}"


def declare_input(
    item: DraftItem,
    inputs: dict[str, InputDecl],
    like: CompiledRuleset | None,
) -> None:
    """Give ``item``'s rule its input: the reference guide's, else a new one in ``inputs``."""
    reused = _reused_input(item, like)
    if reused is not None:
        item.input = reused
        return
    text = _label_text(item.title)
    slug = ascii_slug(text, words=4) or "dieu_kien"
    prefix = _input_prefix(item.id)
    if item.per_event:
        name, kind, label, missing = f"{prefix}_so_{slug}", "count", f"Số lần: {text}", "0"
    else:
        name, kind, label, missing = f"{prefix}_{slug}", "bool", text, "false"
    base, n = name, 2
    while name in inputs:
        name, n = f"{base}_{n}", n + 1
    inputs[name] = InputDecl(name, kind, f"{label} (mục {item.id})", missing)
    item.input = name


def _reused_input(item: DraftItem, like: CompiledRuleset | None) -> str | None:
    """The reference guide's input for the same rule of the same item, if it reads one name."""
    if like is None or item.id not in like.nodes:
        return None
    node = like.nodes[item.id]
    construct = node.construct
    expression = None
    if item.per_event and construct is not None and hasattr(construct, "count"):
        expression = construct.count
    elif not item.per_event and node.when is not None and construct is not None:
        expression = node.when
    if expression is None:
        return None
    source = expression.source.strip()
    return source if source in like.inputs else None


# --------------------------------------------------------------------------------------------
# Rendering


def _scalar(value: str) -> str:
    """A YAML scalar for ``value``: plain when safe, else a JSON (double-quoted) string."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value) and value.lower() not in (
        "true",
        "false",
        "null",
        "yes",
        "no",
        "on",
        "off",
    ):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _number(value: Decimal) -> str:
    return decimal_text(value)


def _item_lines(item: DraftItem, indent: int) -> list[str]:
    pad = " " * indent
    lines = [f"{pad}# {c}" for comment in item.comments for c in comment.split("\n")]
    lines.append(f"{pad}- id: {_scalar(item.id)}")
    inner = pad + "  "
    lines.append(f"{inner}title: {_scalar(item.title)}")
    if item.kind != "score" or (item.amount is not None and item.parent is None):
        lines.append(f"{inner}kind: {item.kind}")
    if item.max is not None:
        lines.append(f"{inner}max: {_number(item.max)}")
    if item.reviewed_by:
        lines.append(f"{inner}reviewed_by: {_scalar(item.reviewed_by)}")
    if item.caps:
        body = ", ".join(f"{k}: {_number(v)}" for k, v in sorted(item.caps.items()))
        lines.append(f"{inner}caps: {{{body}}}")
    if item.combine:
        lines.append(f"{inner}combine: {item.combine}")
    if item.amount is not None and item.input is not None:
        if item.per_event:
            cap = f", cap: {_number(item.cap)}" if item.cap is not None else ""
            lines.append(
                f"{inner}per_event: {{count: {item.input}, points: {_number(item.amount)}{cap}}}"
            )
        else:
            lines.append(f"{inner}points: {_number(item.amount)}")
            lines.append(f"{inner}when: {item.input}")
            if item.cap is not None:
                lines.append(
                    f"{inner}# mức tối đa {_number(item.cap)} của dòng không cần khi chỉ "
                    "cộng/trừ một lần"
                )
    if item.children:
        lines.append(f"{inner}children:")
        for child in item.children:
            lines.extend(_item_lines(child, indent + 4))
    return lines


def render_draft(
    roots: Sequence[DraftItem],
    inputs: dict[str, InputDecl],
    *,
    guide_id: str,
    version: str,
    title: str,
    period: str,
    scale: Decimal,
    source: str,
    notes: Sequence[str],
    reference: CompiledRuleset | None,
    may_exceed: bool,
) -> str:
    """The draft guide as YAML text, with the TODO comments in place."""
    lines = [
        f"# Bản nháp nhập từ bảng {Path(source).name} bằng 'emulation-rules import'.",
        "# Các dòng '# TODO' là những chỗ bản nháp chưa mã hoá được: đọc bảng gốc và viết tiếp.",
        "# Tiêu đề giữ nguyên văn bảng; điểm chuẩn, điểm thưởng, điểm trừ lấy từ các cột điểm.",
    ]
    lines += [f"# {n}" for note in notes for n in note.split("\n")]
    lines += [
        "",
        "format: emulation-rules/v1",
        f"id: {_scalar(guide_id)}",
        f"version: {_scalar(version)}",
        f"title: {_scalar(title)}",
        f"period: {_scalar(period)}",
        f"scale: {_number(scale)}",
        "# Bản nháp: tổng điểm chuẩn của các mục con được báo bằng cảnh báo, không phải lỗi.",
        "children_sum: warn",
    ]
    if may_exceed:
        lines += ["total:", "  may_exceed_scale: true       # bảng có điểm thưởng"]
    lines += ["", "inputs:"]
    if reference is not None:
        lines.append(f"  # Các đầu vào của {reference.id} {reference.version}, giữ nguyên tên.")
        for name, spec in reference.ruleset.inputs.items():
            if name in inputs:
                continue
            dumped = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            body = ", ".join(f"{k}: {_yaml_value(v)}" for k, v in dumped.items())
            lines.append(f"  {name}: {{{body}}}")
    for decl in inputs.values():
        lines += [
            f"  {decl.name}:",
            f"    type: {decl.type}",
            f"    label: {_scalar(decl.label)}",
            f"    missing: {decl.missing}",
        ]
    if not inputs and reference is None:
        lines[-1] = "inputs: {}"
    lines += ["", "criteria:"]
    for root in roots:
        lines.extend(_item_lines(root, 2))
    return "\n".join(lines) + "\n"


def _yaml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_value(v) for v in value) + "]"
    if isinstance(value, str):
        number = parse_decimal(value, decimal_comma=True)
        if number is not None and re.fullmatch(r"-?\d+(\.\d+)?", value):
            return value
        return _scalar(value)
    if value is None:
        return "null"
    return _scalar(str(value))
