"""The HTML report opened in a real browser (headless Chromium), read as a person reads it.

Chromium loads the page from a file, with networking off; the test reads the page's text from
the DOM the browser built and looks at the screenshot: the bar chart and the heat map are
drawn, and the criterion whose self-score departs from the computed value is highlighted.

With ``EMULATION_RULES_UPDATE_SCREENSHOT=1`` the screenshot is also written to
``docs/img/report.png``, the picture in the README. The test is skipped where Chromium is not
installed (``.ci/run`` installs it when it can).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from emulation_rules import load_cluster, load_ruleset, load_submissions, score
from emulation_rules.reports.html import html_pages, write_html

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "img" / "report.png"
BROWSER = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)

pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="Chromium is not installed (apt-get install chromium); the HTML report was not opened "
    "in a browser",
)

#: The criterion of the first unit whose self-score departs from the computed value.
OVERRIDE_UNIT, OVERRIDE_ITEM, OVERRIDE_SELF = "ca-xa-an-binh", "I.1", Decimal(200)


def chromium(
    page: Path, profile: Path, *args: str, fragment: str = ""
) -> subprocess.CompletedProcess[bytes]:
    """Run headless Chromium on a local page, networking and background services off."""
    assert BROWSER is not None
    command = [
        BROWSER,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing on the page may reach a network
        f"--user-data-dir={profile}",
        *args,
        page.as_uri() + fragment,
    ]
    return subprocess.run(command, capture_output=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The HTML report of the police cluster, one unit with a self-score that departs."""
    compiled = load_ruleset(ROOT / "rulesets/congan-cum347-2024.yaml")
    batch = load_submissions([ROOT / "examples/congan-cum347/submissions.yaml"])
    cluster = load_cluster(ROOT / "examples/congan-cum347/cluster.yaml")
    submissions = [
        s.model_copy(update={"self_scores": {OVERRIDE_ITEM: OVERRIDE_SELF}})
        if s.unit_id == OVERRIDE_UNIT
        else s
        for s in batch.submissions
    ]
    result = score(compiled, submissions, cluster=cluster)
    assert result.unit(OVERRIDE_UNIT).items[OVERRIDE_ITEM] != OVERRIDE_SELF
    path = tmp_path_factory.mktemp("report") / "bao-cao.html"
    write_html(compiled, result, path)
    return path


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.rows: dict[str, str] = {}
        self._row: str | None = None

    def handle_starttag(self, tag, attrs):
        self.text.append(" ")
        found = dict(attrs)
        if tag == "tr" and found.get("id"):
            self._row = f"{found.get('class', '')}|{found['id']}"
            self.rows[self._row] = ""

    def handle_endtag(self, tag):
        self.text.append(" ")
        if tag == "tr":
            self._row = None

    def handle_data(self, data):
        self.text.append(data)
        if self._row is not None:
            self.rows[self._row] += data + " "


