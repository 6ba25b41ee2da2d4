"""From a published scoring table (Word or Excel) to a draft guide.

:func:`import_table` finds the scoring table of a file and its header, builds the criteria
tree from the item numbers, keeps every title verbatim, takes maxima from the benchmark column
and bonus and deduction lines from their columns, turns the wording it recognises into rules
("mỗi trường hợp …" → ``per_event``; "tối đa", "không quá", "Tổng điểm trừ của mục … không
quá …" → caps), and declares an input for every rule. What it cannot formalise becomes an
``import-todo`` warning that names the row and column, and a ``# TODO`` comment in the draft.

The stages are small functions over plain values: :func:`find_table` (the table and its
columns), :func:`read_rows` (the body rows), :class:`_Builder` (the tree), :func:`render_draft`
(the YAML text). Nothing here knows a particular guide.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.numbers import parse_decimal
from emulation_rules.authoring._draft import (
    DraftItem,
    InputDecl,
    declare_input,
    finish,
    render_draft,
)
from emulation_rules.authoring._numbering import (
    Number,
    ascii_slug,
    parse_amount,
    parse_number,
)
from emulation_rules.authoring._tablefile import Cell, Grid, TableFileError, read_tables
from emulation_rules.errors import Issue

if TYPE_CHECKING:
    from collections.abc import Sequence

    from emulation_rules.compiler import CompiledRuleset

__all__ = ["Draft", "DraftItem", "TableImportError", "find_table", "import_table", "read_rows"]

Role = Literal["stt", "content", "benchmark", "bonus", "deduction"]
#: The column number of each role (1-based), as the reader found them.
COLUMN_NAMES: dict[str, str] = {
    "stt": "STT",
    "content": "nội dung",
    "benchmark": "điểm chuẩn",
    "bonus": "điểm thưởng",
    "deduction": "điểm trừ",
}


class TableImportError(TableFileError):
    """The file has no scoring table this importer can read."""


# --------------------------------------------------------------------------------------------
# The header


def _words(text: str) -> str:
    """Casefolded text with single spaces and no punctuation around it."""
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(re.findall(r"\w+", text))


_HEADER: tuple[tuple[Role, re.Pattern[str]], ...] = (
    ("bonus", re.compile(r"(điểm )?(thưởng|cộng)( điểm)?")),
    ("deduction", re.compile(r"(điểm )?trừ( điểm)?")),
    ("benchmark", re.compile(r"(điểm )?(chuẩn|tối đa)( điểm)?|điểm|thang điểm|số điểm")),
    ("stt", re.compile(r"stt|tt|số tt|số thứ tự")),
    (
        "content",
        re.compile(r"(nội dung|tiêu chí|tiêu chuẩn|tên tiêu chí|các tiêu chí)( .*)?"),
    ),
)


def _role(text: str) -> Role | None:
    words = _words(text)
    for role, pattern in _HEADER:
        if pattern.fullmatch(words):
            return role
    return None


@dataclass(frozen=True, slots=True)
class Columns:
    """Where each role is in a table (0-based indexes) and where its body starts."""

    roles: dict[Role, int]
    body: int

    def get(self, role: Role) -> int | None:
        """The index of ``role``, or None."""
        return self.roles.get(role)


def _header_at(grid: Grid, index: int) -> Columns | None:
    first = grid.rows[index]
    roles: dict[Role, int] = {}
    generic: list[int] = []
    for column, cell in enumerate(first):
        role = _role(cell.text)
        if role is None:
            continue
        if role == "benchmark" and _words(cell.text) in ("điểm", "số điểm", "thang điểm"):
            generic.append(column)
        roles.setdefault(role, column)
    if "content" not in roles:
        return None
    body = index + 1
    if body < len(grid.rows):  # a second header row: "Điểm" spanning Chuẩn | Thưởng | Trừ
        second = {c: _role(cell.text) for c, cell in enumerate(grid.rows[body])}
        refined = {c: r for c, r in second.items() if r in ("benchmark", "bonus", "deduction")}
        if refined and all(c in generic or first[c].text == "" for c in refined):
            points: tuple[Role, ...] = ("benchmark", "bonus", "deduction")
            for name in points:
                roles.pop(name, None)
            for column, refined_role in sorted(refined.items()):
                if refined_role is not None:
                    roles.setdefault(refined_role, column)
            body += 1
    return Columns(roles, body)


def _find_header(grid: Grid) -> Columns | None:
    """The first header row with a content and a points column, else one with content."""
    found = [_header_at(grid, index) for index in range(min(len(grid.rows), 8))]
    headers = [c for c in found if c is not None and len(c.roles) > 1]
    with_points = [c for c in headers if _has_points(c)]
    chosen = with_points or headers
    return chosen[0] if chosen else None


def _has_points(columns: Columns) -> bool:
    return any(r in columns.roles for r in ("benchmark", "bonus", "deduction"))


def _numbered_rows(grid: Grid, columns: Columns) -> int:
    stt = columns.get("stt")
    if stt is None:
        return 0
    return sum(
        1 for row in grid.rows[columns.body :] if stt < len(row) and parse_number(row[stt].text)
    )


def find_table(
    grids: Sequence[Grid], source: str, *, choose: int | None = None
) -> tuple[Grid, Columns, list[Issue]]:
    """The scoring table among ``grids``: the one with a points column and most numbered rows.

    Raises:
        TableImportError: ``import-no-table`` or ``import-no-points-column``.
    """
    found = [(g, _find_header(g)) for g in grids]
    if choose is not None:
        if not 1 <= choose <= len(grids):
            message = f"tệp có {len(grids)} bảng, không có bảng số {choose}"
            raise TableImportError(message, (Issue("import-no-table", message, source=source),))
        found = [found[choose - 1]]
    candidates = [(g, c) for g, c in found if c is not None and _has_points(c)]
    if not candidates:
        headed = [g.name for g, c in found if c is not None]
        if headed:
            message = (
                f"bảng {headed[0]} có cột nội dung nhưng không có cột điểm "
                "(Điểm chuẩn, Chuẩn, Tối đa, Thưởng, Điểm cộng, Trừ, Điểm trừ)"
            )
            code = "import-no-points-column"
        else:
            message = (
                f"không tìm thấy bảng chấm điểm trong {len(grids)} bảng của tệp: cần một hàng "
                "tiêu đề có cột nội dung (Nội dung, Tiêu chí, Tiêu chuẩn thi đua) và cột điểm"
            )
            code = "import-no-table"
        raise TableImportError(message, (Issue(code, message, source=source),))
    candidates.sort(key=lambda gc: -_numbered_rows(gc[0], gc[1]))
    grid, columns = candidates[0]
    issues = []
    if len(candidates) > 1:
        others = ", ".join(g.name for g, _ in candidates[1:])
        issues.append(
            Issue(
                "import-several-tables",
                f"tệp có {len(candidates)} bảng chấm điểm: đã nhập bảng {grid.name} (nhiều mục "
                f"đánh số nhất), bỏ qua bảng {others}",
                source=source,
                severity="warning",
                hint="chọn bảng khác bằng --table N",
            )
        )
    return grid, columns, issues


# --------------------------------------------------------------------------------------------
# The body rows


@dataclass(frozen=True, slots=True)
class Row:
    """A body row of the scoring table, by role."""

    #: 1-based row of the table (the header rows count).
    line: int
    stt: str
    number: Number | None
    #: The STT cell continues a vertical merge: the row belongs to the item above.
    merged: bool
    title: str
    benchmark: str
    bonus: str
    deduction: str
    columns: Columns

    def column(self, role: Role) -> int:
        """The 1-based column of ``role`` (1 when the table has no such column)."""
        index = self.columns.get(role)
        return 1 if index is None else index + 1

    @property
    def empty(self) -> bool:
        """Whether the row has no text at all."""
        return not (self.stt or self.title or self.benchmark or self.bonus or self.deduction)


def read_rows(grid: Grid, columns: Columns, source: str) -> tuple[list[Row], list[Issue]]:
    """The body rows of the table; merged points cells are ``import-merged-cells`` errors."""
    rows: list[Row] = []
    issues: list[Issue] = []
    content = columns.roles["content"]
    for index in range(columns.body, len(grid.rows)):
        cells = grid.rows[index]

        def text(role: Role, cells: tuple[Cell, ...] = cells) -> str:
            column = columns.get(role)
            if column is None or column >= len(cells):
                return ""
            return cells[column].text

        spans_points = content < len(cells) and cells[content].span > 1
        for role in ("benchmark", "bonus", "deduction"):
            column = columns.get(role)
            if column is None or column >= len(cells) or spans_points:
                continue
            cell = cells[column]
            if cell.merged_up and cell.text:
                issues.append(
                    Issue(
                        "import-merged-cells",
                        f"ô {COLUMN_NAMES[role]} được gộp với ô ở hàng trên ({cell.text!r}): "
                        "không biết điểm thuộc hàng nào",
                        source=source,
                        line=index + 1,
                        column=column + 1,
                        hint="tách ô gộp và ghi điểm vào đúng một hàng",
                    )
                )
        stt_index = columns.get("stt")
        stt_cell = cells[stt_index] if stt_index is not None and stt_index < len(cells) else None
        stt = stt_cell.text if stt_cell is not None and not (stt_cell.span > 1) else ""
        merged = stt_cell is not None and stt_cell.merged_up and bool(stt)
        points = (
            ("", "", "") if spans_points else (text("benchmark"), text("bonus"), text("deduction"))
        )
        rows.append(
            Row(
                line=index + 1,
                stt=stt,
                number=parse_number(stt) if stt else None,
                merged=merged,
                title=text("content"),
                benchmark=points[0],
                bonus=points[1],
                deduction=points[2],
                columns=columns,
            )
        )
    return [r for r in rows if not r.empty], issues


# --------------------------------------------------------------------------------------------
# Wording


_NUM = r"(\d+(?:[.,]\d+)?)"
#: "trừ 0,5 điểm", "cộng 1 điểm", "được + 0,1 điểm", "bị điểm trừ (0,2 điểm)".
_PHRASE = re.compile(
    rf"(?P<verb>trừ|cộng|thưởng|được)\s*\(?\s*(?P<sign>[+\-])?\s*{_NUM}\s*điểm", re.IGNORECASE
)
#: "tối đa 01 điểm", "tối đa là 1 điểm", "không quá 1,5 điểm", "tối đa không quá 0,5 điểm".
_CAP = re.compile(rf"(?:tối đa|không quá)(?:\s+(?:là|không quá))?\s*{_NUM}\s*điểm", re.IGNORECASE)
#: Wording that counts events: "mỗi", "cứ", "/01 trường hợp", "lũy kế", "tính trên".
_PER = re.compile(
    r"\bmỗi\b|\bcứ\b|/\s*0?1\b|\blũy kế\b|\bluỹ kế\b|\btính trên\b|\bđối với 0?1\b|\bcho 0?1\b",
    re.IGNORECASE,
)
#: "(không liên quan đến điểm cộng)": a deduction cap that leaves bonuses alone.
_UNRELATED = re.compile(r"không liên quan đến điểm (cộng|thưởng|trừ)", re.IGNORECASE)
_REFERENCE = re.compile(
    r"(?:(?:đối với|của)\s+)?(?:mục|tiêu chí|tiêu chuẩn)\s+([^\s,;:()]+)|đối với\s+([^\s,;:()]+)",
    re.IGNORECASE,
)
_NOTE_START = ("ghi chú", "*", "(", "lưu ý")
_TOTAL = re.compile(r"(tổng cộng|tổng điểm|tổng số điểm|cộng)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Phrase:
    """Points found in a row's wording."""

    value: Decimal
    cap: Decimal | None
    per_event: bool
    text: str


