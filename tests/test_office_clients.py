"""The workbooks and the report in the real clients offices use: LibreOffice and Chromium.

- **Round trip.** Every shipped guide's template, filled with its YAML example, is saved twice
  by LibreOffice (``soffice --headless --convert-to xlsx``, a fresh profile) and must score
  byte for byte like the YAML.
- **Print.** LibreOffice prints the template and the summary to PDF; the Tiền Giang template
  comes to at most 12 pages (82 before print layouts), the police summary to at most 12 (36).
- **Browser.** Chromium shows the report at 390 px without sideways scroll, prints every unit's
  explanation and the whole heat map, and axe-core finds no serious or critical violation.

Each part is skipped, with the reason, where its client is missing; ``.ci/run`` installs them
(LibreOffice, poppler-utils, Chromium from Debian; axe-core from npm into a cache folder).
With ``EMULATION_RULES_UPDATE_SCREENSHOT=1`` the pictures in ``docs/img/`` are made anew.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

openpyxl = pytest.importorskip("openpyxl", reason="the 'excel' extra (openpyxl) is not installed")

from emulation_rules import load_cluster, load_ruleset, load_submissions, score  # noqa: E402
from emulation_rules.inputs.excel import write_template  # noqa: E402
from emulation_rules.reports.excel_summary import write_summary  # noqa: E402
from emulation_rules.reports.html import html_pages, write_html  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
IMG = ROOT / "docs" / "img"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFINFO, PDFTOTEXT, PDFTOPPM = (shutil.which(n) for n in ("pdfinfo", "pdftotext", "pdftoppm"))
BROWSER = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
NPM = shutil.which("npm")
UPDATE = os.environ.get("EMULATION_RULES_UPDATE_SCREENSHOT") == "1"

needs_office = pytest.mark.skipif(
    SOFFICE is None or PDFINFO is None,
    reason="LibreOffice or poppler-utils is not installed "
    "(apt-get install libreoffice-calc-nogui poppler-utils)",
)
needs_browser = pytest.mark.skipif(
    BROWSER is None or PDFTOTEXT is None,
    reason="Chromium or poppler-utils is not installed (apt-get install chromium poppler-utils)",
)
pytestmark = pytest.mark.slow


def _test_excel() -> Any:
    spec = importlib.util.spec_from_file_location("_test_excel2", ROOT / "tests" / "test_excel.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def soffice(source: Path, kind: str, outdir: Path, profile: Path) -> Path:
    """Convert with LibreOffice (``xlsx`` saves the workbook again, ``pdf`` prints it)."""
    assert SOFFICE is not None
    outdir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            kind,
            "--outdir",
            str(outdir),
            str(source),
        ],
        capture_output=True,
        timeout=300,
        check=False,
    )
    out = outdir / f"{source.stem}.{kind}"
    assert out.is_file(), done.stderr.decode(errors="replace")[-2000:]
    return out


def pages(pdf: Path) -> int:
    assert PDFINFO is not None
    info = subprocess.run([PDFINFO, str(pdf)], capture_output=True, check=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE).group(1))


@pytest.fixture(scope="module")
def profile(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lo-profile")


@needs_office
@pytest.mark.parametrize(("guide_id", "example"), _test_excel().EXAMPLES)
def test_saved_twice_by_libreoffice_scores_like_yaml(guide_id, example, tmp_path, profile):
    shared = _test_excel()
    compiled = load_ruleset(ROOT / "rulesets" / f"{guide_id}.yaml")
    template = tmp_path / "mau.xlsx"
    write_template(compiled, template)
    yaml_path = ROOT / "examples" / example / "submissions.yaml"
    filled = shared.fill_from_yaml(template, yaml_path, tmp_path / "filled.xlsx")
    once = soffice(filled, "xlsx", tmp_path / "once", profile)
    twice = soffice(once, "xlsx", tmp_path / "twice", profile)
    cluster_path = ROOT / "examples" / example / "cluster.yaml"
    cluster = load_cluster(cluster_path) if cluster_path.exists() else None
    from_yaml = load_submissions([yaml_path])
    from_office = load_submissions([twice])
    assert from_office.issues == ()
    assert from_office.rejected == ()
    expected = score(compiled, from_yaml.submissions, rejected=from_yaml.rejected, cluster=cluster)
    got = score(compiled, from_office.submissions, rejected=from_office.rejected, cluster=cluster)
    assert shared.without_locations(got.to_json()) == shared.without_locations(expected.to_json())
    if not [i for u in expected.units for i in u.issues if i.line is not None]:
        assert got.to_json() == expected.to_json()  # byte for byte


@needs_office
def test_the_tiengiang_template_prints_on_few_pages(tmp_path, profile):
    template = tmp_path / "mau-tiengiang.xlsx"
    write_template(load_ruleset(ROOT / "rulesets/tiengiang-stnmt-2022.yaml"), template)
    pdf = soffice(template, "pdf", tmp_path, profile)
    assert pages(pdf) <= 12


@needs_office
def test_the_police_summary_prints_on_few_pages(tmp_path, profile):
    compiled = load_ruleset(ROOT / "rulesets/congan-cum347-2024.yaml")
    batch = load_submissions([ROOT / "examples/congan-cum347/submissions.yaml"])
    cluster = load_cluster(ROOT / "examples/congan-cum347/cluster.yaml")
    result = score(compiled, batch.submissions, cluster=cluster)
    summary = tmp_path / "tong-hop.xlsx"
    write_summary(compiled, result, summary)
    pdf = soffice(summary, "pdf", tmp_path, profile)
    assert pages(pdf) <= 12
    if UPDATE and PDFTOPPM is not None:
        subprocess.run(
            [PDFTOPPM, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
             str(IMG / "summary-print")],
            check=True,
        )  # fmt: skip


# --------------------------------------------------------------------------------------------
# The HTML report in Chromium


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, list[str]]:
    """The police cluster's report, and the names of its units."""
    compiled = load_ruleset(ROOT / "rulesets/congan-cum347-2024.yaml")
    batch = load_submissions([ROOT / "examples/congan-cum347/submissions.yaml"])
    cluster = load_cluster(ROOT / "examples/congan-cum347/cluster.yaml")
    result = score(compiled, batch.submissions, cluster=cluster)
    folder = tmp_path_factory.mktemp("html")
    path = folder / "bao-cao.html"
    write_html(compiled, result, path)
    return path, [u.name for u in result.units]