def test_the_browser_shows_the_report(report, tmp_path):
    done = chromium(report, tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    dom = done.stdout.decode("utf-8")
    parser = _Dom()
    parser.feed(dom)
    text = re.sub(r"\s+", " ", "".join(parser.text))
    assert "Bảng tổng hợp điểm thi đua" in text
    assert 'Bảng tiêu chí chấm điểm thi đua "Vì An ninh Tổ quốc" của Cụm thi đua số 347' in text
    # the ranked table, in the order and with the totals of the result
    ranks = re.findall(
        r"(\d) (ca-xa-[a-z-]+) (Công an xã [^\d]+?) ([\d.,]+…?) ([\d.]+) ([\d,]+…?)", text
    )
    assert [r[:3] for r in ranks[:6]] == [
        ("1", "ca-xa-an-binh", "Công an xã An Bình"),
        ("2", "ca-xa-binh-minh", "Công an xã Bình Minh"),
        ("3", "ca-xa-phu-thanh", "Công an xã Phú Thạnh"),
        ("4", "ca-xa-tan-hoa", "Công an xã Tân Hòa"),
        ("5", "ca-xa-long-hung", "Công an xã Long Hưng"),
        ("6", "ca-xa-my-loi", "Công an xã Mỹ Lợi"),
    ]
    # numbers the Vietnamese way (a dot between thousands, a decimal comma), as the guide
    # rounds them (issue 14)
    assert ranks[0][3:] == ("1.005,83", "1.060", "94,89")
    assert ranks[5][3:] == ("749,75", "1.050", "71,4")  # 71.4048… rounded to 71.40
    # the awards with their arithmetic
    assert "Cờ thi đua của Bộ Công an" in text
    assert "Đề nghị: Công an xã An Bình (ca-xa-an-binh)" in text
    assert "Chỉ tiêu: 20% của 5 đơn vị đủ điều kiện = 1 → 1 (làm tròn xuống)" in text
    assert "Đề nghị: Công an xã Phú Thạnh (ca-xa-phu-thanh)" in text
    assert "không đủ điều kiện khen thưởng" in text
    # the override is highlighted in the unit's explanation and listed with the departures
    row = parser.rows[f"d1 override|tc-{OVERRIDE_UNIT}-{OVERRIDE_ITEM}"]
    assert "Công tác bảo vệ an ninh quốc gia" in row
    assert "khác tự chấm" in row
    assert re.search(r"194 +200 +200", row)  # computed 194, maximum 200, self-score 200
    assert "Chênh lệch: điểm tự chấm, điểm thống nhất" in text
    # every unit has its explanation
    assert dom.count('<details class="unit"') == 6


@pytest.fixture(scope="module")
def paged(tmp_path_factory) -> tuple[Path, list[str]]:
    """The police cluster's report with two explanations a page: its folder and unit ids."""
    compiled = load_ruleset(ROOT / "rulesets/congan-cum347-2024.yaml")
    batch = load_submissions([ROOT / "examples/congan-cum347/submissions.yaml"])
    cluster = load_cluster(ROOT / "examples/congan-cum347/cluster.yaml")
    result = score(compiled, batch.submissions, cluster=cluster)
    folder = tmp_path_factory.mktemp("paged")
    for name, page in html_pages(compiled, result, per_page=2).items():
        (folder / name).write_text(page, encoding="utf-8")
    return folder, [u.unit_id for u in result.units]


#: Appended to a page: once loaded, writes what ``probe()`` measures into ``<pre id="probe">``.
_PROBE = (
    "<script>window.addEventListener('load',function(){setTimeout(function(){"
    "var p=document.createElement('pre');p.id='probe';p.textContent=probe();"
    "document.body.appendChild(p);},300);});</script></body>"
)


def _probe(folder: Path, page: str, probe: str, tmp_path: Path, fragment: str = "") -> str:
    source = (folder / page).read_text(encoding="utf-8")
    probed = folder / f"probe-{page}"
    probed.write_text(source.replace("</body>", f"<script>{probe}</script>{_PROBE}"), "utf-8")
    done = chromium(
        probed, tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom", fragment=fragment
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout.decode("utf-8"), re.DOTALL)
    assert found, done.stdout.decode("utf-8")[-2000:]
    return found.group(1)


def test_the_report_links_each_unit_to_its_explanation_page(paged, tmp_path):
    folder, units = paged
    links = _probe(
        folder,
        "bao-cao.html",
        "function probe(){return Array.from(document.querySelectorAll('#xep-hang a'))"
        ".map(function(a){return a.getAttribute('href');}).join(' ');}",
        tmp_path,
    )
    assert links.split() == [
        f"bao-cao-giai-trinh-{index // 2 + 1}.html#dv-{unit}" for index, unit in enumerate(units)
    ]


def test_an_explanation_opens_on_its_page(paged, tmp_path):
    """Collapsed, a unit is one line; opened, its whole table; a link to a row opens it."""
    folder, units = paged
    unit = units[3]  # the second unit of the second page
    measure = (
        f"function probe(){{var d=document.getElementById('dv-{unit}');"
        "var shut=d.open+' '+Math.round(d.getBoundingClientRect().height);d.open=true;"
        "return shut+' '+Math.round(d.getBoundingClientRect().height);}"
    )
    shut, closed_height, opened_height = _probe(
        folder, "bao-cao-giai-trinh-2.html", measure, tmp_path
    ).split()
    assert shut == "false"
    assert int(closed_height) < 80
    assert int(opened_height) > 20 * int(closed_height)
    # following a departure's link (a row inside the closed explanation) opens it
    opened = _probe(
        folder,
        "bao-cao-giai-trinh-2.html",
        f"function probe(){{return String(document.getElementById('dv-{unit}').open);}}",
        tmp_path,
        fragment=f"#tc-{unit}-I.1",
    )
    assert opened == "true"


def _pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB or RGBA PNG (what Chromium writes) into rows of pixels."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, data, header = 8, b"", b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        body = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            data += body
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8
    assert colour in (2, 6)
    step = 4 if colour == 6 else 3
    raw = zlib.decompress(data)
    stride = width * step
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(step, stride):
                line[i] = (line[i] + line[i - step]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - step] if i >= step else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - step] if i >= step else 0
                b = previous[i]
                c = previous[i - step] if i >= step else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + predictor) & 0xFF
        rows.append(bytes(line if step == 3 else _rgb(line)))
        previous = line
    return width, height, rows


def _rgb(line: bytearray) -> bytes:
    return bytes(b for i, b in enumerate(line) if i % 4 != 3)


def _has_colour(rows: list[bytes], colour: tuple[int, int, int], *, at_least: int) -> bool:
    target = bytes(colour)
    found = 0
    for row in rows:
        for x in range(0, len(row), 3):
            if row[x : x + 3] == target:
                found += 1
                if found >= at_least:
                    return True
    return False


def test_the_screenshot_shows_the_chart_heat_map_and_highlight(report, tmp_path):
    picture = tmp_path / "report.png"
    done = chromium(
        report, tmp_path / "profile", f"--screenshot={picture}", "--window-size=1280,2000"
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    png = picture.read_bytes()
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1280, 2000)
    if os.environ.get("EMULATION_RULES_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(png)
    # a whole page, drawn at a quarter of the resolution so the colours can be counted quickly
    small = tmp_path / "small.png"
    done = chromium(
        report,
        tmp_path / "profile-small",
        f"--screenshot={small}",
        "--window-size=1280,9000",
        "--force-device-scale-factor=0.25",
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    _, _, rows = _pixels(small.read_bytes())
    assert _has_colour(rows, (0x2E, 0x75, 0xB6), at_least=200)  # the bars of the chart
    assert _has_colour(rows, (0xFF, 0xF3, 0xCD), at_least=20)  # the highlighted override
    assert _has_colour(rows, (171, 237, 171), at_least=20)  # heat-map cells at full marks
