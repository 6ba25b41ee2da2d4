"""Issue 20: from the Word table to a draft guide, and back.

The real published table (shared/guides/tiengiang-stnmt-2022-bang-diem-chuan.docx) is imported
and compared with the guide typed from it by hand (rulesets/tiengiang-stnmt-2022.yaml); every
shipped guide is exported and imported again; the two parsers are tested on their own; the
broken tables of tests/data/invalid/tables/ give their codes at their rows and columns.
"""

from __future__ import annotations

import io
import shutil
from decimal import Decimal as D
from pathlib import Path

import pytest

from emulation_rules import check_ruleset, load_ruleset, load_submissions
from emulation_rules.authoring._numbering import ascii_slug, parse_amount, parse_number
from emulation_rules.authoring.diff import diff_guides
from emulation_rules.authoring.table_export import export_table, node_amount, table_rows
from emulation_rules.authoring.table_import import import_table
from emulation_rules.cli import run
from emulation_rules.compiler import CompiledRuleset
from emulation_rules.errors import CODES, EmulationRulesError

pytest.importorskip("docx", reason="python-docx (the 'import' extra) is not installed")

ROOT = Path(__file__).resolve().parents[1]
RULESETS = ROOT / "rulesets"
TABLES = Path(__file__).resolve().parent / "data" / "invalid" / "tables"
#: The published table lives in shared/ beside the repository (``parents[2]``); a worktree one
#: level deeper (``wt/<name>/``) finds it one level up.
_SHARED = [Path(__file__).parents[n] / "shared" / "guides" for n in (2, 3)]
REAL_DOCX = next(
    (d / "tiengiang-stnmt-2022-bang-diem-chuan.docx" for d in _SHARED if d.is_dir()),
    _SHARED[0] / "tiengiang-stnmt-2022-bang-diem-chuan.docx",
)
TARGET = RULESETS / "tiengiang-stnmt-2022.yaml"
SHIPPED = sorted(p for p in RULESETS.glob("*.yaml") if not p.name.endswith(".tests.yaml"))


# --------------------------------------------------------------------------------------------
# The numbering parser


@pytest.mark.parametrize(
    ("text", "ident", "style"),
    [
        ("1", "1", ("digit",)),
        ("a", "a", ("letter",)),
        ("a1", "a1", ("letter", "digit")),
        ("a1.1", "a1.1", ("letter", "digit", "digit")),
        ("b.2.5", "b2.5", ("letter", "digit", "digit")),
        ("a.7.1", "a7.1", ("letter", "digit", "digit")),
        ("b1.", "b1", ("letter", "digit")),
        ("b.", "b", ("letter",)),
        ("C2.4", "C2.4", ("letter", "digit", "digit")),
        ("3.3.2", "3.3.2", ("digit", "digit", "digit")),
        ("I", "I", ("roman",)),
        ("II", "II", ("roman",)),
        ("IV", "IV", ("roman",)),
        ("1.1.a", "1.1.a", ("digit", "digit", "letter")),
        ("I.2.a", "I.2.a", ("roman", "digit", "letter")),
        ("6a", "6a", ("digit", "letter")),
        ("TC1", "TC1", ("word", "digit")),
        (" 2.1 ", "2.1", ("digit", "digit")),
    ],
)
def test_number_ids_and_styles(text: str, ident: str, style: tuple[str, ...]) -> None:
    number = parse_number(text)
    assert number is not None
    assert (number.id, number.style) == (ident, style)


@pytest.mark.parametrize(
    "text", ["", "\xa0", "-", "*", "Tiêu chuẩn", "Ghi chú", "d1.2-d1.5", "12345", "a b"]
)
def test_not_numbers(text: str) -> None:
    assert parse_number(text) is None


def _n(text: str):
    number = parse_number(text)
    assert number is not None
    return number


def test_the_numbering_decides_parent_and_sibling() -> None:
    assert _n("a1.1").extends(_n("a1"))
    assert _n("a.7.1").extends(_n("a7"))  # a.7 and a7 are one number
    assert _n("1.1.a").extends(_n("1.1"))
    assert _n("6a").extends(_n("6"))
    assert not _n("a1").extends(_n("a1"))
    assert not _n("a2").extends(_n("a1"))
    assert _n("b").follows(_n("a"))
    assert _n("C").follows(_n("b"))  # the table writes a, b, C, d
    assert _n("II").follows(_n("I"))
    assert _n("a2").follows(_n("a1"))
    assert not _n("a1").follows(_n("a2"))
    assert not _n("b1").follows(_n("a1"))  # another list
    assert not _n("2.1").follows(_n("1"))
    assert all(_n(t).starts_list for t in ("a", "I", "3.1"))
    assert not _n("b").starts_list


