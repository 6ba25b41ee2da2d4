"""A filled submission workbook, read into submissions as strictly as YAML and JSON.

The layout it reads (sheets, rows, keys) is :mod:`emulation_rules.inputs.workbook_layout`, the
one :mod:`emulation_rules.inputs.workbook_template` writes.

Numbers are exact. Excel stores numbers as binary floats, so a number cell is read through the
shortest decimal that gives the same float (what Excel shows, and what was typed): ``95.5`` is
``Decimal("95.5")``. A float that needs more than 15 significant digits was not typed (Excel
keeps 15): it is the result of a formula or a pasted computation, and it is refused with
``number-format``, like formulas themselves, cells formatted as percentages (Excel stores
``95.5%`` as ``0.955``) and a date with a time. Text cells go through the same rules as YAML
text: ``"95,5"`` is a ``number-format`` error. Every problem names the workbook, the row and the
column (``form.xlsx:7:4``), and the message, in Vietnamese, names the sheet and the cell
(``trang 'Đơn vị', ô D7``).

Workbooks as offices make them are read: LibreOffice's ``TRUE()``/``FALSE()`` are booleans;
keys are written with ``_x`` escaped as ``_x005F_x`` and repaired when a reader decoded them
anyway (:func:`repair_key`); a TRUE/FALSE column takes ``true``, ``Có``/``Không``,
``Đúng``/``Sai`` in any case and a date column a text date typed day first (``05/6/2022``), as
the inputs table of the guide sheet says which column is which; spaces around a value are
removed with a ``value-trimmed`` warning; a renamed sheet is found by its key row; a merged
range over units' cells is ``merged-cells``. Before anything is read, the bounds of
:mod:`emulation_rules._support.workbook_bounds` are checked, and the workbook is then read in
openpyxl's read-only mode within the rows and columns that hold values.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.documents import pydantic_issues
from emulation_rules._support.workbook_bounds import (
    MAX_CELL_TEXT,
    MAX_ROWS,
    SheetFacts,
    inspect_workbook,
)
from emulation_rules._support.xlsx import (
    MissingDependencyError,
    cell_number,
    column_letter,
    require_openpyxl,
)
from emulation_rules._support.yaml import Positions, YamlDocument
from emulation_rules.errors import EmulationRulesError, Issue, Severity
from emulation_rules.inputs.submissions import Rejected, Submission, SubmissionBatch
from emulation_rules.inputs.workbook_layout import (
    EVIDENCE_KEY,
    FIRST_ROW,
    KEY_ROW,
    LABEL_ROW,
    META_KEYS,
    SHEET_GUIDE,
    SHEET_SELF,
    SHEET_UNITS,
    TYPE_WORDS,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet


__all__ = ["cell_name", "read_workbook", "repair_key"]


# --------------------------------------------------------------------------------------------
# Reading a filled workbook


#: What a person types for TRUE and FALSE in a TRUE/FALSE column, in any case.
_TRUE_WORDS = frozenset({"true", "có", "đúng"})
_FALSE_WORDS = frozenset({"false", "không", "sai"})
#: ``TRUE()`` and ``FALSE()``: how LibreOffice saves a TRUE or FALSE that was typed.
_BOOL_FORMULA = re.compile(r"=\s*(TRUE|FALSE)\s*\(\s*\)\s*", re.IGNORECASE)
#: A date typed the Vietnamese way, day first: 05/6/2022, 5-6-2022, 05.06.2022.
_DMY = re.compile(r"([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4})")
#: OOXML's escape of a character in a text: ``_x000A_``; ``_x005F_`` is the underscore.
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
#: The characters of a key; any other one in a key row was decoded from ``_x…_`` by a reader.
_KEY_CHARS = re.compile(r"[A-Za-z0-9_.:-]")
#: The type of each input, from the words of the "Kiểu" column of the inputs table.
_TYPE_OF_WORDS = {words: kind for kind, words in TYPE_WORDS.items()}


class _CellProblem(Exception):  # noqa: N818 - internal signal, turned into an Issue
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def cell_name(sheet: str, row: int, column: int) -> str:
    """``trang 'Đơn vị', ô D7``: how messages name a cell."""
    return f"trang '{sheet}', ô {column_letter(column)}{row}"


def repair_key(text: str) -> str:
    r"""A key read from a key row, with escapes decoded and decoded characters put back.

    A key is ASCII; a character outside its alphabet was made by a reader that decoded
    ``_xHHHH_`` (LibreOffice turns ``_xa_`` into a line break), so it is written back as
    ``_x`` + its hex code + ``_`` (lower case, as keys are written).

    Example:
        >>> repair_key("c3_2_so\nkhong"), repair_key("so_x005F_xa_khong")
        ('c3_2_so_xa_khong', 'so_xa_khong')
    """
    text = _ooxml_text(text).strip(" ")
    return "".join(c if _KEY_CHARS.fullmatch(c) else f"_x{ord(c):x}_" for c in text)


def _ooxml_text(text: str) -> str:
    """Decode OOXML's ``_xHHHH_`` escapes, which openpyxl leaves in shared texts."""
    if "_x" not in text:
        return text
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _convert(cell: Any, kind: str | None) -> Any:
    """The value of a cell as the YAML reader would give it; None for an empty cell.

    ``kind`` is the input's type when the workbook names it (the inputs table of the guide
    sheet): a TRUE/FALSE column also takes Có/Không and Đúng/Sai, a date column takes a date
    typed day first as text (05/6/2022).
    """
    value = cell.value
    if value is None:
        return None
    if isinstance(value, str) and cell.data_type == "f":
        match = _BOOL_FORMULA.fullmatch(value)
        if match:
            return match.group(1).upper() == "TRUE"
    if cell.data_type == "f" or type(value).__name__ in ("ArrayFormula", "DataTableFormula"):
        shown = value if isinstance(value, str) else "một công thức"
        raise _CellProblem(
            "value-type", f"ô chứa công thức ({shown}); hãy gõ chính giá trị, không dùng công thức"
        )
    if cell.data_type == "e":
        raise _CellProblem("value-type", f"ô đang báo lỗi Excel {value}")
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return _number_cell(cell, value)
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0, 0):
            raise _CellProblem(
                "date-format", f"ô chứa ngày kèm giờ ({value}); chỉ ghi ngày, không ghi giờ"
            )
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, dt.time | dt.timedelta):
        raise _CellProblem("date-format", f"ô chứa giờ ({value}), không phải một ngày")
    if isinstance(value, str):
        return _text_cell(_ooxml_text(value), kind)
    raise _CellProblem("value-type", f"ô chứa một giá trị loại khác ({value!r})")


