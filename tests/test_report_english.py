"""Issue 15: ``report --lang en`` writes the HTML report and the Excel summary in English.

Every fixed text of the report (labels, headings, captions, columns, legends, sentences) and
the engine's texts it shows (rules, notes, award decisions) are in English with ``--lang en``;
the guide's, the units' and the reviewers' own texts stay as written. The Vietnamese default
is unchanged, byte for byte: ``tests/golden/report-hungyen-2021.html`` and
``report-hungyen-2021.xlsx.txt`` were written by the report before it spoke English.
"""

from __future__ import annotations

import html
import io
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scan of test_english
from emulation_rules._support.i18n import use_language
from emulation_rules._version import __version__
from emulation_rules.cli import run
from emulation_rules.guide.shipped import find_example, find_guide, shipped_guides
from emulation_rules.reports import html as html_report
from emulation_rules.reports.excel_summary import sheet_names
from test_english import VIETNAMESE, own_texts, vietnamese_left

openpyxl = pytest.importorskip("openpyxl")

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("EMULATION_RULES_UPDATE_GOLDEN") == "1"
#: The example of the golden files: awards, eligibility, reviews and departures.
EXAMPLE = "hungyen-2021"


def _examples() -> list[tuple[str, str]]:
    return [(g.name, example) for g in shipped_guides() for example in g.examples]


#: The guide of the golden files' example.
GUIDE = next(guide for guide, example in _examples() if example == EXAMPLE)


def _report(guide: str, example: str, where: Path, *lang: str) -> tuple[Path, Path]:
    """Write the report of a shipped example into ``where``: its HTML page and its workbook."""
    found = find_example(example)
    argv = ["report", str(find_guide(guide).path), str(found.submissions)]
    if found.cluster:
        argv += ["--cluster", str(found.cluster)]
    if found.reviews:
        argv += ["--reviews", str(found.reviews)]
    page, book = where / "report.html", where / "summary.xlsx"
    code = run(
        [*argv, "--html", str(page), "--excel", str(book), *lang], io.StringIO(), io.StringIO()
    )
    assert code in (0, 1)
    return page, book


def _texts(example: str, guide: str) -> list[str]:
    """The guide's and the data's own texts, and a unit's name cut short in the chart."""
    found = find_example(example)
    texts = own_texts(find_guide(guide).path, found.submissions, found.cluster, found.reviews)
    cut = [t[:51] for t in texts if len(t) > 52]  # html._short(name, 52): 51 letters and "…"
    return sorted({*texts, *cut}, key=len, reverse=True)


def page_text(page: str) -> str:
    """The text of an HTML page, one element a line, its style left out."""
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


def workbook_text(path: Path) -> str:
    """Every sheet's name, every cell's text and every comment of a workbook, one a line."""
    book = openpyxl.load_workbook(path)
    lines = []
    for sheet in book.worksheets:
        lines.append(f"[{sheet.title}]")
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    lines.append(f"{cell.coordinate}: {cell.value}")
                if cell.comment is not None:
                    lines.append(f"{cell.coordinate} comment: {cell.comment.text}")
    lines.append(f"title: {book.properties.title}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("guide", "example"), _examples(), ids=str)
def test_report_in_english_has_no_vietnamese_of_ours(guide, example, tmp_path):
    """Issue 15: ``report --lang en`` (HTML and Excel) holds no Vietnamese fixed text."""
    page, book = _report(guide, example, tmp_path, "--lang", "en")
    texts = _texts(example, guide)
    shown = page.read_text(encoding="utf-8")
    assert '<html lang="en">' in shown
    assert not vietnamese_left(page_text(shown), texts)
    summary = workbook_text(book)
    assert not vietnamese_left(summary, texts)
    with use_language("en"):
        assert openpyxl.load_workbook(book).sheetnames == list(sheet_names())


def test_the_english_report_says_it_in_english(tmp_path):
    page, book = _report(GUIDE, EXAMPLE, tmp_path, "--lang", "en")
    shown = page_text(page.read_text(encoding="utf-8"))
    for line in (
        "Emulation score summary",
        "Points by criterion (heat map)",
        "Units not ranked, not awarded",
        "Differences: self-scores, agreed scores",
        "Explanation of each unit",
        "How it is scored",
    ):
        assert f"\n{line}\n" in shown
    assert "Proposed\n" in shown
    assert "not eligible for an award. Reason: " in shown
    assert f"Made by emulation-rules {__version__}." in shown
    summary = workbook_text(book)
    assert "A1: EMULATION SCORE SUMMARY" in summary
    assert "[Score summary]" in summary
    assert "title: Score summary: " in summary
    with use_language("en"):
        assert sheet_names() == ("Score summary", "Awards", "Details", "Differences", "Information")


def test_the_scan_finds_the_vietnamese_report(tmp_path):
    """The scan is not blind: the default (Vietnamese) report trips it."""
    page, book = _report(GUIDE, EXAMPLE, tmp_path)
    texts = _texts(EXAMPLE, GUIDE)
    assert vietnamese_left(page_text(page.read_text(encoding="utf-8")), texts)
    assert vietnamese_left(workbook_text(book), texts)


def test_explanation_pages_in_english(tmp_path, monkeypatch):
    """A large cluster's explanation pages speak the language of the call too."""
    monkeypatch.setattr(html_report, "EXPLANATIONS_PER_PAGE", 3)
    page, _ = _report(GUIDE, EXAMPLE, tmp_path, "--lang", "en")
    texts = _texts(EXAMPLE, GUIDE)
    pages = sorted(tmp_path.glob("report-giai-trinh-*.html"))
    assert len(pages) > 1
    assert "click a unit's name in the ranking" in page_text(page.read_text(encoding="utf-8"))
    second = pages[1].read_text(encoding="utf-8")
    assert 'rel="prev">Previous page</a>' in second
    assert "Explanation of each unit, page 2/" in second
    for path in pages:
        assert not vietnamese_left(page_text(path.read_text(encoding="utf-8")), texts)


def _neutral(text: str) -> str:
    """The text with the package's version and the example's folder left out."""
    text = text.replace(f"emulation-rules {__version__}", "emulation-rules VERSION")
    return text.replace(str(find_example(EXAMPLE).submissions.parent), "EXAMPLE")


def test_the_vietnamese_report_is_unchanged(tmp_path):
    """The default report, byte for byte as before it spoke English (the version aside)."""
    page, book = _report(GUIDE, EXAMPLE, tmp_path)
    shown = _neutral(page.read_text(encoding="utf-8"))
    summary = _neutral(workbook_text(book))
    golden_page = GOLDEN / f"report-{EXAMPLE}.html"
    golden_book = GOLDEN / f"report-{EXAMPLE}.xlsx.txt"
    if UPDATE:
        golden_page.write_text(shown, encoding="utf-8")
        golden_book.write_text(summary, encoding="utf-8")
    assert shown == golden_page.read_text(encoding="utf-8")
    assert summary == golden_book.read_text(encoding="utf-8")
    assert '<html lang="vi">' in shown
    assert VIETNAMESE.search(summary)
