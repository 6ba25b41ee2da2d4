"""Outputs benchmark (issue 18): the Excel summary's seconds and the HTML report's bytes.

The anchor workload (``anchor.py``: 120 criteria, 1,000 units by default) is scored with the
trace on, then, in this process:

- the Excel summary is written (``write_summary``: build the workbook, save it, write the
  file), best of ``--reps`` wall-clock runs, with the file's size;
- the HTML report is written (``write_html``), best of ``--reps`` runs: the report page's size
  in bytes and gzipped, how many files (the report and its explanation pages), the largest of
  them and all together (the target: no file over 5 MB for 1,000 units, every unit's
  explanation in one of them, reached by a link from the report).

``--compare REF`` also measures a git revision (``main`` by default in the docs): its ``src/`` is
exported with ``git archive`` into a temporary folder and this script runs again on it in a
child process (the same virtual environment, the export first on ``sys.path``), so both columns
come from one run on one machine::

    .venv/bin/python benchmarks/outputs_bench.py --compare main
    .venv/bin/python benchmarks/outputs_bench.py --units 200 --reps 1

Not a test: wall clock on a shared machine varies, so each figure is the best of its runs, and
the CPU seconds (``time.process_time``) are given beside it: they hardly change with the load.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

#: Target of issue 18 for 1,000 units.
EXCEL_TARGET_S = 2.0
HTML_TARGET_BYTES = 5_000_000


def measure(units: int, reps: int, work_dir: Path) -> dict[str, Any]:
    """Score the anchor workload and time both outputs; figures as a dict."""
    import anchor  # noqa: PLC0415 - benchmarks/ is put on the path above

    from emulation_rules import load_ruleset, load_submissions, score  # noqa: PLC0415
    from emulation_rules.reports.report import write_html, write_summary  # noqa: PLC0415

    _, guide_path, subs_path = anchor.write_workload(work_dir, units)
    guide = load_ruleset(guide_path)
    batch = load_submissions([subs_path])
    result = score(guide, batch, trace=True)
    excel = work_dir / "tong-hop.xlsx"
    page = work_dir / "bao-cao.html"
    excel_times, excel_cpu, html_times, html_cpu = [], [], [], []
    files: list[Path] = []
    for _ in range(reps):
        for path in work_dir.glob("bao-cao*.html"):
            path.unlink()
        started, cpu = time.perf_counter(), time.process_time()
        write_summary(guide, result, excel)
        excel_times.append(time.perf_counter() - started)
        excel_cpu.append(time.process_time() - cpu)
        started, cpu = time.perf_counter(), time.process_time()
        written = write_html(guide, result, page)  # None before the explanation pages
        html_times.append(time.perf_counter() - started)
        html_cpu.append(time.process_time() - cpu)
        files = [Path(p) for p in written] if written else [page]
    data = page.read_bytes()
    sizes = [f.stat().st_size for f in files]
    return {
        "source": str(Path(sys.modules["emulation_rules"].__file__ or "").parent),
        "units": units,
        "excel_s": min(excel_times),
        "excel_cpu_s": min(excel_cpu),
        "excel_bytes": excel.stat().st_size,
        "html_s": min(html_times),
        "html_cpu_s": min(html_cpu),
        "html_bytes": len(data),
        "html_gzip_bytes": len(gzip.compress(data, 6)),
        "html_files": len(files),
        "html_largest_bytes": max(sizes),
        "html_total_bytes": sum(sizes),
        "explanations": sum(f.read_bytes().count(b'<details class="unit"') for f in files),
    }


def export(ref: str, folder: Path) -> Path:
    """``git archive REF src`` unpacked into ``folder``; the path to put on ``sys.path``."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / "src.tar"
    with archive.open("wb") as out:
        git = ["git", "-C", str(ROOT), "archive", ref, "src"]
        subprocess.run(git, stdout=out, check=True)  # noqa: S603 - our own git
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def run_child(src: Path, units: int, reps: int, work_dir: Path) -> dict[str, Any]:
    """This script on another source tree, in a child process; its figures."""
    env = dict(os.environ, PYTHONPATH=str(src))
    command = [sys.executable, str(Path(__file__).resolve()), "--units", str(units)]
    command += ["--reps", str(reps), "--json", "--work-dir", str(work_dir)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.2f} MB"


def table(rows: list[tuple[str, dict[str, Any]]]) -> str:
    """The figures as a Markdown table, one column per measured tree."""
    head = "| | " + " | ".join(name for name, _ in rows) + " |"
    lines = [head, "| --- |" + " --- |" * len(rows)]
    fields = (
        ("Excel summary, seconds (wall, best)", lambda f: f"{f['excel_s']:.2f} s"),
        ("Excel summary, seconds of CPU (best)", lambda f: f"{f['excel_cpu_s']:.2f} s"),
        ("Excel summary, file size", lambda f: _mb(f["excel_bytes"])),
        ("HTML report page, bytes", lambda f: f"{f['html_bytes']:,} ({_mb(f['html_bytes'])})"),
        ("HTML report page, gzip", lambda f: _mb(f["html_gzip_bytes"])),
        ("HTML files (report + explanation pages)", lambda f: f"{f['html_files']:,}"),
        ("HTML largest file", lambda f: _mb(f["html_largest_bytes"])),
        ("HTML all files", lambda f: _mb(f["html_total_bytes"])),
        ("HTML, seconds of CPU (best)", lambda f: f"{f['html_cpu_s']:.2f} s"),
        ("units with an explanation", lambda f: f"{f['explanations']:,}"),
    )
    for label, shown in fields:
        lines.append(f"| {label} | " + " | ".join(shown(f) for _, f in rows) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=3, help="runs of each output (best kept)")
    parser.add_argument("--compare", metavar="REF", help="also measure this git revision")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--work-dir", type=Path, help="where the workload and outputs go")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="outputs-bench-") as temp:
        work_dir = args.work_dir or Path(temp)
        if args.json:
            print(json.dumps(measure(args.units, args.reps, work_dir)))
            return
        rows: list[tuple[str, dict[str, Any]]] = []
        if args.compare:
            src = export(args.compare, Path(temp) / "before")
            before = run_child(src, args.units, args.reps, Path(temp) / "before-work")
            rows.append((f"`{args.compare}`", before))
        after = measure(args.units, args.reps, work_dir / "after")
        rows.append(("this tree", after))
    print(f"Outputs for {args.units:,} units of the anchor workload (trace on)\n")
    print(table(rows))
    scale = args.units / 1000
    ok_excel = after["excel_cpu_s"] < EXCEL_TARGET_S * scale
    ok_html = after["html_largest_bytes"] <= HTML_TARGET_BYTES * max(scale, 1)
    print(
        f"\ntargets for this tree: the Excel summary under {EXCEL_TARGET_S:g} s of CPU per 1,000 "
        f"units: {'met' if ok_excel else 'MISSED'}; no HTML file over {_mb(HTML_TARGET_BYTES)}, "
        f"every unit's explanation in one of them: "
        f"{'met' if ok_html and after['explanations'] == after['units'] else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
