"""Fuzzing (issue 7): whatever bytes, values or expressions come in, only documented errors leave.

Bounded hypothesis versions of the fuzz targets of ``fuzz/atheris_targets.py``:

* the guide loader: :func:`check_ruleset` on random bytes, random text and mutations of real
  guides returns a list of :class:`Issue` and never raises; :func:`load_ruleset` raises only
  :class:`RulesetError`, and exactly when ``check_ruleset`` reports an error; a mutated guide
  that still loads scores its example cluster without an unexpected exception;
* the submission loader: :func:`load_submissions` on random and mutated YAML and JSON files,
  :func:`load_cluster` on mutated cluster files, and :func:`score` with random values of every
  Python type for real guides' inputs: only :class:`EmulationRulesError` (or rejected and
  failed units in the result) may come out;
* the expression checker: :func:`check_expression` on random text and random token sequences
  returns ``(CheckedExpression | None, issues)`` and never raises; a checked expression
  evaluated with random plain values raises only :class:`EvaluationError`.

Every test is deterministic (``derandomize=True``) and bounded (100-200 examples). A crash the
fuzzers found is pinned as an explicit ``xfail(strict=True)`` regression test at the end of this
file, with its minimal input; the fuzz test then skips exactly that input shape, and the
regression test says when to remove the skip.
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
import re
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from emulation_rules import (
    ClusterData,
    ClusterResult,
    CompiledRuleset,
    EvaluationError,
    Issue,
    RulesetError,
    Submission,
    SubmissionBatch,
    SubmissionError,
    check_ruleset,
    load_cluster,
    load_ruleset,
    load_submissions,
    score,
)
from emulation_rules.compiler.sandbox import (
    CheckedExpression,
    check_expression,
    evaluate_expression,
)
from emulation_rules.engine.evaluator import ENGINE_CONTEXT
from emulation_rules.errors import CODES

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
EXAMPLES = ROOT / "examples"
SUBMISSION_GUIDE = ROOT / "tests" / "data" / "invalid" / "submissions" / "_guide.yaml"

#: ``FUZZ_SCALE=20 pytest tests/test_fuzz.py`` runs 20 times as many examples, with a random
#: seed (the normal suite is bounded and deterministic).
SCALE = int(os.environ.get("FUZZ_SCALE", "1"))
FUZZ = settings(
    max_examples=150 * SCALE,
    deadline=None,
    derandomize=SCALE == 1,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
FEW = settings(FUZZ, max_examples=100 * SCALE)
MANY = settings(FUZZ, max_examples=200 * SCALE)

# --------------------------------------------------------------------------------------------
# Material: real guides, their example clusters, and a small guide with every cluster construct

#: A compact guide with the cluster-phase constructs (Article 6 target, rank_points of and
#: average_of), checks, eligibility and awards with vote, quota and allow_with: cheap to mutate.
CLUSTER_GUIDE = """\
format: emulation-rules/v1
id: cum-thu-nghiem
version: "2024.1"
title: Bảng điểm thi đua cụm thử nghiệm
period: "2024"
scale: 100
total: {may_exceed_scale: true}
constants: {chi_tieu_chung: 10}
inputs:
  ket_qua: {type: decimal, label: Kết quả thực hiện, min: 0, missing: 0}
  chi_tieu: {type: decimal, label: Chỉ tiêu được giao, min: 0, missing: not_applicable}
  huy_chuong: {type: count, label: Số huy chương, missing: 0}
  diem_cuc_1: {type: decimal, label: Điểm Cục 1 chấm, min: 0, missing: not_applicable}
  diem_cuc_2: {type: decimal, label: Điểm Cục 2 chấm, min: 0, missing: not_applicable}
  so_ho_so: {type: count, label: Số hồ sơ tiếp nhận, missing: 0}
  so_tre_han: {type: count, label: Số hồ sơ trễ hạn, missing: 0}
  ky_luat: {type: bool, label: Có cán bộ bị kỷ luật, missing: false}
  ngay: {type: date, label: Ngày ban hành kế hoạch, missing: not_applicable}
checks:
  - id: K1
    require: so_tre_han <= so_ho_so
    message: Số hồ sơ trễ hạn không thể nhiều hơn số hồ sơ tiếp nhận
criteria:
  - id: "1"
    title: Tiêu chí định lượng (Điều 6)
    max: 40
    target: {achieved: ket_qua, target: chi_tieu, no_target: leader}
  - id: "2"
    title: Thành tích thể thao, xếp hạng trong cụm
    max: 20
    rank_points: {of: huy_chuong + chi_tieu_chung, points: [20, 15, 10], otherwise: 0}
  - id: "3"
    title: Điểm chấm của các Cục nghiệp vụ
    max: 20
    rank_points: {average_of: [diem_cuc_1, diem_cuc_2], points: [20, 10]}
  - id: "4"
    title: Giải quyết hồ sơ đúng hạn
    max: 20
    children:
      - id: "4.1"
        title: Mỗi 1% hồ sơ trễ hạn trừ 1 điểm
        kind: deduction
        per_event: {count: "percent(so_tre_han, so_ho_so) if so_ho_so > 0 else 0", points: -1, cap: 10}
      - id: "4.2"
        title: Ban hành kế hoạch sau 31/01
        kind: deduction
        deadline: {date: ngay, due: 2024-01-31, late: -1}
