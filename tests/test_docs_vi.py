"""The Vietnamese docs (docs/vi/) stay in step with the English ones (issue 15).

Each Vietnamese page gives every heading an explicit anchor, the anchor of the English heading
it translates (``## 1. Bắt đầu từ bộ khung có sẵn {#1-start-from-the-scaffold}``), so links
into a page work in both languages and this test can pair the sections: the same sections in
the same order, the same error codes, the same commands in the code blocks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emulation_rules.errors import CODES

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = ("tutorial.md", "errors.md", "audit.md")

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_ANCHOR = re.compile(r"\s*\{#([\w-]+)\}$")
_CODE = re.compile(r"`([a-z][a-z0-9]*(?:-[a-z0-9]+)+)`")


def _slug(title: str) -> str:
    """The anchor mkdocs gives an English heading (the toc extension's ``slugify``)."""
    from markdown.extensions.toc import slugify

    return str(slugify(title.replace("`", ""), "-"))


def _split(text: str) -> tuple[list[tuple[int, str]], list[str], list[str]]:
    """Headings ``(level, text)``, prose lines and code-block lines of a Markdown page."""
    headings: list[tuple[int, str]] = []
    prose: list[str] = []
    code: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            code.append(line)
            continue
        prose.append(line)
        match = _HEADING.match(line)
        if match:
            headings.append((len(match.group(1)), match.group(2)))
    return headings, prose, code


def _commands(code: list[str]) -> list[str]:
    """The command lines of the code blocks, comments left out."""
    found = []
    for line in code:
        text = line.removeprefix("$ ").strip()
        words = text.split()
        if len(words) > 1 and words[1].endswith(":"):
            continue  # the program's output ("emulation-rules score: usage: …"), not a command
        if text.startswith(("emulation-rules ", "pip install ")):
            found.append(text.split("  #", 1)[0].split(" #", 1)[0].rstrip())
    return found


def _pages(name: str) -> tuple[str, str]:
    english = (DOCS / name).read_text(encoding="utf-8")
    vietnamese = (DOCS / "vi" / name).read_text(encoding="utf-8")
    return english, vietnamese


@pytest.mark.parametrize("name", PAGES)
def test_the_same_sections_in_the_same_order(name):
    english, vietnamese = _pages(name)
    wanted = [(level, _slug(title)) for level, title in _split(english)[0]]
    got = []
    for level, title in _split(vietnamese)[0]:
        match = _ANCHOR.search(title)
        assert match, f"docs/vi/{name}: the heading {title!r} has no {{#anchor}}"
        got.append((level, match.group(1)))
    assert got == wanted


@pytest.mark.parametrize("name", PAGES)
def test_the_same_commands_in_the_code_blocks(name):
    english, vietnamese = _pages(name)
    assert _commands(_split(vietnamese)[2]) == _commands(_split(english)[2])


@pytest.mark.parametrize("name", PAGES)
def test_the_same_error_codes(name):
    english, vietnamese = _pages(name)

    def codes(text: str) -> set[str]:
        return {c for line in _split(text)[1] for c in _CODE.findall(line) if c in CODES}

    assert codes(vietnamese) == codes(english)


def test_the_vietnamese_error_catalogue_has_every_code():
    headings = _split((DOCS / "vi" / "errors.md").read_text(encoding="utf-8"))[0]
    documented = {_ANCHOR.search(title).group(1) for level, title in headings if level == 3}
    assert set(CODES) <= documented


@pytest.mark.parametrize("name", PAGES)
def test_the_vietnamese_pages_are_in_the_site_and_written_in_nfc(name):
    import unicodedata

    text = (DOCS / "vi" / name).read_text(encoding="utf-8")
    assert unicodedata.normalize("NFC", text) == text
    site = (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")
    assert f"vi/{name}" in site


def test_a_heading_without_its_anchor_is_found(tmp_path):
    """The pairing is not blind: a translated heading that lost its anchor is reported."""
    headings = _split("# Tiêu đề\n\n## Mục một {#one}\n\n```text\n# not a heading\n```\n")[0]
    assert headings == [(1, "Tiêu đề"), (2, "Mục một {#one}")]
    assert _ANCHOR.search(headings[0][1]) is None
    assert _commands(
        ["$ emulation-rules check a.yaml   # note", "  x", "emulation-rules check: usage: …"]
    ) == ["emulation-rules check a.yaml"]