def chromium(url: str, profile: Path, *args: str) -> str:
    assert BROWSER is not None
    command = [
        BROWSER,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-extensions",
        "--hide-scrollbars",
        "--allow-file-access-from-files",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        *args,
        url,
    ]
    done = subprocess.run(command, capture_output=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout.decode("utf-8")


def _probe(dom: str) -> str:
    match = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert match, dom[-2000:]
    return match.group(1)


@needs_browser
def test_no_sideways_scroll_on_a_phone(report, tmp_path):
    page, _names = report
    # a 390-px frame: headless windows are never narrower than 500 px
    host = page.parent / "phone.html"
    host.write_text(
        '<!doctype html><html><body style="margin:0"><iframe id="f" src="bao-cao.html" '
        'style="width:390px;height:844px;border:0"></iframe><script>'
        'document.getElementById("f").onload=function(){var d=this.contentDocument'
        '.documentElement;var p=document.createElement("pre");p.id="probe";'
        'p.textContent=d.scrollWidth+" "+d.clientWidth;document.body.appendChild(p);};'
        "</script></body></html>",
        encoding="utf-8",
    )
    dom = chromium(host.as_uri(), tmp_path / "p", "--virtual-time-budget=10000", "--dump-dom")
    scroll_width, client_width = map(int, _probe(dom).split())
    assert client_width == 390
    assert scroll_width <= client_width
    if UPDATE:
        chromium(
            page.as_uri(),
            tmp_path / "s",
            "--window-size=500,1100",
            f"--screenshot={IMG / 'report-phone.png'}",
        )


@needs_browser
def test_print_shows_every_explanation_and_the_whole_heat_map(report, tmp_path):
    page, names = report
    pdf = tmp_path / "bao-cao.pdf"
    chromium(page.as_uri(), tmp_path / "p", f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert PDFTOTEXT is not None
    text = subprocess.run(
        [PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    text = re.sub(r"\s+", " ", text)
    for name in names:
        assert f"Giải trình điểm của {name}" in text, name
    heat = text.split("Điểm từng tiêu chí")[1].split("Đề nghị khen thưởng")[0]
    for column in ("III.4", "IV", "Tổng"):  # the map was cut after III.4
        assert column in heat
    if UPDATE and PDFTOPPM is not None:
        subprocess.run(
            [PDFTOPPM, "-png", "-r", "60", "-f", "2", "-l", "2", "-singlefile", str(pdf),
             str(IMG / "report-print")],
            check=True,
        )  # fmt: skip


@pytest.fixture(scope="module")
def axe(tmp_path_factory) -> Path:
    """axe-core from npm, in a cache folder (``EMULATION_RULES_AXE_DIR``, or a temp one)."""
    if NPM is None:
        pytest.skip("npm is not installed: axe-core cannot be installed")
    folder = Path(os.environ.get("EMULATION_RULES_AXE_DIR") or tmp_path_factory.mktemp("axe"))
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        done = subprocess.run(
            [NPM, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(folder),
             "axe-core@4"],
            capture_output=True, timeout=300, check=False,
        )  # fmt: skip
        if not script.is_file():
            pytest.skip(f"axe-core could not be installed from npm: {done.stderr[-500:]!r}")
    return script


@pytest.fixture(scope="module")
def explanation_page(tmp_path_factory) -> Path:
    """A page of explanations of the police cluster (two units a page), collapsed."""
    compiled = load_ruleset(ROOT / "rulesets/congan-cum347-2024.yaml")
    batch = load_submissions([ROOT / "examples/congan-cum347/submissions.yaml"])
    cluster = load_cluster(ROOT / "examples/congan-cum347/cluster.yaml")
    result = score(compiled, batch.submissions, cluster=cluster)
    folder = tmp_path_factory.mktemp("paged")
    pages = html_pages(compiled, result, per_page=2)
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "bao-cao-giai-trinh-2.html"


@needs_browser
@pytest.mark.parametrize("which", ["report", "explanation_page"])
def test_axe_finds_no_serious_or_critical_violation(which, request, axe, tmp_path):
    page = request.getfixturevalue(which)
    page = page[0] if isinstance(page, tuple) else page
    run = (
        "<script>axe.run(document,{resultTypes:['violations']}).then(function(r){"
        "var p=document.createElement('pre');p.id='probe';p.textContent=JSON.stringify("
        "r.violations.map(function(v){return {id:v.id,impact:v.impact,nodes:v.nodes.length};})"
        ");document.body.appendChild(p);});</script>"
    )
    checked = page.parent / f"axe-{page.name}"
    html = page.read_text(encoding="utf-8")
    script = f"<script>{axe.read_text(encoding='utf-8')}</script>{run}</body>"
    checked.write_text(html.replace("</body>", script), encoding="utf-8")
    dom = chromium(checked.as_uri(), tmp_path / "p", "--virtual-time-budget=30000", "--dump-dom")
    violations = json.loads(_probe(dom).replace("&quot;", '"').replace("&amp;", "&"))
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], violations
