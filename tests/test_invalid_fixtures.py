"""Every broken fixture in ``tests/data/invalid/`` reports its documented code at its position.

A YAML fixture starts with comment lines that state what it must report::

    # expect: <code> <line>:<col> [warning]    one line per expected issue ('-' = no value)
    # also: <code>                             more issues of this code may appear anywhere
    # unit: <unit_id>                          the unit the expected issues name
    # exact                                    no other issue at all, not even a warning

Without ``# exact``, warnings besides the expected issues are allowed.

JSON fixtures keep the same lines (without ``# ``) in a sidecar ``<name>.expect`` file. Files
that must be bytes (legacy encodings, UTF-16, NUL and other control characters, invisible
characters, a file too large, a file that does not exist) are built here, in :data:`GENERATED`.

Guides are checked with :func:`check_ruleset` and with ``python -m emulation_rules check``;
submissions are loaded and scored against ``submissions/_guide.yaml``, and the issues are
collected from the file-level issues, every rejected unit and every scored unit.

Cluster files (``clusters/``) are loaded. Reviews files (``reviews/``) are loaded, checked against a guide and, when the check finds no
error, applied to its example's submissions. They are checked against the Tiền Giang guide
and example unless their header names others::

    # guide: <path>  # submissions: <path>  # cluster: <path>  # as-of: <YYYY-MM-DD>
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from emulation_rules import (
    CompiledRuleset,
    Issue,
    check_ruleset,
    load_ruleset,
    load_submissions,
    score,
)
from emulation_rules.errors import CODES, EmulationRulesError
from emulation_rules.inputs.reviews import check_reviews, load_reviews
from emulation_rules.inputs.submissions import load_cluster

DATA = Path(__file__).resolve().parent / "data" / "invalid"
GUIDES = DATA / "guides"
SUBMISSIONS = DATA / "submissions"
SUBMISSION_GUIDE = SUBMISSIONS / "_guide.yaml"
REVIEWS = DATA / "reviews"
CLUSTERS = DATA / "clusters"
ROOT = DATA.parent.parent.parent

#: Codes with no fixture, because no guide or submission file can trigger them.
NO_FIXTURE = {
    # an internal invariant of the evaluator (a total that is not the sum of its parts): only
    # an engine bug can trigger it
    "total-mismatch",
    # a bad command line, not a bad file (tested in test_cli.py)
    "usage",
    # the output of a streaming run, and a worker process killed (tested in
    # test_stream_signals.py)
    "stream-resume",
    "stream-worker-lost",
    # a what-if request naming an unknown unit, label or award (tested in test_whatif.py)
    "whatif-request",
    # a web request naming a unit with no result (tested in test_service.py)
    "unknown-unit",
    # an output that cannot be written (tested in test_hostile_io.py)
    "file-write",
    # a signed record edited, or not signed by a trusted key (tested in test_signing.py)
    "audit-signature",
    # a guide test case that fails, not a broken guide (tested in test_guidetests.py)
    "test-failed",
    # openpyxl not installed, not a bad file (tested in test_excel.py by hiding openpyxl)
    "missing-dependency",
    # workbooks, which are binary and made by the tests (tested in test_excel_office.py)
    "workbook-too-large",
    "sheet-too-large",
    "cell-too-long",
    "merged-cells",
    "value-trimmed",
    "sheet-renamed",
    # a cluster file, which this framework does not load (tested in test_v2_cluster_facts.py)
    "cluster-fact-in-submission",
    "cluster-fact-missing",
    # a workbook with a list input, which the tests build (tested in test_v2_list_inputs.py)
    "excel-list-input",
    # audit records and logs, not guides or submissions (tested in test_audit.py)
    "audit-format",
    "audit-digest",
    "audit-chain",
    "audit-replay",
    # Word and Excel tables, not guides or submissions: the broken tables of the folder
    # invalid/tables are tested in test_word_table.py
    "import-unreadable",
    "import-no-table",
    "import-no-points-column",
    "import-several-tables",
    "import-merged-cells",
    "import-split-row",
    "import-todo",
}

#: Fixtures that fail because of an engine bug: remove the entry when the bug is fixed.
ENGINE_BUGS: dict[str, str] = {}

#: The bugs that also show through the command line (its exit code or the code printed).
CLI_BUGS: dict[str, str] = {}


# --------------------------------------------------------------------------------------------
# Expectations


@dataclass(frozen=True)
class Expect:
    """One issue a fixture must report."""

    code: str
    line: int | None
    column: int | None
    severity: str = "error"

    @classmethod
    def parse(cls, text: str) -> Expect:
        parts = text.split()
        if len(parts) not in (2, 3) or ":" not in parts[1]:
            msg = f"bad expectation {text!r}: write '<code> <line>:<col> [warning]'"
            raise ValueError(msg)
        line, column = parts[1].split(":")
        severity = parts[2] if len(parts) == 3 else "error"
        if severity not in ("error", "warning"):
            msg = f"bad severity in {text!r}"
            raise ValueError(msg)
        return cls(
            parts[0],
            None if line == "-" else int(line),
            None if column == "-" else int(column),
            severity,
        )

    def matches(self, issue: Issue) -> bool:
        return (
            issue.code == self.code
            and issue.line == self.line
            and issue.column == self.column
            and issue.severity == self.severity
        )

    def __str__(self) -> str:
        line = "-" if self.line is None else self.line
        column = "-" if self.column is None else self.column
        return f"{self.code} {line}:{column} {self.severity}"


@dataclass(frozen=True)
class Case:
    """A fixture: where its bytes come from and what it must report."""

    name: str
    expects: tuple[Expect, ...]
    also: frozenset[str] = frozenset()
    unit: str | None = None
    exact: bool = False
    #: The fixture file in the repository, or None when built by ``make``.
    path: Path | None = None
    #: Builds the file in a temporary folder and returns its path (generated cases).
    make: Callable[[Path], Path] | None = None

    def materialise(self, tmp: Path) -> Path:
        if self.path is not None:
            return self.path
        assert self.make is not None
        return self.make(tmp)


def parse_expectations(
    lines: list[str],
) -> tuple[tuple[Expect, ...], frozenset[str], str | None, bool]:
    expects: list[Expect] = []
    also: set[str] = set()
    unit = None
    exact = False
    for raw in lines:
        line = raw.strip()
        if line == "exact":
            exact = True
        elif line.startswith("expect:"):
            expects.append(Expect.parse(line.removeprefix("expect:")))
        elif line.startswith("also:"):
            also.update(line.removeprefix("also:").split())
        elif line.startswith("unit:"):
            unit = line.removeprefix("unit:").strip()
    return tuple(expects), frozenset(also), unit, exact


def file_case(path: Path) -> Case:
    if path.suffix == ".yaml":
        header = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            header.append(line.removeprefix("#"))
    else:
        sidecar = path.with_suffix(".expect")
        header = [
            line if line.startswith(("also:", "unit:", "exact")) else "expect: " + line
            for line in sidecar.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
    expects, also, unit, exact = parse_expectations(header)
    assert expects, f"{path.name} states no '# expect:' line"
    return Case(f"{path.parent.name}/{path.name}", expects, also, unit, exact, path=path)


# --------------------------------------------------------------------------------------------
# Generated fixtures: bytes that should not be stored as text files


_GUIDE_TEXT = """format: emulation-rules/v1
id: loi-mau
version: "2025.1"
title: Hướng dẫn chấm điểm lỗi mẫu
period: "2025"
scale: 10
criteria:
  - id: TC1
    title: Đơn vị hoàn thành
    max: 10
