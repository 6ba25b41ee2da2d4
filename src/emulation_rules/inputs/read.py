"""Read submission files of any kind: YAML, JSON, or a workbook made by ``template``.

The one place that chooses a reader by the file's type, so that the validation of submissions
(:mod:`emulation_rules.inputs.submissions`) never imports the Excel reader, and the Excel
reader (:mod:`emulation_rules.inputs.workbook_read`, the optional ``excel`` extra) is imported only
when a workbook is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike, fspath
from typing import TYPE_CHECKING

from emulation_rules.inputs.submissions import SubmissionBatch, read_submission_file

if TYPE_CHECKING:
    from emulation_rules.errors import Issue
    from emulation_rules.inputs.submissions import Rejected, Submission

__all__ = ["WORKBOOK_SUFFIXES", "load_submissions"]

#: The file names read as workbooks (from ``emulation-rules template``).
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def load_submissions(
    sources: str | PathLike[str] | Iterable[str | PathLike[str]],
) -> SubmissionBatch:
    """Read submission files: YAML, JSON, or workbooks made by ``emulation-rules template``.

    A bad unit is rejected with its issues and the other units are read; a file that cannot
    be read gives file-level issues. Nothing is raised for bad content: give the batch to
    :func:`~emulation_rules.score` whole (``score(guide, batch)``) and no problem is dropped.
    Data already in memory: :func:`~emulation_rules.parse_submissions`.

    Args:
        sources: one file (a ``str`` or a path: never read as a list of characters), or
            several.

    Returns:
        Every valid submission, every rejected unit, and the file-level issues.

    Raises:
        TypeError: ``sources`` is ``bytes`` (content: use ``parse_submissions``) or not an
            iterable of paths.
    """
    given: object = sources  # checked at run time: a caller may pass anything
    if isinstance(given, str | PathLike):
        paths: list[object] = [given]
    elif isinstance(given, bytes | bytearray):
        raise TypeError(
            "load_submissions() reads files; give the content to parse_submissions() instead"
        )
    elif isinstance(given, Iterable):
        paths = list(given)
    else:
        raise TypeError(f"load_submissions() takes a path or paths, not {type(given).__name__}")
    submissions: list[Submission] = []
    rejected: list[Rejected] = []
    file_issues: list[Issue] = []
    unit_paths: dict[tuple[str | None, str], tuple[str | int, ...]] = {}
    for item in paths:
        if not isinstance(item, str | PathLike):
            raise TypeError(f"load_submissions() takes paths, not {type(item).__name__} items")
        source = fspath(item)
        if str(source).lower().endswith(WORKBOOK_SUFFIXES):  # a workbook from `template`
            from emulation_rules.inputs.workbook_read import read_workbook  # noqa: PLC0415 - optional extra

            batch = read_workbook(source)
        else:
            batch = read_submission_file(source)
        submissions.extend(batch.submissions)
        rejected.extend(batch.rejected)
        file_issues.extend(batch.issues)
        for key, path in batch.unit_paths.items():
            unit_paths.setdefault(key, path)
    return SubmissionBatch(tuple(submissions), tuple(rejected), tuple(file_issues), unit_paths)
