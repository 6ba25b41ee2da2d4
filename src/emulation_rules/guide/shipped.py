"""The guides, base templates, example data and JSON Schemas shipped inside the package.

They live in ``emulation_rules/data`` and are reached through :mod:`importlib.resources`, so an
installed package (a wheel, not the repository) finds them too::

    data/rulesets/<name>.yaml             a shipped guide, with <name>.tests.yaml beside it
    data/rulesets/templates/<name>.yaml   a base template that guides ``extends`` by name
    data/examples/<name>/                 submissions.yaml, and cluster.yaml / reviews.yaml
    data/schema/<what>-v1.json            the published JSON Schemas

A name is the file (or folder) name without ``.yaml``. The command line accepts a name wherever
it takes a guide, a submission, a cluster file or a reviews file, but a file that exists always
wins over a name; a name that matches nothing is ``file-not-found`` with a "did you mean" hint.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from emulation_rules._support.text import suggest
from emulation_rules.errors import Issue, RulesetLoadError, SubmissionError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = [
    "ExampleFile",
    "ShippedExample",
    "ShippedGuide",
    "base_names",
    "find_example",
    "find_guide",
    "resolve_example_file",
    "resolve_guide",
    "schema_path",
    "shipped_base",
    "shipped_examples",
    "shipped_guides",
]

#: The files an example folder may hold, by the role the command line gives them.
ExampleFile = Literal["submissions", "cluster", "reviews"]
_TESTS_SUFFIX = ".tests.yaml"


@dataclass(frozen=True, slots=True)
class ShippedGuide:
    """A guide (or base template) shipped with the package."""

    #: The name that reaches it: its file name without ``.yaml``.
    name: str
    #: The guide's ``id``, ``version`` and ``title``, as written in the file.
    id: str
    version: str
    title: str
    #: The file, on disk.
    path: Path
    #: Whether it is a base template (``rulesets/templates``), meant to be extended.
    template: bool
    #: The names of the shipped examples whose submissions are for this guide.
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ShippedExample:
    """A shipped example: a cluster's submissions, and its cluster facts and reviews if any."""

    #: The folder name that reaches it.
    name: str
    #: The guide id the submissions name (``ruleset:``), or None.
    guide: str | None
    submissions: Path
    cluster: Path | None
    reviews: Path | None

    def file(self, role: ExampleFile) -> Path | None:
        """The example's file for ``role``, or None when it has none."""
        return {"submissions": self.submissions, "cluster": self.cluster, "reviews": self.reviews}[
            role
        ]