"""

_SUBMISSION_TEXT = """ruleset: kiem-thu-bai-nop
ruleset_version: "2025.1"
units:
  - unit_id: px-cai-be
    name: Phòng Tài nguyên và Môi trường huyện Cái Bè
    values:
      co_bao_cao: true
"""


def _writer(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path

    return make


def _guide_with(old: str, new: str) -> bytes:
    assert old in _GUIDE_TEXT
    return _GUIDE_TEXT.replace(old, new, 1).encode("utf-8")


def _legacy(title: bytes) -> bytes:
    """The guide in ASCII, with the criterion's title as ``title`` (legacy-encoded bytes)."""
    text = _GUIDE_TEXT.replace("Hướng dẫn chấm điểm lỗi mẫu", "Huong dan cham diem loi mau")
    return text.replace("Đơn vị hoàn thành", "@").encode("ascii").replace(b"@", title)


def _too_large(tmp: Path) -> Path:
    path = tmp / "file-too-large.yaml"
    with path.open("wb") as out:
        out.write(_GUIDE_TEXT.encode("utf-8"))
        out.write(b"# " + b"x" * (5 * 1024 * 1024) + b"\n")
    return path


def _generated(
    name: str, data: bytes | Callable[[Path], Path], *expects: str, kind: str = "guides"
) -> Case:
    parsed = tuple(Expect.parse(e) for e in expects)
    make = _writer(name, data) if isinstance(data, bytes) else data
    return Case(f"{kind}/{name} (generated)", parsed, make=make)