def _phrases(text: str) -> list[Phrase]:
    """The "trừ/cộng N điểm" phrases of a text, one per clause (split at ';')."""
    found = []
    for clause in re.split(r";", text):
        match = _PHRASE.search(clause)
        if match is None:
            continue
        value = parse_decimal(match.group(3), decimal_comma=True)
        if value is None:  # pragma: no cover - the pattern admits only numbers
            continue
        if match.group("verb").casefold() == "trừ" or match.group("sign") == "-":
            value = -value
        cap = _CAP.search(clause[match.end() :])
        found.append(
            Phrase(
                value,
                parse_decimal(cap.group(1), decimal_comma=True) if cap else None,
                bool(_PER.search(clause)) or cap is not None,
                clause.strip(" -–()\n"),
            )
        )
    return found


def _cap_in(text: str) -> Decimal | None:
    match = _CAP.search(text)
    return parse_decimal(match.group(1), decimal_comma=True) if match else None


# --------------------------------------------------------------------------------------------
# The draft tree


@dataclass(frozen=True, slots=True)
class Draft:
    """The result of an import: the draft's text, its tree and what needs a person."""

    text: str
    roots: tuple[DraftItem, ...]
    issues: tuple[Issue, ...]
    scale: Decimal
    table: str

    @property
    def todos(self) -> tuple[Issue, ...]:
        """The ``import-todo`` warnings."""
        return tuple(i for i in self.issues if i.code == "import-todo")