@functools.cache
def _data_root() -> Path:
    """The ``data`` folder on disk (copied to a temporary folder when installed zipped)."""
    root = resources.files("emulation_rules") / "data"
    if isinstance(root, Path):
        return root
    # a zip import: the loader and relative 'extends' need real files, so copy the tree once
    target = Path(tempfile.mkdtemp(prefix="emulation-rules-data-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    _copy(root, target)
    return target


def _copy(source: Traversable, target: Path) -> None:
    for item in source.iterdir():
        if item.is_dir():
            (target / item.name).mkdir()
            _copy(item, target / item.name)
        else:
            (target / item.name).write_bytes(item.read_bytes())


def schema_path(what: Literal["ruleset", "result", "audit", "guide-tests"]) -> Path:
    """The shipped JSON Schema file of ``what`` (e.g. for an editor's ``$schema`` line)."""
    return _data_root() / "schema" / f"{what}-v1.json"


def _top_keys(path: Path) -> dict[str, str]:
    """The top-level scalar keys of a shipped YAML file, read with the package's own reader."""
    from emulation_rules._support.yaml import parse_yaml  # noqa: PLC0415 - only when listing

    document, _ = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    data = document.data if document is not None else None
    if not isinstance(data, dict):
        return {}
    return {k: str(v) for k, v in data.items() if isinstance(v, str | int) and isinstance(k, str)}


@functools.cache
def shipped_examples() -> tuple[ShippedExample, ...]:
    """Every shipped example, by name."""
    out = []
    for folder in sorted((_data_root() / "examples").iterdir()):
        submissions = folder / "submissions.yaml"
        if not submissions.is_file():
            continue
        cluster, reviews = folder / "cluster.yaml", folder / "reviews.yaml"
        out.append(
            ShippedExample(
                name=folder.name,
                guide=_top_keys(submissions).get("ruleset"),
                submissions=submissions,
                cluster=cluster if cluster.is_file() else None,
                reviews=reviews if reviews.is_file() else None,
            )
        )
    return tuple(out)


@functools.cache
def shipped_guides() -> tuple[ShippedGuide, ...]:
    """Every shipped guide, then every base template, each sorted by name."""
    root = _data_root() / "rulesets"
    files = [(p, False) for p in sorted(root.glob("*.yaml"))]
    files += [(p, True) for p in sorted((root / "templates").glob("*.yaml"))]
    out = []
    for path, template in files:
        if path.name.endswith(_TESTS_SUFFIX):
            continue
        keys = _top_keys(path)
        ident = keys.get("id", path.stem)
        out.append(
            ShippedGuide(
                name=path.stem,
                id=ident,
                version=keys.get("version", ""),
                title=keys.get("title", ""),
                path=path,
                template=template,
                examples=tuple(e.name for e in shipped_examples() if e.guide == ident),
            )
        )
    return tuple(out)


def _guide_named(name: str) -> ShippedGuide | None:
    return next((g for g in shipped_guides() if g.name == name), None)


def _not_found(name: str, what: str, names: list[str]) -> Issue:
    hint = suggest(Path(name).name.removesuffix(".yaml"), names)
    return Issue(
        "file-not-found",
        f"no file and no shipped {what} is named {name!r}",
        source=name,
        hint=hint or "list the shipped ones with: emulation-rules guides",
    )


def find_guide(name: str) -> ShippedGuide:
    """The shipped guide or base template called ``name``.

    Raises:
        RulesetLoadError: ``file-not-found``, with a "did you mean" over the shipped names.
    """
    found = _guide_named(name)
    if found is None:
        issue = _not_found(name, "guide", [g.name for g in shipped_guides()])
        raise RulesetLoadError(f"the guide {name} cannot be loaded", (issue,))
    return found


def find_example(name: str) -> ShippedExample:
    """The shipped example called ``name``.

    Raises:
        SubmissionError: ``file-not-found``, with a "did you mean" over the shipped names.
    """
    found = next((e for e in shipped_examples() if e.name == name), None)
    if found is None:
        issue = _not_found(name, "example", [e.name for e in shipped_examples()])
        raise SubmissionError(f"the example {name} cannot be read", (issue,))
    return found


def _is_name(text: str) -> bool:
    """Whether ``text`` could be a name rather than a path (a name has no folder part)."""
    return bool(text) and Path(text).name == text and text not in (".", "..", "-")


def resolve_guide(argument: str) -> str:
    """A guide argument as a file: itself when it exists (or is a path), else a shipped guide's.

    Raises:
        RulesetLoadError: ``file-not-found`` for a name no shipped guide has.
    """
    if Path(argument).exists() or not _is_name(argument):
        return argument
    return str(find_guide(argument.removesuffix(".yaml")).path)


def resolve_example_file(argument: str, role: ExampleFile) -> str:
    """A submission, cluster or reviews argument as a file: itself, or a shipped example's.

    Raises:
        SubmissionError: ``file-not-found`` for a name no shipped example has, or for an
        example without that file.
    """
    if Path(argument).exists() or not _is_name(argument):
        return argument
    example = find_example(argument)
    path = example.file(role)
    if path is None:
        issue = Issue(
            "file-not-found",
            f"the shipped example {argument!r} has no {role} file",
            source=argument,
        )
        raise SubmissionError(f"the example {argument} has no {role} file", (issue,))
    return str(path)


def shipped_base(target: str) -> Path | None:
    """The file of a shipped guide or template that ``extends: <target>`` names, or None."""
    if not _is_name(target):
        return None
    found = _guide_named(target.removesuffix(".yaml"))
    return found.path if found else None


def base_names() -> list[str]:
    """The names ``extends`` accepts (for "did you mean" hints)."""
    return [g.name for g in shipped_guides()]
