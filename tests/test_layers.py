"""The layer contract: the import-linter contracts hold, fail on an upward import, no cycle.

The contracts are in ``[tool.importlinter]`` of pyproject.toml (docs/architecture.md says
why); ``make imports`` checks them. These tests make sure the check can fail: an upward import
planted in a copy of the source is caught, also when it is only under ``if TYPE_CHECKING``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

pytestmark = pytest.mark.slow


def lint_imports(src: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the package found in ``src``, with the project's contracts."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(ROOT / "pyproject.toml"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )


def planted(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of ``src/`` with ``line`` added at the end of ``module`` (a path in the package)."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
    target = src / "emulation_rules" / module
    target.write_text(target.read_text(encoding="utf-8") + line, encoding="utf-8")
    return src


def test_the_real_tree_keeps_every_contract(tmp_path):
    proc = lint_imports(ROOT / "src", tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_the_copy_is_what_is_checked(tmp_path):
    # the planted copy, not the installed package, is analysed
    src = planted(tmp_path, "_support/text.py", "")
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.run(
        [sys.executable, "-c", "import emulation_rules; print(emulation_rules.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert proc.stdout.strip() == str(src / "emulation_rules" / "__init__.py")


TYPE_ONLY = (
    "\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
    "    from emulation_rules.engine.scoring import score\n"
)
IN_A_FUNCTION = "\n\ndef _late() -> None:\n    from emulation_rules.engine import evaluator\n"


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("_support/text.py", "\nimport emulation_rules.cli\n", "support-is-a-leaf"),
        ("_support/numbers.py", TYPE_ONLY, "support-is-a-leaf"),
        ("compiler/nodes.py", IN_A_FUNCTION, "compiler-not-engine"),
        ("inputs/submissions.py", "\nimport emulation_rules.engine.awards\n", "inputs-not-engine"),
        ("engine/scoring.py", "\nimport emulation_rules.inputs.read\n", "engine-reads-no-file"),
        ("engine/awards.py", "\nimport emulation_rules.reports.explain\n", "engine-not-outputs"),
        ("reports/explain.py", "\nimport emulation_rules.stream\n", "layers"),
        ("guide/model.py", "\nimport emulation_rules.compiler.sandbox\n", "layers"),
    ],
    ids=[
        "runtime",
        "type-only",
        "in-a-function",
        "inputs-engine",
        "engine-reader",
        "engine-reports",
        "reports-stream",
        "guide-compiler",
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path, module, line, contract):
    src = planted(tmp_path, module, line)
    whole = lint_imports(src, tmp_path)
    assert whole.returncode == 1, whole.stdout + whole.stderr
    assert "BROKEN" in whole.stdout
    one = lint_imports(src, tmp_path, "--contract", contract)
    assert one.returncode == 1, one.stdout + one.stderr
    assert "1 broken" in one.stdout, one.stdout


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


@pytest.mark.parametrize("type_only", [False, True], ids=["run-time", "with-type-only"])
def test_no_import_cycle_between_modules(type_only):
    graph = grimp.build_graph(
        "emulation_rules", exclude_type_checking_imports=not type_only, cache_dir=None
    )
    assert len(graph.modules) > 40
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for module in ("p", "p.a", "p.b", "p.c"):
        graph.add_module(module)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.a")
    graph.add_import(importer="p.c", imported="p.a")
    assert cycles(graph) == [["p.a", "p.b"]]
