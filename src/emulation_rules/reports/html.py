"""The HTML report of a scored cluster: one static page, no script, nothing external.

Inline CSS and inline SVG, no network and no external asset: the ranked table, a bar chart of
the totals (or of the percentages when the guide ranks by percentage), a heat map of the
criteria across units, the award decisions with their arithmetic, the units that are not ranked
and why, the departures from the units' self-scores, and each unit's explanation (every
criterion with its value and maximum, the rule, the inputs read, the parts, the cap, forfeit
and rounding lines, the cluster facts). It needs nothing beyond the standard library.

With reviews (``score(..., reviews=...)``, ``--reviews FILE``) the values shown are the agreed
ones; every item whose agreed value departs from the written rule is listed with who decided it,
when and why, and highlighted in the unit's explanation, as is every item whose self-score
("điểm tự chấm") differs from the final value.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.display import MINUS, vn_number, vn_numbers_in
from emulation_rules._support.files import write_atomic
from emulation_rules._version import __version__
from emulation_rules.compiler.fields import NOT_APPLICABLE
from emulation_rules.guide.model import CONSTRUCTS
from emulation_rules.reports._cells import (
    STAGE_WORDS,
    STATUS_WORDS,
    UNIT_STATUS,
    award_titles,
    decided,
    differences,
    key_words,
    summary_columns,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from emulation_rules.compiler.nodes import CompiledRuleset
    from emulation_rules.engine.evaluator import TraceNode, UnitScore
    from emulation_rules.engine.scoring import ClusterResult

__all__ = ["DISPLAY_PLACES", "EXPLANATIONS_PER_PAGE", "html_pages", "render_html", "write_html"]

#: Decimal places shown in the HTML report; longer values end with "…" (exact on hover).
DISPLAY_PLACES = 4


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Decimal | None) -> str:
    """A number for display: exact when short, else 4 places and "…" (exact on hover).

    The Vietnamese way (``_support.display``): ``1.005,8333…``, ``−1``.
    """
    if value is None:
        return "—"
    exact = decimal_text(value)
    if len(exact.partition(".")[2]) > DISPLAY_PLACES:
        shown = vn_text(_rounded(value))
        return f'<span class="approx" title="{vn_text(exact)}">{shown}…</span>'
    return vn_text(exact)


def _short_num(value: Decimal) -> str:
    """A number as :func:`_num` shows it, without the exact value on hover."""
    exact = decimal_text(value)
    if len(exact.partition(".")[2]) > DISPLAY_PLACES:
        return vn_text(_rounded(value)) + "…"
    return vn_text(exact)


_PLACES = Decimal(1).scaleb(-DISPLAY_PLACES)


def _rounded(value: Decimal) -> str:
    """The text of ``value`` rounded to :data:`DISPLAY_PLACES` places."""
    return decimal_text(value.quantize(_PLACES, ROUND_HALF_UP))


def _vn(value: Decimal) -> str:
    """Every digit of ``value``, the Vietnamese way: ``1005.83`` → ``1.005,83``."""
    return vn_text(decimal_text(value))


def vn_text(text: str) -> str:
    """A canonical decimal text the Vietnamese way, every digit kept: ``-1005.5`` → ``−1.005,5``.

    What ``_support.display.vn_number(value, places)`` gives with the places the value has
    (tests/test_report.py checks that they agree), as text operations: the report shows some
    600,000 numbers for 1,000 units, and this is ten times faster.
    """
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    if len(whole) > 3:
        head = len(whole) % 3 or 3
        whole = ".".join([whole[:head], *(whole[i : i + 3] for i in range(head, len(whole), 3))])
    out = f"{whole},{fraction}" if fraction else whole
    if negative and out.strip("0.,"):
        return MINUS + out
    return out


@functools.lru_cache(maxsize=4096)
def _rule_text(rule: str) -> str:
    """A rule's text with its numbers the Vietnamese way (the same rules recur in every unit)."""
    return _e(vn_numbers_in(rule))


def _shortened(value: Decimal) -> str:
    """The value's text, rounded to :data:`DISPLAY_PLACES` places when it has more."""
    exact = decimal_text(value)
    return _rounded(value) if len(exact.partition(".")[2]) > DISPLAY_PLACES else exact