GENERATED: tuple[Case, ...] = (
    _generated("file-not-found.yaml", lambda tmp: tmp / "khong-co.yaml", "file-not-found -:-"),
    _generated("file-too-large.yaml", _too_large, "file-too-large -:-"),
    # 'Đơn vị' in Windows-1258 (D0 F5 6E 20 76 69 F2): 0xD0 starts a UTF-8 pair, 0xF5 ends it
    _generated("encoding-windows-1258.yaml", _legacy(b"\xd0\xf5n vi\xf2"), "encoding 9:12"),
    # 'Đơn vị' in TCVN3 (ABC) (A7 AC 6E 20 76 DE): 0xA7 cannot start a UTF-8 character
    _generated("encoding-tcvn3.yaml", _legacy(b"\xa7\xacn v\xde"), "encoding 9:12"),
    # Python's "utf-16" codec writes the byte order mark of the machine (little-endian here)
    _generated("encoding-utf16-bom.yaml", _GUIDE_TEXT.encode("utf-16"), "encoding 1:1"),
    _generated(
        "encoding-utf16-be-bom.yaml",
        b"\xfe\xff" + _GUIDE_TEXT.encode("utf-16-be"),
        "encoding 1:1",
    ),
    _generated(
        "control-char-nul.yaml",
        _guide_with("Đơn vị hoàn thành", "Đơn vị\x00hoàn thành"),
        "control-char 9:18",
    ),
    _generated(
        "control-char-escape.yaml",
        _guide_with("Đơn vị hoàn thành", "\x1b[31mĐơn vị hoàn thành\x1b[0m"),
        "control-char 9:12",
    ),
    _generated(
        "control-char-c1.yaml",
        _guide_with("Đơn vị hoàn thành", "Đơn vị\x85hoàn thành"),
        "control-char 9:18",
    ),
    _generated(
        "invisible-char-zero-width-space.yaml",
        _guide_with("id: TC1", "id: TC\u200b1"),
        "invisible-char 8:11",
    ),
    _generated(
        "invisible-char-bidi-override.yaml",
        _guide_with("id: TC1", "id: TC\u202e1"),
        "invisible-char 8:11",
    ),
    _generated(
        "invisible-char-byte-order-mark-inside.yaml",
        _guide_with("period:", "\ufeffperiod:"),
        "invisible-char 5:1",
    ),
    _generated(
        "encoding-utf16.yaml",
        _SUBMISSION_TEXT.encode("utf-16"),
        "encoding 1:1",
        kind="submissions",
    ),
    _generated(
        "control-char-nul.yaml",
        _SUBMISSION_TEXT.replace("huyện Cái Bè", "huyện\x00Cái Bè").encode("utf-8"),
        "control-char 5:47",
        kind="submissions",
    ),
    _generated(
        "invisible-char-zero-width-joiner.json",
        b'{"ruleset": "kiem-thu-bai-nop", "ruleset_version": "2025.1", "units": [{"unit_id": '
        b'"px-cai-be\xe2\x80\x8d", "name": "Ph\xc3\xb2ng C\xc3\xa1i B\xc3\xa8", "values": '
        b'{"co_bao_cao": true}}]}\n',
        "invisible-char -:-",  # JSON carries no positions; the issue names the unit
        kind="submissions",
    ),
)