# --------------------------------------------------------------------------------------------
# The amount parser


@pytest.mark.parametrize(
    ("text", "value", "signed", "per"),
    [
        ("-0,5", D("-0.5"), True, None),
        ("0,5", D("0.5"), False, None),
        ("+1", D(1), True, None),
        ("+ 0,1", D("0.1"), True, None),
        ("- 0,25", D("-0.25"), True, None),
        ("1 điểm", D(1), False, None),
        ("100 điểm", D(100), False, None),
        ("1,5 điểm/trường hợp", D("1.5"), False, "trường hợp"),
        ("-0.5", D("-0.5"), True, None),
        ("3.5", D("3.5"), False, None),
        ("0,1 điểm mỗi lần", D("0.1"), False, "lần"),
        ("−1", D(-1), True, None),
    ],
)
def test_amounts(text: str, value: D, signed: bool, per: str | None) -> None:
    amount = parse_amount(text)
    assert amount is not None
    assert (amount.value, amount.signed, amount.per) == (value, signed, per)
    assert isinstance(amount.value, D)


@pytest.mark.parametrize("text", ["", "(không xếp loại)", "x", "1,5,5", "điểm"])
def test_not_amounts(text: str) -> None:
    assert parse_amount(text) is None


def test_ascii_slug() -> None:
    assert ascii_slug("Số trường hợp đúng hạn", words=3) == "so_truong_hop"
    assert ascii_slug("Đất công “thống kê”") == "dat_cong_thong_ke"


# --------------------------------------------------------------------------------------------
# The real table


def _max(guide: CompiledRuleset, ident: str) -> D | None:
    node = guide.nodes[ident]
    return node.max if node.declared_max else None