def _number_cell(cell: Any, value: float) -> Any:
    if "%" in str(cell.number_format):
        raise _CellProblem(
            "number-format",
            "ô được định dạng phần trăm nên Excel lưu 95,5% thành 0,955; bỏ định dạng % và gõ 95,5",
        )
    if isinstance(value, int):
        return value
    number = cell_number(value)
    if number is None:
        raise _CellProblem(
            "number-format",
            f"ô chứa số nhị phân {value!r}, không phải số được gõ (kết quả công thức hay số "
            "dán vào?); hãy gõ số",
        )
    return number


def _text_cell(value: str, kind: str | None) -> Any:
    if len(value) > MAX_CELL_TEXT:
        raise _CellProblem(
            "cell-too-long",
            f"ô dài {len(value):,} ký tự; Excel chỉ giữ tối đa {MAX_CELL_TEXT:,} ký tự một ô",
        )
    if not value.strip():
        return None
    word = value.strip().lower()
    if kind == "bool" or (kind is None and value.strip() in ("TRUE", "FALSE")):
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    if kind == "date":
        match = _DMY.fullmatch(value.strip())
        if match:
            day, _sep, month, year = match.groups()
            try:
                return dt.date(int(year), int(month), int(day))
            except ValueError:
                raise _CellProblem(
                    "date-format", f"{value.strip()} không phải một ngày có thật (ngày/tháng/năm)"
                ) from None
    return value


