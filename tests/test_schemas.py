"""The JSON Schemas: submissions of a guide, results, audit records, tests files, guide format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from emulation_rules import load_cluster, load_ruleset, load_submissions, score
from emulation_rules._support.canonical import canonical_value
from emulation_rules._support.yaml import parse_yaml
from emulation_rules.audit.records import build_record
from emulation_rules.authoring.guidetests import TESTS_SUFFIX
from emulation_rules.authoring.schemas import (
    audit_schema,
    guide_tests_schema,
    result_schema,
    ruleset_schema,
    submission_schema,
)
from emulation_rules.cli import run

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {
    "tiengiang-stnmt-2022": "tiengiang-2022",
    "congan-cum347-2024": "congan-cum347",
    "khoi-van-hoa-xa-hoi-thua-thien-hue-2024": "khoi-van-hoa-xa-hoi-thua-thien-hue-2024",
    "vhttdl-7-tinh-mien-nui-phia-bac-2021": "vhttdl-7-tinh-mien-nui-phia-bac-2021",
    "vhttdl-dong-bang-song-hong-2017": "vhttdl-dong-bang-song-hong-2017",
    "vhttdl-duyen-hai-mien-trung-2022-h1": "vhttdl-duyen-hai-mien-trung-2022-h1",
    "chuong-trinh-phoi-hop-2021-2025": "chuong-trinh-phoi-hop-2021-2025",
    "hungyen-cumkhoi-2021": "hungyen-2021",
}
PUBLISHED = {
    "ruleset-v1.json": ruleset_schema,
    "result-v1.json": result_schema,
    "audit-v1.json": audit_schema,
    "guide-tests-v1.json": guide_tests_schema,
}


def yaml_data(path: Path) -> Any:
    document, issues = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    assert document is not None, issues
    return canonical_value(document.data)  # dates and decimals as text, as JSON has them


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_schemas_are_current(name):
    published = json.loads((ROOT / "docs" / "schema" / name).read_text(encoding="utf-8"))
    assert published == PUBLISHED[name](), f"run: emulation-rules schema ... > docs/schema/{name}"


@pytest.mark.parametrize("schema", [s() for s in PUBLISHED.values()], ids=sorted(PUBLISHED))
def test_schemas_are_valid_json_schemas(schema):
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("guide_id", sorted(EXAMPLES))
def test_every_example_submission_fits_its_guide_schema(guide_id):
    guide = load_ruleset(ROOT / "rulesets" / f"{guide_id}.yaml")
    schema = submission_schema(guide)
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml_data(ROOT / "examples" / EXAMPLES[guide_id] / "submissions.yaml")
    jsonschema.validate(data, schema)


def test_submission_schema_of_a_list_input_is_an_array_of_its_item_fields():
    # Hưng Yên 2021, V.2.b: late reports as a list input, one item per report (format v2).
    guide = load_ruleset(ROOT / "rulesets" / "hungyen-cumkhoi-2021.yaml")
    schema = submission_schema(guide)
    prop = schema["$defs"]["unit"]["properties"]["values"]["properties"]["bao_cao_cham"]
    assert prop["type"] == "array"
    assert prop["default"] == []
    assert prop["maxItems"] == 1000
    assert prop["items"]["required"] == ["ten", "so_ngay"]
    assert prop["items"]["properties"]["so_ngay"]["type"] == "integer"
    assert "danh sách rỗng" in prop["description"]
    doc = yaml_data(ROOT / "examples" / "hungyen-2021" / "submissions.yaml")
    values = doc["units"][0]["values"]
    values["bao_cao_cham"] = [{"ten": "Báo cáo quý I", "so_ngay": 7}]
    jsonschema.validate(doc, schema)
    for bad in ({"ten": "Báo cáo", "so_ngay": 7.5}, {"ten": "Báo cáo"}, {"so_ngay": 7, "x": 1}):
        values["bao_cao_cham"] = [bad]
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(doc, schema)


def test_submission_schema_carries_types_bounds_labels_and_requirements():
    guide = load_ruleset(ROOT / "rulesets" / "tiengiang-stnmt-2022.yaml")
    schema = submission_schema(guide)
    values = schema["$defs"]["unit"]["properties"]["values"]
    props = values["properties"]
    assert schema["properties"]["ruleset"] == {"const": guide.id, "title": "Mã hướng dẫn"}
    assert "c1_ty_le_thu_gom" in values["required"]
    assert "a1_1_so_truong_hop" not in values["required"]
    assert props["a1_1_so_truong_hop"]["type"] == "integer"
    assert props["a1_1_so_truong_hop"]["minimum"] == 0
    assert props["a1_1_so_truong_hop"]["default"] == 0
    assert "Không khai: hiểu là 0." in props["a1_1_so_truong_hop"]["description"]
    assert props["c1_ty_le_thu_gom"]["maximum"] == 100
    assert props["c1_ty_le_thu_gom"]["x-decimal-places"] == 2
    assert props["c1_ty_le_thu_gom"]["title"].startswith("Tỷ lệ thu gom")
    assert props["c312_ngay_ban_hanh_ke_hoach_cchc"]["format"] == "date"
    assert props["c52_co_gui_bao_cao_giai_trinh"]["type"] == "boolean"
    bad = {
        "ruleset": guide.id,
        "ruleset_version": guide.version,
        "units": [{"unit_id": "u", "name": "U", "values": {"c1_ty_le_thu_gom": "95,5"}}],
    }
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(bad))
    assert errors  # decimal comma, missing required inputs


def test_submission_schema_of_enums_and_not_applicable_inputs():
    guide = load_ruleset(ROOT / "rulesets" / "khoi-van-hoa-xa-hoi-thua-thien-hue-2024.yaml")
    props = submission_schema(guide)["$defs"]["unit"]["properties"]["values"]["properties"]
    assert props["c31_xep_loai_to_chuc_dang"]["enum"] == ["htxs", "htt", "ht", "kht"]
    assert "default" not in props["c21_chi_so_cchc"]
    assert "không áp dụng" in props["c21_chi_so_cchc"]["description"]


@pytest.mark.parametrize("guide_id", sorted(EXAMPLES))
def test_every_example_result_fits_the_result_schema(guide_id):
    guide = load_ruleset(ROOT / "rulesets" / f"{guide_id}.yaml")
    folder = ROOT / "examples" / EXAMPLES[guide_id]
    batch = load_submissions([folder / "submissions.yaml"])
    cluster = load_cluster(folder / "cluster.yaml") if (folder / "cluster.yaml").exists() else None
    result = score(guide, batch.submissions, cluster=cluster)
    jsonschema.validate(json.loads(result.to_json(trace=True)), result_schema())
    record = build_record(guide, batch.submissions, result, cluster=cluster)
    jsonschema.validate(json.loads(json.dumps(record)), audit_schema())


def test_a_result_with_rejected_and_failed_units_fits_the_schema():
    guide = load_ruleset(ROOT / "rulesets" / "tiengiang-stnmt-2022.yaml")
    batch = load_submissions([ROOT / "examples" / "tiengiang-2022" / "submissions.yaml"])
    bad = batch.submissions[0].model_copy(update={"unit_id": "sai", "values": {}})
    result = score(guide, [*batch.submissions, bad])
    assert result.rejected
    jsonschema.validate(json.loads(result.to_json()), result_schema())


@pytest.mark.parametrize(
    "path", sorted((ROOT / "rulesets").rglob(f"*{TESTS_SUFFIX}")), ids=lambda p: p.name
)
def test_every_tests_file_fits_the_tests_schema(path):
    jsonschema.validate(yaml_data(path), guide_tests_schema())


def test_schema_command(tmp_path):
    import io

    out, err = io.StringIO(), io.StringIO()
    guide = str(ROOT / "rulesets" / "tiengiang-stnmt-2022.yaml")
    assert run(["schema", "submission", guide], out, err) == 0
    assert json.loads(out.getvalue())["properties"]["ruleset"]["const"] == "tiengiang-stnmt-2022"
    for what in ("result", "audit", "tests", "ruleset"):
        out = io.StringIO()
        assert run(["schema", what], out, err) == 0
        assert json.loads(out.getvalue())["$schema"].endswith("2020-12/schema")
    assert run(["schema", "submission"], io.StringIO(), err) == 2
    assert run(["schema", "result", guide], io.StringIO(), err) == 2
