"""JSON Schemas for editors and applications.

- :func:`ruleset_schema`: the guide format (for the YAML language server of an editor);
- :func:`submission_schema`: the submissions of one guide, generated from its declared inputs
  (an application can build its input form from it: types, bounds, allowed values, what is
  required, Vietnamese labels);
- :func:`result_schema`: the JSON result of ``emulation-rules score --format json``;
- :func:`audit_schema`: an audit record (``score --record``);
- :func:`guide_tests_schema`: a guide's tests file (``<guide>.tests.yaml``).

Decimals are written as text in results (``"97.50"``), and accepted as numbers or text in
submissions; the schemas say so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulation_rules.audit.documents import AuditDoc, ResultDoc
from emulation_rules.authoring.guidetests import GuideTestsFile
from emulation_rules.compiler.fields import MAX_ITEMS
from emulation_rules.guide.model import Ruleset

if TYPE_CHECKING:
    from emulation_rules.compiler.fields import InputField
    from emulation_rules.compiler.nodes import CompiledRuleset

__all__ = [
    "audit_schema",
    "guide_tests_schema",
    "result_schema",
    "ruleset_schema",
    "submission_schema",
]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE = "https://emulation-rules.invalid/schema/"
_ID_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9._\-]*[A-Za-z0-9])?$"
_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _header(schema: dict[str, Any], name: str, title: str) -> dict[str, Any]:
    schema["$schema"] = DRAFT
    schema["$id"] = BASE + name
    schema["title"] = title
    return schema


# --------------------------------------------------------------------------------------------
# The guide format


#: Keys a guide must have unless it extends a base guide (then the base gives them).
_INHERITED_REQUIRED = ("title", "period", "scale", "criteria")


def _composition(schema: dict[str, Any]) -> None:
    """Add the keys of a guide that extends a base guide (see ``composition.py``)."""
    criterion = schema["$defs"]["Criterion"]
    fields = {k: v for k, v in criterion["properties"].items() if k != "children"}
    schema["$defs"]["Override"] = {
        "type": "object",
        "description": "New values for fields of a criterion of the base guide, by its id; "
        "null resets a field.",
        "properties": {
            key: value if key == "id" else {"anyOf": [value, {"type": "null"}]}
            for key, value in fields.items()
        },
        "required": ["id"],
        "additionalProperties": False,
    }
    schema["$defs"]["Addition"] = {
        "type": "object",
        "description": "A new criterion, under a parent of the base guide (or at the top).",
        "properties": {
            "parent": {"type": "string", "description": "The parent's id; none: top level."},
            "after": {"type": "string", "description": "The sibling it follows; none: last."},
            "criterion": {"$ref": "#/$defs/Criterion"},
        },
        "required": ["criterion"],
        "additionalProperties": False,
    }
    props = schema["properties"]
    props["extends"] = {
        "type": "string",
        "description": "The base guide (a template) this guide extends, relative to this file.",
    }
    props["overrides"] = {"type": "array", "items": {"$ref": "#/$defs/Override"}}
    props["disable"] = {
        "type": "array",
        "description": "Ids of criteria of the base guide to remove, with their children.",
        "items": {"type": "string"},
    }
    props["add"] = {"type": "array", "items": {"$ref": "#/$defs/Addition"}}
    required = schema.get("required", [])
    inherited = [key for key in _INHERITED_REQUIRED if key in required]
    schema["required"] = [key for key in required if key not in inherited]
    schema["if"] = {"not": {"required": ["extends"]}}
    schema["then"] = {
        "required": inherited,
        "properties": dict.fromkeys(("overrides", "disable", "add"), False),
    }


def ruleset_schema() -> dict[str, Any]:
    """The JSON Schema of the guide format (for editors and apps).

    A guide that ``extends`` a base guide may leave out what the base gives (title, period,
    scale, criteria) and may use ``overrides``, ``disable`` and ``add``; every other guide must
    have them and may not.
    """
    schema = Ruleset.model_json_schema(by_alias=True, mode="validation")
    _composition(schema)
    return _header(schema, "ruleset-v1.json", "emulation-rules guide, formats v1 and v2")


# --------------------------------------------------------------------------------------------
# A guide's submissions


def _number_text(places: int | None) -> dict[str, Any]:
    fraction = r"(\.[0-9]+)?" if places is None else rf"(\.[0-9]{{1,{places}}})?" if places else ""
    return {"type": "string", "pattern": rf"^-?(0|[1-9][0-9]*){fraction}$"}


def _input_schema(field: InputField) -> dict[str, Any]:
    """The schema of one declared input, with its Vietnamese label and help."""
    out: dict[str, Any] = {"title": field.label}
    if field.type == "bool":
        out["type"] = "boolean"
    elif field.type == "count":
        out["type"] = "integer"
    elif field.type in ("decimal", "percent"):
        number: dict[str, Any] = {"type": "number"}
        if field.places is not None:
            out["x-decimal-places"] = field.places
        out["anyOf"] = [number, _number_text(field.places)]
    elif field.type == "date":
        out.update(type="string", format="date", pattern=_DATE_PATTERN)
    elif field.type == "enum":
        out["enum"] = list(field.values)
    elif field.type == "list":
        out.update(type="array", maxItems=MAX_ITEMS, items=_list_item_schema(field))
    else:
        out.update(type="string", maxLength=2000)
    if field.type in ("count", "decimal", "percent"):
        for key, bound in (("minimum", field.min), ("maximum", field.max)):
            if bound is not None:
                out[key] = int(bound) if bound == bound.to_integral_value() else float(bound)
    if field.evidence:
        out["x-evidence"] = True
    if not field.required and field.missing is not None and not _not_applicable(field):
        default = field.missing
        out["default"] = default.isoformat() if hasattr(default, "isoformat") else _json(default)
    return out


def _list_item_schema(field: InputField) -> dict[str, Any]:
    """The schema of one item of a ``list`` input (format v2): an object of its fields."""
    return {
        "type": "object",
        "properties": {item.name: _input_schema(item) for item in field.items},
        "required": [item.name for item in field.items if item.required],
        "additionalProperties": False,
    }


def _not_applicable(field: InputField) -> bool:
    return type(field.missing).__name__ == "_NotApplicable"


def _json(value: Any) -> Any:
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, tuple | list):  # a list input's default (``missing: []``)
        return [_json(item) for item in value]
    number = float(value)
    return int(number) if number.is_integer() else number


def _describe(field: InputField, spec_description: str | None, unit: str | None) -> str:
    parts = [spec_description] if spec_description else []
    if unit:
        parts.append(f"Đơn vị tính: {unit}.")
    if field.required:
        parts.append("Bắt buộc.")
    elif _not_applicable(field):
        parts.append("Không khai: mục chấm điểm dùng giá trị này không áp dụng cho đơn vị.")
    else:
        parts.append(f"Không khai: {_missing_text(field.missing)}.")
    if field.places is not None:
        parts.append(f"Tối đa {field.places} chữ số thập phân.")
    if field.evidence:
        parts.append("Cần minh chứng khi khai có sự việc.")
    return " ".join(parts)


def _missing_text(value: Any) -> str:
    if isinstance(value, bool):
        return "hiểu là không (false)"
    if isinstance(value, tuple | list) and not value:  # a list input (format v2)
        return "hiểu là danh sách rỗng (không có mục nào)"
    return f"hiểu là {value}"


def submission_schema(guide: CompiledRuleset) -> dict[str, Any]:
    """The JSON Schema of the submissions of ``guide``, generated from its inputs."""
    values: dict[str, Any] = {}
    for name, field in guide.inputs.items():
        spec = guide.ruleset.inputs[name]
        prop = _input_schema(field)
        prop["description"] = _describe(field, spec.description, spec.unit)
        values[name] = prop
    required = [name for name, field in guide.inputs.items() if field.required]
    evidence_item = {
        "anyOf": [
            {"type": "string"},
            {
                "type": "object",
                "properties": {
                    "document": {"type": "string"},
                    "date": {"type": "string"},
                    "file": {"type": "string"},
                    "link": {"type": "string"},
                    "note": {"type": "string"},
                },
                "additionalProperties": False,
            },
        ]
    }
    unit = {
        "type": "object",
        "title": "Đơn vị",
        "properties": {
            "unit_id": {"type": "string", "pattern": _ID_PATTERN, "title": "Mã đơn vị"},
            "name": {"type": "string", "minLength": 1, "title": "Tên đơn vị"},
            "values": {
                "type": "object",
                "title": "Số liệu tự khai",
                "properties": values,
                "required": required,
                "additionalProperties": False,
            },
            "evidence": {
                "type": "object",
                "title": "Minh chứng theo từng số liệu",
                "propertyNames": {"enum": list(values)},
                "additionalProperties": {
                    "anyOf": [evidence_item, {"type": "array", "items": evidence_item}]
                },
            },
            "self_scores": {
                "type": "object",
                "title": "Điểm tự chấm theo từng mục",
                "propertyNames": {"enum": list(guide.nodes)},
                "additionalProperties": _number_or_text(),
            },
        },
        "required": ["unit_id", "name"],
        "additionalProperties": False,
    }
    schema: dict[str, Any] = {
        "type": "object",
        "description": f"Bài nộp theo hướng dẫn {guide.id} phiên bản {guide.version}: "
        f"{guide.ruleset.title}",
        "properties": {
            "ruleset": {"const": guide.id, "title": "Mã hướng dẫn"},
            "ruleset_version": {"const": guide.version, "title": "Phiên bản hướng dẫn"},
            "period": {"const": guide.ruleset.period, "title": "Kỳ chấm điểm"},
            "units": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/unit"}},
        },
        "required": ["ruleset", "ruleset_version", "units"],
        "additionalProperties": False,
        "$defs": {"unit": unit},
    }
    return _header(schema, f"submission/{guide.id}/{guide.version}.json", f"Bài nộp: {guide.id}")


def _number_or_text() -> dict[str, Any]:
    return {"anyOf": [{"type": "number"}, _number_text(None)]}


# --------------------------------------------------------------------------------------------
# Results and audit records (their models live in emulation_rules.audit.documents)


def result_schema() -> dict[str, Any]:
    """The JSON Schema of a cluster result (``score --format json [--trace]``)."""
    schema = ResultDoc.model_json_schema(mode="validation")
    return _header(schema, "result-v1.json", "emulation-rules result")


def audit_schema() -> dict[str, Any]:
    """The JSON Schema of an audit record (``score --record``)."""
    schema = AuditDoc.model_json_schema(mode="validation")
    return _header(schema, "audit-v1.json", "emulation-rules audit record")


def guide_tests_schema() -> dict[str, Any]:
    """The JSON Schema of a guide's tests file (``<guide>.tests.yaml``)."""
    schema = GuideTestsFile.model_json_schema(by_alias=True, mode="validation")
    return _header(schema, "guide-tests-v1.json", "emulation-rules guide tests")