def _text(value: Any) -> Any:
    """Identity cells (unit id, name, evidence): whole numbers become their text, trimmed."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


@dataclass
class _Row:
    """One unit's row, as the YAML reader would give it, with where each value came from."""

    row: int
    raw: dict[str, Any]
    positions: dict[tuple[str | int, ...], tuple[int, int]] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)
    problems: list[Issue] = field(default_factory=list)
    notes: list[Issue] = field(default_factory=list)


@dataclass
class _Sheets:
    """The sheets of a filled workbook, found by title or, if renamed, by their key rows."""

    guide: Any = None
    units: Any = None
    own: Any = None
    titles: dict[str, str] = field(default_factory=dict)


@dataclass
class _Reader:
    name: str
    facts: dict[str, SheetFacts] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    #: The type of each input, from the inputs table of the guide sheet.
    kinds: dict[str, str] = field(default_factory=dict)

    def file_issue(
        self,
        code: str,
        message: str,
        row: int | None = None,
        column: int = 1,
        severity: Severity = "error",
    ) -> None:
        self.issues.append(
            Issue(
                code,
                message,
                source=self.name,
                line=row,
                column=column if row else None,
                severity=severity,
            )
        )

    def extent(self, title: str) -> tuple[int, int]:
        """The last row and column of a sheet that hold a value (see _workbook_bounds)."""
        found = self.facts.get(title)
        return (found.last_row, found.last_column) if found else (0, 0)

    def row_cells(self, sheet: Worksheet, row: int) -> tuple[Any, ...]:
        last_row, last_column = self.extent(sheet.title)
        if row > last_row or last_column == 0:
            return ()
        return next(sheet.iter_rows(min_row=row, max_row=row, max_col=last_column), ())

    def keys(self, sheet: Worksheet, title: str) -> dict[int, tuple[str, str]]:
        """Column index → (key, label) from the key row; duplicate keys are reported."""
        found: dict[int, tuple[str, str]] = {}
        seen: dict[str, int] = {}
        labels = {column: c.value for column, c in enumerate(self.row_cells(sheet, LABEL_ROW), 1)}
        for column, cell in enumerate(self.row_cells(sheet, KEY_ROW), start=1):
            if not isinstance(cell.value, str) or not cell.value.strip():
                continue
            key = repair_key(cell.value)
            if key in seen:
                self.file_issue(
                    "duplicate-key",
                    f"mã {key!r} đứng đầu hai cột của trang '{title}' "
                    f"({column_letter(seen[key])} và {column_letter(column)})",
                    KEY_ROW,
                    column,
                )
                continue
            seen[key] = column
            label = labels.get(column)
            shown = str(label).rstrip(" *") if isinstance(label, str) and label.strip() else key
            found[column] = (key, shown)
        return found

    def key_set(self, sheet: Worksheet) -> set[str]:
        return {
            repair_key(c.value) for c in self.row_cells(sheet, KEY_ROW) if isinstance(c.value, str)
        }

    def sheets(self, workbook: Workbook) -> _Sheets:
        """Find the three sheets; a renamed one is found by its key row, with a warning."""
        found = _Sheets()
        names = workbook.sheetnames
        for title in names:
            sheet = workbook[title]
            if title == SHEET_GUIDE or (found.guide is None and self.guide_keys(sheet)):
                found.guide = sheet
        for title in names:
            sheet = workbook[title]
            if sheet is found.guide:
                continue
            keys = self.key_set(sheet)
            if "unit_id" not in keys:
                continue
            if title == SHEET_UNITS or (found.units is None and "name" in keys):
                found.units = sheet
            elif title == SHEET_SELF or (found.own is None and "name" not in keys):
                found.own = sheet
        for sheet, title in ((found.guide, SHEET_GUIDE), (found.units, SHEET_UNITS)):
            if sheet is not None and sheet.title != title:
                self.file_issue(
                    "sheet-renamed",
                    f"không có trang '{title}'; đọc trang '{sheet.title}', có dòng mã của "
                    f"trang '{title}'",
                    severity="warning",
                )
        if found.own is not None and found.own.title != SHEET_SELF:
            self.file_issue(
                "sheet-renamed",
                f"không có trang '{SHEET_SELF}'; đọc trang '{found.own.title}', có dòng mã "
                f"của trang '{SHEET_SELF}'",
                severity="warning",
            )
        return found

    def guide_rows(self, sheet: Worksheet, limit: int) -> Iterator[tuple[Any, ...]]:
        last_row, last_column = self.extent(sheet.title)
        if last_row == 0:
            return iter(())
        rows = sheet.iter_rows(min_row=1, max_row=min(last_row, limit), max_col=last_column)
        return (tuple(c.value for c in row) for row in rows)

    def guide_keys(self, sheet: Worksheet) -> bool:
        return any(
            len(row) >= 3 and isinstance(row[2], str) and row[2].strip() == META_KEYS[0]
            for row in self.guide_rows(sheet, 40)
        )

    def meta(self, sheet: Worksheet | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if sheet is None:
            return values
        in_table = False
        for row in self.guide_rows(sheet, MAX_ROWS):
            if len(row) < 3:
                continue
            key = row[2]
            if isinstance(key, str) and key.strip() in META_KEYS and key.strip() not in values:
                value = row[1]
                if isinstance(value, int | float) and not isinstance(value, bool):
                    number = cell_number(float(value))
                    value = decimal_text(number) if number is not None else repr(value)
                values[key.strip()] = value.strip() if isinstance(value, str) else value
            if row[0] == _INPUTS_HEADER:
                in_table = True
            elif in_table and isinstance(row[0], str) and isinstance(row[2], str):
                kind = _TYPE_OF_WORDS.get(row[2])
                if kind is not None:
                    self.kinds[repair_key(row[0])] = kind
        return values

    def rows(self, sheet: Worksheet, role: str) -> list[_Row]:
        title = sheet.title
        keys = self.keys(sheet, title)
        if "unit_id" not in {k for k, _ in keys.values()}:
            self.file_issue(
                "missing-field",
                f"trang '{title}' không có cột mang mã 'unit_id' ở dòng {KEY_ROW}; "
                "giữ nguyên hai dòng tiêu đề của mẫu",
                KEY_ROW,
            )
            return []
        last_row, last_column = self.extent(title)
        merged = _merged_cells(self.facts[title].merged, (last_row, last_column))
        out: list[_Row] = []
        if last_row < FIRST_ROW:
            return out
        rows = sheet.iter_rows(min_row=FIRST_ROW, max_row=last_row, max_col=last_column)
        for row, cells in enumerate(rows, start=FIRST_ROW):
            if all(
                c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in cells
            ):
                continue
            unit = _Row(row, {})
            for column, cell in enumerate(cells, start=1):
                if column in keys:
                    self.read_cell(unit, (title, row, column), cell, keys[column], role)
                    if (row, column) in merged:
                        self.merged_problem(unit, (title, row, column), merged, keys[column], role)
            out.append(unit)
        return out

    def merged_problem(
        self,
        unit: _Row,
        where_: tuple[str, int, int],
        merged: dict[tuple[int, int], str],
        key_label: tuple[str, str],
        role: str,
    ) -> None:
        title, row, column = where_
        key, label = key_label
        unit.problems.append(
            Issue(
                "merged-cells",
                f"{label}: ô {column_letter(column)}{row} nằm trong vùng ô gộp "
                f"{merged[row, column]}, nên không có giá trị riêng (giá trị chỉ thuộc ô đầu "
                f"vùng); bỏ gộp ô và ghi giá trị cho từng đơn vị ({cell_name(title, row, column)})",
                source=self.name,
                path=_path_of(key, role),
                line=row,
                column=column,
            )
        )

    def read_cell(
        self,
        unit: _Row,
        where_: tuple[str, int, int],
        cell: Any,
        key_label: tuple[str, str],
        role: str,
    ) -> None:
        title, row, column = where_
        key, label = key_label
        where = cell_name(title, row, column)
        path = _path_of(key, role)
        if key == "unit_id":
            unit.positions[()] = (row, column)
        slot = _slot(path)
        assert slot is not None
        unit.positions[path] = (row, column)
        unit.cells[slot] = where
        kind = self.kinds.get(key) if path[0] == "values" else None
        try:
            value = _convert(cell, kind)
        except _CellProblem as problem:
            unit.problems.append(
                Issue(
                    problem.code,
                    f"{label}: {problem.message} ({where})",
                    source=self.name,
                    path=path,
                    line=row,
                    column=column,
                )
            )
            return
        if value is None:
            return
        if key in ("unit_id", "name"):
            unit.raw[key] = _text(value)
        elif path[0] == "evidence":
            text = _text(value)
            notes = [line.strip() for line in str(text).splitlines() if line.strip()]
            if notes:
                unit.raw.setdefault("evidence", {})[path[1]] = notes
        else:
            if isinstance(value, str) and value != value.strip():
                value = value.strip()
                unit.notes.append(
                    Issue(
                        "value-trimmed",
                        f"{label}: bỏ khoảng trắng thừa ở đầu hoặc cuối ô, đọc là {value!r} "
                        f"({where})",
                        source=self.name,
                        path=path,
                        line=row,
                        column=column,
                        severity="warning",
                    )
                )
            unit.raw.setdefault(str(path[0]), {})[path[1]] = value


#: The first cell of the header row of the inputs table on the guide sheet.
_INPUTS_HEADER = "Mã trường"


def _path_of(key: str, role: str) -> tuple[str, ...]:
    """Where a column's value goes; ``role`` is the sheet's part (its title in the template)."""
    if key in ("unit_id", "name"):
        return (key,)
    if key.startswith(EVIDENCE_KEY):
        return ("evidence", key.removeprefix(EVIDENCE_KEY))
    return ("self_scores", key) if role == SHEET_SELF else ("values", key)


def _merged_cells(ranges: list[str], extent: tuple[int, int]) -> dict[tuple[int, int], str]:
    """The data cells that a merge leaves without a value (all but the first), by range."""
    out: dict[tuple[int, int], str] = {}
    last_row, last_column = extent
    utils = require_openpyxl().utils
    for ref in ranges:
        try:
            low_col, low_row, high_col, high_row = utils.cell.range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        if high_row is None or low_row is None or low_col is None or high_col is None:
            continue
        for row in range(max(low_row, FIRST_ROW), min(high_row, last_row) + 1):
            for column in range(low_col, min(high_col, last_column) + 1):
                if (row, column) != (low_row, low_col):
                    out[row, column] = ref
    return out


def read_workbook(source: str | Path) -> SubmissionBatch:
    """Read a filled submission workbook into submissions, like :func:`load_submissions`.

    A unit whose row has a wrong cell is rejected with issues naming the sheet and the cell;
    the other units are read. A workbook that cannot be read, or that is larger than the
    bounds of :mod:`emulation_rules._support.workbook_bounds` (checked before it is read), gives
    file-level issues.

    Without openpyxl, the batch has one ``missing-dependency`` issue.
    """
    name = str(source)
    reader = _Reader(name)
    try:
        openpyxl = require_openpyxl()
    except MissingDependencyError as exc:
        return SubmissionBatch((), (), tuple(i.evolve(source=name) for i in exc.issues))
    path = Path(source)
    if not path.is_file():
        reader.file_issue("file-not-found", f"{name} không tồn tại hoặc không phải một tệp")
        return SubmissionBatch((), (), tuple(reader.issues))
    try:
        reader.facts, problem = inspect_workbook(path)
        if problem is not None:
            reader.file_issue(problem.code, problem.message)
            return SubmissionBatch((), (), tuple(reader.issues))
        with warnings.catch_warnings():
            # openpyxl warns about Excel features it does not read (extensions, styles): they
            # carry no values, and a warning must not stop a submission from being read
            warnings.simplefilter("ignore", UserWarning)
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - a corrupt workbook raises many kinds of errors
        reader.file_issue(
            "file-not-found",
            f"không đọc được {name} như một bảng tính Excel (.xlsx): {type(exc).__name__}",
        )
        return SubmissionBatch((), (), tuple(reader.issues))
    try:
        return _read(workbook, reader)
    except EmulationRulesError:
        raise
    except Exception as exc:  # noqa: BLE001 - read-only openpyxl parses sheets as they are read
        # a sheet whose XML is broken fails only when its rows are reached, with whatever
        # exception its parser raises (ValueError for a bad attribute, ParseError, KeyError)
        reader.issues.clear()
        reader.file_issue(
            "file-not-found",
            f"không đọc được {name} như một bảng tính Excel (.xlsx): một trang bị hỏng "
            f"({type(exc).__name__})",
        )
        return SubmissionBatch((), (), tuple(reader.issues))
    finally:
        workbook.close()


def _read(workbook: Workbook, reader: _Reader) -> SubmissionBatch:
    sheets = reader.sheets(workbook)
    meta = reader.meta(sheets.guide)
    missing = [k for k in ("ruleset", "ruleset_version") if not meta.get(k)]
    if missing:
        reader.file_issue(
            "missing-field",
            f"bảng tính không ghi hướng dẫn mà nó trả lời: trang '{SHEET_GUIDE}' phải giữ "
            f"{' và '.join(missing)} ở cột B, cạnh mã ở cột C",
        )
    if sheets.units is None:
        reader.file_issue(
            "missing-field",
            f"bảng tính không có trang '{SHEET_UNITS}' (trang có mã unit_id và name ở dòng "
            f"{KEY_ROW})",
        )
    if any(i.severity == "error" for i in reader.issues):
        return SubmissionBatch((), (), tuple(reader.issues))
    units = reader.rows(sheets.units, SHEET_UNITS)
    own = reader.rows(sheets.own, SHEET_SELF) if sheets.own is not None else []
    if not units and not any(i.severity == "error" for i in reader.issues):
        reader.file_issue(
            "missing-field",
            f"trang '{sheets.units.title}' không có đơn vị nào (từ dòng {FIRST_ROW})",
        )
    _merge_self_scores(units, own, reader, sheets)
    submissions: list[Submission] = []
    rejected: list[Rejected] = []
    for index, unit in enumerate(units):
        unit_id = unit.raw.get("unit_id")
        shown_id = unit_id if isinstance(unit_id, str) else f"dòng {unit.row}"
        reader.issues.extend(n.evolve(unit_id=shown_id) for n in unit.notes)
        unit_name = unit.raw.get("name") if isinstance(unit.raw.get("name"), str) else None
        if unit.problems:
            found = tuple(p.evolve(unit_id=shown_id) for p in unit.problems)
            rejected.append(Rejected(shown_id, unit_name, found))
            continue
        try:
            submissions.append(_submission(unit, meta, reader.name))
        except ValidationError as exc:
            named = _validation_issues(exc, unit, index, reader.name, shown_id)
            rejected.append(Rejected(shown_id, unit_name, named))
    return SubmissionBatch(tuple(submissions), tuple(rejected), tuple(reader.issues))


def _locations(unit: _Row) -> dict[str, tuple[int | None, int | None]]:
    locations: dict[str, tuple[int | None, int | None]] = {
        (str(p[1]) if p[0] == "values" else f"{p[0]}.{p[1]}"): v
        for p, v in unit.positions.items()
        if len(p) == 2
    }
    locations["@unit"] = unit.positions.get((), (unit.row, 1))
    locations["@values"] = locations["@unit"]
    return locations


def _raw(unit: _Row, meta: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "ruleset": meta.get("ruleset"),
        "ruleset_version": meta.get("ruleset_version"),
        "period": meta.get("period"),
        "source": name,
        "locations": _locations(unit),
        "cells": unit.cells,
        **unit.raw,
    }


def _submission(unit: _Row, meta: dict[str, Any], name: str) -> Submission:
    return Submission.model_validate(_raw(unit, meta, name))


def _validation_issues(
    exc: ValidationError, unit: _Row, index: int, name: str, shown_id: str
) -> tuple[Issue, ...]:
    raw = _raw(unit, {}, name)
    locations = raw["locations"]
    positions = Positions({("units", index, *p): v for p, v in unit.positions.items()})
    document = YamlDocument({"units": [None] * index + [raw]}, positions)
    named = []
    for issue in pydantic_issues(exc, document, name, Submission, base_path=("units", index)):
        relative = issue.path[2:]
        slot = _slot(relative)
        cell = unit.cells.get(slot) if slot else unit.cells.get("@unit")
        message = f"{issue.message} ({cell})" if cell else issue.message
        line, column = issue.line, issue.column
        if line is None:
            line, column = locations["@unit"]
        named.append(
            issue.evolve(message=message, unit_id=shown_id, path=relative, line=line, column=column)
        )
    return tuple(named)


def _slot(path: tuple[str | int, ...]) -> str | None:
    if len(path) >= 2 and path[0] == "values":
        return str(path[1])
    if len(path) >= 2 and path[0] in ("evidence", "self_scores"):
        return f"{path[0]}.{path[1]}"
    if path and path[0] == "name":
        return "@name"
    if path and path[0] == "unit_id":
        return "@unit"
    return None


def _merge_self_scores(
    units: list[_Row], own: list[_Row], reader: _Reader, sheets: _Sheets
) -> None:
    by_id: dict[str, _Row] = {}
    for unit in units:
        unit_id = unit.raw.get("unit_id")
        if isinstance(unit_id, str):
            by_id.setdefault(unit_id, unit)
    seen: set[str] = set()
    own_title = sheets.own.title if sheets.own is not None else SHEET_SELF
    units_title = sheets.units.title if sheets.units is not None else SHEET_UNITS
    for scores in own:
        unit_id = scores.raw.get("unit_id")
        if not isinstance(unit_id, str):
            reader.file_issue(
                "missing-value",
                f"dòng {scores.row} của trang '{own_title}' có điểm tự chấm nhưng không có mã "
                "đơn vị",
                scores.row,
            )
            continue
        if unit_id in seen:
            reader.file_issue(
                "duplicate-unit",
                f"đơn vị {unit_id!r} có hai dòng ở trang '{own_title}'",
                scores.row,
            )
            continue
        seen.add(unit_id)
        target = by_id.get(unit_id)
        if target is None:
            reader.file_issue(
                "invalid-value",
                f"dòng {scores.row} của trang '{own_title}' ghi đơn vị {unit_id!r}, "
                f"không có dòng nào ở trang '{units_title}'",
                scores.row,
            )
            continue
        if "self_scores" in scores.raw:
            target.raw["self_scores"] = scores.raw["self_scores"]
        target.problems.extend(scores.problems)
        target.notes.extend(scores.notes)
        target.positions.update(
            {p: v for p, v in scores.positions.items() if p[:1] == ("self_scores",)}
        )
        target.cells.update({k: v for k, v in scores.cells.items() if k.startswith("self_scores.")})