def _next_letter(owner: DraftItem, used: set[str]) -> str:
    for code in range(ord("a"), ord("z") + 1):
        candidate = f"{owner.basis}.{chr(code)}"
        if candidate.casefold() not in used:
            return candidate
    return _unique(f"{owner.basis}.z", used)


def _unique(ident: str, used: set[str]) -> str:
    candidate, n = ident, 2
    while candidate.casefold() in used:
        candidate, n = f"{ident}_{n}", n + 1
    return candidate


@dataclass
class _Builder:
    """Builds the tree row by row, keeping the open items (the path to the last item)."""

    source: str
    roots: list[DraftItem] = field(default_factory=list)
    stack: list[DraftItem] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    issues: list[Issue] = field(default_factory=list)
    scale: Decimal | None = None
    #: The item each STT text last opened, for rows that repeat or continue it.
    by_stt: dict[str, DraftItem] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    # -- issues ---------------------------------------------------------------------------

    def todo(self, item: DraftItem | None, row: Row, role: Role, message: str) -> None:
        """Record an ``import-todo``: a warning at the row and column, a comment in the draft."""
        column = row.column(role)
        self.issues.append(
            Issue(
                "import-todo",
                message,
                source=self.source,
                line=row.line,
                column=column,
                rule_id=item.id if item is not None else None,
                severity="warning",
            )
        )
        comment = f"TODO (hàng {row.line}, cột {column}): {message}"
        if item is not None:
            item.comments.append(comment)
        else:
            self.notes.append(comment)

    # -- placing --------------------------------------------------------------------------

    def attach(self, item: DraftItem, parent: DraftItem | None) -> None:
        """Add ``item`` under ``parent`` (a root when None) and make it the deepest open item."""
        item.parent = parent
        (parent.children if parent is not None else self.roots).append(item)
        self.used.add(item.id.casefold())
        while self.stack and self.stack[-1] is not parent:
            self.stack.pop()
        self.stack.append(item)

    def _numbered_parent(self, number: Number) -> DraftItem | None:
        """The parent the numbering decides: the nearest prefix, else a sibling's parent."""
        for open_item in reversed(self.stack):
            if open_item.number is not None and number.extends(open_item.number):
                return self._adopting(open_item)
        for open_item in reversed(self.stack):
            if open_item.number is not None and number.follows(open_item.number):
                return self._adopting(open_item.parent)
        if not self.stack:
            return None
        if number.starts_list or not any(i.number for i in self.stack):
            return self._container()
        return self._container()

    def _adopting(self, parent: DraftItem | None) -> DraftItem | None:
        """An unnumbered part ("- Gửi báo cáo …", 2 điểm) of ``parent`` takes the items after it."""
        for open_item in reversed(self.stack):
            if open_item is parent:
                break
            if open_item.parent is parent and open_item.unnumbered and open_item.max is not None:
                return open_item
        return parent

    def _container(self) -> DraftItem | None:
        """The deepest open item that may take children (not a bonus or deduction line)."""
        for open_item in reversed(self.stack):
            if open_item.amount is None and not open_item.marked:
                return open_item
        return None

    def _identify(self, number: Number, title: str, parent: DraftItem | None) -> str:
        ident = number.id
        if parent is None and number.style == ("digit",) and _words(title).startswith("tiêu chuẩn"):
            ident = f"TC{number.id}"
        if ident.casefold() in self.used:
            basis = parent.basis if parent is not None else ""
            ident = _unique(f"{basis}.{number.id}" if basis else number.id, self.used)
        return ident

    # -- rows -----------------------------------------------------------------------------

    def add(self, row: Row) -> None:
        """Place one body row."""
        if row.number is None and _TOTAL.match(row.title) and not row.stt:
            total = parse_amount(row.benchmark)
            if total is not None:
                if self.scale is None:
                    self.scale = total.value
                return
        owner = self.by_stt.get(row.stt) if row.stt and row.number is not None else None
        if owner is not None and (row.merged or owner is self._last_numbered()):
            self.sub_row(row, owner)
        elif row.number is not None or row.stt:
            self.numbered(row)
        else:
            self.unnumbered(row)

    def _last_numbered(self) -> DraftItem | None:
        for open_item in reversed(self.stack):
            if not open_item.unnumbered:
                return open_item
        return None

    def numbered(self, row: Row) -> None:
        """A row with its own STT."""
        number = row.number
        if number is None:  # an STT that is not a number ("d1.2-d1.5"): keep it as the id
            head = parse_number(re.split(r"[-–/ ]", row.stt, maxsplit=1)[0])
            parent = self._numbered_parent(head) if head is not None else self._container()
            base = re.sub(r"[^A-Za-z0-9._-]+", "_", row.stt).strip("._-") or "muc"
            ident = _unique(base, self.used)
        else:
            parent = self._numbered_parent(number)
            ident = self._identify(number, row.title, parent)
        item = DraftItem(ident, row.title, row.line, number)
        self.fill(item, row)
        self.attach(item, parent)
        self.by_stt[row.stt] = item

    def fill(self, item: DraftItem, row: Row) -> None:
        """Maximum, bonus and deduction of an item from its row's cells and wording."""
        benchmark = parse_amount(row.benchmark) if row.benchmark else None
        if row.benchmark and benchmark is None:
            self.todo(item, row, "benchmark", f"ô điểm chuẩn {row.benchmark!r} không phải số")
        if benchmark is not None:
            item.max = abs(benchmark.value)
        amounts: list[tuple[Role, Decimal]] = []
        for role in ("bonus", "deduction"):
            text = row.bonus if role == "bonus" else row.deduction
            if not text:
                continue
            amount = parse_amount(text)
            if amount is None:
                item.kind = "bonus" if role == "bonus" else "deduction"
                item.marked = True
                self.todo(
                    item,
                    row,
                    role,
                    f"ô {COLUMN_NAMES[role]} ghi {text!r}, không phải một số điểm: viết quy tắc",
                )
                continue
            value = amount.value
            if role == "deduction" and not amount.signed:
                value = -abs(value)
            if role == "bonus" and value < 0:
                self.todo(
                    item,
                    row,
                    role,
                    f"cột Thưởng ghi số âm {text!r}: bản nháp hiểu là điểm trừ "
                    f"{decimal_text(value)}",
                )
            amounts.append((role, value))
        if item.max is not None and amounts:
            shown = ", ".join(f"{COLUMN_NAMES[r]} {decimal_text(v)}" for r, v in amounts)
            self.todo(
                item,
                row,
                amounts[0][0],
                f"dòng có điểm chuẩn lại ghi {shown}, không có dòng cộng/trừ riêng: "
                "viết quy tắc (hoặc bỏ nếu đó là mức cộng/trừ tối đa của các dòng con)",
            )
            return
        if len(amounts) > 1:
            item.kind = "adjustment"
            self.todo(item, row, "bonus", "dòng ghi cả điểm thưởng và điểm trừ: viết quy tắc")
            return
        if amounts:
            self.amount_line(item, row, amounts[0][1], amounts[0][0])
        elif item.max is None and not item.marked:
            phrases = _phrases(row.title)
            if len(phrases) == 1:
                phrase = phrases[0]
                item.kind = "bonus" if phrase.value > 0 else "deduction"
                item.amount, item.cap, item.per_event = phrase.value, phrase.cap, phrase.per_event
                item.comments.append(
                    f"Điểm lấy từ lời văn (hàng {row.line}): {decimal_text(phrase.value)}"
                )

    def amount_line(self, item: DraftItem, row: Row, value: Decimal, role: Role) -> None:
        """A bonus or deduction line: its points, whether per event, and its cap."""
        item.kind = "bonus" if value > 0 else "deduction"
        item.amount = value
        item.cap = _cap_in(row.title)
        # a line with its own maximum is one that repeats: "tối đa" means "per event, capped"
        item.per_event = bool(_PER.search(row.title)) or item.cap is not None
        phrases = _phrases(row.title)
        if item.cap is not None and abs(value) == item.cap and phrases:
            per = [p for p in phrases if abs(p.value) != item.cap]
            if per and item.per_event:  # the column shows the cap; the wording the step
                item.amount = per[0].value if value > 0 else -abs(per[0].value)
                self.todo(
                    item,
                    row,
                    role,
                    f"ô ghi {decimal_text(value)} là mức tối đa; lời văn cho mỗi lần "
                    f"{decimal_text(abs(item.amount))} điểm: bản nháp theo lời văn",
                )
        if value == 0:
            self.todo(item, row, role, "điểm cộng/trừ bằng 0: viết quy tắc")

    def sub_row(self, row: Row, owner: DraftItem) -> None:
        """A row that continues ``owner`` (merged or repeated STT)."""
        self.part(row, owner)

    def unnumbered(self, row: Row) -> None:
        """A row without STT: a part of an item, a line, a cap note, or a note."""
        benchmark = parse_amount(row.benchmark) if row.benchmark else None
        if benchmark is not None:
            for open_item in reversed(self.stack):
                if open_item.max is not None and open_item.max >= abs(benchmark.value):
                    self.part(row, open_item)
                    return
            self.todo(None, row, "benchmark", "dòng không có STT, điểm chuẩn lớn hơn mọi mục")
            return
        if row.bonus or row.deduction:
            owner = self._container()
            if owner is None:
                self.todo(None, row, "content", "dòng điểm cộng/trừ không thuộc mục nào")
                return
            self.line_under(owner, row)
            return
        self.note(row)

    def line_under(self, owner: DraftItem, row: Row) -> None:
        """A bonus or deduction row without STT: a child of ``owner`` with a letter id."""
        item = DraftItem(_next_letter(owner, self.used), row.title, row.line, unnumbered=True)
        self.fill(item, row)
        item.parent = owner
        owner.children.append(item)
        self.used.add(item.id.casefold())

    def part(self, row: Row, owner: DraftItem) -> None:
        """A row that belongs to ``owner``: a level, a restated benchmark, or lines."""
        benchmark = parse_amount(row.benchmark) if row.benchmark else None
        if benchmark is None:
            if row.bonus or row.deduction:
                self.line_under(owner, row)
            elif not self.wording_lines(owner, row):
                self.note(row, owner)
            return
        value = abs(benchmark.value)
        if value == 0:
            extra = f" (ô điểm trừ ghi {row.deduction!r})" if row.deduction else ""
            target = (
                owner.children[-1]
                if owner.children and owner.children[-1].unnumbered and owner.children[-1].max
                else owner
            )
            self.todo(
                target,
                row,
                "benchmark",
                f"dòng {row.title!r} cho 0 điểm{extra}: viết điều kiện đạt (met) hoặc "
                "mất điểm (forfeit_if)",
            )
            return
        if owner.max is not None and value == owner.max:
            if not self.wording_lines(owner, row):
                owner.comments.append(f"Điều kiện đạt điểm chuẩn (hàng {row.line}): {row.title}")
                self.todo(owner, row, "content", "điều kiện đạt điểm chuẩn: viết 'met' nếu cần")
            return
        if owner.max is not None and value > owner.max:
            self.todo(owner, row, "benchmark", f"dòng con ghi {value} điểm, hơn điểm chuẩn của mục")
            return
        item = DraftItem(_next_letter(owner, self.used), row.title, row.line, unnumbered=True)
        item.max = value
        self.attach(item, owner)
        self.wording_lines(item, row)

    def wording_lines(self, owner: DraftItem, row: Row) -> bool:
        """Bonus or deduction lines written in words in a row; whether there were any."""
        if row.title.casefold().startswith(_NOTE_START):
            return False
        phrases = _phrases(row.title)
        for phrase in phrases:
            item = DraftItem(_next_letter(owner, self.used), phrase.text, row.line, unnumbered=True)
            item.kind = "bonus" if phrase.value > 0 else "deduction"
            item.amount, item.cap, item.per_event = phrase.value, phrase.cap, phrase.per_event
            item.comments.append(f"Điểm lấy từ lời văn (hàng {row.line}): {row.title}")
            item.parent = owner
            owner.children.append(item)
            self.used.add(item.id.casefold())
        return bool(phrases)

    def note(self, row: Row, context: DraftItem | None = None) -> None:
        """A row of text only: a cap, who reviews, the continuation of a cell, or a remark."""
        text = row.title
        cap = _cap_in(text)
        words = _UNRELATED.sub("", text).casefold()
        verbs = "trừ" in words or "cộng" in words or "thưởng" in words
        if cap is not None and verbs and not _PHRASE.search(text):
            self.cap_note(row, cap, words, context)
            return
        if context is None and not text.casefold().startswith(_NOTE_START) and _PHRASE.search(text):
            owner = self._container()
            if owner is not None and self.wording_lines(owner, row):
                return
        if text[:1].islower() and self.stack:
            last = self.stack[-1]
            last.title = f"{last.title}\n{text}"
            self.issues.append(
                Issue(
                    "import-split-row",
                    f"hàng {row.line} không có STT, không có điểm và bắt đầu bằng chữ thường: "
                    f"ghép vào nội dung của mục {last.id} ở hàng trên",
                    source=self.source,
                    line=row.line,
                    column=row.column("content"),
                    rule_id=last.id,
                    severity="warning",
                    hint="nếu đây là một mục riêng, ghi STT cho nó trong bảng",
                )
            )
            return
        reviewer = re.match(r"^\(?\s*(.+?)\s+theo dõi, kiểm tra, đánh giá\s+(.+?)\)?\.?$", text)
        if reviewer is not None:
            target = self._reference(reviewer.group(2), context)
            if target is not None and ";" not in reviewer.group(2):
                target.reviewed_by = reviewer.group(1).strip()
                return
        owner = context or (self.stack[-1] if self.stack else None)
        comment = f"Ghi chú của bảng (hàng {row.line}): {text}"
        if owner is not None:
            owner.comments.append(comment)
        else:
            self.notes.append(comment)
        if re.search(rf"{_NUM}\s*điểm", text):
            self.todo(owner, row, "content", "ghi chú có số điểm mà bản nháp chưa mã hoá")

    def _reference(self, text: str, context: DraftItem | None) -> DraftItem | None:
        match = _REFERENCE.search(text)
        if match is not None:
            ref = (match.group(1) or match.group(2) or "").rstrip(".")
        else:
            words = text.split()
            ref = words[0].rstrip(".,;") if len(words) == 1 else ""
        if not ref:
            return context
        number = parse_number(ref)
        for root in self.roots:
            for item in root.walk():
                if item.id == ref:
                    return item
        if number is not None:
            for root in self.roots:
                for item in root.walk():
                    if item.number is not None and item.number.keys == number.keys:
                        return item
        return context

    def cap_note(self, row: Row, cap: Decimal, words: str, context: DraftItem | None) -> None:
        """A cap note: "Tổng điểm trừ của mục a1 không quá 1,5 điểm" and the like."""
        fallback = context or self._scored()
        target = self._reference(row.title, fallback)
        if target is None:
            self.todo(None, row, "content", "mức tối đa không chỉ rõ mục nào")
            return
        deduct = "trừ" in words
        bonus = "cộng" in words or "thưởng" in words
        if target.amount is not None:
            target.cap = cap
            target.per_event = True  # a line with its own maximum repeats
        else:
            key = "adjustments" if deduct and bonus else "deductions" if deduct else "bonuses"
            target.caps[key] = cap
        target.comments.append(f"Ghi chú của bảng (hàng {row.line}): {row.title}")

    def _scored(self) -> DraftItem | None:
        for open_item in reversed(self.stack):
            if open_item.max is not None:
                return open_item
        return None


