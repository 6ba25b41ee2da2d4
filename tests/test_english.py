"""Issue 15, done when: ``--lang en`` gives the English texts, on every command.

Each command's English output, on every shipped guide and its example, holds no Vietnamese
text of ours: once the guide's, the units' and the reviewers' own texts are taken out (titles,
labels, names, reasons, which stay as written), no Vietnamese letter is left.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulation_rules._support.i18n import use_language
from emulation_rules.authoring.guidetests import tests_path_for as guide_tests_file
from emulation_rules.cli import run
from emulation_rules.engine import words
from emulation_rules.reports._trace_words import trace_text

ROOT = Path(__file__).resolve().parent.parent

#: A Vietnamese letter (a vowel with a mark, or đ): what an English sentence never holds.
VIETNAMESE = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.IGNORECASE
)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def _strings(value: Any) -> set[str]:
    """Every text of a YAML document (its keys and its values)."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            found.add(item.strip())
    return found


def own_texts(*paths: Path | None) -> list[str]:
    """The guide's and the data's own texts (and their lines), longest first."""
    found: set[str] = set()
    for path in paths:
        if path is None or not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        found |= _strings(yaml.safe_load(text))
        # a guide composed of layers: the texts of every file it names
        for other in re.findall(r"[\w./-]+\.ya?ml", text):
            candidate = (path.parent / other).resolve()
            if candidate.exists() and candidate != path.resolve():
                found |= _strings(yaml.safe_load(candidate.read_text(encoding="utf-8")))
    pieces = set(found)
    for text in found:
        pieces.update(line.strip() for line in text.splitlines())
        pieces.update(part.strip() for part in re.split(r"[;\n]", text))
    pieces = {p for p in pieces if p and VIETNAMESE.search(p)}
    variants = set(pieces)
    for p in pieces:  # a label inside a sentence: its first letter lower case
        variants.add(p[:1].lower() + p[1:])
    return sorted(variants, key=len, reverse=True)


#: The Vietnamese terms the English messages give on purpose, beside their English word.
GLOSSES = ("(minh chứng)",)


def vietnamese_left(output: str, texts: list[str]) -> list[str]:
    """The lines of ``output`` that still hold a Vietnamese letter once ``texts`` are out."""
    found = []
    for line in output.splitlines():
        if not VIETNAMESE.search(line):
            continue
        rest = re.sub(r"«[^»]*»|“[^”]*”|'[^']*'", " ", line)  # a label or a value quoted
        for gloss in GLOSSES:
            rest = rest.replace(gloss, " ")
        for text in texts:
            if text in rest:
                rest = rest.replace(text, " ")
                if not VIETNAMESE.search(rest):
                    break
        if VIETNAMESE.search(rest):
            found.append(line)
    return found


def _shipped() -> list[tuple[str, str | None]]:
    from emulation_rules.guide.shipped import shipped_guides

    return [(g.name, g.examples[0] if g.examples else None) for g in shipped_guides()]


def _first_unit(submissions: Path) -> str:
    match = re.search(r"unit_id:\s*['\"]?([^'\"\n]+)", submissions.read_text(encoding="utf-8"))
    assert match
    return match.group(1).strip()


def _runs(guide: str, example: str | None, tmp: Path) -> tuple[list[tuple[str, ...]], list[str]]:
    """Every command's human output on a shipped guide and its example, and the own texts."""
    from emulation_rules.guide.shipped import find_example, find_guide

    path = str(find_guide(guide).path)
    runs: list[tuple[str, ...]] = [
        ("check", path),
        ("check", "--strict", path),
        ("test", path, "--coverage"),
    ]
    if example is None:
        return runs, own_texts(Path(path), guide_tests_file(path))
    found = find_example(example)
    submissions = str(found.submissions)
    facts = [*(["--cluster", str(found.cluster)] if found.cluster else [])]
    reviews = ["--reviews", str(found.reviews)] if found.reviews else []
    record, log = str(tmp / "r.json"), str(tmp / "log.sqlite")
    unit = _first_unit(found.submissions)
    runs += [
        ("score", path, submissions, *facts, *reviews, "--record", record, "--audit-log", log),
        ("replay", record),
        ("verify", log),
        ("explain", path, submissions, *facts, *reviews, "--unit", unit, "--all"),
        ("explain", record, "--unit", unit),
        ("explain", log, "--seq", "1", "--unit", unit),
        ("diff", path, path, submissions, *facts),
        ("whatif", path, submissions, *facts, "--unit", unit, "--goal", "rank:1", "--budget", "2"),
    ]
    texts = own_texts(
        Path(path),
        guide_tests_file(path),
        found.submissions,
        found.cluster,
        found.reviews,
    )
    return runs, texts


@pytest.mark.slow
@pytest.mark.parametrize(("guide", "example"), _shipped(), ids=str)
def test_every_command_speaks_english_with_lang_en(guide, example, tmp_path):
    """Issue 15, done when: ``--lang en`` gives the English texts (the guide's own stay)."""
    runs, texts = _runs(guide, example, tmp_path)
    found = []
    for argv in runs:
        code, out, err = cli(*argv, "--lang", "en")
        assert code in (0, 1), (argv, err)
        found.extend((argv[0], line) for line in vietnamese_left(out + err, texts))
    assert not found


