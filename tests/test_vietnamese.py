"""Issue 15: human output in the users' own language (numbers, explanations, messages)."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest

from emulation_rules._support.display import vn_number, vn_numbers_in, vn_signed
from emulation_rules.cli import run


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        ("0.5", None, "0,5"),
        ("110.10", 2, "110,10"),
        ("110.10", None, "110,1"),
        ("16880", None, "16.880"),
        ("1234567.891", None, "1.234.567,89"),
        ("-0.50", None, "\u22120,5"),
        ("-0.001", None, "0"),
        ("903.9791666666666666666666667", None, "903,98"),
        ("0.125", None, "0,13"),
        ("100", 2, "100,00"),
        ("999.999", None, "1.000"),
    ],
)
def test_vn_number(value, places, shown):
    assert vn_number(Decimal(value), places) == shown


def test_vn_signed():
    assert vn_signed(Decimal("0.5")) == "+0,5"
    assert vn_signed(Decimal("-1.5")) == "\u22121,5"
    assert vn_signed(Decimal(0)) == "+0"


def test_numbers_in_sentences_leave_dates_ids_and_item_numbers():
    text = "-0.5 × (a1_1_so), tối đa 1.5; mục a4.1.3, ngày 2022-12-12, 31/1, 4305/HD, 16880"
    assert vn_numbers_in(text) == (
        "\u22120,5 × (a1_1_so), tối đa 1,5; mục a4.1.3, ngày 2022-12-12, 31/1, 4305/HD, 16.880"
    )


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


#: A number written the English way: a decimal point between digits (not an item number).
_ENGLISH_DECIMAL = re.compile(r"(?<![\w.])\d+\.(?!\d{3}(?!\d))\d+(?![\w.])")
_LONG_DECIMAL = re.compile(r"\d[.,]\d{5,}")


def test_ranked_table_writes_numbers_the_vietnamese_way():
    code, out, _ = _run(
        "score", "congan-cum347-2024", "congan-cum347", "--cluster", "congan-cum347"
    )
    assert code == 0
    row = next(line for line in out.splitlines() if "ca-xa-my-loi" in line and "Trung bình" in line)
    assert "749,75   1.050    71,40" in row
    assert "903,98…" in out  # 903.979166… shown rounded, marked as not exact
    table = out.split("\n\n")[1]
    assert not _ENGLISH_DECIMAL.search(table)
    assert not _LONG_DECIMAL.search(out)
