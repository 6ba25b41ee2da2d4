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

Its fixed texts are in the language of the call (``--lang``, :mod:`emulation_rules._support.i18n`;
Vietnamese by default, ``<html lang>`` says which), and so are the engine's texts it shows
(rules, notes, award decisions: :func:`~emulation_rules.reports._trace_words.trace_text`); the
guide's, the units' and the reviewers' own texts stay as written, numbers the Vietnamese way.
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
from emulation_rules._support.i18n import (
    LANGUAGES,
    language,
    pgettext,
    render_issue,
    use_language,
)
from emulation_rules._version import __version__
from emulation_rules.compiler.fields import NOT_APPLICABLE
from emulation_rules.guide.model import CONSTRUCTS
from emulation_rules.reports._cells import (
    award_titles,
    decided,
    differences,
    key_words,
    stage_words,
    status_words,
    summary_columns,
    unit_status,
)
from emulation_rules.reports._trace_words import trace_text

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


def _tag_raw(name: str, markup: str) -> str:
    """``markup`` (already HTML) in an element ``name`` without attributes."""
    return f"<{name}>{markup}</{name}>"


def _tag(name: str, text: str) -> str:
    """``text`` escaped, in an element ``name`` without attributes: ``<h2>…</h2>``."""
    return f"<{name}>{_e(text)}</{name}>"


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
def _rule_text(rule: str, lang: str) -> str:
    """A rule's text in ``lang`` with its numbers the Vietnamese way (it recurs in every unit).

    ``lang`` is the language of the call (:func:`~emulation_rules._support.i18n.language`):
    the cache keeps each language's text apart.
    """
    return _e(vn_numbers_in(_said(rule, lang)))


@functools.lru_cache(maxsize=4096)
def _said(text: str, lang: str) -> str:
    """An engine's text of a trace (a note, a fact's name) in ``lang`` (they recur too)."""
    if lang == "vi":  # the engine writes them in Vietnamese
        return text
    with use_language(lang):
        return trace_text(text)


def _shortened(value: Decimal) -> str:
    """The value's text, rounded to :data:`DISPLAY_PLACES` places when it has more."""
    exact = decimal_text(value)
    return _rounded(value) if len(exact.partition(".")[2]) > DISPLAY_PLACES else exact


@functools.lru_cache(maxsize=len(LANGUAGES))
def _value_words(lang: str) -> tuple[str, str, str]:
    """The words for an input that does not apply, true and false, in ``lang`` (they recur)."""
    with use_language(lang):
        return (
            pgettext("report", "not applicable"),
            pgettext("report", "yes"),
            pgettext("report", "no"),
        )


def _value_text(value: Any, lang: str) -> str:
    if value is NOT_APPLICABLE:
        return _value_words(lang)[0]
    if isinstance(value, bool):
        return _value_words(lang)[1 if value else 2]
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
        f'<html lang="{language()}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]


def _footer() -> str:
    words = pgettext(
        "report",
        "Made by emulation-rules {version}. Every number is an exact decimal; rounded only where "
        "the guide says so. A long number shows 4 decimal places and …; the exact value shows "
        "when the pointer rests on it.",
    )
    return f"</main><footer>{words.format(version=_e(__version__))}</footer>"