def test_guides_speaks_english():
    _code, out, err = cli("guides", "--lang", "en")
    from emulation_rules.guide.shipped import shipped_guides

    texts = own_texts(*(g.path for g in shipped_guides()))
    assert out.startswith("Name ")
    assert not vietnamese_left(out + err, texts)


def test_the_scan_finds_vietnamese():
    """The scan is not blind: the default (Vietnamese) explanation trips it."""
    guide = ROOT / "rulesets" / "tiengiang-stnmt-2022.yaml"
    submissions = ROOT / "examples" / "tiengiang-2022" / "submissions.yaml"
    texts = own_texts(guide, submissions)
    _code, out, _err = cli("explain", str(guide), str(submissions), "--unit", "tp-my-tho")
    assert vietnamese_left(out, texts)
    _code, out, _err = cli(
        "explain", str(guide), str(submissions), "--unit", "tp-my-tho", "--lang", "en"
    )
    assert not vietnamese_left(out, texts)


# --------------------------------------------------------------------------------------------
# the engine's Vietnamese texts of a trace, told in English


@pytest.mark.parametrize(
    ("vietnamese", "english"),
    [
        (words.NOT_APPLICABLE, "not applicable"),
        (words.ALL_CHILDREN_NOT_APPLICABLE, "not applicable: no sub-criterion applies"),
        (words.EXCESS_BONUS, "the excess moves to the bonus points"),
        (words.TOTAL_RULE, "the sum of the standards"),
        (words.missing_inputs(["a", "b"]), "not applicable: missing a, b"),
        (words.cap_line(__import__("decimal").Decimal("1.5")), "at most 1.5"),
        (words.when_zero("max", lower=True), "the result is 0: the maximum is scored"),
        (words.when_zero("error", lower=False), "the target is 0: cannot be scored"),
        (words.benchmark_not_met("a4.2"), "a4.2: added only when all the base points are earned"),
        (words.cap_deductions(__import__("decimal").Decimal(2)), "deductions at most 2"),
        (words.cap_bonuses(__import__("decimal").Decimal(2)), "bonuses at most 2"),
        (
            words.cap_adjustments(__import__("decimal").Decimal(2)),
            "deductions and bonuses at most 2",
        ),
        (words.cap_at_max(__import__("decimal").Decimal(5)), "not above 5"),
        (words.floor(__import__("decimal").Decimal(0)), "not below 0"),
        (words.rounding(2, "half_up"), "rounded to 2 places (half_up)"),
        (words.total_cap_scale(__import__("decimal").Decimal(100)), "the total not above 100"),
        (words.total_rounding(1), "rounded to 1 places"),
        *[
            (vi, en)
            for vi, en in zip(
                words.STAGE_WORDS.values(),
                ["self-assessment", "appraisal", "cross-check", "agreed"],
                strict=True,
            )
        ],
    ],
)
def test_the_engine_words_are_told_in_english(vietnamese, english):
    with use_language("en"):
        assert trace_text(vietnamese) == english
    with use_language("vi"):
        assert trace_text(vietnamese) == vietnamese


def test_a_rule_is_told_in_english_with_its_values():
    with use_language("en"):
        assert trace_text("theo khoảng của (x): [97, 98) → 4; [98, +∞) → 5") == (
            "by the range of (x): [97, 98) → 4; [98, +∞) → 5"
        )
        assert trace_text(
            "xếp hạng trong cụm theo x: hạng 1: 5, hạng 2: 4, hạng 3: 3; hạng khác: 0"
        ) == ("ranked in the cluster by x: rank 1: 5, rank 2: 4, rank 3: 3; other ranks: 0")
        assert trace_text("từ 5: cứ đủ 1 cộng 0.5, không tính bước chưa đủ, tối đa 3") == (
            "from 5: 0.5 for every full 1, no partial step, at most 3"
        )
        # a reviewer's reason stays as written, even where it looks like a rule
        note = "Đoàn (thống nhất, 2022-12-12): bổ sung; thống nhất cộng điểm"
        assert trace_text(note) == "Đoàn (agreed, 2022-12-12): bổ sung; thống nhất cộng điểm"
        # a text of no template stays as written
        assert trace_text("Ghi chú của hướng dẫn") == "Ghi chú của hướng dẫn"


# --------------------------------------------------------------------------------------------
# explain, whatif and guides in English: a golden file and the sentences

GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("EMULATION_RULES_UPDATE_GOLDEN") == "1"
TG = ("rulesets/tiengiang-stnmt-2022.yaml", "examples/tiengiang-2022/submissions.yaml")