def _value_text(value: Any) -> str:
    if value is NOT_APPLICABLE:
        return "không áp dụng"
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, Decimal):
        return vn_text(decimal_text(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _heat_style(value: Decimal, maximum: Decimal | None) -> str:
    """Background colour: red (0) to green (the maximum); signs alone where there is no max."""
    if maximum is None or maximum <= 0:
        if value < 0:
            return "background:hsl(0,70%,84%)"
        if value > 0:
            return "background:hsl(120,45%,80%)"
        return "background:#f3f3f3"
    ratio = value / maximum
    ratio = max(Decimal(0), min(ratio, Decimal(1)))
    hue = (ratio * 120).quantize(Decimal(1), ROUND_HALF_UP)
    return f"background:hsl({hue},65%,80%)"


_CSS = """
body{font-family:"DejaVu Sans","Noto Sans","Segoe UI",Arial,sans-serif;margin:24px;
 color:#1b1b1b;background:#fff;font-size:14px;line-height:1.4}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:28px 0 10px;border-bottom:2px solid #1f4e79;padding-bottom:3px;
 color:#1f4e79}
h3{font-size:16px;margin:16px 0 6px}
.guide-title{font-size:17px;margin:0 0 8px;font-weight:bold}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:8px 0;
 font-size:13px}
dl.meta dt{color:#555}dl.meta dd{margin:0}
nav a{margin-right:14px;color:#1f4e79}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #b7c4d1;padding:4px 7px;
 vertical-align:top}th{background:#ddebf7;text-align:center}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.ranking td.rank{font-weight:bold;text-align:center}
.scroll{overflow-x:auto;max-width:100%}
table.heat{font-size:12px}table.heat th,table.heat td{padding:2px 4px}
table.heat td{text-align:right;white-space:nowrap}table.heat td.unit{text-align:left}
table.heat th.sub{font-weight:normal}
table.heat td.na{background:#eee;color:#4d4d4d;text-align:center}
.approx{border-bottom:1px dotted #777}table.heat td.ax{text-decoration:underline dotted #777}
.legend,.note{font-size:12px;color:#555}
.award{margin:6px 0 14px}.award .arith{background:#f2f6fa;padding:1px 5px;border-radius:3px}
.yes{color:#14632e;font-weight:bold}.no{color:#8a1c1c}
details.unit{border:1px solid #b7c4d1;border-radius:4px;margin:8px 0;padding:4px 10px}
details.unit summary{cursor:pointer;font-weight:bold;padding:3px 0}
table.explain{width:100%;font-size:13px}table.explain td.rule{color:#333}
table.explain tr.d0 td,table.explain tr.total td{background:#f2f6fa;font-weight:bold}
table.explain td:nth-child(2){padding-left:6px}tr.d1>td:nth-child(2){padding-left:22px}
tr.d2>td:nth-child(2){padding-left:38px}tr.d3>td:nth-child(2){padding-left:54px}
tr.d4>td:nth-child(2){padding-left:70px}tr.d5>td:nth-child(2){padding-left:86px}
ul.pages{padding-left:18px}ul.pages li{margin:4px 0}
tr.override td{background:#fff3cd !important}
td.diff{outline:2px solid #d39e00;outline-offset:-2px;font-weight:bold}
p.reviews{margin:4px 0 0;font-size:13px}
.badge{display:inline-block;border-radius:3px;padding:0 5px;font-size:11px;background:#ffe08a;
 color:#5c4400;margin-left:4px}
.lines{margin:2px 0 0;padding-left:16px}.lines li{margin:0}
.status{color:#8a1c1c;font-style:italic}
.warn{color:#7a4d00}
footer{margin-top:32px;font-size:12px;color:#595959;border-top:1px solid #ccc;padding-top:8px}
caption{text-align:left;font-size:12px;color:#444;padding:2px 0;caption-side:top}
dl.meta dd,summary{overflow-wrap:anywhere}td{overflow-wrap:break-word}
svg.chart{max-width:100%;height:auto}
@media (max-width:600px){body{margin:10px;font-size:13px}dl.meta{grid-template-columns:1fr}
 dl.meta dt{margin-top:4px}nav a{display:inline-block;margin:2px 10px 2px 0}}
@media print{
 @page{size:A4 landscape;margin:10mm}
 body{margin:0;font-size:10px}nav{display:none}
 .scroll{overflow:visible}
 details.unit{break-inside:auto;border:0;padding:0}
 details.unit::details-content{content-visibility:visible;display:block}
 details.unit>summary{list-style:none;font-size:13px;border-bottom:1px solid #1f4e79}
 table.heat{font-size:6.5px;table-layout:fixed;width:100%}
 table.heat th,table.heat td{padding:1px;white-space:normal;overflow-wrap:anywhere}
 table.heat th:nth-child(2),table.heat td.unit{width:9%}
 tr,svg{break-inside:avoid}h2{break-after:avoid}
}
"""


#: The deepest level whose indent the CSS gives (``tr.d5``).
_CSS_DEPTHS = 5
#: Most units whose explanations are on one page; a larger cluster gets explanation pages.
EXPLANATIONS_PER_PAGE = 30


def write_html(compiled: CompiledRuleset, result: ClusterResult, path: str | Path) -> list[Path]:
    """Write the HTML report of a scored cluster (UTF-8, self-contained); the files written.

    Up to :data:`EXPLANATIONS_PER_PAGE` units, one page. A larger cluster gets the report at
    ``path`` and the units' explanations on pages beside it (``<name>-giai-trinh-1.html``, …),
    each unit reached from the ranked table by a link, so that no page is too large to open
    on a phone.
    """
    target = Path(path)
    written: list[Path] = []
    for name, page in html_pages(compiled, result, target.stem).items():
        where = target if not written else target.with_name(name)
        write_atomic(where, page)
        written.append(where)
    return written


def render_html(compiled: CompiledRuleset, result: ClusterResult) -> str:
    """The HTML report of a scored cluster as one static page, every explanation inline.

    No script, nothing external. For a large cluster, :func:`write_html` (or
    :func:`html_pages`) puts the explanations on pages of their own instead.
    """
    return _report_page(compiled, result, None)


def html_pages(
    compiled: CompiledRuleset,
    result: ClusterResult,
    name: str = "bao-cao",
    *,
    per_page: int | None = None,
) -> dict[str, str]:
    """The report's pages by file name: ``<name>.html`` first, then the explanation pages.

    With at most ``per_page`` units (:data:`EXPLANATIONS_PER_PAGE` by default) there is only
    the report, explanations inline (:func:`render_html`).
    """
    per_page = per_page or EXPLANATIONS_PER_PAGE
    units = list(result.units)
    if len(units) <= per_page:
        return {f"{name}.html": _report_page(compiled, result, None)}
    chunks = [units[i : i + per_page] for i in range(0, len(units), per_page)]
    files = [f"{name}-giai-trinh-{k}.html" for k in range(1, len(chunks) + 1)]
    where = {u.unit_id: files[k] for k, chunk in enumerate(chunks) for u in chunk}
    pages = {f"{name}.html": _report_page(compiled, result, (files, chunks, where))}
    for k, chunk in enumerate(chunks):
        pages[files[k]] = _explanation_page(compiled, chunk, k, files, f"{name}.html")
    return pages


#: The explanation pages: their file names, their units, and each unit's page.
_Paging = tuple[list[str], list[list["UnitScore"]], dict[str, str]]


def _head(title: str) -> list[str]:
    return [
        "<!doctype html>",
        '<html lang="vi">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]


def _footer() -> str:
    return (
        f"</main><footer>Tạo bởi emulation-rules {_e(__version__)}. Mọi số là số thập phân "
        "chính xác; "
        "chỉ làm tròn ở nơi hướng dẫn quy định. Số dài hiển thị 4 chữ số thập phân và dấu …; "
        "giá trị chính xác hiện khi đưa chuột vào.</footer>"
    )


def _report_page(compiled: CompiledRuleset, result: ClusterResult, paging: _Paging | None) -> str:
    guide = compiled.ruleset
    parts = _head(f"Bảng tổng hợp điểm thi đua: {guide.title}")
    parts += [
        "<header>",
        "<h1>Bảng tổng hợp điểm thi đua</h1>",
        f'<p class="guide-title">{_e(guide.title)}</p>',
        '<dl class="meta">',
    ]
    facts = (
        ("Hướng dẫn", guide.id),
        ("Phiên bản", guide.version),
        ("Kỳ chấm điểm", guide.period),
        ("Cơ quan ban hành", guide.issuer),
        ("Số văn bản", guide.document),
        ("Thang điểm", vn_text(decimal_text(guide.scale))),
        ("Mã số hướng dẫn", result.ruleset_digest),
        ("Ngày đánh giá", result.as_of.isoformat() if result.as_of else None),
    )
    parts.extend(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts if v)
    parts.append("</dl>")
    parts.append(
        '<nav><a href="#xep-hang">Xếp hạng</a><a href="#bieu-do">Biểu đồ</a>'
        '<a href="#ban-do-nhiet">Điểm từng tiêu chí</a><a href="#khen-thuong">Khen thưởng</a>'
        '<a href="#khong-xep-hang">Không xếp hạng</a><a href="#chenh-lech">Chênh lệch</a>'
        '<a href="#giai-trinh">Giải trình</a></nav>'
    )
    parts.append("</header>")
    parts.append("<main>")
    where = paging[2] if paging is not None else {}
    parts.extend(_ranking_section(result, where))
    parts.extend(_chart_section(compiled, result))
    parts.extend(_heat_section(compiled, result))
    parts.extend(_awards_section(result))
    parts.extend(_unranked_section(result, where))
    parts.extend(_departures_section(result, where))
    if paging is None:
        parts.append('<section id="giai-trinh">')
        parts.append("<h2>Giải trình từng đơn vị</h2>")
        parts.extend(_explanations(compiled, result.units))
        parts.append("</section>")
    else:
        parts.extend(_explanation_index(paging))
    parts.append(_footer())
    parts.extend(["</body>", "</html>"])
    return _accessible("\n".join(parts) + "\n")


def _explanation_index(paging: _Paging) -> list[str]:
    files, chunks, _ = paging
    out = [
        '<section id="giai-trinh">',
        "<h2>Giải trình từng đơn vị</h2>",
        (
            f'<p class="note">Giải trình của {len(chunks[0])} đơn vị mỗi trang; bấm tên đơn vị '
            "trong bảng xếp hạng để mở giải trình của đơn vị đó.</p>"
        ),
        '<ul class="pages">',
    ]
    for file, chunk in zip(files, chunks, strict=True):
        first, last = chunk[0], chunk[-1]
        out.append(
            f'<li><a href="{_e(file)}">Trang {files.index(file) + 1}: {_e(_who(first))} … '
            f"{_e(_who(last))}</a></li>"
        )
    out.extend(["</ul>", "</section>"])
    return out


def _who(unit: UnitScore) -> str:
    head = f"hạng {unit.rank}" if unit.rank is not None else UNIT_STATUS[unit.status].lower()
    return f"{unit.name} ({head})"


def _explanation_page(
    compiled: CompiledRuleset,
    units: list[UnitScore],
    index: int,
    files: list[str],
    report: str,
) -> str:
    guide = compiled.ruleset
    heading = f"Giải trình từng đơn vị, trang {index + 1}/{len(files)}"
    parts = _head(f"{heading}: {guide.title}")
    links = [f'<a href="{_e(report)}">Bảng tổng hợp điểm</a>']
    if index > 0:
        links.append(f'<a href="{_e(files[index - 1])}" rel="prev">Trang trước</a>')
    if index + 1 < len(files):
        links.append(f'<a href="{_e(files[index + 1])}" rel="next">Trang sau</a>')
    parts += [
        "<header>",
        f"<h1>{_e(heading)}</h1>",
        f'<p class="guide-title">{_e(guide.title)}</p>',
        f"<nav>{''.join(links)}</nav>",
        "</header>",
        "<main>",
        '<section id="giai-trinh">',
        f"<h2>{_e(_who(units[0]))} … {_e(_who(units[-1]))}</h2>",
    ]
    parts.extend(_explanations(compiled, units, first_open=False))
    parts.append("</section>")
    parts.append(_footer())
    parts.extend(["</body>", "</html>"])
    return _accessible("\n".join(parts) + "\n")


_THEAD = re.compile(r"<thead>.*?</thead>", re.DOTALL)
_TH = re.compile(r"<th(?=[ >])")
_BARE_TABLE = re.compile(r'<table class="(?!heat)')


def _accessible(page: str) -> str:
    """Column headers get ``scope="col"``; a table outside a scroll box gets one.

    A wide table scrolls inside its box, never the page (no sideways scroll on a phone); the
    box can take the keyboard focus, so that it can be scrolled without a mouse.
    """
    page = _THEAD.sub(lambda m: _TH.sub('<th scope="col"', m.group(0)), page)
    page = _BARE_TABLE.sub('<div class="scroll" tabindex="0"><table class="', page)
    return re.sub(r"(</table>)(?!</div>)", r"\1</div>", page)


def _ranking_section(result: ClusterResult, where: Mapping[str, str]) -> list[str]:
    out = [
        '<section id="xep-hang">',
        "<h2>Xếp hạng</h2>",
        '<table class="ranking"><caption>Xếp hạng các đơn vị được chấm điểm</caption>',
        (
            "<thead><tr><th>Hạng</th><th>Mã đơn vị</th><th>Đơn vị</th><th>Tổng điểm</th>"
            "<th>Tối đa</th><th>Tỷ lệ %</th><th>Xếp loại</th><th>Đề nghị khen thưởng</th>"
            "<th>Phân hạng theo</th></tr></thead>"
        ),
        "<tbody>",
    ]
    ranked = [u for u in result.units if u.status == "scored"]
    for unit in ranked:
        titles = "; ".join(award_titles(result, unit))
        out.append(
            f'<tr id="hang-{_e(unit.unit_id)}"><td class="rank">{_e(unit.rank)}</td>'
            f"<td>{_e(unit.unit_id)}</td><td>{_link(unit, where)}</td>"
            f'<td class="n total">{_num(unit.total)}</td><td class="n">{_num(unit.max)}</td>'
            f'<td class="n">{_num(unit.percent)}</td><td>{_e(unit.classification or "")}</td>'
            f"<td>{_e(titles)}</td><td>{_e(key_words(unit.rank_decided_by))}</td></tr>"
        )
    out.extend(["</tbody>", "</table>"])
    if not ranked:
        out.append('<p class="note">Không có đơn vị nào được xếp hạng.</p>')
    out.extend(
        f'<p class="warn">Đồng hạng {_e(tie.rank)}: {_e(", ".join(tie.unit_ids))} '
        "(không tiêu chí phân hạng nào của hướng dẫn tách được).</p>"
        for tie in result.ties
    )
    out.append("</section>")
    return out


def _chart_section(compiled: CompiledRuleset, result: ClusterResult) -> list[str]:
    by_percent = compiled.ruleset.ranking.by[0].key == "percent"
    ranked = [u for u in result.units if u.status == "scored"]
    values = [(u, (u.percent if by_percent else u.total) or Decimal(0)) for u in ranked]
    reference = Decimal(100) if by_percent else compiled.ruleset.scale
    top = max([reference, *(v for _, v in values)])
    what = "tỷ lệ % so với điểm tối đa áp dụng" if by_percent else "tổng điểm"
    label_width, bar_width, row_height = 400, 560, 30
    width = label_width + bar_width + 110
    height = row_height * len(values) + 40
    out = [
        '<section id="bieu-do">',
        f"<h2>Biểu đồ {_e(what)}</h2>",
        (
            f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="Biểu đồ {_e(what)} của các đơn vị">'
        ),
    ]
    for index, (unit, value) in enumerate(values):
        y = 10 + index * row_height
        length = _scaled(max(value, Decimal(0)), top, bar_width)
        out.append(
            f'<text x="{label_width - 8}" y="{y + 19}" text-anchor="end" font-size="13">'
            f"{_e(unit.rank)}. {_e(_short(unit.name, 52))}</text>"
        )
        out.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{length}" height="{row_height - 10}" '
            f'fill="#2e75b6"><title>{_e(unit.name)}: {_vn(value)}</title></rect>'
        )
        out.append(
            f'<text x="{label_width + Decimal(length) + 6}" y="{y + 19}" font-size="13" '
            f'class="bar-value">{_e(_plain(value))}</text>'
        )
    mark = _scaled(reference, top, bar_width)
    bottom = 10 + len(values) * row_height
    out.append(
        f'<line x1="{label_width + Decimal(mark)}" y1="6" x2="{label_width + Decimal(mark)}" '
        f'y2="{bottom}" stroke="#c00000" stroke-dasharray="4 3"/>'
    )
    out.append(
        f'<text x="{label_width + Decimal(mark)}" y="{bottom + 18}" font-size="12" '
        f'text-anchor="middle" fill="#c00000">{_vn(reference)}</text>'
    )
    out.extend(["</svg>", "</section>"])
    return out


def _scaled(value: Decimal, top: Decimal, width: int) -> str:
    if top <= 0:
        return "0"
    return decimal_text((value * width / top).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _plain(value: Decimal) -> str:
    exact = decimal_text(value)
    if "." in exact and len(exact.split(".")[1]) > 2:
        return vn_number(value.quantize(Decimal("0.01"), ROUND_HALF_UP), 2) + "…"
    return vn_text(exact)


def _short(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _heat_section(compiled: CompiledRuleset, result: ClusterResult) -> list[str]:
    columns = summary_columns(compiled)
    units = [u for u in result.units if u.status != "error"]
    out = [
        '<section id="ban-do-nhiet">',
        "<h2>Điểm từng tiêu chí (bản đồ nhiệt)</h2>",
        (
            '<div class="scroll" tabindex="0" role="region" aria-label="Bản đồ nhiệt">'
            '<table class="heat"><caption>Điểm của từng đơn vị theo từng tiêu chí; ô càng xanh '
            "càng gần điểm tối đa</caption>"
        ),
        "<thead><tr><th>Hạng</th><th>Đơn vị</th>",
    ]
    for ident, depth in columns:
        node = compiled.nodes[ident]
        cls = ' class="sub"' if depth else ""
        maximum = f"<br>({_vn(node.max)})" if node.max is not None else ""
        out.append(f'<th{cls} title="{_e(node.title)}">{_e(ident)}{maximum}</th>')
    out.append("<th>Tổng</th></tr></thead><tbody>")
    for unit in units:
        row = [f'<tr><td>{_e(unit.rank or "")}</td><td class="unit">{_e(unit.name)}</td>']
        for ident, _depth in columns:
            node = compiled.nodes[ident]
            if ident in unit.not_applicable or ident not in unit.items:
                row.append('<td class="na" title="không áp dụng">—</td>')
                continue
            value = unit.items[ident]
            shown = _shortened(value)
            # the exact value once, in the cell's title (not again in a span of its own)
            cls = ' class="ax"' if shown != decimal_text(value) else ""
            row.append(
                f'<td{cls} style="{_heat_style(value, node.max)}" '
                f'title="{_e(ident)}: {_vn(value)}">{_vn(Decimal(shown))}{"…" if cls else ""}</td>'
            )
        total_style = _heat_style(unit.total or Decimal(0), unit.max)
        row.append(f'<td style="{total_style}"><b>{_num(unit.total)}</b></td></tr>')
        out.append("".join(row))
    out.extend(
        [
            "</tbody></table></div>",
            (
                '<p class="legend">Màu theo tỷ lệ điểm đạt so với điểm tối đa của tiêu chí: đỏ (0) '
                "→ vàng → xanh (đạt tối đa); điểm cộng, điểm trừ không có tối đa: xanh nếu cộng, đỏ"
                " nếu trừ; “—”: không áp dụng.</p>"
            ),
            "</section>",
        ]
    )
    return out


def _awards_section(result: ClusterResult) -> list[str]:
    out = ['<section id="khen-thuong">', "<h2>Đề nghị khen thưởng</h2>"]
    if not result.awards:
        out.append('<p class="note">Hướng dẫn không quy định khen thưởng.</p>')
    names = {u.unit_id: u.name for u in result.units}
    for award in result.awards:
        out.append(f'<div class="award" id="award-{_e(award.id)}">')
        out.append(f"<h3>{_e(award.title)}</h3>")
        out.append(f'<p>Chỉ tiêu: <span class="arith">{_e(award.arithmetic)}</span></p>')
        if award.vote:
            out.append(f'<p>Biểu quyết: <span class="arith">{_e(award.vote)}</span></p>')
        if award.awarded:
            shown = ", ".join(f"{names.get(u, u)} ({u})" for u in award.awarded)
            out.append(f'<p class="yes">Đề nghị: {_e(shown)}</p>')
        else:
            out.append('<p class="no">Không có đơn vị được đề nghị.</p>')
        out.append("<ul>")
        for decision in award.decisions:
            cls = "yes" if decision.awarded else "no"
            verdict = "Đề nghị" if decision.awarded else "Không đề nghị"
            out.append(
                f'<li><span class="{cls}">{verdict}</span> '
                f"{_e(names.get(decision.unit_id, decision.unit_id))}: {_e(decision.reason)}</li>"
            )
        out.extend(["</ul>", "</div>"])
    next_year = result.cluster.next_year if result.cluster else None
    if next_year and next_year.head:
        out.append(f"<p>Cụm trưởng năm sau: {_e(names.get(next_year.head, next_year.head))}</p>")
    if next_year and next_year.deputies:
        deputies = ", ".join(names.get(d, d) for d in next_year.deputies)
        out.append(f"<p>Cụm phó năm sau: {_e(deputies)}</p>")
    out.append("</section>")
    return out


def _unranked_section(result: ClusterResult, where: Mapping[str, str]) -> list[str]:
    out = ['<section id="khong-xep-hang">', "<h2>Đơn vị không xếp hạng, không khen thưởng</h2>"]
    others = [u for u in result.units if u.status != "scored"]
    ineligible = [u for u in result.units if u.status == "scored" and not u.eligible]
    if not (others or result.rejected or ineligible):
        out.append('<p class="note">Mọi đơn vị đều được chấm và xếp hạng.</p>')
    out.append("<ul>")
    for unit in others:
        if unit.status == "not_classified":
            reasons = "; ".join(unit.reasons)
            out.append(
                f'<li class="unranked"><b>{_link(unit, where)}</b> ({_e(unit.unit_id)}): '
                f"{UNIT_STATUS['not_classified']}, tổng {_num(unit.total)}. "
                f"Lý do: {_e(reasons)}</li>"
            )
        else:
            errors = "; ".join(i.render() for i in unit.issues if i.severity == "error")
            out.append(
                f'<li class="unranked"><b>{_link(unit, where)}</b> ({_e(unit.unit_id)}): '
                f"{UNIT_STATUS['error']}. {_e(errors)}</li>"
            )
    for rejected in result.rejected:
        errors = "; ".join(i.render() for i in rejected.issues if i.severity == "error")
        out.append(
            f'<li class="unranked"><b>{_e(rejected.name or rejected.unit_id)}</b> '
            f"({_e(rejected.unit_id)}): {UNIT_STATUS['rejected']}. {_e(errors)}</li>"
        )
    for unit in ineligible:
        reasons = "; ".join(unit.eligibility_reasons)
        out.append(
            f"<li><b>{_e(unit.name)}</b> ({_e(unit.unit_id)}): không đủ điều kiện khen thưởng."
            f" Lý do: {_e(reasons)}</li>"
        )
    out.append("</ul>")
    warnings = [i for u in result.units for i in u.issues if i.severity == "warning"]
    warnings += [i for i in result.issues if i.severity == "warning" and i.code != "tie-unresolved"]
    if warnings:
        out.append("<h3>Lưu ý</h3><ul>")
        out.extend(f'<li class="warn">{_e(i.render())}</li>' for i in warnings)
        out.append("</ul>")
    out.append("</section>")
    return out


def _link(unit: UnitScore, where: Mapping[str, str]) -> str:
    """The unit's name, a link to its explanation (on its page when the report is paged)."""
    page = _e(where.get(unit.unit_id, ""))
    return f'<a href="{page}#dv-{_e(unit.unit_id)}">{_e(unit.name)}</a>'


def _departures_section(result: ClusterResult, where: Mapping[str, str]) -> list[str]:
    rows = differences(result)
    out = ['<section id="chenh-lech">', "<h2>Chênh lệch: điểm tự chấm, điểm thống nhất</h2>"]
    if not rows:
        out.append(
            '<p class="note">Không có tiêu chí nào mà điểm tự chấm hoặc điểm thống nhất khác '
            "điểm tính theo hướng dẫn.</p>"
        )
        out.append("</section>")
        return out
    reviewed = any(r.departure is not None for r in rows)
    extra = "<th>Thống nhất</th><th>Người quyết định, lý do</th>" if reviewed else ""
    out.append(
        '<table class="departures"><caption>Tiêu chí có điểm tự chấm hoặc điểm thống nhất '
        "khác điểm tính theo hướng dẫn</caption><thead><tr><th>Đơn vị</th><th>Tiêu chí</th>"
        f"<th>Tự chấm</th><th>Tính theo hướng dẫn</th>{extra}</tr></thead><tbody>"
    )
    for row in rows:
        unit, ident = row.unit, row.item
        own_differs = row.self_score is not None and row.self_score != row.final
        cells = (
            f'<tr class="override"><td>{_e(unit.name)}</td>'
            f'<td><a href="{_e(where.get(unit.unit_id, ""))}#tc-{_e(unit.unit_id)}-'
            f'{_e(ident)}">{_e(ident)}</a></td>'
            f'<td class="n self{_diff(own_differs)}">{_num(row.self_score)}</td>'
            f'<td class="n">{_num(row.computed)}</td>'
        )
        if reviewed:
            why = ""
            if row.departure is not None:
                why = decided(row.departure)
            agreed = _num(row.final) if row.departure is not None else ""
            cells += (
                f'<td class="n agreed{_diff(row.departure is not None)}">{agreed}</td>'
                f"<td>{_e(why)}</td>"
            )
        out.append(cells + "</tr>")
    out.append("</tbody></table></section>")
    return out


def _diff(flag: bool) -> str:
    return " diff" if flag else ""


def _explanations(
    compiled: CompiledRuleset, units: Iterable[UnitScore], *, first_open: bool = True
) -> list[str]:
    """Each unit's explanation in a ``<details>`` (the first open on the report page)."""
    out: list[str] = []
    labels = {name: spec.label for name, spec in compiled.ruleset.inputs.items()}
    for index, unit in enumerate(units):
        head = f"Hạng {unit.rank}" if unit.rank is not None else UNIT_STATUS[unit.status]
        score = f"{_num(unit.total)} / {_num(unit.max)} điểm" if unit.total is not None else ""
        opened = " open" if index == 0 and first_open else ""
        out.append(f'<details class="unit" id="dv-{_e(unit.unit_id)}"{opened}>')
        out.append(
            f"<summary>{_e(head)} · {_e(unit.name)} ({_e(unit.unit_id)}) · {score}"
            f"{' · ' + _e(unit.classification) if unit.classification else ''}</summary>"
        )
        if unit.trace is None:
            errors = "; ".join(i.render() for i in unit.issues)
            out.append(f'<p class="status">Không có giải trình: {_e(errors)}</p></details>')
            continue
        out.extend(_review_lines(unit, labels))
        reviewed = unit.computed_items is not None
        extra = "<th>Theo quy định</th>" if reviewed else ""
        own = "<th>Tự chấm</th>" if unit.self_scores else ""
        out.append(
            f'<table class="explain"><caption>Giải trình điểm của {_e(unit.name)}</caption>'
            "<thead><tr><th>Mã</th><th>Tiêu chí</th><th>Điểm</th>"
            f"<th>Tối đa</th>{extra}{own}<th>Cách tính</th></tr></thead><tbody>"
        )
        out.extend(_trace_rows(unit, unit.trace, labels))
        out.append("</tbody></table></details>")
    return out


def _review_lines(unit: UnitScore, labels: Mapping[str, str]) -> list[str]:
    if not unit.reviews and not unit.corrected:
        return []
    items = [
        f"<li>{_e(STAGE_WORDS.get(stage, stage))}: {_e(reviewer)}, {_e(at)}</li>"
        for stage, reviewer, at in unit.reviews
    ]
    items.extend(
        f"<li>Sửa số liệu: {_e(labels.get(name, name))} <code>{_e(name)}</code> "
        f"({_e(reviewer)}, {_e(STAGE_WORDS.get(stage, stage))}, {_e(at)})</li>"
        for name, (reviewer, stage, at) in sorted(unit.corrected.items())
    )
    return ['<p class="reviews">Thẩm định:</p><ul class="lines">', *items, "</ul>"]


def _trace_rows(unit: UnitScore, root: TraceNode, labels: Mapping[str, str]) -> Iterable[str]:
    reviewed = unit.computed_items is not None
    unit_id = _e(unit.unit_id)
    stack: list[tuple[TraceNode, int]] = [(root, -1)]
    while stack:
        node, depth = stack.pop()
        stack.extend((c, depth + 1) for c in reversed(node.children))
        own = unit.self_scores.get(node.id)
        if node.id == "TOTAL":
            computed = unit.computed_total if reviewed else node.value
        else:
            computed = (unit.computed_items or {}).get(node.id) if reviewed else node.value
        self_differs = own is not None and own != node.value
        agreed_differs = node.status == "overridden" or (reviewed and computed != node.value)
        classes = ["total"] if node.id == "TOTAL" else [f"d{depth}"]
        if self_differs or agreed_differs:
            classes.append("override")
        title = node.title if node.id != "TOTAL" else "Tổng điểm"
        ident = _e(node.id)
        badges = ""
        if agreed_differs:
            badges += ' <span class="badge">điểm thống nhất</span>'
        if self_differs:
            badges += ' <span class="badge">khác tự chấm</span>'
        # the indent is the row's class (d0…d5 in the CSS); deeper rows say it themselves
        pad = f' style="padding-left:{6 + 16 * depth}px"' if depth > _CSS_DEPTHS else ""
        cells = [
            f'<tr class="{" ".join(classes)}" id="tc-{unit_id}-{ident}">',
            f"<td>{ident}</td>",
            f"<td{pad}>{_e(title)}{badges}</td>",
            f'<td class="n value{_diff(agreed_differs)}">{_num(node.value)}</td>',
            f'<td class="n">{_num(node.max)}</td>',
        ]
        if reviewed:
            cells.append(f'<td class="n computed">{_num(computed)}</td>')
        if unit.self_scores:  # the column only for a unit that scored itself
            shown = _num(own) if own is not None else ""
            cells.append(f'<td class="n self{_diff(self_differs)}">{shown}</td>')
        cells.append(f'<td class="rule">{_how(node, labels)}</td></tr>')
        yield "".join(cells)


def _how(node: TraceNode, labels: Mapping[str, str]) -> str:
    lines: list[str] = [_rule_text(node.rule)]
    status = STATUS_WORDS.get(node.status, node.status)
    if status:
        note = f" ({_e(node.note)})" if node.note else ""
        lines.append(f'<span class="status">{_e(status)}{note}</span>')
    items: list[str] = []
    for name, value in node.inputs:
        label = labels.get(name, name)
        items.append(f"<li>{_e(label)} <code>{_e(name)}</code> = {_e(_value_text(value))}</li>")
    if len(node.parts) > 1 or (node.parts and node.parts[0][0] not in _CONSTRUCT_PARTS):
        # each part is a row of its own, with its exact value on hover: here the short text only
        summed = " + ".join(f"{_e(label)}: {_short_num(amount)}" for label, amount in node.parts)
        items.append(f"<li>Cộng: {summed}</li>")
    for code, amount, note in node.adjustments:
        sign = "+" if amount >= 0 else ""
        items.append(
            f'<li class="adjustment">{_e(note)}: {sign}{_num(amount)} <code>{_e(code)}</code></li>'
        )
    for key, value in node.cohort:
        items.append(f'<li class="cohort">{_e(key)}: {_e(_value_text(value))}</li>')
    if items:
        lines.append('<ul class="lines">' + "".join(items) + "</ul>")
    return "<br>".join(lines[:2]) + "".join(lines[2:])


_CONSTRUCT_PARTS = frozenset(CONSTRUCTS)
