"""The Excel workbooks' public names, where the command line and the reports import them.

The code lives in:

- :mod:`emulation_rules.inputs.workbook_layout`: the sheets, rows and keys the form has (the
  contract between writing and reading it), and exact decimals written into cells;
- :mod:`emulation_rules.inputs.workbook_template`: the blank form written from a guide;
- :mod:`emulation_rules.inputs.workbook_read`: a filled form read into submissions;
- :mod:`emulation_rules._support.xlsx`: openpyxl plumbing shared with the reports (the
  optional import, exact cell numbers, text cells, row heights, the print layout).

openpyxl is an optional dependency (``pip install 'emulation-rules[excel]'``); none of these
modules imports it until a workbook is written or read.
"""

from __future__ import annotations

from emulation_rules._support.xlsx import (
    EXCEL_DIGITS,
    LINE_HEIGHT,
    MissingDependencyError,
    cell_number,
    print_layout,
    require_openpyxl,
    text_cells,
    text_height,
)
from emulation_rules.inputs.workbook_layout import (
    EVIDENCE_KEY,
    FIRST_ROW,
    KEY_ROW,
    LABEL_ROW,
    META_KEYS,
    SHEET_GUIDE,
    SHEET_SELF,
    SHEET_UNITS,
    excel_value,
    float_exact,
    key_text,
)
from emulation_rules.inputs.workbook_read import cell_name, read_workbook, repair_key
from emulation_rules.inputs.workbook_template import (
    TEMPLATE_ROWS,
    template_workbook,
    write_template,
)

__all__ = [
    "EVIDENCE_KEY",
    "EXCEL_DIGITS",
    "FIRST_ROW",
    "KEY_ROW",
    "LABEL_ROW",
    "LINE_HEIGHT",
    "META_KEYS",
    "SHEET_GUIDE",
    "SHEET_SELF",
    "SHEET_UNITS",
    "TEMPLATE_ROWS",
    "MissingDependencyError",
    "cell_name",
    "cell_number",
    "excel_value",
    "float_exact",
    "key_text",
    "print_layout",
    "read_workbook",
    "repair_key",
    "require_openpyxl",
    "template_workbook",
    "text_cells",
    "text_height",
    "write_template",
]
