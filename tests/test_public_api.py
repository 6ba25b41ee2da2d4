"""The public surface: a sorted __all__ of names that exist, and the published JSON Schema."""

from __future__ import annotations

import json

import emulation_rules
from emulation_rules.cli import ruleset_schema


def test_all_is_sorted_and_complete():
    names = emulation_rules.__all__
    # isort style, as ruff RUF022 keeps it: CONSTANTS, then Classes, then functions
    assert names == sorted(
        names, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)
    )
    for name in names:
        assert hasattr(emulation_rules, name), name
    public = {n for n in dir(emulation_rules) if not n.startswith("_")}
    modules = {
        "awards",
        "cli",
        "cluster",
        "compiler",
        "errors",
        "evaluator",
        "loader",
        "model",
        "ranking",
        "scoring",
        "submissions",
    }
    assert public - set(names) <= modules


def test_published_schema_is_current(root):
    published = json.loads((root / "docs/schema/ruleset-v1.json").read_text(encoding="utf-8"))
    assert published == ruleset_schema(), (
        "run: emulation-rules schema > docs/schema/ruleset-v1.json"
    )


def test_every_shipped_guide_validates_against_the_schema(root):
    import jsonschema
    import yaml

    schema = ruleset_schema()
    for path in sorted((root / "rulesets").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        jsonschema.validate(_stringify(data), schema)


def _stringify(value):
    """YAML dates to ISO text and numbers as JSON numbers, as an editor would see them."""
    import datetime

    if isinstance(value, dict):
        return {str(k): _stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