classification:
  on: percent
  bands:
    - {from: 90, label: Xuất sắc}
    - {from: 70, below: 90, label: Khá}
  otherwise: Trung bình
ranking: {by: [percent, total, deductions], method: competition}
eligibility:
  - {id: KL, when: ky_luat, reason: Có cán bộ bị kỷ luật}
awards:
  - id: co
    title: Cờ thi đua
    requires: {rank_at_most: 2, classification: [Xuất sắc]}
    quota: {count: 1}
    vote: {base: attendees, threshold: "2/3", strict: false, quorum: 50}
  - id: bang-khen
    title: Bằng khen
    requires: {classification: [Xuất sắc, Khá]}
    quota: {percent: 50, of: eligible, rounding: half_up}
    allow_with: [co]
"""

CLUSTER_SUBMISSIONS = """\
ruleset: cum-thu-nghiem
ruleset_version: "2024.1"
period: "2024"
units:
  - unit_id: a
    name: Đơn vị A
    values: {ket_qua: 20, chi_tieu: 10, huy_chuong: 3, diem_cuc_1: 90, so_ho_so: 100, so_tre_han: 2}
  - unit_id: b
    name: Đơn vị B
    values: {ket_qua: 15, chi_tieu: 10, huy_chuong: 3, diem_cuc_2: 80, ngay: 2024-02-01}
  - unit_id: c
    name: Đơn vị C
    values: {ket_qua: 8, chi_tieu: 10, ky_luat: true, so_ho_so: 4, so_tre_han: 1}
  - unit_id: d
    name: Đơn vị D
    values: {ket_qua: 6}
"""

CLUSTER_FILE = """\
cluster: Cụm thử nghiệm
head: a
members: 4
meeting: {attendees: 3, ballots: 3}
votes:
  co: {a: 3, b: 2}