# --------------------------------------------------------------------------------------------
# Collecting cases


def _cases(folder: Path, kind: str) -> list[Case]:
    files = sorted(
        p for p in folder.iterdir() if p.suffix in (".yaml", ".json") and not p.name.startswith("_")
    )
    cases = [file_case(p) for p in files]
    cases += [c for c in GENERATED if c.name.startswith(f"{kind}/")]
    return cases


GUIDE_CASES = _cases(GUIDES, "guides")
SUBMISSION_CASES = _cases(SUBMISSIONS, "submissions")
REVIEW_CASES = _cases(REVIEWS, "reviews")
CLUSTER_CASES = _cases(CLUSTERS, "clusters")


def review_setting(path: Path) -> dict[str, str]:
    """What a reviews fixture is checked against: its header's guide, submissions, … lines."""
    setting = {
        "guide": "rulesets/tiengiang-stnmt-2022.yaml",
        "submissions": "examples/tiengiang-2022/submissions.yaml",
    }
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line.removeprefix("#").strip().partition(":")
        if key in ("guide", "submissions", "cluster", "as-of"):
            setting[key] = value.strip()
    return setting


def _params(cases: list[Case], bugs: dict[str, str]) -> list[object]:
    return [
        pytest.param(
            case,
            id=case.name,
            marks=[pytest.mark.xfail(strict=True, reason=bugs[case.name])]
            if case.name in bugs
            else [],
        )
        for case in cases
    ]


# --------------------------------------------------------------------------------------------
# Checking


@dataclass(frozen=True)
class Found:
    """An issue and where it was reported: 'file', 'rejected', or a scored unit's status."""

    issue: Issue
    origin: str


def _show(found: list[Found]) -> str:
    return (
        "\n".join(
            f"  {f.issue.code} {f.issue.line if f.issue.line is not None else '-'}:"
            f"{f.issue.column if f.issue.column is not None else '-'} {f.issue.severity} "
            f"[{f.origin}] {f.issue.message}"
            for f in found
        )
        or "  (no issues)"
    )


def assert_reports(case: Case, found: list[Found]) -> None:
    left = list(found)
    for expect in case.expects:
        match = next((f for f in left if expect.matches(f.issue)), None)
        assert match is not None, f"{case.name}: no issue {expect}; reported:\n{_show(found)}"
        left.remove(match)
        if case.unit is not None:
            assert match.issue.unit_id == case.unit, f"{case.name}: {match.issue}"
        if expect.code.startswith("eval-"):
            assert match.origin == "error", f"{case.name}: the unit's status is {match.origin}"
    unexpected = [
        f
        for f in left
        if (case.exact or f.issue.severity == "error") and f.issue.code not in case.also
    ]
    assert not unexpected, f"{case.name}: unexpected errors:\n{_show(unexpected)}"


@pytest.mark.parametrize("case", _params(GUIDE_CASES, ENGINE_BUGS))
def test_guide_fixture(case: Case, tmp_path: Path) -> None:
    path = case.materialise(tmp_path)
    issues = check_ruleset(path, name=path.name)
    assert all(i.code in CODES for i in issues), issues
    assert_reports(case, [Found(i, "guide") for i in issues])


@pytest.fixture(scope="module")
def submission_guide() -> CompiledRuleset:
    return load_ruleset(SUBMISSION_GUIDE)


def test_submission_guide_is_clean() -> None:
    assert check_ruleset(SUBMISSION_GUIDE) == []


