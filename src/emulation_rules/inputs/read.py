"""Read submission files of any kind: YAML, JSON, or a workbook made by ``template``.

The one place that chooses a reader by the file's type, so that the validation of submissions
(:mod:`emulation_rules.inputs.submissions`) never imports the Excel reader, and the Excel
reader (:mod:`emulation_rules.inputs.excel`, the optional ``excel`` extra) is imported only
when a workbook is read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulation_rules.inputs.submissions import SubmissionBatch, read_submission_file

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from emulation_rules.errors import Issue
    from emulation_rules.inputs.submissions import Rejected, Submission

__all__ = ["WORKBOOK_SUFFIXES", "load_submissions"]

#: The file names read as workbooks (from ``emulation-rules template``).
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def load_submissions(
    sources: Iterable[str | Path],
) -> SubmissionBatch:
    """Read submission files. Bad units are rejected with issues; bad files give issues."""
    submissions: list[Submission] = []
    rejected: list[Rejected] = []
    file_issues: list[Issue] = []
    for source in sources:
        if str(source).lower().endswith(WORKBOOK_SUFFIXES):  # a workbook from `template`
            from emulation_rules.inputs.excel import read_workbook  # noqa: PLC0415 - optional extra

            batch = read_workbook(source)
        else:
            batch = read_submission_file(source)
        submissions.extend(batch.submissions)
        rejected.extend(batch.rejected)
        file_issues.extend(batch.issues)
    return SubmissionBatch(tuple(submissions), tuple(rejected), tuple(file_issues))