next_year: {head: b, deputies: [c]}
"""


@pytest.fixture(scope="module")
def cluster_guide() -> CompiledRuleset:
    return load_ruleset(CLUSTER_GUIDE.encode("utf-8"), name="cum-thu-nghiem.yaml")


def test_the_cluster_guide_scores_its_example(cluster_guide, tmp_path):
    """The fuzz material itself is valid, so mutations start from a working cluster."""
    (tmp_path / "s.yaml").write_text(CLUSTER_SUBMISSIONS, encoding="utf-8")
    (tmp_path / "c.yaml").write_text(CLUSTER_FILE, encoding="utf-8")
    batch = load_submissions([tmp_path / "s.yaml"])
    result = score(
        cluster_guide,
        batch.submissions,
        rejected=batch.rejected,
        cluster=load_cluster(tmp_path / "c.yaml"),
    )
    assert result.ok
    assert [u.unit_id for u in result.units] == ["a", "d", "b", "c"]
    assert [a.awarded for a in result.awards] == [("a",), ("a", "d")]  # allow_with: [co]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


#: (guide text, submissions text, cluster text or None) of each mutation source.
SOURCES: dict[str, tuple[str, str, str | None]] = {
    "7-tinh": (
        _read(RULESETS / "vhttdl-7-tinh-mien-nui-phia-bac-2021.yaml"),
        _read(EXAMPLES / "vhttdl-7-tinh-mien-nui-phia-bac-2021" / "submissions.yaml"),
        _read(EXAMPLES / "vhttdl-7-tinh-mien-nui-phia-bac-2021" / "cluster.yaml"),
    ),
    "dong-bang": (
        _read(RULESETS / "vhttdl-dong-bang-song-hong-2017.yaml"),
        _read(EXAMPLES / "vhttdl-dong-bang-song-hong-2017" / "submissions.yaml"),
        _read(EXAMPLES / "vhttdl-dong-bang-song-hong-2017" / "cluster.yaml"),
    ),
    "kiem-thu": (_read(SUBMISSION_GUIDE), "", None),
    "cum": (CLUSTER_GUIDE, CLUSTER_SUBMISSIONS, CLUSTER_FILE),
}

#: The guide file (under rulesets/) of each mutation source with example submissions.
SOURCE_GUIDES = {
    "7-tinh": "vhttdl-7-tinh-mien-nui-phia-bac-2021.yaml",
    "dong-bang": "vhttdl-dong-bang-song-hong-2017.yaml",
}

#: Guides (file names under rulesets/) and their example submissions, for random values.
EXAMPLE_PAIRS = {
    "tiengiang-stnmt-2022.yaml": "tiengiang-2022",
    "congan-cum347-2024.yaml": "congan-cum347",
    "vhttdl-7-tinh-mien-nui-phia-bac-2021.yaml": "vhttdl-7-tinh-mien-nui-phia-bac-2021",
    "vhttdl-dong-bang-song-hong-2017.yaml": "vhttdl-dong-bang-song-hong-2017",
    "khoi-van-hoa-xa-hoi-thua-thien-hue-2024.yaml": "khoi-van-hoa-xa-hoi-thua-thien-hue-2024",
    "hungyen-cumkhoi-2021.yaml": "hungyen-2021",
}


@pytest.fixture(scope="module")
def scored_examples() -> dict[str, tuple[CompiledRuleset, SubmissionBatch, ClusterData | None]]:
    out = {}
    for guide, folder in EXAMPLE_PAIRS.items():
        cluster = EXAMPLES / folder / "cluster.yaml"
        out[guide] = (
            load_ruleset(RULESETS / guide),
            load_submissions([EXAMPLES / folder / "submissions.yaml"]),
            load_cluster(cluster) if cluster.exists() else None,
        )
    return out


# --------------------------------------------------------------------------------------------
# Strategies: text mutations

#: YAML-ish and guide-ish fragments to splice into real files.
YAML_TOKENS = (
    ": ", "- ", "-", "{", "}", "[", "]", ",", "&a ", "*a", "<<: ", "!!python/object:os.system ",
    "!!float ", "!custom ", "---\n", "...\n", "# ", "'", '"', "\t", "|\n", ">-\n", "? ", "%YAML 1.1\n",
    "null", "~", "true", "False", "yes", "NO", "on", "1e999", ".nan", "-.inf", "0x1F", "0o17",
    "1_000", "95,5", "1.000,5", "+5", ".5", "-0", "2022-02-30", "2022-13-01", "2022-01-31",
    "12:30:00", "\ufeff", "\u200b", "\u202e", "\x00", "\x1b", "\x85", "\r", "\r\n", "\\",
    "__import__('os').system('true')", "score('TC1')", "score('x')", "().__class__",
    "max: ", "max: -1", "kind: bonus", "kind: deduction", "children:", "when: ", "points: -1",
    "cap_at_max: true", "floor: 0", "combine: highest", "applicable_if: ", "missing: 0",
    "missing: not_applicable", "required: true", "type: count", "type: enum", "id: TC1",
    "target: {achieved: a, target: b}", "rank_points: {of: x, points: [1]}", "quota: {count: 0}",
    "quota: {percent: 200}", "vote: {threshold: '1/0'}", "threshold: '2/3'", "strict: false",
    "allow_with: [nothing]", "no_target: leader", "average_of: []", "require: ", "eligible: false",
    "rank_at_most: 0", "rounding: {places: 99}", "format: emulation-rules/v9", "scale: 0",
    "when: a > 1e1000000", "1e1000000", "-9E999999999",
    "Hoàn thành xuất sắc nhiệm vụ", "Điều 6", "x" * 300, "9" * 40, "[[[[[[[[[[", "{{{{{{{{{{",
)  # fmt: skip


@st.composite
def mutated_text(draw: st.DrawFn, text: str) -> str:
    """``text`` with 1-5 line edits: delete, duplicate, swap, splice characters or tokens."""
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        line = lines[index]
        operation = draw(
            st.sampled_from(
                (
                    "delete",
                    "duplicate",
                    "swap",
                    "chars",
                    "token",
                    "value",
                    "indent",
                    "dedent",
                    "truncate",
                )
            )
        )
        if operation == "delete" and len(lines) > 1:
            del lines[index]
        elif operation == "duplicate":
            lines.insert(index, line)
        elif operation == "swap":
            other = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        elif operation in ("chars", "token"):
            at = draw(st.integers(min_value=0, max_value=len(line)))
            piece = (
                draw(st.text(min_size=1, max_size=6))
                if operation == "chars"
                else draw(st.sampled_from(YAML_TOKENS))
            )
            lines[index] = line[:at] + piece + line[at:]
        elif operation == "value" and ": " in line:
            key = line.split(": ", 1)[0]
            lines[index] = f"{key}: {draw(st.sampled_from(YAML_TOKENS))}\n"
        elif operation == "indent":
            lines[index] = draw(st.sampled_from(("  ", " ", "\t", "    "))) + line
        elif operation == "dedent":
            lines[index] = line[2:] if line.startswith("  ") else line.lstrip()
        elif operation == "truncate":
            lines = lines[: index + 1]
            lines[index] = line[: draw(st.integers(min_value=0, max_value=len(line)))]
    return "".join(lines)


def _yamlish(tokens: tuple[str, ...]) -> st.SearchStrategy[str]:
    pieces = st.one_of(st.sampled_from(tokens), st.text(max_size=4), st.just("\n"))
    return st.lists(pieces, max_size=40).map("".join)


# --------------------------------------------------------------------------------------------
# 1. The guide loader


def _assert_issues(issues: object) -> list[Issue]:
    assert isinstance(issues, list), type(issues)
    for issue in issues:
        assert isinstance(issue, Issue), issue
        assert issue.code in CODES, issue
        assert issue.severity in ("error", "warning"), issue
        assert isinstance(issue.render(), str)
    return issues  # type: ignore[return-value]


#: A number literal whose exponent is beyond the decimal context's limit (999999).
_HUGE_EXPONENT = re.compile(r"[0-9][eE]\+?0*[1-9][0-9]{6,}")


def _huge_exponent(data: object) -> bool:
    """Known bug (see the three tests '..._huge_exponent_...' below): remove with the fix.

    Whether ``data`` (text, bytes, a Decimal, or a structure of them) holds a number whose
    exponent is beyond the decimal context's limit: ``abs()`` of it raises decimal.Overflow.
    """
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, bytes):
            item = item.decode("utf-8", "replace")
        if isinstance(item, str) and _HUGE_EXPONENT.search(item):
            return True
        if isinstance(item, Decimal) and item.is_finite() and item.adjusted() > 999998:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, Submission):
            stack.append(item.values)
    return False


#: Errors the YAML reader reports while still building the document.


def check_guide_bytes(data: bytes) -> CompiledRuleset | None:
    """The loader contract on any bytes; returns the compiled guide when it loads."""
    issues = _assert_issues(check_ruleset(data, name="fuzz.yaml"))
    has_errors = any(i.severity == "error" for i in issues)
    try:
        compiled = load_ruleset(data, name="fuzz.yaml")
    except RulesetError as exc:
        compiled, error = None, exc
    else:
        error = None
    if error is not None:
        assert has_errors, f"load_ruleset raised but check_ruleset found no error: {error}"
        assert any(i.severity == "error" for i in error.issues), error
        _assert_issues(list(error.issues))
        assert str(error)
        return None
    assert not has_errors, f"load_ruleset accepted a guide with errors: {issues}"
    event("guide loads")
    return compiled


@FUZZ
@given(data=st.binary(max_size=3000))
def test_guide_loader_random_bytes(data):
    check_guide_bytes(data)


@FUZZ
@given(text=st.text(max_size=1500))
def test_guide_loader_random_text(text):
    check_guide_bytes(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(text=_yamlish(YAML_TOKENS))
def test_guide_loader_yaml_tokens(text):
    check_guide_bytes(text.encode("utf-8", "surrogatepass"))


def _score_cleanly(
    compiled: CompiledRuleset, batch: SubmissionBatch, cluster: ClusterData | None
) -> ClusterResult:
    """Score with ``on_error='record'``: nothing may raise; the result serialises."""
    result = score(
        compiled, batch.submissions, rejected=batch.rejected, issues=batch.issues, cluster=cluster
    )
    _check_result(result, batch.submissions, batch.rejected)
    event(f"units scored: {sum(u.status == 'scored' for u in result.units)}")
    return result


def _check_result(result: ClusterResult, submissions: Any, rejected: Any = ()) -> None:
    data = json.loads(result.to_json(trace=True))
    for unit in result.units:
        assert unit.status in ("scored", "not_classified", "error"), unit.status
        _assert_issues(list(unit.issues))
    for item in result.rejected:
        assert item.issues, item
        _assert_issues(list(item.issues))
    _assert_issues(list(result.issues))
    accounted = {u.unit_id for u in result.units} | {r.unit_id for r in result.rejected}
    assert {s.unit_id for s in submissions} | {r.unit_id for r in rejected} <= accounted
    assert len(data["units"]) == len(result.units)


@FUZZ
@given(data=st.data())
def test_guide_loader_mutated_real_guides(data, tmp_path_factory):
    name = data.draw(st.sampled_from(sorted(SOURCES)), label="source")
    guide_text, submissions_text, _ = SOURCES[name]
    text = data.draw(mutated_text(guide_text), label="guide")
    compiled = check_guide_bytes(text.encode("utf-8", "surrogatepass"))
    if compiled is not None and submissions_text:
        # a mutated guide that still loads scores its example cluster without surprises
        folder = tmp_path_factory.getbasetemp() / "mutated-guides"
        folder.mkdir(exist_ok=True)
        path = folder / "submissions.yaml"
        path.write_text(submissions_text, encoding="utf-8")
        _score_cleanly(compiled, load_submissions([path]), None)


# --------------------------------------------------------------------------------------------
# 2. The submission loader and scoring with random values


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def kiem_thu() -> CompiledRuleset:
    return load_ruleset(SUBMISSION_GUIDE)


def load_and_score(path: Path, guides: list[CompiledRuleset]) -> None:
    _load_and_score(path, guides)


def _load_and_score(path: Path, guides: list[CompiledRuleset]) -> None:
    batch = load_submissions([path])
    assert isinstance(batch, SubmissionBatch)
    _assert_issues(list(batch.issues))
    for item in batch.rejected:
        _assert_issues(list(item.issues))
    for compiled in guides:
        _score_cleanly(compiled, batch, None)
        try:
            score(compiled, batch.submissions, on_error="raise")
        except (SubmissionError, EvaluationError) as exc:
            _assert_issues(list(exc.issues))


def _to_json_text(yaml_text: str) -> str:
    """The example submissions as JSON (decimals kept as their text)."""
    from emulation_rules.inputs.submissions import read_submission_document

    document, issues = read_submission_document(yaml_text.encode("utf-8"), name="s.yaml")
    assert document is not None, issues

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return float(value) if value != value.to_integral_value() else int(value)
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value

    return json.dumps(document.data, ensure_ascii=False, indent=1, default=plain)


@FUZZ
@given(data=st.binary(max_size=2000), suffix=st.sampled_from((".yaml", ".json")))
def test_submission_loader_random_bytes(data, suffix, work, kiem_thu):
    path = work / f"random{suffix}"
    path.write_bytes(data)
    load_and_score(path, [kiem_thu])


@FUZZ
@given(text=_yamlish((*YAML_TOKENS, "units:", "unit_id: a", "values:", "ruleset: x")))
def test_submission_loader_yaml_tokens(text, work, kiem_thu):
    path = work / "tokens.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    load_and_score(path, [kiem_thu])


@FUZZ
@given(data=st.data())
def test_submission_loader_mutated_examples(data, work, scored_examples, cluster_guide):
    choices = sorted(k for k, v in SOURCES.items() if v[1])
    name = data.draw(st.sampled_from(choices), label="source")
    _, submissions_text, _ = SOURCES[name]
    as_json = data.draw(st.booleans(), label="json")
    text = _to_json_text(submissions_text) if as_json else submissions_text
    mutated = data.draw(mutated_text(text), label="submissions")
    path = work / ("mutated.json" if as_json else "mutated.yaml")
    path.write_text(mutated, encoding="utf-8", errors="surrogatepass")
    guide = cluster_guide if name == "cum" else scored_examples[SOURCE_GUIDES[name]][0]
    load_and_score(path, [guide])


@FEW
@given(data=st.data())
def test_cluster_file_mutations(data, work, scored_examples, cluster_guide):
    choices = sorted(k for k, v in SOURCES.items() if v[2])
    name = data.draw(st.sampled_from(choices), label="source")
    _, submissions_text, cluster_text = SOURCES[name]
    assert cluster_text is not None
    as_json = data.draw(st.booleans(), label="json")
    text = _to_json_text(cluster_text) if as_json else cluster_text
    path = work / ("cluster.json" if as_json else "cluster.yaml")
    path.write_text(
        data.draw(mutated_text(text), label="cluster"), encoding="utf-8", errors="surrogatepass"
    )
    try:
        cluster = load_cluster(path)
    except SubmissionError as exc:
        _assert_issues(list(exc.issues))
        event("cluster file refused")
        return
    subs = work / "cluster-submissions.yaml"
    subs.write_text(submissions_text, encoding="utf-8")
    guide = cluster_guide if name == "cum" else scored_examples[SOURCE_GUIDES[name]][0]
    _score_cleanly(guide, load_submissions([subs]), cluster)


# -- random values ----------------------------------------------------------------------------

_ODD_DECIMALS = tuple(
    Decimal(text)
    for text in (
        "0", "-0", "0E-30", "1E-999999", "1E+14", "999999999999999.9", "1E+15", "-1E+15",
        "0.0000000001", "0.00000000001", "NaN", "-NaN", "sNaN", "Infinity", "-Infinity",
        "1E+999999", "1E+1000000", "-9E+999999999", "12345678901234567890.123456789",
        "100.000", "1E+1",
    )
)  # fmt: skip
_ODD_TEXT = (
    "NaN", "nan", "Infinity", "-inf", "1e999", "1e3", "95,5", "1.000,5", "1 000", "0x10",
    "\u0663", "\uff12", "+1", "1_000", "-0", ".5", "5.", "1e1000000", "0.0000000001", "2022-02-30",
    "2022-01-31", "2024-02-29", "2021-03-31", "31/01/2022", "2022-1-3", "true", "false", "yes",
    "có", "không", "khong", "khien_trach", "canh_cao_tro_len", "not_applicable", "", " ",
    "\u200b", "a\x00b", "Hoa\u0300n tha\u0300nh", "x" * 2500,
)  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=150),
    st.integers(),
    st.sampled_from((10**15, -(10**15), 10**15 - 1, 10**100, 2**63)),
    st.sampled_from(_ODD_DECIMALS),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=-1000, max_value=1000, places=3),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(_ODD_TEXT),
    st.dates(),
    st.datetimes(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=6), inner, max_size=3)
        | st.tuples(inner)
    ),
    max_leaves=5,
)


def score_random(compiled: CompiledRuleset, units: list[Submission]) -> None:
    result = score(compiled, units)
    _check_result(result, units)
    for unit in result.units:
        event(f"unit {unit.status}")
    try:
        score(compiled, units, on_error="raise")
    except (SubmissionError, EvaluationError) as exc:
        _assert_issues(list(exc.issues))


@FEW
@given(data=st.data())
def test_score_with_random_values_over_the_examples(data, scored_examples):
    """Each example cluster, with a few values replaced by anything at all."""
    guide_name = data.draw(st.sampled_from(sorted(EXAMPLE_PAIRS)), label="guide")
    compiled, batch, _ = scored_examples[guide_name]
    names = sorted(compiled.inputs)
    units = []
    for sub in batch.submissions:
        values = dict(sub.values)
        for _ in range(data.draw(st.integers(min_value=0, max_value=3), label="edits")):
            field = data.draw(st.sampled_from(names) | st.text(max_size=8), label="field")
            if data.draw(st.booleans(), label="remove"):
                values.pop(field, None)
            else:
                values[field] = data.draw(VALUES, label=field)
        units.append(sub.model_copy(update={"values": values}))
    score_random(compiled, units)


def valid_value(field: Any) -> st.SearchStrategy[Any]:
    """A value the input accepts, edges (0, bounds, the largest magnitude) favoured."""
    if field.type == "bool":
        return st.booleans()
    if field.type == "enum":
        return st.sampled_from(field.values)
    if field.type == "text":
        return st.text(max_size=20)
    if field.type == "date":
        return st.dates().map(lambda d: d.isoformat()) | st.dates()
    low = field.min if field.min is not None else Decimal(-999999999999999)
    high = field.max if field.max is not None else Decimal(999999999999999)
    if field.type == "count":
        return st.integers(min_value=int(low), max_value=min(int(high), 10**6)) | st.sampled_from(
            [int(low), int(high)]
        )
    places = field.places if field.places is not None else 4
    return st.decimals(
        min_value=low, max_value=high, places=places, allow_nan=False, allow_infinity=False
    ) | st.sampled_from([low, high, max(low, min(high, Decimal(0)))])


@MANY
@given(data=st.data())
def test_score_with_random_values_for_every_input(data, kiem_thu, cluster_guide):
    """Small guides, every input valid or anything at all, 1-4 units (ids may collide)."""
    compiled = data.draw(st.sampled_from((kiem_thu, cluster_guide)), label="guide")
    names = sorted(compiled.inputs)
    units = []
    for index in range(data.draw(st.integers(min_value=1, max_value=4), label="units")):
        values = {}
        for name in names:
            choice = data.draw(st.sampled_from(("valid",) * 6 + ("omit",) * 2 + ("any",)))
            if choice == "valid":
                values[name] = data.draw(valid_value(compiled.inputs[name]), label=name)
            elif choice == "any":
                values[name] = data.draw(VALUES, label=name)
        unit_id = data.draw(st.sampled_from((f"u{index}", "U0", "u0")), label="id")
        units.append(Submission(unit_id=unit_id, name=f"Đơn vị {index}", values=values))
    score_random(compiled, units)


# --------------------------------------------------------------------------------------------
# 3. The expression checker

EXPR_NAMES = {"a": "number", "b": "number", "ok": "bool", "d": "date", "e": "date", "s": "text"}
EXPR_CRITERIA = frozenset({"TC1", "a1.2", "1.1"})
EXPR_TOKENS = (
    "a", "b", "ok", "d", "e", "s", "x", "TC1", "a1_2", "true", "false", "True", "False", "None",
    "0", "1", "2", "0.5", "10", "-1", "1e3", "1e400", "1e1000000", "1e-1000000", "1_000", "0x1f", "0o7", "0b1", "1j",
    "999999999999999999", "0.00000000001", "00", "1.", ".5",
    "+", "-", "*", "/", "**", "%", "//", "@", "~", "|", "&", "^", "<<", ">>",
    "==", "!=", "<", "<=", ">", ">=", "=", ":=", "+=",
    "(", ")", "(", ")", ",", ".", "[", "]", "{", "}", ":", ";", "\n", "\\", "#",
    "and", "or", "not", "if", "else", "in", "not in", "is", "is not", "lambda", "for", "yield",
    "await", "import", "del", "pass", "def", "class", "return", "x for x in a",
    "__import__", "__class__", "__builtins__", "__subclasses__", "__globals__", "_", "__",
    "min", "max", "abs", "clamp", "ratio", "percent", "round", "floor", "ceil", "days_between",
    "date", "score", "eval", "exec", "open", "getattr", "type", "print", "len", "sum",
    "'a'", "'half_up'", "'bogus'", "'2022-01-31'", "'2022-02-30'", "'TC1'", "'a1.2'", "'x'",
    '"s"', "f'{a}'", "b'x'", "'''", "'" + "x" * 250 + "'",
    "round(a, 2)", "round(a, 2, 'half_even')", "days_between(d, e)", "date('2024-02-29')",
    "percent(a, b)", "ratio(a, 0)", "a / 0", "a / (b - b)", "clamp(a, 0, 10)", "min(a)",
    "max(a, b, 1, 2)", "score('TC1')", "score('a1.2')", "floor(a / b)", "ceil(a)",
    "a if ok else b", "s in ('a', 'b')", "a in (1, 2)", "1 < a < 10", "not ok", "(((((((((((",
)  # fmt: skip

TOKEN_SOURCES = st.lists(st.sampled_from(EXPR_TOKENS), min_size=1, max_size=25).map(" ".join)


@st.composite
def typed_expression(draw: st.DrawFn, kind: str = "number", depth: int = 0) -> str:
    """A well-typed expression of the guide language (mostly passes the checker)."""

    def sub(want: str) -> str:
        return draw(typed_expression(want, depth + 1))

    leaf = depth >= 4 or draw(st.integers(min_value=0, max_value=2)) == 0
    if kind == "number":
        if leaf:
            return draw(
                st.sampled_from(
                    ("a", "b", "0", "1", "0.5", "3", "100", "0.1", "1e3", "999999999999999")
                    + ("score('TC1')", "score('a1.2')", "-1")
                )
            )
        form = draw(st.integers(min_value=0, max_value=13))
        if form <= 3:
            return f"({sub('number')} {'+-*/'[form]} {sub('number')})"
        if form == 4:
            return f"-{sub('number')}"
        if form == 5:
            name = draw(st.sampled_from(("min", "max")))
            count = draw(st.integers(min_value=2, max_value=4))
            return f"{name}({', '.join(sub('number') for _ in range(count))})"
        if form == 6:
            return f"{draw(st.sampled_from(('abs', 'floor', 'ceil')))}({sub('number')})"
        if form == 7:
            return f"clamp({sub('number')}, {sub('number')}, {sub('number')})"
        if form == 8:
            name = draw(st.sampled_from(("ratio", "percent")))
            return f"{name}({sub('number')}, {sub('number')})"
        if form == 9:
            mode = draw(st.sampled_from(("", ", 'half_even'", ", 'floor'", ", 'up'")))
            return (
                f"round({sub('number')}, {sub('number')}{mode})"
                if mode
                else (f"round({sub('number')})")
            )
        if form == 10:
            return f"days_between({sub('date')}, {sub('date')})"
        if form == 11:
            return f"({sub('number')} if {sub('bool')} else {sub('number')})"
        return f"round({sub('number')}, {draw(st.integers(min_value=-3, max_value=12))})"
    if kind == "bool":
        if leaf:
            return draw(st.sampled_from(("ok", "true", "false", "True")))
        form = draw(st.integers(min_value=0, max_value=7))
        if form == 0:
            op = draw(st.sampled_from(("<", "<=", ">", ">=", "==", "!=")))
            return f"{sub('number')} {op} {sub('number')}"
        if form == 1:
            return f"{sub('number')} <= {sub('number')} < {sub('number')}"
        if form == 2:
            return f"{sub('date')} {draw(st.sampled_from(('<', '>=', '==')))} {sub('date')}"
        if form == 3:
            return f"s {draw(st.sampled_from(('in', 'not in')))} ('a', 'b', '')"
        if form == 4:
            return f"{sub('number')} in (0, 1, 2.5)"
        if form == 5:
            return f"not {sub('bool')}"
        if form == 6:
            return f"({sub('bool')} {draw(st.sampled_from(('and', 'or')))} {sub('bool')})"
        return f"({sub('bool')} if {sub('bool')} else {sub('bool')})"
    if kind == "date":
        if leaf or draw(st.booleans()):
            return draw(st.sampled_from(("d", "e")))
        return f"date('{draw(st.dates()).isoformat()}')"
    return draw(st.sampled_from(("s", "'a'", "''")))


TYPED_SOURCES = st.sampled_from(("number", "bool", "date")).flatmap(typed_expression)


def _check(text: str) -> CheckedExpression | None:
    checked, issues = check_expression(text, names=EXPR_NAMES, criteria=EXPR_CRITERIA)
    assert checked is None or isinstance(checked, CheckedExpression), checked
    _assert_issues(issues)
    if checked is None:
        assert any(i.severity == "error" for i in issues), (text, issues)
        event("expression refused")
    else:
        assert not any(i.severity == "error" for i in issues), (text, issues)
        assert set(checked.names) <= set(EXPR_NAMES)
        assert set(checked.refs) <= EXPR_CRITERIA
    return checked


@MANY
@given(text=st.text(max_size=300))
def test_expression_checker_random_text(text):
    _check(text)


@MANY
@given(text=TOKEN_SOURCES)
def test_expression_checker_token_sequences(text):
    _check(text)


PLAIN_NUMBERS = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.decimals(
        min_value=Decimal("-1e14"), max_value=Decimal("1e14"), allow_nan=False, allow_infinity=False
    ),
    st.sampled_from((Decimal(0), Decimal("-0"), Decimal("1E-999999"), Decimal("1E+14"))),
)
TYPED_VALUES = {
    "number": PLAIN_NUMBERS,
    "bool": st.booleans(),
    "date": st.dates(),
    "text": st.text(max_size=10),
}
PLAIN_VALUES = st.one_of(PLAIN_NUMBERS, st.booleans(), st.dates(), st.text(max_size=10))


def _evaluate(checked: CheckedExpression, names: dict[str, Any], ref: Decimal) -> None:
    runs = [(c, r) for c in (ENGINE_CONTEXT, decimal.Context()) for r in (False, True)]
    for context, reference in runs:  # the compiled closures, then the simpleeval reference
        with decimal.localcontext(context):
            try:
                evaluate_expression(checked, names, lambda _ident: ref, reference=reference)
            except EvaluationError as exc:
                codes = {i.code for i in _assert_issues(list(exc.issues))}
                event("evaluation error")
            else:
                codes = set()
                event("evaluated")
            assert codes <= {"eval-div-zero", "eval-error"}, codes


@MANY
@given(text=TYPED_SOURCES)
def test_expression_checker_typed_expressions(text):
    _check(text)


@MANY
@given(data=st.data())
def test_checked_expressions_evaluate_with_their_declared_types(data):
    """Values of the declared types, as the engine passes them: only EvaluationError."""
    text = data.draw(TYPED_SOURCES | TOKEN_SOURCES, label="expression")
    checked = _check(text)
    if checked is None:
        return
    names = {n: data.draw(TYPED_VALUES[EXPR_NAMES[n]], label=n) for n in checked.names}
    _evaluate(checked, names, data.draw(PLAIN_NUMBERS, label="score"))


@MANY
@given(data=st.data())
def test_checked_expressions_evaluate_with_any_plain_values(data):
    """Plain values of any type (the documented contract): only EvaluationError."""
    text = data.draw(TYPED_SOURCES | TOKEN_SOURCES, label="expression")
    checked = _check(text)
    if checked is None:
        return
    names = {n: data.draw(PLAIN_VALUES, label=n) for n in checked.names}
    _evaluate(checked, names, data.draw(PLAIN_NUMBERS, label="score"))


# --------------------------------------------------------------------------------------------
# Crashes the fuzzers found, pinned with their minimal input (regressions: all fixed)


def test_a_huge_exponent_is_an_issue_not_a_crash():
    checked, issues = check_expression("a > 1e1000000", names={"a": "number"})
    assert checked is None
    assert [i.code for i in issues] == ["expr-number"]


def test_expression_checking_does_not_depend_on_warning_filters():
    outcomes = []
    for action in ("ignore", "error"):
        with warnings.catch_warnings():
            warnings.simplefilter(action)
            checked, issues = check_expression("10if ok else 0", names={"ok": "bool"})
        outcomes.append((checked is None, [i.code for i in issues]))
    assert outcomes[0] == outcomes[1]


_HUGE_SCALE = b"""format: emulation-rules/v1
id: x
version: "1"
title: T
period: "2024"
scale: 1e1000000
criteria:
  - {id: A, title: A, max: 10}