def test_explain_golden_in_english(monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = ("explain", *TG, "--reviews", "examples/tiengiang-2022/reviews.yaml")
    code, out, err = cli(*argv, "--unit", "tp-my-tho", "--lang", "en")
    assert code == 0, err
    path = GOLDEN / "explain-tiengiang-tp-my-tho.en.txt"
    if UPDATE:
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8")
    # the same explanation as the Vietnamese golden file, line for line
    vietnamese = (GOLDEN / "explain-tiengiang-tp-my-tho.txt").read_text(encoding="utf-8")
    assert len(out.splitlines()) == len(vietnamese.splitlines())
    assert "Total 99,2 / 100 points (99,2%), rank 2 (decided by total points)" in out
    assert "Deduct 0,5 points × 2 cases = \u22121 points" in out
    assert "Deductions at most 1,5 points: adjusted by +0,5 points" in out
    assert "Agreed score differs from the rule: +1,5 points — Đoàn thẩm định" in out
    assert "(appraisal, 2022-12-09)" in out
    assert "from 97 to 98 → 4" in out
    assert "How it is scored: base points 3 (met by default)" in out
    texts = own_texts(ROOT / TG[0], ROOT / TG[1], ROOT / "examples/tiengiang-2022/reviews.yaml")
    assert not vietnamese_left(out, texts)


def test_explain_a_target_in_english(monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = cli(
        "explain",
        "rulesets/congan-cum347-2024.yaml",
        "examples/congan-cum347/submissions.yaml",
        "--cluster",
        "examples/congan-cum347/cluster.yaml",
        "--unit",
        "ca-xa-phu-thanh",
        "--lang",
        "en",
    )
    assert code == 0, err
    assert (
        "12,5% above the target (result 9, target 8): ½ of the scale 2,5 points, plus 0,31 "
        "points by the excess against the cluster's leader (ca-xa-an-binh, 100% above) = 2,81 "
        "points"
    ) in out
    assert "Target met (result 15, target 15): ½ of the scale = 5 points" in out
    assert "Proposed for: Bằng khen của Bộ trưởng Bộ Công an" in out


def test_whatif_in_english(monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = ("whatif", *TG, "--unit", "h-chau-thanh", "--goal", "rank:1", "--budget", "5")
    code, out, _ = cli(*argv, "--lang", "en")
    assert code == 0
    assert out.startswith("Unit h-chau-thanh — goal: rank 1 or better\nNow: rank 5, total ")
    assert "input" in out
    assert ": +31 points on a7.6" in out
    assert "After the whole cluster is scored again: rank 1, " in out
    # the JSON keeps the change's text as the default language says it: language-neutral
    _, as_json, _ = cli(*argv, "--format", "json", "--lang", "en")
    _, as_json_vi, _ = cli(*argv, "--format", "json")
    assert as_json == as_json_vi
    code, out, _ = cli("whatif", *TG, "--compare", "tp-my-tho", "h-chau-thanh", "--lang", "en")
    assert code == 0
    assert "Difference of the totals: +17,35" in out
    assert "The items that differ" in out


def test_guides_table_in_english():
    _code, out, _ = cli("guides", "--lang", "en")
    lines = out.splitlines()
    assert lines[0].split() == ["Name", "Version", "Examples", "Title"]
    assert "Use a name instead of a file's path" in out
    assert "Data folder: " in out
    _code, out, _ = cli("guides")
    assert out.splitlines()[0].split() == ["Tên", "Phiên", "bản", "Ví", "dụ", "Tiêu", "đề"]


# --------------------------------------------------------------------------------------------
# audit-format: records and logs that cannot be read, in both languages


@pytest.mark.parametrize(
    ("content", "vietnamese", "english"),
    [
        ("{not json", "bản ghi không phải JSON: ", "the record is not JSON: "),
        (
            '{"audit_format": "x"}',
            "định dạng bản ghi kiểm toán 'x' không phải là ",
            "audit format 'x' is not ",
        ),
    ],
)
def test_an_unreadable_record_in_both_languages(tmp_path, content, vietnamese, english):
    path = tmp_path / "r.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = cli("replay", str(path))
    assert code == 1
    assert "audit-format: " + vietnamese in err
    code, _, err = cli("replay", str(path), "--lang", "en")
    assert "audit-format: " + english in err


def test_a_malformed_record_and_a_file_that_is_no_log(tmp_path):
    _code, _out, err = cli("score", *(str(ROOT / p) for p in TG), "--record", str(tmp_path / "r"))
    assert not err
    record = (tmp_path / "r").read_text(encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text(record.replace('"inputs":{', '"inputs":{"x":1,', 1), encoding="utf-8")
    _code, _, err = cli("replay", str(broken))
    assert "audit-" in err
    assert not VIETNAMESE.search(cli("replay", str(broken), "--lang", "en")[2])
    log = tmp_path / "log.sqlite"
    log.write_text("not a database", encoding="utf-8")
    code, _, err = cli("verify", str(log))
    assert code == 1
    assert "audit-format: không phải sổ kiểm toán: " in err
    _code, _, err = cli("verify", str(log), "--lang", "en")
    assert "audit-format: not an audit log: " in err
