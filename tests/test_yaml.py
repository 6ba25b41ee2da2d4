"""The safe YAML reader: YAML 1.2 scalars, exact decimals, positions, and refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from emulation_rules._support import yaml as _yaml
from emulation_rules._support.yaml import parse_yaml


def parse(text: str):
    document, issues = parse_yaml(text, "t.yaml")
    return document, [(i.code, i.line, i.column) for i in issues]


def test_scalars_follow_yaml_1_2_and_numbers_are_exact_decimals():
    document, issues = parse(
        "a: 1\nb: 0.1\nc: NO\nd: yes\ne: true\nf: ~\ng: 2022-01-31\nh: '0.5'\ni: 1e3\nj: -0.0\n"
    )
    assert issues == []
    assert document is not None
    assert document.data == {
        "a": 1,
        "b": Decimal("0.1"),
        "c": "NO",
        "d": "yes",
        "e": True,
        "f": None,
        "g": "2022-01-31",
        "h": "0.5",
        "i": Decimal("1e3"),
        "j": Decimal("-0.0"),
    }
    assert not any(isinstance(v, float) for v in document.data.values())


def test_positions_of_values_and_keys_are_one_based():
    document, _ = parse("a:\n  b: [1, 2]\n  c:\n    - d: x\n")
    assert document is not None
    assert document.positions.values[("a", "b", 1)] == (2, 10)
    assert document.positions.keys[("a", "c")] == (3, 3)
    assert document.positions.values[("a", "c", 0, "d")] == (4, 10)
    assert document.positions.find(("a", "c", 0, "missing")) == (4, 7)


def test_text_is_normalised_to_nfc():
    document, _ = parse("ten: Ha\u0300 No\u0323\u0302i\n")
    assert document is not None
    assert document.data["ten"] == "Hà Nội"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: 2\na: 3\n", [("duplicate-key", 3, 1)]),
        ("a: &x 1\nb: *x\n", [("yaml-alias", 1, 4), ("yaml-alias", 2, 4)]),
        ("a: !!python/object/apply:os.system [ls]\n", [("yaml-tag", 1, 4)]),
        ("a: !custom x\n", [("yaml-tag", 1, 4)]),
        ("a: {x: 1}\nb:\n  <<: {y: 2}\n", [("yaml-alias", 3, 3)]),
        ("a: 1\n---\nb: 2\n", [("multiple-documents", 2, 1)]),
        ("a:\n\tb: 1\n", [("yaml-syntax", 2, 1)]),
        ("a: 'abc\n", [("yaml-syntax", 2, 1)]),
        ("a: [1, 2\n", [("yaml-syntax", 2, 1)]),
        ("# only a comment\n", [("empty-document", 1, 1)]),
        ("", [("empty-document", 1, 1)]),
        ("? [a, b]\n: 1\n", [("key-type", 1, 3)]),
        ("1: x\n", [("key-type", 1, 1)]),
        ("null: x\n", [("key-type", 1, 1)]),
    ],
)
def test_refusals_are_located(text, expected):
    _, issues = parse(text)
    assert issues == expected


def test_deep_nesting_is_refused_without_recursion_error():
    _, issues = parse("[" * 1000 + "]" * 1000)
    assert issues == [("too-deep", 1, 101)]


class _NestLimitedLoader(yaml.SafeLoader):
    """The pure-Python parser with the nesting limit that PyYAML 6.0.4's libyaml has."""

    def fetch_flow_collection_start(self, TokenClass):  # noqa: N803 - PyYAML's name
        if self.flow_level >= 1000:
            raise yaml.scanner.ScannerError(
                None,
                None,
                "exceeded maximum nesting depth while increasing flow level",
                self.get_mark(),
            )
        super().fetch_flow_collection_start(TokenClass)


_LOADERS = [
    pytest.param(yaml.SafeLoader, id="no-limit"),
    pytest.param(_NestLimitedLoader, id="pyyaml-limit"),
] + ([pytest.param(yaml.CSafeLoader, id="libyaml")] if hasattr(yaml, "CSafeLoader") else [])


@pytest.mark.parametrize("loader", _LOADERS)
@pytest.mark.parametrize("depth", [150, 1000, 1100, 5000])
def test_our_depth_limit_fires_first_under_either_parser(loader, depth):
    # libyaml (bundled with PyYAML >= 6.0.4) stops at 1,000 levels while scanning up to 1,024
    # characters ahead of the events we read; with or without that limit, the issue is ours,
    # at our limit's place.
    text = "notes:\n  - x: " + "[" * depth + "]" * depth + "\n"
    _, found = _yaml._parse_within_our_limit(text, "g.yaml", 100, True, loader)
    assert [(i.code, i.line, i.column) for i in found] == [("too-deep", 2, 105)]


def test_a_limit_above_pyyamls_reports_pyyamls_refusal_as_too_deep():
    text = "[" * 1500 + "]" * 1500
    _, found = _yaml._parse_within_our_limit(text, "g.yaml", 2000, True, _NestLimitedLoader)
    assert [(i.code, i.line) for i in found] == [("too-deep", 1)]
    assert "1000 levels" in found[0].message
    document, found = _yaml._parse_within_our_limit(text, "g.yaml", 2000, True, yaml.SafeLoader)
    assert found == []
    assert document is not None


def test_billion_laughs_is_refused_at_the_first_anchor():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    document, issues = parse(bomb)
    assert issues[0] == ("yaml-alias", 1, 4)
    assert document is not None
    assert document.data["b"] == [None] * 9  # aliases never expand


def test_dot_underscore_scalar_that_crashes_ruamel_is_plain_text():
    document, issues = parse("a: ._\n")
    assert issues == []
    assert document is not None
    assert document.data == {"a": "._"}


def test_huge_integers_stay_text_for_the_schema_to_refuse():
    document, _ = parse("a: " + "9" * 40 + "\n")
    assert document is not None
    assert document.data["a"] == "9" * 40
