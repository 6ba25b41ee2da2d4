"""Reports: the HTML page says what it should, nothing external; the Excel summary cell by cell."""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulation_rules import (
    Submission,
    load_cluster,
    load_ruleset,
    load_submissions,
    score,
)
from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.display import vn_number
from emulation_rules.cli import run
from emulation_rules.inputs.excel import cell_number
from emulation_rules.reports._cells import summary_columns
from emulation_rules.reports._xlsx import Book
from emulation_rules.reports.excel_summary import (
    EXACT_PREFIX,
    ROUNDED_FORMAT,
    SHEET_AWARDS,
    SHEET_DETAIL,
    SHEET_DIFFERENCES,
    SHEET_INFO,
    SHEET_SUMMARY,
    SUMMARY_HEADER_ROW,
    summary_bytes,
    summary_workbook,
    write_summary,
)
from emulation_rules.reports.html import html_pages, render_html, vn_text, write_html

ROOT = Path(__file__).resolve().parent.parent

GUIDE = """\
format: emulation-rules/v1
id: mau-bao-cao
version: "2024.1"
title: Hướng dẫn thử báo cáo
issuer: Khối thi đua thử nghiệm
period: "2024"
scale: 10
total: {may_exceed_scale: true}
inputs:
  ty_le: {type: percent, label: Tỷ lệ hoàn thành nhiệm vụ, required: true}
  chi_tieu: {type: decimal, label: Chỉ tiêu được giao, required: true}
  ket_qua: {type: decimal, label: Kết quả đạt được, required: true}
  co_bao_cao: {type: bool, label: Có gửi báo cáo, required: true}
  so_sang_kien: {type: count, label: Số sáng kiến được công nhận, missing: 0}
criteria:
  - id: TC1
    title: "Tiêu chuẩn 1: Hoàn thành nhiệm vụ"
    max: 6
    bands:
      of: ty_le
      bands: [{from: 95, points: 6}, {from: 80, below: 95, points: 4}]
      otherwise: 0
  - id: TC2
    title: "Tiêu chuẩn 2: Chỉ tiêu"
    max: 4
    cap_at_max: true
    children:
      - id: "2.1"
        title: Kết quả so với chỉ tiêu
        max: 4
        proportional: {achieved: ket_qua, target: chi_tieu}
      - id: "2.2"
        title: Sáng kiến, mỗi sáng kiến cộng 0,5 điểm
        kind: bonus
        per_event: {count: so_sang_kien, points: 0.5, cap: 1}
not_classified:
  - id: G1
    when: not co_bao_cao
    reason: Không gửi báo cáo tổng kết
classification:
  bands:
    - {from: 9, label: Hoàn thành xuất sắc nhiệm vụ}
    - {from: 6, below: 9, label: Hoàn thành tốt nhiệm vụ}
  otherwise: Hoàn thành nhiệm vụ
awards:
  - id: co-thi-dua
    title: Cờ thi đua của Khối
    requires: {rank_at_most: 1}
    quota: {count: 1}
"""


def unit(unit_id: str, name: str, **values: object) -> Submission:
    base: dict[str, object] = {"ty_le": 97, "chi_tieu": 4, "ket_qua": 4, "co_bao_cao": True}
    self_scores = values.pop("self_scores", {})
    return Submission(
        unit_id=unit_id,
        name=name,
        values=base | values,
        self_scores=self_scores,  # type: ignore[arg-type]
    )


@pytest.fixture
def guide(tmp_path):
    path = tmp_path / "guide.yaml"
    path.write_text(GUIDE, encoding="utf-8")
    return load_ruleset(path)


@pytest.fixture
def result(guide):
    submissions = [
        unit(
            "so-vhttdl",
            "Sở Văn hóa, Thể thao và Du lịch",
            ket_qua=5,
            so_sang_kien=2,
            self_scores={"TC2": 5, "TC1": 6},
        ),
        unit("so-y-te", "Sở Y tế", ty_le=85, chi_tieu=10, ket_qua=5),
        unit("so-gddt", "Sở Giáo dục và Đào tạo", ty_le=50, co_bao_cao=False),
        unit("so-tc", "Sở Tài chính", chi_tieu=0),
        unit("so-xd", "Sở Xây dựng <Ban & Đội>", ty_le=85, chi_tieu=3, ket_qua=1),
        unit("so-tp", "Sở Tư pháp", ty_le="95,5"),
    ]
    return score(guide, submissions)


