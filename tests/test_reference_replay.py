"""The reference mode (issue 22): replay and score with the interpreter and simpleeval.

The reference mode must agree with the usual path on every shipped example, must catch a fault
of the generated code that the usual replay cannot see (it replays with the same code), and
must never run the generated code nor the compiled closures.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from emulation_rules import load_ruleset, load_submissions, score
from emulation_rules.audit.records import build_record, parse_record, record_bytes, replay
from emulation_rules.cli import run
from emulation_rules.compiler import sandbox as _sandbox
from emulation_rules.compiler.nodes import Met, Points
from emulation_rules.engine import codegen as _codegen
from emulation_rules.engine import evaluator
from emulation_rules.inputs.reviews import load_reviews
from emulation_rules.inputs.submissions import load_cluster

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2022, 12, 31)
#: Example folders named otherwise than their guide.
GUIDE_FOR = {
    "tiengiang-2022": "tiengiang-stnmt-2022",
    "congan-cum347": "congan-cum347-2024",
    "hungyen-2021": "hungyen-cumkhoi-2021",
}
# the example clusters (examples/service/ is the reference web service, not a cluster)
EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/submissions.yaml"))
TIENGIANG = "tiengiang-2022"
REFERENCE_WORDS = "đánh giá độc lập (trình thông dịch + simpleeval)"


def guide_path(name: str) -> Path:
    return ROOT / "rulesets" / f"{GUIDE_FOR.get(name, name)}.yaml"


def inputs(name: str) -> dict[str, Any]:
    """The submissions, cluster facts and reviews shipped with an example, as ``score`` takes them."""
    folder = ROOT / "examples" / name
    batch = load_submissions([folder / "submissions.yaml"])
    cluster = load_cluster(folder / "cluster.yaml") if (folder / "cluster.yaml").exists() else None
    reviews = (
        list(load_reviews(folder / "reviews.yaml").reviews)
        if (folder / "reviews.yaml").exists()
        else []
    )
    return {
        "submissions": list(batch.submissions),
        "rejected": batch.rejected,
        "cluster": cluster,
        "reviews": reviews,
        "as_of": AS_OF,
    }


def scored(guide: Any, data: dict[str, Any], **options: Any) -> Any:
    return score(
        guide,
        data["submissions"],
        rejected=data["rejected"],
        cluster=data["cluster"],
        reviews=data["reviews"],
        as_of=data["as_of"],
        **options,
    )


def record_file(guide: Any, data: dict[str, Any], folder: Path) -> Path:
    """Score with the usual path and write the audit record, as ``score --record`` does."""
    result = scored(guide, data)
    record = build_record(
        guide,
        data["submissions"],
        result,
        reviews=data["reviews"],
        cluster=data["cluster"],
        rejected_before=data["rejected"],
        as_of=data["as_of"],
    )
    path = folder / "record.json"
    path.write_bytes(record_bytes(record))
    return path


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------------------------
# Every shipped example replays identical in the reference mode


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_replays_identical_in_reference_mode(name, tmp_path):
    path = record_file(load_ruleset(guide_path(name)), inputs(name), tmp_path)
    code, out, err = cli("replay", str(path), "--reference")
    assert (code, err) == (0, ""), err
    digest = json.loads(path.read_bytes())["digest"]
    assert out == (
        f"trùng khớp: {digest}\nbộ đánh giá: {REFERENCE_WORDS}\n"
        "chữ ký: không có (bản ghi không được ký)\n"
    )


def test_the_json_report_names_the_evaluator(tmp_path):
    path = record_file(load_ruleset(guide_path(TIENGIANG)), inputs(TIENGIANG), tmp_path)
    code, out, _ = cli("replay", str(path), "--reference", "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert report["identical"] is True
    assert report["differences"] == []
    assert report["evaluator"] == {"mode": "reference", "description": REFERENCE_WORDS}
    code, out, _ = cli("replay", str(path), "--format", "json")
    assert code == 0
    assert json.loads(out)["evaluator"]["mode"] == "generated"


def test_score_reference_gives_the_same_bytes_and_says_so(tmp_path):
    base = [
        "score",
        str(guide_path(TIENGIANG)),
        str(ROOT / "examples" / TIENGIANG / "submissions.yaml"),
        "--reviews",
        str(ROOT / "examples" / TIENGIANG / "reviews.yaml"),
        "--as-of",
        "2022-12-31",
        "--format",
        "json",
        "--trace",
    ]
    code, usual, err = cli(*base, "--record", str(tmp_path / "usual.json"))
    assert (code, err) == (0, "")
    code, second, err = cli(*base, "--reference", "--record", str(tmp_path / "second.json"))
    assert code == 0
    assert err == f"bộ đánh giá: {REFERENCE_WORDS}\n"
    assert second == usual
    assert (tmp_path / "second.json").read_bytes() == (tmp_path / "usual.json").read_bytes()


def test_reference_with_stream_is_a_usage_error(tmp_path):
    code, _, err = cli("score", str(guide_path(TIENGIANG)), "-", "--stream", "--reference")
    assert code == 2
    assert "--reference" in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------------------------
# A fault of the generated code: the usual replay repeats it, the reference mode finds it

FAULT = D("0.01")


def _target(guide: Any) -> str:
    """A criterion of kind score whose construct the generated code writes as ``raw = …``."""
    return next(
        ident
        for ident in guide.order
        if guide.nodes[ident].kind == "score"
        and isinstance(guide.nodes[ident].construct, Met | Points)
    )


def _break_generated_code(monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    """Make the code generator write ``raw = (…) + 0.01`` for one criterion (test-only)."""
    original = _codegen._Writer.construct

    def broken(self: Any, node: Any) -> None:
        start = len(self.out)
        original(self, node)
        if node.id == target:
            indent, code = self.out[start].split("raw = ", 1)
            self.out[start] = f"{indent}raw = ({code}) + {self.constant(FAULT)}"

    monkeypatch.setattr(_codegen._Writer, "construct", broken)


def test_a_broken_generated_program_is_caught_by_reference_replay_only(monkeypatch, tmp_path):
    data = inputs(TIENGIANG)
    sound = load_ruleset(guide_path(TIENGIANG))
    target = _target(sound)
    correct = scored(sound, data)
    _break_generated_code(monkeypatch, target)
    broken = load_ruleset(guide_path(TIENGIANG))
    path = record_file(broken, data, tmp_path)
    recorded = parse_record(path.read_bytes())["result"]["units"]
    first = next(u for u in recorded if u["unit_id"] not in {r.unit_id for r in data["reviews"]})
    # the fault is real: the usual path wrote a value off by 0.01 into the record
    assert D(first["items"][target]) == correct.unit(first["unit_id"]).items[target] + FAULT

    code, out, err = cli("replay", str(path))
    assert (code, err) == (0, "")  # the usual replay runs the same broken code: no difference
    assert out.startswith("trùng khớp: ")

    code, out, err = cli("replay", str(path), "--reference")
    assert code == 1
    assert out.startswith("khác nhau: ")
    assert f"bộ đánh giá: {REFERENCE_WORDS}" in out
    (line,) = err.splitlines()
    right = correct.unit(first["unit_id"]).items[target]
    line_no = sound.nodes[target].line
    assert line.startswith(f"audit-replay: đơn vị {first['unit_id']!r}, ")
    assert f"tiêu chí {target!r} (dòng {line_no} của hướng dẫn): giá trị khác" in line
    assert f"khi ghi là '{right + FAULT}', nay là '{right}'" in line

    report = replay(parse_record(path.read_bytes()), reference=True)
    assert not report.identical
    assert report.evaluator == "reference"


# --------------------------------------------------------------------------------------------
# The reference mode never runs the generated code nor the compiled closures


@pytest.fixture
def trapped(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], Any]:
    """A loader of guides whose generated code and closures are traps: listed, then failing.

    Returns the list of calls and ``load(path)``: the guide loaded with every closure a trap;
    from then on the generated code and the closure runner are traps too.
    """
    calls: list[str] = []
    compile_tree = _sandbox.closures.compile_tree

    def trapped_tree(tree: Any) -> Any:
        compile_tree(tree)  # what the compiler would do, then a closure that must never run

        def closure(_env: Any) -> Any:
            calls.append("closure")
            raise AssertionError

        return closure

    def trap(what: str) -> Any:
        def trapped(*_args: Any, **_kwargs: Any) -> Any:
            calls.append(what)
            raise AssertionError(what)

        return trapped

    def load(path: Path) -> Any:
        with monkeypatch.context() as patch:
            patch.setattr(_sandbox.check, "compile_tree", trapped_tree)
            guide = load_ruleset(path)
        monkeypatch.setattr(_codegen.Program, "function", trap("generated code"))
        monkeypatch.setattr(evaluator, "program_unit", trap("program_unit"))
        monkeypatch.setattr(evaluator, "run_compiled", trap("run_compiled"))
        monkeypatch.setattr(_sandbox, "run_compiled", trap("run_compiled"))
        calls.clear()  # loading a guide runs its constant conditions (lint)
        return guide

    return calls, load


@pytest.mark.parametrize("name", EXAMPLES)
def test_reference_scoring_never_calls_generated_code_or_closures(name, trapped):
    calls, load = trapped
    data = inputs(name)
    expected = scored(load_ruleset(guide_path(name)), data).to_json(trace=True)
    guide = load(guide_path(name))
    assert scored(guide, data, reference=True).to_json(trace=True) == expected
    assert calls == []
    with contextlib.suppress(AssertionError):  # the traps are live: the usual path meets them
        scored(guide, data)
    assert calls


def test_one_compiled_guide_scores_both_ways_in_threads_at_once():
    guide = load_ruleset(guide_path("congan-cum347"))
    data = inputs("congan-cum347")
    expected = scored(guide, data).to_json(trace=True)
    results: list[str] = []

    def work(reference: bool) -> None:
        results.extend(
            scored(guide, data, reference=reference).to_json(trace=True) for _ in range(3)
        )

    threads = [threading.Thread(target=work, args=(i % 2 == 0,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 12
    assert all(r == expected for r in results)


# --------------------------------------------------------------------------------------------
# simpleeval's operators do what the closures do


@pytest.mark.parametrize(
    ("source", "value"),
    [("a + b", 7), ("a - b", -1), ("a * b", 12), ("-a", -3), ("+a", 3), ("a / b", D("0.75"))],
)
def test_simpleeval_keeps_the_types_of_the_closures(source, value):
    checked, issues = _sandbox.check_expression(source, names={"a": "number", "b": "number"})
    assert checked is not None, issues
    names = {"a": 3, "b": 4}
    closures = _sandbox.evaluate_expression(checked, names, lambda _i: D(0))
    reference = _sandbox.evaluate_expression(checked, names, lambda _i: D(0), reference=True)
    assert closures == reference == value
    assert type(closures) is type(reference)  # a sum of counts stays an int in both
