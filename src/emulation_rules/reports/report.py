"""Reports of a scored cluster, under the names they have always had.

The reports live in their own modules: the Excel summary in :mod:`.excel_summary`, the HTML
report in :mod:`.html`, the text table in :mod:`.table`, what they share in :mod:`._cells`.
This module keeps ``emulation_rules.reports.report.write_summary`` and ``write_html`` (the names
the README gives for embedding) and the rest of its former names importable.
"""

from __future__ import annotations

from emulation_rules.reports._cells import Difference, differences, summary_columns
from emulation_rules.reports.excel_summary import (
    EXACT_PREFIX,
    ROUNDED_FORMAT,
    SHEET_AWARDS,
    SHEET_DETAIL,
    SHEET_DIFFERENCES,
    SHEET_INFO,
    SHEET_SUMMARY,
    SUMMARY_HEADER_ROW,
    summary_workbook,
    write_summary,
)
from emulation_rules.reports.html import render_html, write_html

__all__ = [
    "EXACT_PREFIX",
    "ROUNDED_FORMAT",
    "SHEET_AWARDS",
    "SHEET_DETAIL",
    "SHEET_DIFFERENCES",
    "SHEET_INFO",
    "SHEET_SUMMARY",
    "SUMMARY_HEADER_ROW",
    "Difference",
    "differences",
    "render_html",
    "summary_columns",
    "summary_workbook",
    "write_html",
    "write_summary",
]