#: Tags that separate words on the page.
_BREAKS = {"td", "th", "tr", "li", "p", "br", "div", "h1", "h2", "h3", "dt", "dd", "summary"}


class _Text(HTMLParser):
    """The text of a page and its tags (a person reads the text; the tags say how)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.parts.append(" " if tag in _BREAKS else "")
        if tag not in {"meta", "br", "img", "input"}:
            self.open.append(tag)

    def handle_endtag(self, tag):
        self.parts.append(" " if tag in _BREAKS else "")
        assert self.open, f"</{tag}> closes nothing"
        assert self.open[-1] == tag, f"</{tag}> closes <{self.open[-1]}>"
        self.open.pop()

    def handle_data(self, data):
        self.parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.parts)).strip()


def parse(page: str) -> _Text:
    parser = _Text()
    parser.feed(page)
    parser.close()
    assert parser.open == [], parser.open
    return parser


# --------------------------------------------------------------------------------------------
# HTML


def test_html_is_one_self_contained_page(guide, result):
    page = render_html(guide, result)
    assert page.startswith('<!doctype html>\n<html lang="vi">')
    assert '<meta charset="utf-8">' in page
    lowered = page.lower()
    for external in (
        "http://",
        "https://",
        "<script",
        "<link",
        "<img",
        "<iframe",
        "url(",
        "@import",
        "src=",
    ):
        assert external not in lowered, external
    parse(page)  # every tag is closed where it should be


def test_html_shows_ranking_totals_and_guide(guide, result):
    page = render_html(guide, result)
    text = parse(page).text
    assert "Bảng tổng hợp điểm thi đua" in text
    assert "Hướng dẫn thử báo cáo" in text
    assert "mau-bao-cao" in text
    assert "2024.1" in text
    assert result.ruleset_digest in text
    ranking = page.split('<section id="xep-hang">')[1].split("</section>")[0]
    rows = re.findall(r'<tr id="hang-([^"]+)"><td class="rank">(\d+)</td>', ranking)
    assert rows == [("so-vhttdl", "1"), ("so-y-te", "2"), ("so-xd", "3")]
    row = parse(ranking).text
    assert (
        "1 so-vhttdl Sở Văn hóa, Thể thao và Du lịch 10 10 100 Hoàn thành xuất sắc nhiệm vụ Cờ thi đua của Khối"
        in row
    )
    # a long decimal shows 4 places and "…", with the exact value on hover, the Vietnamese way
    assert '<span class="approx" title="5,333333333333333333333333333">5,3333…</span>' in ranking


def test_html_escapes_names(guide, result):
    page = render_html(guide, result)
    assert "Sở Xây dựng &lt;Ban &amp; Đội&gt;" in page
    assert "<Ban" not in page


def test_html_chart_bars_are_proportional(guide, result):
    page = render_html(guide, result)
    chart = page.split('<section id="bieu-do">')[1].split("</section>")[0]
    assert "<h2>Biểu đồ tổng điểm</h2>" in chart
    assert "<svg" in chart
    assert "xmlns" not in chart  # inline SVG in HTML needs no namespace URL
    widths = [Decimal(w) for w in re.findall(r'<rect x="400" y="\d+" width="([0-9.]+)"', chart)]
    # totals 10, 6, 5.333…: bars at 560 px for the scale 10
    assert widths == [Decimal(560), Decimal(336), Decimal("298.7")]
    assert "1. Sở Văn hóa, Thể thao và Du lịch" in chart


def test_html_chart_uses_percent_when_the_guide_ranks_by_percent():
    compiled = load_ruleset(ROOT / "rulesets/congan-cum347-2024.yaml")
    batch = load_submissions([ROOT / "examples/congan-cum347/submissions.yaml"])
    page = render_html(compiled, score(compiled, batch.submissions))
    assert "<h2>Biểu đồ tỷ lệ % so với điểm tối đa áp dụng</h2>" in page


def test_html_heat_map_covers_units_and_criteria(guide, result):
    page = render_html(guide, result)
    heat = page.split('<section id="ban-do-nhiet">')[1].split("</section>")[0]
    assert summary_columns(guide) == [("TC1", 0), ("TC2", 0), ("2.1", 1), ("2.2", 1)]
    headers = re.findall(r'<th scope="col"(?: class="sub")? title="[^"]*">([^<]+)<br>', heat)
    assert headers == ["TC1", "TC2", "2.1"]  # 2.2 (a bonus) has no maximum
    # full marks are green, nothing is red
    assert 'style="background:hsl(120,65%,80%)" title="TC1: 6"' in heat
    assert 'style="background:hsl(0,65%,80%)" title="TC1: 0"' in heat  # the unit not classified
    assert 'style="background:hsl(120,45%,80%)" title="2.2: 1"' in heat  # a bonus earned
    assert "Sở Tài chính" not in heat  # failed: no values to show


def test_html_awards_unranked_and_warnings(guide, result):
    page = render_html(guide, result)
    text = parse(page).text
    assert "Cờ thi đua của Khối" in text
    assert "Chỉ tiêu: tối đa 1 đơn vị" in text
    assert "Đề nghị: Sở Văn hóa, Thể thao và Du lịch (so-vhttdl)" in text
    assert "Không đề nghị Sở Y tế: xếp hạng 2, cần từ hạng 1 trở lên" in text
    unranked = parse(page.split('<section id="khong-xep-hang">')[1].split("</section>")[0]).text
    assert (
        "Sở Giáo dục và Đào tạo (so-gddt): Không xếp loại, tổng 4. Lý do: G1: Không gửi báo cáo tổng kết"
        in unranked
    )
    assert "Sở Tài chính (so-tc): Lỗi khi chấm." in unranked
    assert "eval-div-zero" in unranked
    assert "Sở Tư pháp (so-tp): Không chấm được (bài nộp sai)." in unranked
    assert "number-format: Tỷ lệ hoàn thành nhiệm vụ: '95,5' dùng dấu phẩy thập phân" in unranked


def test_html_explains_every_unit_with_overrides(guide, result):
    page = render_html(guide, result)
    explain = page.split('<section id="giai-trinh">')[1]
    assert explain.count('<details class="unit"') == len(result.units)
    assert '<details class="unit" id="dv-so-vhttdl" open>' in explain
    row = re.search(r'<tr class="d0 override" id="tc-so-vhttdl-TC2">.*?</tr>', explain)
    assert row is not None
    cells = parse(row.group(0)).text
    assert "Tiêu chuẩn 2: Chỉ tiêu" in cells
    assert "khác tự chấm" in cells
    assert "4 4 5" in cells  # computed 4, max 4, self-score 5
    assert "không vượt quá 4: −1 cap_at_max" in cells  # the cap line (a minus sign, U+2212)
    assert "Cộng: 2.1: 4 + 2.2: 1" in cells
    same = re.search(r'<tr class="d0" id="tc-so-vhttdl-TC1">.*?</tr>', explain)
    assert same is not None  # self-score 6 = computed 6: not highlighted
    inputs = re.search(r'id="tc-so-y-te-2.1">.*?</tr>', explain)
    assert inputs is not None
    assert "Kết quả đạt được <code>ket_qua</code> = 5" in inputs.group(0)
    departures = parse(page.split('<section id="chenh-lech">')[1].split("</section>")[0]).text
    assert "Sở Văn hóa, Thể thao và Du lịch TC2 5 4" in departures
    assert "Thống nhất" not in departures  # no reviews: no agreed column


def test_html_shows_reviews_agreed_values_and_who_decided(guide):
    from emulation_rules.inputs.reviews import Override, Review

    review = Review(
        unit_id="so-y-te",
        stage="agreed",
        reviewer="Đoàn thẩm định của Khối",
        at="2024-12-10",
        corrections={"ket_qua": 6},
        overrides=(
            Override(item="TC1", score=6, reason="Thống nhất theo biên bản", evidence=("BB 12",)),
        ),
    )
    result = score(
        guide,
        [unit("so-y-te", "Sở Y tế", ty_le=85, chi_tieu=10, ket_qua=5, self_scores={"TC1": 6})],
        reviews=[review],
    )
    page = render_html(guide, result)
    row = re.search(r'<tr class="d0 override" id="tc-so-y-te-TC1">.*?</tr>', page)
    assert row is not None
    cells = parse(row.group(0)).text
    assert "điểm thống nhất" in cells  # the badge
    assert "khác tự chấm" not in cells  # the self-score 6 is the agreed value
    assert cells.startswith("TC1 Tiêu chuẩn 1: Hoàn thành nhiệm vụ điểm thống nhất 6 6 4 6")
    assert "Đoàn thẩm định của Khối (thống nhất, 2024-12-10): Thống nhất theo biên bản" in cells
    assert '<td class="n value diff">6</td>' in row.group(0)
    departures = parse(page.split('<section id="chenh-lech">')[1].split("</section>")[0]).text
    assert (
        "Sở Y tế TC1 6 4 6 Đoàn thẩm định của Khối (thống nhất, 2024-12-10): Thống nhất theo "
        "biên bản; minh chứng: BB 12"
    ) in departures
    explain = parse(page.split('<section id="giai-trinh">')[1].split("</section>")[0]).text
    assert "Thẩm định: thống nhất: Đoàn thẩm định của Khối, 2024-12-10" in explain
    assert "Sửa số liệu: Kết quả đạt được ket_qua (Đoàn thẩm định của Khối" in explain
    corrected = re.search(r'id="tc-so-y-te-2.1">.*?</tr>', page)
    assert corrected is not None
    assert "Kết quả đạt được <code>ket_qua</code> = 6" in corrected.group(0)


def test_html_cohort_facts_and_awards_of_the_police_guide():
    compiled = load_ruleset(ROOT / "rulesets/congan-cum347-2024.yaml")
    batch = load_submissions([ROOT / "examples/congan-cum347/submissions.yaml"])
    cluster = load_cluster(ROOT / "examples/congan-cum347/cluster.yaml")
    page = render_html(compiled, score(compiled, batch.submissions, cluster=cluster))
    text = parse(page).text
    assert "đơn vị dẫn đầu: ca-xa-binh-minh" in text
    assert "Bằng khen của Bộ trưởng Bộ Công an" in text
    assert "Chỉ tiêu: 20% của 5 đơn vị đủ điều kiện = 1 → 1 (làm tròn xuống)" in text
    assert "Cụm trưởng năm sau: Công an xã Tân Hòa" in text
    assert "Công an xã Bình Minh (ca-xa-binh-minh): không đủ điều kiện khen thưởng." in text


def test_html_is_deterministic(guide, result, tmp_path):
    write_html(guide, result, tmp_path / "a.html")
    write_html(guide, result, tmp_path / "b.html")
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()
    assert (tmp_path / "a.html").read_text(encoding="utf-8") == render_html(guide, result)


def test_a_large_cluster_has_its_explanations_on_pages(guide, result):
    """More units than a page holds: the report, then pages of explanations, all linked."""
    pages = html_pages(guide, result, "bc", per_page=2)
    units = result.units  # 5 units with a result (the 6th was rejected): 3 pages
    assert list(pages) == ["bc.html", "bc-giai-trinh-1.html", "bc-giai-trinh-2.html",
                           "bc-giai-trinh-3.html"]  # fmt: skip
    report = pages["bc.html"]
    assert '<details class="unit"' not in report
    for page in pages.values():
        parse(page)  # every tag closed where it opened
        assert "<script" not in page
    for index, unit in enumerate(units):
        file = f"bc-giai-trinh-{index // 2 + 1}.html"
        # each unit's name links to its explanation, which is on exactly one page
        assert f'<a href="{file}#dv-{unit.unit_id}">' in report, unit.unit_id
        assert sum(p.count(f'id="dv-{unit.unit_id}"') for p in pages.values()) == 1
        assert f'id="dv-{unit.unit_id}"' in pages[file]
    # the departures link to the row on its page
    assert '<a href="bc-giai-trinh-1.html#tc-so-vhttdl-TC2">TC2</a>' in report
    index = parse(report.split('<section id="giai-trinh">')[1].split("</section>")[0]).text
    assert "Trang 1: Sở Văn hóa, Thể thao và Du lịch (hạng 1) … Sở Y tế (hạng 2)" in index
    middle = pages["bc-giai-trinh-2.html"]
    assert '<a href="bc.html">Bảng tổng hợp điểm</a>' in middle
    assert 'href="bc-giai-trinh-1.html" rel="prev"' in middle
    assert 'href="bc-giai-trinh-3.html" rel="next"' in middle
    assert " open>" not in middle  # collapsed: a phone lays out only what is opened
    # the explanation is the one of the single page
    single = render_html(guide, result)
    row = re.search(r'<tr class="d0 override" id="tc-so-vhttdl-TC2">.*?</tr>', single)
    assert row is not None
    assert row.group(0) in pages["bc-giai-trinh-1.html"]


def test_few_units_make_one_page(guide, result):
    assert html_pages(guide, result, "bc") == {"bc.html": render_html(guide, result)}


def test_write_html_writes_the_pages_beside_the_report(guide, result, tmp_path, monkeypatch):
    monkeypatch.setattr("emulation_rules.reports.html.EXPLANATIONS_PER_PAGE", 3)
    written = write_html(guide, result, tmp_path / "r.html")
    assert written == [tmp_path / "r.html", tmp_path / "r-giai-trinh-1.html",
                       tmp_path / "r-giai-trinh-2.html"]  # fmt: skip
    pages = html_pages(guide, result, "r")
    for path in written:
        assert path.read_text(encoding="utf-8") == pages[path.name]
    out, err = io.StringIO(), io.StringIO()
    subs = tmp_path / "subs.yaml"
    subs.write_text(
        'ruleset: mau-bao-cao\nruleset_version: "2024.1"\nunits:\n'
        + "".join(
            f"  - unit_id: u{n}\n    name: Sở {n}\n"
            "    values: {ty_le: 96, chi_tieu: 2, ket_qua: 2, co_bao_cao: true}\n"
            for n in range(4)
        ),
        encoding="utf-8",
    )
    page = tmp_path / "cli" / "r.html"
    page.parent.mkdir()
    code = run(["report", str(tmp_path / "guide.yaml"), str(subs), "--html", str(page)], out, err)
    assert code == 0, err.getvalue()
    names = ("r.html", "r-giai-trinh-1.html", "r-giai-trinh-2.html")
    assert out.getvalue() == "".join(f"{page.parent / name}\n" for name in names)


# --------------------------------------------------------------------------------------------
# The Excel summary, read back cell by cell

openpyxl_needed = pytest.mark.skipif(
    importlib.util.find_spec("openpyxl") is None,
    reason="the 'excel' extra (openpyxl) is not installed",
)


@openpyxl_needed
def test_summary_sheet_cell_by_cell(guide, result, tmp_path):
    import openpyxl

    path = tmp_path / "tong-hop.xlsx"
    write_summary(guide, result, path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [
        SHEET_SUMMARY,
        SHEET_AWARDS,
        SHEET_DETAIL,
        SHEET_DIFFERENCES,
        SHEET_INFO,
    ]
    differences = [[c.value for c in r] for r in workbook[SHEET_DIFFERENCES].iter_rows()]
    assert differences[1] == [
        "so-vhttdl", "Sở Văn hóa, Thể thao và Du lịch", "TC2", 5, 4, None, None,
    ]  # fmt: skip
    assert len(differences) == 2
    sheet = workbook[SHEET_SUMMARY]
    assert sheet["A1"].value == "BẢNG TỔNG HỢP ĐIỂM THI ĐUA"
    assert sheet["A2"].value == "Hướng dẫn thử báo cáo"
    assert result.ruleset_digest in sheet["A3"].value
    header = [c.value for c in sheet[SUMMARY_HEADER_ROW]]
    assert header == [
        "Hạng",
        "Mã đơn vị",
        "Tên đơn vị",
        "TC1. Tiêu chuẩn 1: Hoàn thành nhiệm vụ",
        "TC2. Tiêu chuẩn 2: Chỉ tiêu",
        "2.1. Kết quả so với chỉ tiêu",
        "2.2. Sáng kiến, mỗi sáng kiến cộng 0,5 điểm",
        "Tổng điểm",
        "Tối đa",
        "Tỷ lệ %",
        "Xếp loại",
        "Đề nghị khen thưởng",
        "Ghi chú",
    ]
    maxima = [c.value for c in sheet[SUMMARY_HEADER_ROW + 1]][2:9]
    assert maxima == ["Điểm tối đa theo hướng dẫn", 6, 4, 4, None, 10, None]

    def row(number: int) -> list[object]:
        return [c.value for c in sheet[number]]

    first = SUMMARY_HEADER_ROW + 2
    assert row(first) == [
        1, "so-vhttdl", "Sở Văn hóa, Thể thao và Du lịch", 6, 4, 4, 1, 10, 10, 100,
        "Hoàn thành xuất sắc nhiệm vụ", "Cờ thi đua của Khối", None,
    ]  # fmt: skip
    assert row(first + 1) == [
        2, "so-y-te", "Sở Y tế", 4, 2, 2, 0, 6, 10, 60,
        "Hoàn thành tốt nhiệm vụ", None, None,
    ]  # fmt: skip
    third = row(first + 2)
    assert third[:3] == [3, "so-xd", "Sở Xây dựng <Ban & Đội>"]
    # 4/3 and 16/3 cannot be Excel numbers: a number rounded to 15 digits, which sums and does
    # not spill, shown with "…", and the exact text beside it in the cell's comment
    line = sheet[first + 2]
    assert third[5] == 1.33333333333333
    assert line[5].number_format == ROUNDED_FORMAT
    assert line[5].comment.text == EXACT_PREFIX + "1.333333333333333333333333333"
    assert line[7].comment.text == EXACT_PREFIX + "5.333333333333333333333333333"
    assert Decimal(line[7].comment.text.removeprefix(EXACT_PREFIX)) == result.unit("so-xd").total
    assert line[9].comment.text == EXACT_PREFIX + "53.33333333333333333333333333"
    assert isinstance(third[9], float)
    not_classified = row(first + 3)
    assert not_classified[:2] == [None, "so-gddt"]
    assert not_classified[-1] == "Không xếp loại: G1: Không gửi báo cáo tổng kết"
    failed = row(first + 4)
    assert failed[1] == "so-tc"
    assert failed[3:8] == [None] * 5
    assert failed[-1].startswith("Lỗi khi chấm: ")
    assert "eval-div-zero" in failed[-1]
    rejected = row(first + 5)
    assert rejected[1:3] == ["so-tp", "Sở Tư pháp"]
    assert rejected[-1].startswith("Không chấm được (bài nộp sai): ")
    assert "number-format" in rejected[-1]
    # every number cell holds exactly the decimal of the result
    for line in sheet.iter_rows(min_row=first, max_row=first + 2):
        unit = result.unit(line[1].value)
        for cell, ident in zip(line[3:7], ("TC1", "TC2", "2.1", "2.2"), strict=True):
            value = _exact(cell)
            assert value == unit.items[ident], (unit.unit_id, ident)
    assert sheet.cell(first, 8).number_format == "0"
    assert sheet.freeze_panes == "D7"


def _exact(cell) -> Decimal | None:
    """The exact decimal of a summary cell: its number, or the exact text of its comment."""
    if cell.comment is not None and cell.comment.text.startswith(EXACT_PREFIX):
        return Decimal(cell.comment.text.removeprefix(EXACT_PREFIX))
    return cell_number(float(cell.value))


@openpyxl_needed
def test_summary_awards_detail_and_info_sheets(guide, result, tmp_path):
    import openpyxl

    path = tmp_path / "tong-hop.xlsx"
    write_summary(guide, result, path)
    workbook = openpyxl.load_workbook(path)
    awards = [[c.value for c in r] for r in workbook[SHEET_AWARDS].iter_rows()]
    assert awards[0] == [
        "Hình thức khen thưởng", "Chỉ tiêu", "Cách tính chỉ tiêu", "Biểu quyết", "Mã đơn vị",
        "Tên đơn vị", "Hạng", "Kết quả", "Lý do",
    ]  # fmt: skip
    assert awards[1] == [
        "Cờ thi đua của Khối", 1, "tối đa 1 đơn vị", None, "so-vhttdl",
        "Sở Văn hóa, Thể thao và Du lịch", 1, "Đề nghị", "hạng 1, đủ điều kiện, trong chỉ tiêu",
    ]  # fmt: skip
    assert awards[2][4:] == [
        "so-y-te", "Sở Y tế", 2, "Không đề nghị", "xếp hạng 2, cần từ hạng 1 trở lên",
    ]  # fmt: skip
    detail = [[c.value for c in r] for r in workbook[SHEET_DETAIL].iter_rows()]
    assert detail[0][:6] == ["Mã tiêu chí", "Tiêu chí", "Tối đa", "so-vhttdl", "so-y-te", "so-xd"]
    assert [r[0] for r in detail[2:]] == ["TC1", "TC2", "2.1", "2.2", "TOTAL"]
    assert detail[3][:6] == [
        "TC2",
        "Tiêu chuẩn 2: Chỉ tiêu",
        4,
        4,
        2,
        1.33333333333333,
    ]
    assert detail[4][1] == "    Kết quả so với chỉ tiêu"
    assert detail[-1][:5] == ["TOTAL", "Tổng điểm", 10, 10, 6]
    info = {r[0].value: r[1].value for r in workbook[SHEET_INFO].iter_rows()}
    assert info["Mã hướng dẫn"] == "mau-bao-cao"
    assert info["Mã số của hướng dẫn (digest)"] == result.ruleset_digest
    assert info["Số đơn vị không chấm được"] == "1"


@openpyxl_needed
def test_summary_of_the_police_cluster_matches_the_result(tmp_path):
    import openpyxl

    compiled = load_ruleset(ROOT / "rulesets/congan-cum347-2024.yaml")
    batch = load_submissions([ROOT / "examples/congan-cum347/submissions.yaml"])
    cluster = load_cluster(ROOT / "examples/congan-cum347/cluster.yaml")
    result = score(compiled, batch.submissions, cluster=cluster)
    path = tmp_path / "s.xlsx"
    write_summary(compiled, result, path)
    sheet = openpyxl.load_workbook(path)[SHEET_SUMMARY]
    header = [c.value for c in sheet[SUMMARY_HEADER_ROW]]
    total_at = header.index("Tổng điểm")
    for offset, unit in enumerate(result.units):
        line = [c.value for c in sheet[SUMMARY_HEADER_ROW + 2 + offset]]
        assert line[:3] == [unit.rank, unit.unit_id, unit.name]
        cells = sheet[SUMMARY_HEADER_ROW + 2 + offset][total_at : total_at + 3]
        for cell, want in zip(cells, (unit.total, unit.max, unit.percent), strict=True):
            assert _exact(cell) == want
        titles = {a.id: a.title for a in result.awards}
        assert line[total_at + 4] == ("; ".join(titles[a] for a in unit.awards) or None)


# --------------------------------------------------------------------------------------------
# The command line


def test_cli_report_writes_both_files(tmp_path, root, monkeypatch):
    pytest.importorskip("openpyxl")
    monkeypatch.chdir(root)
    out, err = io.StringIO(), io.StringIO()
    code = run(
        [
            "report",
            "rulesets/congan-cum347-2024.yaml",
            "examples/congan-cum347/submissions.yaml",
            "--cluster",
            "examples/congan-cum347/cluster.yaml",
            "-o",
            str(tmp_path / "out"),
        ],
        out,
        err,
    )
    assert code == 0, err.getvalue()
    html_path = tmp_path / "out" / "congan-cum347-2024-bao-cao.html"
    xlsx_path = tmp_path / "out" / "congan-cum347-2024-bang-tong-hop.xlsx"
    assert out.getvalue() == f"{html_path}\n{xlsx_path}\n"
    assert "Cờ thi đua của Bộ Công an" in html_path.read_text(encoding="utf-8")
    assert xlsx_path.read_bytes()[:2] == b"PK"


def test_cli_report_needs_no_openpyxl(tmp_path, guide, monkeypatch):
    """Both reports are written without openpyxl (the summary has its own .xlsx writer)."""
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    subs = tmp_path / "subs.yaml"
    subs.write_text(
        'ruleset: mau-bao-cao\nruleset_version: "2024.1"\nunits:\n'
        "  - unit_id: a\n    name: Sở A\n"
        "    values: {ty_le: 96, chi_tieu: 2, ket_qua: 2, co_bao_cao: true}\n",
        encoding="utf-8",
    )
    page = tmp_path / "r.html"
    out, err = io.StringIO(), io.StringIO()
    code = run(["report", str(tmp_path / "guide.yaml"), str(subs), "--html", str(page)], out, err)
    assert code == 0, err.getvalue()
    assert "Sở A" in page.read_text(encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = run(
        ["report", str(tmp_path / "guide.yaml"), str(subs), "-o", str(tmp_path / "d")], out, err
    )
    assert code == 0, err.getvalue()
    assert (tmp_path / "d" / "mau-bao-cao-bao-cao.html").exists()
    assert (tmp_path / "d" / "mau-bao-cao-bang-tong-hop.xlsx").read_bytes()[:2] == b"PK"


def test_cli_report_needs_an_output(tmp_path, guide):
    out, err = io.StringIO(), io.StringIO()
    code = run(["report", str(tmp_path / "guide.yaml"), "x.yaml"], out, err)
    assert code == 2
    assert "hãy cho -o THƯ_MỤC, --excel TỆP hoặc --html TỆP" in err.getvalue()


def test_the_readme_shows_the_browser_screenshot(root):
    """The picture in the README is the browser test's screenshot (1280 × 2000 PNG)."""
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "](docs/img/report.png)" in readme
    png = (root / "docs/img/report.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    assert int.from_bytes(png[16:20], "big") == 1280
    assert int.from_bytes(png[20:24], "big") == 2000


def test_the_former_report_module_keeps_its_names():
    """``emulation_rules.reports.report`` (named in the README) still gives the reports."""
    import emulation_rules.reports.report as former
    from emulation_rules.reports import excel_summary, html

    assert former.write_summary is excel_summary.write_summary
    assert former.write_html is html.write_html
    for name in former.__all__:
        assert getattr(former, name) is not None, name


@openpyxl_needed
def test_the_summary_is_deterministic(guide, result):
    """The same result gives the same bytes: no timestamp, fixed dates in the zip."""
    first = summary_bytes(guide, result)
    assert first == summary_bytes(guide, result)
    assert summary_workbook(guide, result)[SHEET_SUMMARY]["A1"].value == (
        "BẢNG TỔNG HỢP ĐIỂM THI ĐUA"
    )


@openpyxl_needed
def test_the_xlsx_writer_keeps_any_text_and_many_notes():
    """Texts XML cannot hold or Excel would decode are escaped; over 1,024 notes are numbered."""
    import zipfile

    import openpyxl

    book = Book()
    sheet = book.sheet("Trang 'một'")
    sheet.put(1, 1, "=HYPERLINK(1)")
    sheet.put(1, 2, "x_x0041_y")  # Excel would show "xAy"
    sheet.put(1, 3, "a\x01b")  # not a character of XML 1.0
    sheet.put(1, 4, "  lề  ")
    for n in range(1100):
        sheet.put(2 + n, 1, n)
        sheet.note(2 + n, 1, f"ghi chú {n}")
    sheet.title_rows = "1:1"
    data = book.to_bytes(title="A & <B>", identifier="id")
    parts = zipfile.ZipFile(io.BytesIO(data))
    xml = parts.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in xml
    assert ">x_x005F_x0041_y<" in xml
    assert ">a_x0001_b<" in xml
    assert 'data="1,2"' in parts.read("xl/drawings/vmlDrawing1.vml").decode("utf-8")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    read = workbook.active
    assert read["A1"].value == "=HYPERLINK(1)"
    assert read["A1"].data_type == "s"
    assert read["D1"].value == "  lề  "
    assert read["A1101"].comment.text == "ghi chú 1099"
    assert read.print_title_rows == "$1:$1"
    assert workbook.properties.title == "A & <B>"


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False).filter(
        lambda d: len(d.as_tuple().digits) <= 28  # the engine's precision
    )
)
def test_report_numbers_are_vn_number_with_every_digit(value):
    """The report's fast text conversion gives what ``vn_number`` gives with the value's places."""
    text = decimal_text(value)
    assert vn_text(text) == vn_number(value, len(text.partition(".")[2]))