def _report_page(compiled: CompiledRuleset, result: ClusterResult, paging: _Paging | None) -> str:
    guide = compiled.ruleset
    heading = pgettext("report", "Emulation score summary")
    parts = _head(
        pgettext("report", "{heading}: {title}").format(heading=heading, title=guide.title)
    )
    parts += [
        "<header>",
        f"<h1>{_e(heading)}</h1>",
        f'<p class="guide-title">{_e(guide.title)}</p>',
        '<dl class="meta">',
    ]
    facts = (
        (pgettext("report", "Guide"), guide.id),
        (pgettext("report", "Version"), guide.version),
        (pgettext("report", "Scoring period"), guide.period),
        (pgettext("report", "Issued by"), guide.issuer),
        (pgettext("report", "Document number"), guide.document),
        (pgettext("report", "Scale"), vn_text(decimal_text(guide.scale))),
        (pgettext("report", "Guide digest"), result.ruleset_digest),
        (pgettext("report", "Evaluated as of"), result.as_of.isoformat() if result.as_of else None),
    )
    parts.extend(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts if v)
    parts.append("</dl>")
    sections = (
        ("xep-hang", pgettext("report", "Ranking")),
        ("bieu-do", pgettext("report", "Chart")),
        ("ban-do-nhiet", pgettext("report", "Points by criterion")),
        ("khen-thuong", pgettext("report", "Awards")),
        ("khong-xep-hang", pgettext("report", "Not ranked")),
        ("chenh-lech", pgettext("report", "Differences")),
        ("giai-trinh", pgettext("report", "Explanations")),
    )
    links = "".join(f'<a href="#{anchor}">{_e(text)}</a>' for anchor, text in sections)
    parts.append(f"<nav>{links}</nav>")
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
        parts.append(_tag("h2", pgettext("report", "Explanation of each unit")))
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
        _tag("h2", pgettext("report", "Explanation of each unit")),
        '<p class="note">'
        + pgettext(
            "report",
            "The explanations of {count} units on each page; click a unit's name in the "
            "ranking to open its explanation.",
        ).format(count=len(chunks[0]))
        + "</p>",
        '<ul class="pages">',
    ]
    for file, chunk in zip(files, chunks, strict=True):
        first, last = chunk[0], chunk[-1]
        out.append(
            f'<li><a href="{_e(file)}">'
            + pgettext("report", "Page {page}: {first} … {last}").format(
                page=files.index(file) + 1, first=_e(_who(first)), last=_e(_who(last))
            )
            + "</a></li>"
        )
    out.extend(["</ul>", "</section>"])
    return out


def _who(unit: UnitScore) -> str:
    if unit.rank is not None:
        head = pgettext("report", "rank {rank}").format(rank=unit.rank)
    else:
        head = unit_status()[unit.status].lower()
    return f"{unit.name} ({head})"