@pytest.fixture(scope="module")
def real_draft(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not REAL_DOCX.is_file():
        pytest.skip(f"the published table is not beside the repository: {REAL_DOCX}")
    path = tmp_path_factory.mktemp("real") / "draft.yaml"
    path.write_text(import_table(REAL_DOCX).text, encoding="utf-8")
    return path


def test_real_table_matches_the_hand_typed_guide(real_draft: Path) -> None:
    draft, target = load_ruleset(real_draft), load_ruleset(TARGET)
    matched = [i for i in target.nodes if i in draft.nodes]
    maxima = [i for i in matched if _max(draft, i) == _max(target, i)]
    amounts = [i for i in matched if node_amount(draft.nodes[i]) == node_amount(target.nodes[i])]
    parents = [i for i in matched if draft.parents[i] == target.parents[i]]
    print(  # noqa: T201 - the measured match is part of the issue's report
        f"\nids matched {len(matched)}/{len(target.nodes)} "
        f"({100 * len(matched) / len(target.nodes):.1f}%), "
        f"maxima equal {len(maxima)}/{len(matched)}, amounts equal {len(amounts)}/{len(matched)}, "
        f"parents equal {len(parents)}/{len(matched)}; "
        f"missing {[i for i in target.nodes if i not in draft.nodes]}"
    )
    assert len(matched) / len(target.nodes) >= 0.95
    assert maxima == matched
    assert amounts == matched
    assert parents == matched


def test_real_table_lines_and_caps(real_draft: Path) -> None:
    draft = load_ruleset(real_draft)
    a1_1 = draft.nodes["a1.1"]  # "Mỗi trường hợp …: trừ 0,5 điểm"
    assert a1_1.kind == "deduction"
    assert a1_1.construct_name == "per_event"
    assert draft.nodes["a1"].cap_deductions == D("1.5")  # "Tổng điểm trừ của mục a1 không quá 1,5"
    assert draft.nodes["d2"].cap_adjustments == D(7)  # "Điểm trừ, cộng tối đa đối với d2 …"
    assert getattr(draft.nodes["b2.1"].construct, "cap", None) == D(1)  # "Điểm cộng tối đa là 1"
    assert draft.nodes["b2.6"].kind == "deduction"  # -0,5 written in the bonus column
    assert draft.nodes["C3.3"].construct.points == D("0.2")  # type: ignore[union-attr]
    assert draft.nodes["TC1"].title.startswith("Tiêu chuẩn 1: Thực hiện tốt nhiệm vụ chuyên môn.")
    assert draft.scale == 100


def test_real_draft_checks_and_locates_its_todos(real_draft: Path) -> None:
    issues = check_ruleset(real_draft)
    assert [i for i in issues if i.severity == "error"] == []
    draft = import_table(REAL_DOCX)
    todos = draft.todos
    assert todos
    assert all(t.line is not None and t.column is not None and t.source for t in todos)
    assert all(t.severity == "warning" and t.code in CODES for t in draft.issues)
    text = real_draft.read_text(encoding="utf-8")
    assert text.count("# TODO (hàng ") == len(todos)
    # every input has an ASCII snake_case id and a Vietnamese label
    inputs = load_ruleset(real_draft).inputs
    assert inputs
    for name, spec in inputs.items():
        assert name.isascii()
        assert name == name.lower()
        assert " " not in name
        assert spec.label
        assert not spec.label.isascii()


def test_diff_of_the_draft_against_the_guide_is_meaningful(tmp_path: Path) -> None:
    if not REAL_DOCX.is_file():
        pytest.skip(f"the published table is not beside the repository: {REAL_DOCX}")
    target = load_ruleset(TARGET)
    path = tmp_path / "draft.yaml"
    path.write_text(import_table(REAL_DOCX, like=target).text, encoding="utf-8")
    draft = load_ruleset(path)
    batch = load_submissions([ROOT / "examples" / "tiengiang-2022" / "submissions.yaml"])
    found = diff_guides(draft, target, batch.submissions)
    assert found.units  # both guides score every unit, and the results differ somewhere
    assert all(f[0] != "status" for u in found.units for f in u.fields)
    causes = {c for u in found.units for c in u.causes}
    assert "C1" in causes or "C1.1" in causes  # the draft does not know C1's bands


# --------------------------------------------------------------------------------------------
# Export, then import again


@pytest.mark.parametrize("suffix", [".docx", ".xlsx"])
@pytest.mark.parametrize("guide_path", SHIPPED, ids=lambda p: p.stem)
def test_export_then_import_gives_the_same_tree(
    guide_path: Path, suffix: str, tmp_path: Path
) -> None:
    if suffix == ".xlsx":
        pytest.importorskip("openpyxl")
    guide = load_ruleset(guide_path)
    table = tmp_path / f"bang{suffix}"
    export_table(guide, table)
    draft_path = tmp_path / "draft.yaml"
    draft_path.write_text(import_table(table).text, encoding="utf-8")
    draft = load_ruleset(draft_path)
    assert list(draft.nodes) == list(guide.nodes)
    assert dict(draft.parents) == dict(guide.parents)
    assert {i: _max(draft, i) for i in guide.nodes} == {i: _max(guide, i) for i in guide.nodes}
    assert {i: node_amount(draft.nodes[i]) for i in guide.nodes} == {
        i: node_amount(guide.nodes[i]) for i in guide.nodes
    }
    assert draft.scale == guide.scale
    for ident, node in guide.nodes.items():  # the caps come back from the notes rows
        back = draft.nodes[ident]
        assert (back.cap_deductions, back.cap_bonuses, back.cap_adjustments) == (
            node.cap_deductions,
            node.cap_bonuses,
            node.cap_adjustments,
        ), ident


def test_exported_rows_read_like_the_published_table() -> None:
    rows = table_rows(load_ruleset(TARGET))
    by_id = {r.stt: r for r in rows if r.stt}
    assert by_id["a1.1"].cells()[2:] == ("", "", "-0,5")
    assert by_id["a3.2"].deduction == "-1,5"
    assert by_id["a7.6"].bonus == "+1"
    assert by_id["a8"].benchmark == "3,5"
    notes = [r.title for r in rows if r.note]
    assert "Ghi chú: Tổng điểm trừ của mục a1 không quá 1,5 điểm" in notes
    assert rows[-1].cells()[1:3] == ("Tổng cộng", "100")


# --------------------------------------------------------------------------------------------
# Bad tables


@pytest.mark.parametrize(
    ("name", "code", "line", "column"),
    [
        ("import-unreadable.docx", "import-unreadable", None, None),
        ("import-no-table.docx", "import-no-table", None, None),
        ("import-no-points-column.docx", "import-no-points-column", None, None),
        ("import-merged-cells.docx", "import-merged-cells", 4, 5),
    ],
)
def test_bad_tables_are_errors(name: str, code: str, line: int | None, column: int | None) -> None:
    with pytest.raises(EmulationRulesError) as caught:
        import_table(TABLES / name)
    assert [(i.code, i.line, i.column, i.severity) for i in caught.value.issues] == [
        (code, line, column, "error")
    ]


@pytest.mark.parametrize(
    ("name", "code", "line", "column"),
    [
        ("import-several-tables.docx", "import-several-tables", None, None),
        ("import-split-row.docx", "import-split-row", 3, 2),
        ("import-todo.docx", "import-todo", 3, 5),
    ],
)
def test_doubtful_tables_are_warnings(
    name: str, code: str, line: int | None, column: int | None, tmp_path: Path
) -> None:
    draft = import_table(TABLES / name)
    assert [(i.code, i.line, i.column, i.severity) for i in draft.issues] == [
        (code, line, column, "warning")
    ]
    path = tmp_path / "draft.yaml"
    path.write_text(draft.text, encoding="utf-8")
    assert [i for i in check_ruleset(path) if i.severity == "error"] == []


def test_several_tables_reads_the_scoring_one_or_the_one_asked() -> None:
    draft = import_table(TABLES / "import-several-tables.docx")
    assert draft.table == "2"
    assert [r.id for r in draft.roots] == ["TC1"]
    chosen = import_table(TABLES / "import-several-tables.docx", table=1)
    assert chosen.table == "1"
    assert chosen.issues == ()
    with pytest.raises(EmulationRulesError) as caught:
        import_table(TABLES / "import-several-tables.docx", table=3)
    assert caught.value.issues[0].code == "import-no-table"


def test_split_row_is_joined_to_the_title_above() -> None:
    draft = import_table(TABLES / "import-split-row.docx")
    assert draft.roots[0].title == (
        "Tiêu chuẩn 1: Thực hiện tốt nhiệm vụ\nchuyên môn được giao trong năm"
    )


def test_a_legacy_doc_and_a_missing_file(tmp_path: Path) -> None:
    doc = tmp_path / "bang.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0 legacy")
    for path, code in ((doc, "import-unreadable"), (tmp_path / "khong-co.docx", "file-not-found")):
        with pytest.raises(EmulationRulesError) as caught:
            import_table(path)
        assert caught.value.issues[0].code == code