"""


def test_a_huge_exponent_in_a_guide_is_an_issue_not_a_crash():
    issues = check_ruleset(_HUGE_SCALE, name="g.yaml")
    assert [i.code for i in issues] == ["invalid-value"]


def test_a_huge_exponent_in_a_submission_rejects_the_unit(kiem_thu):
    unit = Submission(
        unit_id="a", name="Đơn vị A", values={"co_bao_cao": True, "ket_qua": Decimal("1E+1000000")}
    )
    result = score(kiem_thu, [unit])
    assert [r.unit_id for r in result.rejected] == ["a"]
    assert result.rejected[0].issues[0].code == "out-of-range"


_DUPLICATE_SCALE = b"""format: emulation-rules/v1
id: x
version: "1"
title: T
period: "2024"
scale: 10
scale: 20
criteria:
  - {id: A, title: A, max: 10}
"""


def test_load_ruleset_refuses_a_duplicate_key():
    assert [i.code for i in check_ruleset(_DUPLICATE_SCALE, name="g.yaml")] == ["duplicate-key"]
    with pytest.raises(RulesetError) as caught:
        load_ruleset(_DUPLICATE_SCALE, name="g.yaml")
    assert caught.value.issues[0].code == "duplicate-key"


def test_datetime_for_a_date_input_is_rejected(kiem_thu):
    """Found by the fuzzer (a TypeError from the deadline comparison); fixed in 2788ae7."""
    unit = Submission(
        unit_id="a",
        name="Đơn vị A",
        values={
            "co_bao_cao": True,
            "ngay_ke_hoach": datetime.datetime(2025, 2, 1, 10, 0, tzinfo=datetime.UTC),
        },
    )
    result = score(kiem_thu, [unit])
    assert [r.unit_id for r in result.rejected] == ["a"]
    assert result.rejected[0].issues[0].code == "date-format"


def test_days_between_of_numbers_raises_evaluation_error():
    checked, issues = check_expression("days_between(d, d)", names={"d": "date"})
    assert checked is not None, issues
    with pytest.raises(EvaluationError):
        evaluate_expression(checked, {"d": 0}, lambda _ident: Decimal(0))