# --------------------------------------------------------------------------------------------
# The entry point


def import_table(
    path: str | Path,
    *,
    table: int | None = None,
    like: CompiledRuleset | None = None,
    guide_id: str | None = None,
) -> Draft:
    """Read the scoring table of a .docx or .xlsx file into a draft guide.

    Args:
        path: the Word or Excel file.
        table: the 1-based number of the table (sheet) to read, when the file has several.
        like: a guide whose id, version, period and inputs the draft takes (its submissions
            then fit the draft, so ``emulation-rules diff`` compares the two on them).
        guide_id: the draft's id (default: from the file name).

    Raises:
        TableFileError: the file cannot be read, has no scoring table, or has merged points
            cells (every such error at once).
    """
    source = str(path)
    grids = read_tables(path)
    grid, columns, issues = find_table(grids, source, choose=table)
    rows, row_issues = read_rows(grid, columns, source)
    if row_issues:
        message = f"bảng {grid.name} có ô điểm bị gộp qua nhiều hàng"
        raise TableImportError(message, tuple(row_issues))
    builder = _Builder(source)
    for row in rows:
        builder.add(row)
    all_issues = [*issues, *builder.issues]
    for root in builder.roots:
        finish(root, all_issues, source)
    inputs: dict[str, InputDecl] = {}
    for root in builder.roots:
        for item in root.walk():
            if item.amount is not None:
                declare_input(item, inputs, like)
    top = sum((r.max for r in builder.roots if r.max is not None), Decimal(0))
    scale = builder.scale if builder.scale is not None else top
    if scale != top:
        all_issues.append(
            Issue(
                "import-todo",
                f"dòng tổng ghi {decimal_text(scale)} nhưng các mục lớn cộng lại "
                f"{decimal_text(top)}",
                source=source,
                severity="warning",
            )
        )
    stem = Path(source).stem
    ident = guide_id or (
        like.id
        if like
        else re.sub(r"[^a-z0-9]+", "-", ascii_slug(stem, words=12)).strip("-") or "huong-dan"
    )
    year = re.search(r"(19|20)\d{2}", stem)
    text = render_draft(
        builder.roots,
        inputs,
        guide_id=ident,
        version=like.version if like else "nhap",
        title=like.ruleset.title
        if like
        else f"Hướng dẫn chấm điểm (bản nháp từ {Path(source).name})",
        period=like.ruleset.period if like else (year.group() if year else "nhap"),
        scale=scale or Decimal(100),
        source=source,
        notes=builder.notes,
        reference=like,
        may_exceed=any(item.kind == "bonus" for root in builder.roots for item in root.walk()),
    )
    return Draft(text, tuple(builder.roots), tuple(all_issues), scale, grid.name)
