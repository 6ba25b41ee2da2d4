"""The public surface: a sorted __all__ of names that exist, and the published JSON Schema."""

from __future__ import annotations

import json
import types

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
    # the rest are the package's own submodules, imported by the names above
    for name in public - set(names):
        assert isinstance(getattr(emulation_rules, name), types.ModuleType), name


def test_whatif_is_public():
    for name in ("Comparison", "Goal", "WhatIfAnswer", "compare_units", "whatif"):
        assert name in emulation_rules.__all__, name


def test_published_schema_is_current(root):
    published = json.loads((root / "docs/schema/ruleset-v1.json").read_text(encoding="utf-8"))
    assert published == ruleset_schema(), (
        "run: emulation-rules schema > docs/schema/ruleset-v1.json"
    )


def test_every_shipped_guide_validates_against_the_schema(root):
    import jsonschema

    from emulation_rules._support.yaml import parse_yaml

    schema = ruleset_schema()
    for path in sorted((root / "rulesets").rglob("*.yaml")):
        if path.name.endswith(".tests.yaml"):
            continue  # a guide's tests file: checked against docs/schema/guide-tests-v1.json
        # our own YAML 1.2 reader: PyYAML's safe_load would turn the key 'on' into True
        document, issues = parse_yaml(path.read_text(encoding="utf-8"), str(path))
        assert document is not None, issues
        jsonschema.validate(document.data, schema)


def test_every_public_name_is_documented(root):
    """The reference is built from the docstrings: each public name has one."""
    import inspect

    for name in emulation_rules.__all__:
        value = getattr(emulation_rules, name)
        if isinstance(value, str | int | dict):
            continue  # constants: documented where they are defined
        assert inspect.getdoc(value), name
    page = (root / "docs/reference.md").read_text(encoding="utf-8")
    assert "::: emulation_rules\n" in page  # the whole of __all__, name by name


def test_functions_that_raise_say_so():
    """Every public function that raises for bad data or types documents it (Raises:)."""
    import inspect

    for name in (
        "load_ruleset",
        "load_submissions",
        "parse_json",
        "parse_submissions",
        "parse_reviews",
        "parse_cluster",
        "load_reviews",
        "load_cluster",
        "score",
        "evaluate",
        "stream_score",
        "find_guide",
    ):
        assert "Raises:" in (inspect.getdoc(getattr(emulation_rules, name)) or ""), name