# --------------------------------------------------------------------------------------------
# The command line


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_cli_import_and_export(tmp_path: Path) -> None:
    table = tmp_path / "bang.docx"
    code, out, err = _run("export", str(TARGET), "-o", str(table))
    assert code == 0, err
    assert "Đã ghi bảng" in out
    draft = tmp_path / "draft.yaml"
    code, out, err = _run("import", str(table), "-o", str(draft))
    assert code == 0, err
    assert "Bản nháp:" in out
    assert "0 lỗi" in out
    code, out, err = _run("check", str(draft))
    assert code == 0, out


@pytest.mark.parametrize("name", sorted(p.name for p in TABLES.glob("*.docx")))
def test_cli_never_shows_a_traceback(name: str, tmp_path: Path) -> None:
    code, out, err = _run("import", str(TABLES / name), "-o", str(tmp_path / "d.yaml"))
    assert "Traceback" not in out + err
    assert "internal error" not in err
    assert name.removesuffix(".docx") + ": " in err
    warnings_only = {"import-several-tables.docx", "import-split-row.docx", "import-todo.docx"}
    assert code == (0 if name in warnings_only else 1)


def test_cli_export_to_an_unknown_suffix(tmp_path: Path) -> None:
    code, _, err = _run("export", str(TARGET), "-o", str(tmp_path / "bang.pdf"))
    assert code == 1
    assert "usage: " in err
    assert ".pdf" in err


def test_missing_python_docx_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib

    real = importlib.import_module

    def fake(name: str, package: str | None = None) -> object:
        if name == "docx" or name.startswith("docx."):
            raise ModuleNotFoundError(name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", fake)
    table = tmp_path / "bang.docx"
    shutil.copy(TABLES / "import-todo.docx", table)
    code, _, err = _run("import", str(table))
    assert code == 1
    assert "missing-dependency: " in err
    assert "pip install 'emulation-rules[import]'" in err
    assert "cần gói tuỳ chọn docx" in err