def _explanation_page(
    compiled: CompiledRuleset,
    units: list[UnitScore],
    index: int,
    files: list[str],
    report: str,
) -> str:
    guide = compiled.ruleset
    heading = pgettext("report", "Explanation of each unit, page {page}/{pages}").format(
        page=index + 1, pages=len(files)
    )
    parts = _head(
        pgettext("report", "{heading}: {title}").format(heading=heading, title=guide.title)
    )
    summary = _e(pgettext("report", "Score summary"))
    links = [f'<a href="{_e(report)}">{summary}</a>']
    if index > 0:
        previous = _e(pgettext("report", "Previous page"))
        links.append(f'<a href="{_e(files[index - 1])}" rel="prev">{previous}</a>')
    if index + 1 < len(files):
        following = _e(pgettext("report", "Next page"))
        links.append(f'<a href="{_e(files[index + 1])}" rel="next">{following}</a>')
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
    columns = (
        pgettext("report", "Rank"),
        pgettext("report", "Unit code"),
        pgettext("report", "Unit"),
        pgettext("report", "Total points"),
        pgettext("report", "Maximum"),
        pgettext("report", "Percentage"),
        pgettext("report", "Class"),
        pgettext("report", "Proposed awards"),
        pgettext("report", "Rank decided by"),
    )
    caption = pgettext("report", "Ranking of the scored units")
    out = [
        '<section id="xep-hang">',
        _tag("h2", pgettext("report", "Ranking")),
        f'<table class="ranking"><caption>{_e(caption)}</caption>',
        "<thead><tr>" + "".join(f"<th>{_e(c)}</th>" for c in columns) + "</tr></thead>",
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
        nobody = _e(pgettext("report", "No unit is ranked."))
        out.append(f'<p class="note">{nobody}</p>')
    tied = pgettext(
        "report", "Tied at rank {rank}: {units} (no ranking key of the guide separates them)."
    )
    out.extend(
        f'<p class="warn">{tied.format(rank=_e(tie.rank), units=_e(", ".join(tie.unit_ids)))}</p>'
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
    if by_percent:
        what = pgettext("report", "percentage of the applicable maximum")
    else:
        what = pgettext("report", "total points")
    label_width, bar_width, row_height = 400, 560, 30
    width = label_width + bar_width + 110
    height = row_height * len(values) + 40
    chart_label = pgettext("report", "Chart of the {what} of the units").format(what=what)
    out = [
        '<section id="bieu-do">',
        _tag("h2", pgettext("report", "Chart of the {what}").format(what=what)),
        (
            f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{_e(chart_label)}">'
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
    heat_caption = pgettext(
        "report",
        "Each unit's points on each criterion; the greener a cell, the nearer the maximum",
    )
    not_applicable = _e(pgettext("report", "not applicable"))
    region = _e(pgettext("report", "Heat map"))
    out = [
        '<section id="ban-do-nhiet">',
        _tag("h2", pgettext("report", "Points by criterion (heat map)")),
        (
            '<div class="scroll" tabindex="0" role="region" '
            f'aria-label="{region}">'
            f'<table class="heat"><caption>{_e(heat_caption)}</caption>'
        ),
        "<thead><tr>"
        + _tag("th", pgettext("report", "Rank"))
        + _tag("th", pgettext("report", "Unit")),
    ]
    for ident, depth in columns:
        node = compiled.nodes[ident]
        cls = ' class="sub"' if depth else ""
        maximum = f"<br>({_vn(node.max)})" if node.max is not None else ""
        out.append(f'<th{cls} title="{_e(node.title)}">{_e(ident)}{maximum}</th>')
    out.append(_tag("th", pgettext("report", "Total")) + "</tr></thead><tbody>")
    for unit in units:
        row = [f'<tr><td>{_e(unit.rank or "")}</td><td class="unit">{_e(unit.name)}</td>']
        for ident, _depth in columns:
            node = compiled.nodes[ident]
            if ident in unit.not_applicable or ident not in unit.items:
                row.append(f'<td class="na" title="{not_applicable}">—</td>')
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
            '<p class="legend">'
            + _e(
                pgettext(
                    "report",
                    "The colour follows the points earned against the criterion's maximum: red "
                    "(0) → yellow → green (the maximum); bonuses and deductions without a "
                    "maximum: green when added, red when deducted; “—”: not applicable.",
                )
            )
            + "</p>",
            "</section>",
        ]
    )
    return out


def _awards_section(result: ClusterResult) -> list[str]:
    heading = _e(pgettext("report", "Proposed awards"))
    out = ['<section id="khen-thuong">', f"<h2>{heading}</h2>"]
    if not result.awards:
        none = _e(pgettext("report", "The guide sets no award."))
        out.append(f'<p class="note">{none}</p>')
    names = {u.unit_id: u.name for u in result.units}
    for award in result.awards:
        out.append(f'<div class="award" id="award-{_e(award.id)}">')
        out.append(f"<h3>{_e(award.title)}</h3>")
        arithmetic = f'<span class="arith">{_e(trace_text(award.arithmetic))}</span>'
        quota = pgettext("report", "Quota: {arithmetic}").format(arithmetic=arithmetic)
        out.append(f"<p>{quota}</p>")
        if award.vote:
            vote = f'<span class="arith">{_e(trace_text(award.vote))}</span>'
            voted = pgettext("report", "Vote: {vote}").format(vote=vote)
            out.append(f"<p>{voted}</p>")
        if award.awarded:
            shown = ", ".join(f"{names.get(u, u)} ({u})" for u in award.awarded)
            proposed = pgettext("report", "Proposed: {units}").format(units=shown)
            out.append(f'<p class="yes">{_e(proposed)}</p>')
        else:
            nobody = _e(pgettext("report", "No unit is proposed."))
            out.append(f'<p class="no">{nobody}</p>')
        out.append("<ul>")
        for decision in award.decisions:
            cls = "yes" if decision.awarded else "no"
            verdict = (
                pgettext("report", "Proposed")
                if decision.awarded
                else pgettext("report", "Not proposed")
            )
            out.append(
                f'<li><span class="{cls}">{_e(verdict)}</span> '
                f"{_e(names.get(decision.unit_id, decision.unit_id))}: "
                f"{_e(trace_text(decision.reason))}</li>"
            )
        out.extend(["</ul>", "</div>"])
    next_year = result.cluster.next_year if result.cluster else None
    if next_year and next_year.head:
        head = names.get(next_year.head, next_year.head)
        said = pgettext("report", "Cluster head next year: {unit}").format(unit=head)
        out.append(f"<p>{_e(said)}</p>")
    if next_year and next_year.deputies:
        deputies = ", ".join(names.get(d, d) for d in next_year.deputies)
        said = pgettext("report", "Cluster deputies next year: {units}").format(units=deputies)
        out.append(f"<p>{_e(said)}</p>")
    out.append("</section>")
    return out


def _unranked_section(result: ClusterResult, where: Mapping[str, str]) -> list[str]:
    heading = _e(pgettext("report", "Units not ranked, not awarded"))
    out = ['<section id="khong-xep-hang">', f"<h2>{heading}</h2>"]
    status = unit_status()
    others = [u for u in result.units if u.status != "scored"]
    ineligible = [u for u in result.units if u.status == "scored" and not u.eligible]
    if not (others or result.rejected or ineligible):
        every = _e(pgettext("report", "Every unit is scored and ranked."))
        out.append(f'<p class="note">{every}</p>')
    out.append("<ul>")
    for unit in others:
        if unit.status == "not_classified":
            reasons = "; ".join(trace_text(r) for r in unit.reasons)
            said = pgettext("report", "{status}, total {total}. Reason: {reasons}").format(
                status=_e(status["not_classified"]), total=_num(unit.total), reasons=_e(reasons)
            )
            out.append(
                f'<li class="unranked"><b>{_link(unit, where)}</b> ({_e(unit.unit_id)}): '
                f"{said}</li>"
            )
        else:
            errors = "; ".join(render_issue(i) for i in unit.issues if i.severity == "error")
            out.append(
                f'<li class="unranked"><b>{_link(unit, where)}</b> ({_e(unit.unit_id)}): '
                f"{_e(status['error'])}. {_e(errors)}</li>"
            )
    for rejected in result.rejected:
        errors = "; ".join(render_issue(i) for i in rejected.issues if i.severity == "error")
        out.append(
            f'<li class="unranked"><b>{_e(rejected.name or rejected.unit_id)}</b> '
            f"({_e(rejected.unit_id)}): {_e(status['rejected'])}. {_e(errors)}</li>"
        )
    for unit in ineligible:
        reasons = "; ".join(trace_text(r) for r in unit.eligibility_reasons)
        said = pgettext("report", "not eligible for an award. Reason: {reasons}")
        out.append(
            f"<li><b>{_e(unit.name)}</b> ({_e(unit.unit_id)}): "
            f"{said.format(reasons=_e(reasons))}</li>"
        )
    out.append("</ul>")
    warnings = [i for u in result.units for i in u.issues if i.severity == "warning"]
    warnings += [i for i in result.issues if i.severity == "warning" and i.code != "tie-unresolved"]
    if warnings:
        out.append(_tag("h3", pgettext("report", "Notes")) + "<ul>")
        out.extend(f'<li class="warn">{_e(render_issue(i))}</li>' for i in warnings)
        out.append("</ul>")
    out.append("</section>")
    return out


def _link(unit: UnitScore, where: Mapping[str, str]) -> str:
    """The unit's name, a link to its explanation (on its page when the report is paged)."""
    page = _e(where.get(unit.unit_id, ""))
    return f'<a href="{page}#dv-{_e(unit.unit_id)}">{_e(unit.name)}</a>'


def _departures_section(result: ClusterResult, where: Mapping[str, str]) -> list[str]:
    rows = differences(result)
    heading = _e(pgettext("report", "Differences: self-scores, agreed scores"))
    out = ['<section id="chenh-lech">', f"<h2>{heading}</h2>"]
    if not rows:
        none = pgettext(
            "report",
            "No criterion has a self-score or an agreed score that differs from the score by "
            "the guide.",
        )
        out.append(f'<p class="note">{_e(none)}</p>')
        out.append("</section>")
        return out
    reviewed = any(r.departure is not None for r in rows)
    columns = [
        pgettext("report", "Unit"),
        pgettext("report", "Criterion"),
        pgettext("report", "Self-score"),
        pgettext("report", "By the guide"),
    ]
    if reviewed:
        columns += [pgettext("report", "Agreed"), pgettext("report", "Decided by, reason")]
    caption = pgettext(
        "report",
        "Criteria whose self-score or agreed score differs from the score by the guide",
    )
    out.append(
        f'<table class="departures"><caption>{_e(caption)}</caption><thead><tr>'
        + "".join(f"<th>{_e(c)}</th>" for c in columns)
        + "</tr></thead><tbody>"
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
        if unit.rank is not None:
            head = pgettext("report", "Rank {rank}").format(rank=unit.rank)
        else:
            head = unit_status()[unit.status]
        score = ""
        if unit.total is not None:
            score = pgettext("report", "{total} / {max} points").format(
                total=_num(unit.total), max=_num(unit.max)
            )
        opened = " open" if index == 0 and first_open else ""
        out.append(f'<details class="unit" id="dv-{_e(unit.unit_id)}"{opened}>')
        out.append(
            f"<summary>{_e(head)} · {_e(unit.name)} ({_e(unit.unit_id)}) · {score}"
            f"{' · ' + _e(unit.classification) if unit.classification else ''}</summary>"
        )
        if unit.trace is None:
            errors = "; ".join(render_issue(i) for i in unit.issues)
            said = pgettext("report", "No explanation: {errors}").format(errors=_e(errors))
            out.append(f'<p class="status">{said}</p></details>')
            continue
        out.extend(_review_lines(unit, labels))
        reviewed = unit.computed_items is not None
        columns = [
            pgettext("report", "Code"),
            pgettext("report", "Criterion"),
            pgettext("report", "Points"),
            pgettext("report", "Maximum"),
        ]
        if reviewed:
            columns.append(pgettext("report", "By the rule"))
        if unit.self_scores:
            columns.append(pgettext("report", "Self-score"))
        columns.append(pgettext("report", "How it is scored"))
        caption = pgettext("report", "The explanation of the points of {unit}")
        out.append(
            f'<table class="explain"><caption>{caption.format(unit=_e(unit.name))}</caption>'
            "<thead><tr>" + "".join(f"<th>{_e(c)}</th>" for c in columns) + "</tr></thead><tbody>"
        )
        out.extend(_trace_rows(unit, unit.trace, labels))
        out.append("</tbody></table></details>")
    return out


def _review_lines(unit: UnitScore, labels: Mapping[str, str]) -> list[str]:
    if not unit.reviews and not unit.corrected:
        return []
    stages = stage_words()
    items = [
        f"<li>{_e(stages.get(stage, stage))}: {_e(reviewer)}, {_e(at)}</li>"
        for stage, reviewer, at in unit.reviews
    ]
    corrected = pgettext("report", "Corrected data: {input} ({reviewer}, {stage}, {at})")
    items.extend(
        "<li>"
        + corrected.format(
            input=f"{_e(labels.get(name, name))} <code>{_e(name)}</code>",
            reviewer=_e(reviewer),
            stage=_e(stages.get(stage, stage)),
            at=_e(at),
        )
        + "</li>"
        for name, (reviewer, stage, at) in sorted(unit.corrected.items())
    )
    reviews = _e(pgettext("report", "Reviews:"))
    return [f'<p class="reviews">{reviews}</p><ul class="lines">', *items, "</ul>"]


def _trace_rows(unit: UnitScore, root: TraceNode, labels: Mapping[str, str]) -> Iterable[str]:
    reviewed = unit.computed_items is not None
    unit_id = _e(unit.unit_id)
    total_title = pgettext("report", "Total points")
    agreed_badge = _e(pgettext("report", "agreed score"))
    agreed_badge = f' <span class="badge">{agreed_badge}</span>'
    self_badge = _e(pgettext("report", "differs from self-score"))
    self_badge = f' <span class="badge">{self_badge}</span>'
    statuses = status_words()
    lang = language()
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
        title = node.title if node.id != "TOTAL" else total_title
        ident = _e(node.id)
        badges = ""
        if agreed_differs:
            badges += agreed_badge
        if self_differs:
            badges += self_badge
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
        cells.append(f'<td class="rule">{_how(node, labels, statuses, lang)}</td></tr>')
        yield "".join(cells)


def _how(node: TraceNode, labels: Mapping[str, str], statuses: Mapping[str, str], lang: str) -> str:
    lines: list[str] = [_rule_text(node.rule, lang)]
    status = statuses.get(node.status, node.status)
    if status:
        note = f" ({_e(_said(node.note, lang))})" if node.note else ""
        lines.append(f'<span class="status">{_e(status)}{note}</span>')
    items: list[str] = []
    for name, value in node.inputs:
        label = labels.get(name, name)
        shown = _e(_value_text(value, lang))
        items.append(f"<li>{_e(label)} <code>{_e(name)}</code> = {shown}</li>")
    if len(node.parts) > 1 or (node.parts and node.parts[0][0] not in _CONSTRUCT_PARTS):
        # each part is a row of its own, with its exact value on hover: here the short text only
        summed = " + ".join(f"{_e(label)}: {_short_num(amount)}" for label, amount in node.parts)
        items.append(_tag_raw("li", pgettext("report", "Sum: {parts}").format(parts=summed)))
    for code, amount, note in node.adjustments:
        sign = "+" if amount >= 0 else ""
        items.append(
            f'<li class="adjustment">{_e(_said(note, lang))}: {sign}{_num(amount)} '
            f"<code>{_e(code)}</code></li>"
        )
    for key, value in node.cohort:
        shown = _e(_value_text(value, lang))
        items.append(f'<li class="cohort">{_e(_said(key, lang))}: {shown}</li>')
    if items:
        lines.append('<ul class="lines">' + "".join(items) + "</ul>")
    return "<br>".join(lines[:2]) + "".join(lines[2:])


_CONSTRUCT_PARTS = frozenset(CONSTRUCTS)
