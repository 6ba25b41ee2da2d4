"""docs/constructs.md quotes the shipped guides exactly: each block marked "from" is in its guide."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "constructs.md"
_BLOCK = re.compile(r"<!-- from: (\S+) -->\n```yaml\n(.*?)```", re.DOTALL)


def _blocks() -> list[tuple[str, str]]:
    return _BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_the_page_quotes_every_shipped_construct():
    sources = {source for source, _ in _blocks()}
    assert len(_blocks()) >= 30
    assert "rulesets/tinh-mau-stnmt-2022.yaml" in sources


@pytest.mark.parametrize(("source", "block"), _blocks(), ids=lambda v: v[:40])
def test_each_quoted_block_is_in_its_guide(source, block):
    text = (ROOT / source).read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    wanted = [line.strip() for line in block.splitlines() if line.strip()]
    # the block's lines appear in the guide in this order, one after another
    start = lines.index(wanted[0])
    while lines[start : start + len(wanted)] != wanted:
        start = lines.index(wanted[0], start + 1)