@pytest.mark.parametrize("case", _params(SUBMISSION_CASES, ENGINE_BUGS))
def test_submission_fixture(case: Case, tmp_path: Path, submission_guide: CompiledRuleset) -> None:
    path = case.materialise(tmp_path)
    batch = load_submissions([path])
    result = score(
        submission_guide, batch.submissions, rejected=batch.rejected, issues=batch.issues
    )
    found = [Found(i, "file") for i in result.issues]
    found += [Found(i, "rejected") for r in result.rejected for i in r.issues]
    found += [Found(i, u.status) for u in result.units for i in u.issues]
    assert all(f.issue.code in CODES for f in found), _show(found)
    assert_reports(case, found)


@pytest.mark.parametrize("case", _params(REVIEW_CASES, ENGINE_BUGS))
def test_reviews_fixture(case: Case) -> None:
    assert case.path is not None
    setting = review_setting(case.path)
    guide = load_ruleset(ROOT / setting["guide"])
    cluster = load_cluster(ROOT / setting["cluster"]) if "cluster" in setting else None
    as_of = date.fromisoformat(setting["as-of"]) if "as-of" in setting else None
    try:
        reviews = list(load_reviews(case.path).reviews)
    except EmulationRulesError as exc:
        found = [Found(i, "file") for i in exc.issues]
    else:
        issues = list(check_reviews(guide, reviews, as_of=as_of).issues)
        if not any(i.severity == "error" for i in issues):
            batch = load_submissions([ROOT / setting["submissions"]])
            result = score(guide, batch.submissions, cluster=cluster, reviews=reviews, as_of=as_of)
            issues += [i for i in result.issues if i not in issues]
        found = [Found(i, "reviews") for i in issues]
    assert all(f.issue.code in CODES for f in found), _show(found)
    assert_reports(case, found)


@pytest.mark.parametrize("case", _params(CLUSTER_CASES, ENGINE_BUGS))
def test_cluster_fixture(case: Case) -> None:
    """A cluster file is read with the police guide's example (the file it replaces)."""
    assert case.path is not None
    try:
        load_cluster(case.path)
    except EmulationRulesError as exc:
        found = [Found(i, "file") for i in exc.issues]
    else:
        found = []
    assert all(f.issue.code in CODES for f in found), _show(found)
    assert_reports(case, found)


def test_every_code_has_a_fixture() -> None:
    cases = GUIDE_CASES + SUBMISSION_CASES + REVIEW_CASES + CLUSTER_CASES
    covered = {e.code for case in cases for e in case.expects}
    assert set(CODES) >= NO_FIXTURE
    assert not covered & NO_FIXTURE, "a code with a fixture is still in NO_FIXTURE"
    assert covered <= set(CODES), covered - set(CODES)
    missing = set(CODES) - covered - NO_FIXTURE
    assert not missing, f"codes without a fixture: {sorted(missing)}"


def test_fixture_names_start_with_their_code() -> None:
    for case in GUIDE_CASES + SUBMISSION_CASES + REVIEW_CASES + CLUSTER_CASES:
        stem = case.name.split("/", 1)[1].split(" ", 1)[0].rsplit(".", 1)[0]
        codes = {e.code for e in case.expects}
        assert any(stem == c or stem.startswith(c + "-") for c in codes), case.name


# --------------------------------------------------------------------------------------------
# The command line on every guide fixture


@pytest.fixture(scope="module")
def cli_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("cli")

    def run(case: Case) -> tuple[str, subprocess.CompletedProcess[str]]:
        folder = tmp / case.name.replace("/", "_").replace(" ", "_")
        folder.mkdir()
        path = case.materialise(folder)
        done = subprocess.run(
            [sys.executable, "-m", "emulation_rules", "check", str(path)],
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
            timeout=120,
        )
        return case.name, done

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(run, GUIDE_CASES))


@pytest.mark.parametrize("case", _params(GUIDE_CASES, CLI_BUGS))
def test_cli_check(case: Case, cli_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    done = cli_runs[case.name]
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert "internal error" not in output, output
    only_warnings = all(e.severity == "warning" for e in case.expects)
    assert done.returncode == (0 if only_warnings else 1), output
    for expect in case.expects:
        assert f"{expect.code}: " in output, output
