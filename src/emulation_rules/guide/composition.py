"""Guides that extend a base guide (a ministry template): layers merged into one document.

A guide with ``extends: base.yaml`` (a path relative to the guide, or when no such file exists
the name of a template shipped with the package, see :mod:`emulation_rules.guide.shipped`) starts
from the base and changes it::

    extends: templates/bo-tnmt-mau-2022.yaml
    format: emulation-rules/v1
    id: tinh-mau-stnmt-2022              # its own id and version (required)
    version: "2022.1"
    title: …                              # any top-level key given replaces the base's
    inputs: {so_mo_hinh_moi: {…}}         # inputs and constants are merged by name
    overrides:                            # change fields of a criterion, by id
      - {id: "4.3.1", per_event: {count: so_bai_viet, points: 0.2, cap: 0.6}}
    disable: [b3]                         # remove criteria (and their children), by id
    add:                                  # new criteria, under a parent (or at the top level)
      - parent: TC4
        after: "4.2"
        criterion: {id: "4.4", title: …, kind: bonus, …}

A base may itself extend another guide. :func:`compose` reads the chain, checks it (a missing
base is ``extend-missing``, a circular chain ``extend-cycle``) and merges the layers from the
first base to the guide, applying ``disable``, then ``overrides``, then ``add`` in each layer.
The result is one document whose positions point into the file each value came from, so that
every later issue names the right file, line and column; each criterion records the layer (the
guide id) its rule came from, shown by traces and ``emulation-rules explain``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulation_rules._support.i18n import N_
from emulation_rules._support.text import read_source, suggest
from emulation_rules._support.yaml import Positions, YamlDocument, parse_yaml
from emulation_rules.errors import Issue
from emulation_rules.guide.model import CONSTRUCTS
from emulation_rules.guide.shipped import base_names, shipped_base

__all__ = ["COMPOSITION_KEYS", "LayeredPositions", "compose"]

DocPath = tuple[str | int, ...]
#: The keys that compose a guide; they never reach the merged document.
COMPOSITION_KEYS = ("extends", "overrides", "disable", "add")
#: Keys a guide that extends another must give itself.
OWN_KEYS = ("format", "id", "version")
#: Keys merged by name rather than replaced.
MERGED_KEYS = ("inputs", "constants")
#: Longest chain of bases.
MAX_DEPTH = 16
MAX_BYTES = 5 * 1024 * 1024
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Fields of criteria and gates that hold text, not expressions.
_TEXT_FIELDS = frozenset({"title", "note", "reviewed_by", "label", "reason", "message", "id"})


@dataclass(frozen=True, slots=True)
class LayeredPositions(Positions):
    """Positions of a merged guide: each path's line and column in the file it came from."""

    #: The file each path comes from.
    sources: dict[DocPath, str] = field(default_factory=dict)
    #: The text of each file, by name (to place issues inside expressions).
    texts: dict[str, str] = field(default_factory=dict)
    #: The layer (guide id) of each criterion, by its path in the merged document.
    criterion_layers: dict[DocPath, str] = field(default_factory=dict)
    #: The layers, base first: ``(guide id, source file)``.
    layers: tuple[tuple[str, str], ...] = ()
    #: The bases reached through a shipped template's name, base first: ``(source file, where
    #: the name puts it seen from the guide, text)``; a replay writes the text there.
    shipped_bases: tuple[tuple[str, str, str], ...] = ()

    def source_at(self, path: DocPath) -> str | None:
        """The file the value at ``path`` (or its nearest known ancestor) comes from."""
        for end in range(len(path), -1, -1):
            found = self.sources.get(path[:end])
            if found is not None:
                return found
        return None

    def text_at(self, path: DocPath) -> str | None:
        """The text of the file the value at ``path`` comes from."""
        source = self.source_at(path)
        return self.texts.get(source) if source else None

    def layer_at(self, path: DocPath) -> str | None:
        """The layer of the criterion at ``path``."""
        return self.criterion_layers.get(path)


@dataclass
class _Layer:
    """One file of the chain."""

    source: str
    path: Path
    text: str
    document: YamlDocument
    #: Where the layer sits seen from the guide: ``path``, except for a shipped template
    #: reached by name (and its own bases), which sits where its name would be a file.
    placed: Path | None = None
    #: The layer's guide id (its file name when it has none), read before any merging.
    ident: str = ""

    def __post_init__(self) -> None:
        ident = self.data.get("id")
        self.ident = ident if isinstance(ident, str) else self.path.stem

    @property
    def at(self) -> Path:
        """Where the layer sits seen from the guide (see ``placed``)."""
        return self.placed if self.placed is not None else self.path

    @property
    def data(self) -> dict[str, Any]:
        data = self.document.data
        assert isinstance(data, dict)
        return data

    def issue(self, code: str, message: str, path: DocPath, *, hint: str | None = None) -> Issue:
        found = self.document.positions.find(path)
        line, column = found or (None, None)
        return Issue(
            code, message, source=self.source, path=path, line=line, column=column, hint=hint
        )


# --------------------------------------------------------------------------------------------
# Reading the chain


def _chain(top: _Layer) -> tuple[list[_Layer], list[Issue]]:
    """The layers from ``top`` down to its first base, or the issues that stop the chain."""
    layers = [top]
    seen = {top.path.resolve(): top.source}
    current = top
    while "extends" in current.data:
        target = current.data["extends"]
        if not isinstance(target, str) or not target.strip():
            return layers, [
                current.issue("wrong-type", "'extends' is the path of a guide file", ("extends",))
            ]
        # where the base is written, relative to the guide: a replay puts it there again
        base_at = current.at.parent / target
        base_path = current.path.parent / target
        if not base_path.exists() and (shipped := shipped_base(target)) is not None:
            base_path = shipped  # a shipped template by name; a file that exists wins
        resolved = base_path.resolve()
        if resolved in seen:
            names = [layer.source for layer in layers]
            cycle = " → ".join([*names[names.index(seen[resolved]) :], seen[resolved]])
            return layers, [
                top.issue(
                    "extend-cycle",
                    N_("the guides extend each other in a circle: {cycle}").format(cycle=cycle),
                    ("extends",),
                    hint=N_("a base guide cannot extend, directly or not, a guide built on it"),
                )
            ]
        if len(layers) > MAX_DEPTH:
            return layers, [
                current.issue(
                    "extend-cycle", N_("the chain of base guides is too long"), ("extends",)
                )
            ]
        display = str(base_path)
        text, problem = read_source(base_path, max_bytes=MAX_BYTES, display_name=display)
        if text is None:
            detail = problem.message if problem else "cannot read it"
            return layers, [
                current.issue(
                    "extend-missing",
                    N_("the base guide {name} cannot be read: {detail}").format(
                        name=repr(target), detail=detail
                    ),
                    ("extends",),
                    hint=_missing_hint(target, current.source),
                )
            ]
        document, issues = parse_yaml(text.text, display)
        if document is None or any(i.severity == "error" for i in issues):
            return layers, issues
        if not isinstance(document.data, dict):
            return layers, [
                Issue(
                    "wrong-type",
                    "a guide must be a mapping of keys",
                    source=display,
                    line=1,
                    column=1,
                )
            ]
        current = _Layer(
            display,
            base_path,
            text.text,
            YamlDocument(copy.deepcopy(document.data), document.positions),
            placed=base_at,
        )
        seen[resolved] = display
        layers.append(current)
    return layers, []


def _missing_hint(target: str, source: str) -> str:
    close = suggest(Path(target).name.removesuffix(".yaml"), base_names())
    if close:
        return N_(
            "the path is relative to the folder of {file}; a shipped template is named by its "
            "name alone: {suggestion}"
        ).format(file=source, suggestion=close)
    return N_("the path is relative to the folder of {file}").format(file=source)


# --------------------------------------------------------------------------------------------
# Merging


@dataclass
class _Merge:
    """The merged data and where each of its parts came from."""

    data: dict[str, Any]
    #: For a container (by ``id()``): the file and its path there.
    origin: dict[int, tuple[str, DocPath]] = field(default_factory=dict)
    #: For one key of a mapping (by ``(id(), key)``): the file and the value's path there.
    key_origin: dict[tuple[int, str], tuple[str, DocPath]] = field(default_factory=dict)
    #: The layer of each criterion mapping, by ``id()``.
    layer_of: dict[int, str] = field(default_factory=dict)
    #: Where an overridden criterion is now written (its override entry), by ``id()``.
    node_origin: dict[int, tuple[str, DocPath]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    #: Inputs named by criteria that a layer disabled.
    disabled_names: set[str] = field(default_factory=set)
    #: Input names and where they were declared: the layer's source.
    input_layer: dict[str, str] = field(default_factory=dict)
    #: Criteria removed by ``disable``, kept alive so that no ``id()`` above is reused.
    removed: list[Any] = field(default_factory=list)


def _criteria_dicts(items: Any) -> list[tuple[dict[str, Any], list[Any]]]:
    """Every criterion mapping of a criteria list, with the list that holds it."""
    out: list[tuple[dict[str, Any], list[Any]]] = []
    stack = [items] if isinstance(items, list) else []
    while stack:
        current = stack.pop()
        for item in current:
            if isinstance(item, dict):
                out.append((item, current))
                if isinstance(item.get("children"), list):
                    stack.append(item["children"])
    return out


def _find(merge: _Merge, ident: Any) -> tuple[dict[str, Any], list[Any]] | None:
    for crit, holder in _criteria_dicts(merge.data.get("criteria")):
        if crit.get("id") == ident:
            return crit, holder
    return None


def _ids(merge: _Merge) -> list[str]:
    return [str(c.get("id")) for c, _ in _criteria_dicts(merge.data.get("criteria"))]


def _names_in(value: Any) -> set[str]:
    """Identifiers in the expression fields of a criterion subtree (or gate list)."""
    names: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(v for k, v in item.items() if k not in _TEXT_FIELDS)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            names.update(_IDENTIFIER.findall(item))
    return names


def _start(base: _Layer) -> _Merge:
    merge = _Merge(base.data)
    merge.origin[id(base.data)] = (base.source, ())
    _claim(merge, base, base.data.get("criteria"))
    for name in base.data.get("inputs", {}) if isinstance(base.data.get("inputs"), dict) else {}:
        merge.input_layer[name] = base.source
    return merge


def _claim(merge: _Merge, layer: _Layer, criteria: Any) -> None:
    """Record ``layer`` as the layer of every criterion in ``criteria``."""
    for crit, _ in _criteria_dicts(criteria):
        merge.layer_of[id(crit)] = layer.ident


def _apply(merge: _Merge, layer: _Layer) -> None:
    """Apply one layer on top of the merged data."""
    data = layer.data
    top = merge.data
    for key in OWN_KEYS:
        if key not in data:
            merge.issues.append(
                layer.issue(
                    "missing-field",
                    f"a guide that extends another needs its own {key!r}",
                    (),
                    hint="the id and version name this guide, not its base",
                )
            )
    for key, value in data.items():
        if key in COMPOSITION_KEYS:
            continue
        if key == "criteria":
            merge.issues.append(
                layer.issue(
                    "invalid-value",
                    "a guide that extends another changes its criteria with 'overrides', "
                    "'add' and 'disable', not 'criteria'",
                    ("criteria",),
                )
            )
            continue
        if key in MERGED_KEYS and isinstance(value, dict) and isinstance(top.get(key), dict):
            target = top[key]
            for name, entry in value.items():
                target[name] = entry
                merge.key_origin[(id(target), name)] = (layer.source, (key, name))
                if key == "inputs":
                    merge.input_layer[name] = layer.source
            continue
        top[key] = value
        merge.key_origin[(id(top), key)] = (layer.source, (key,))
    _disable(merge, layer)
    _override(merge, layer)
    _add(merge, layer)


def _listed(merge: _Merge, layer: _Layer, key: str) -> list[Any]:
    value = layer.data.get(key, [])
    if not isinstance(value, list):
        merge.issues.append(layer.issue("wrong-type", f"{key!r} is a list", (key,)))
        return []
    return value


def _unknown(merge: _Merge, layer: _Layer, ident: Any, path: DocPath, what: str) -> None:
    merge.issues.append(
        layer.issue(
            "unknown-criterion",
            f"{what} names {ident!r}, which is not a criterion of the guide it extends",
            path,
            hint=suggest(str(ident), _ids(merge)),
        )
    )


def _disable(merge: _Merge, layer: _Layer) -> None:
    for index, ident in enumerate(_listed(merge, layer, "disable")):
        found = _find(merge, ident)
        if found is None:
            _unknown(merge, layer, ident, ("disable", index), "'disable'")
            continue
        crit, holder = found
        merge.disabled_names |= _names_in(crit)
        holder.remove(crit)
        merge.removed.append(crit)


def _override(merge: _Merge, layer: _Layer) -> None:
    for index, entry in enumerate(_listed(merge, layer, "overrides")):
        at: DocPath = ("overrides", index)
        if not isinstance(entry, dict) or "id" not in entry:
            merge.issues.append(
                layer.issue(
                    "missing-field", "an override needs the 'id' of the criterion it changes", at
                )
            )
            continue
        found = _find(merge, entry["id"])
        if found is None:
            _unknown(merge, layer, entry["id"], (*at, "id"), "the override")
            continue
        crit = found[0]
        if "children" in entry:
            merge.issues.append(
                layer.issue(
                    "invalid-value",
                    "an override cannot replace children: 'disable' them and 'add' new ones",
                    (*at, "children"),
                )
            )
        given = [k for k in entry if k in CONSTRUCTS and entry[k] is not None]
        if given:
            for name in CONSTRUCTS:
                if name not in given:
                    crit.pop(name, None)
        for key, value in entry.items():
            if key in ("id", "children"):
                continue
            if value is None:
                crit.pop(key, None)  # null resets the field to its default
                continue
            crit[key] = value
            merge.key_origin[(id(crit), key)] = (layer.source, (*at, key))
        merge.layer_of[id(crit)] = layer.ident
        merge.node_origin[id(crit)] = (layer.source, at)


def _add(merge: _Merge, layer: _Layer) -> None:
    for index, entry in enumerate(_listed(merge, layer, "add")):
        at: DocPath = ("add", index)
        if not isinstance(entry, dict) or not isinstance(entry.get("criterion"), dict):
            merge.issues.append(
                layer.issue("missing-field", "an addition needs 'criterion': the new criterion", at)
            )
            continue
        unknown = sorted(set(entry) - {"parent", "after", "criterion"})
        for key in unknown:
            merge.issues.append(
                layer.issue(
                    "unknown-field",
                    f"unknown field {key!r}",
                    (*at, key),
                    hint=suggest(key, ["parent", "after", "criterion"]),
                )
            )
        crit = entry["criterion"]
        parent = entry.get("parent")
        if parent is None:
            holder = merge.data.setdefault("criteria", [])
        else:
            found = _find(merge, parent)
            if found is None:
                _unknown(merge, layer, parent, (*at, "parent"), "'parent'")
                continue
            holder = found[0].setdefault("children", [])
        position = len(holder)
        after = entry.get("after")
        if after is not None:
            siblings = [c.get("id") if isinstance(c, dict) else None for c in holder]
            if after not in siblings:
                _unknown(merge, layer, after, (*at, "after"), "'after'")
                continue
            position = siblings.index(after) + 1
        holder.insert(position, crit)
        merge.origin[id(crit)] = (layer.source, (*at, "criterion"))
        _claim(merge, layer, [crit])


def _prune_inputs(merge: _Merge, main: str) -> None:
    """Drop inputs of base layers that only disabled criteria read."""
    inputs = merge.data.get("inputs")
    if not merge.disabled_names or not isinstance(inputs, dict):
        return
    still = set()
    for key in ("criteria", "not_classified", "eligibility", "checks", "ranking"):
        still |= _names_in(merge.data.get(key))
    for name in list(inputs):
        inherited = merge.input_layer.get(name) != main
        if inherited and name in merge.disabled_names and name not in still:
            del inputs[name]


# --------------------------------------------------------------------------------------------
# Positions of the merged document


def _positions(merge: _Merge, layers: list[_Layer]) -> LayeredPositions:
    by_source = {layer.source: layer.document.positions for layer in layers}
    values: dict[DocPath, tuple[int, int]] = {}
    keys: dict[DocPath, tuple[int, int]] = {}
    sources: dict[DocPath, str] = {}
    criterion_layers: dict[DocPath, str] = {}
    stack: list[tuple[Any, DocPath, tuple[str, DocPath]]] = [
        (merge.data, (), merge.origin[id(merge.data)])
    ]
    while stack:
        value, path, (source, old) = stack.pop()
        if isinstance(value, dict | list) and id(value) in merge.origin:
            source, old = merge.origin[id(value)]
        # an overridden criterion is placed at its override; its fields keep their own places
        here, at = merge.node_origin.get(id(value), (source, old))
        positions = by_source[here]
        if at in positions.values:
            values[path] = positions.values[at]
        if at in positions.keys:
            keys[path] = positions.keys[at]
        sources[path] = here
        if isinstance(value, dict):
            if id(value) in merge.layer_of:
                criterion_layers[path] = merge.layer_of[id(value)]
            for key, child in value.items():
                where = merge.key_origin.get((id(value), key), (source, (*old, key)))
                stack.append((child, (*path, key), where))
        elif isinstance(value, list):
            stack.extend((child, (*path, i), (source, (*old, i))) for i, child in enumerate(value))
    return LayeredPositions(
        values,
        keys,
        sources=sources,
        texts={layer.source: layer.text for layer in layers},
        criterion_layers=criterion_layers,
        layers=tuple((layer.ident, layer.source) for layer in reversed(layers)),
        shipped_bases=tuple(
            (layer.source, str(layer.at), layer.text)
            for layer in reversed(layers)
            if layer.at != layer.path
        ),
    )


def compose(
    document: YamlDocument, source: str, text: str, path: Path
) -> tuple[YamlDocument | None, list[Issue]]:
    """Merge a guide that ``extends`` a base guide with its bases.

    ``path`` is the guide's file (bases are relative to its folder). Returns the merged document,
    whose positions are a :class:`LayeredPositions`, or ``None`` and the issues that stop it.
    """
    assert isinstance(document.data, dict)
    top = _Layer(
        source,
        path,
        text,
        YamlDocument(copy.deepcopy(document.data), document.positions, document.dropped),
    )
    layers, issues = _chain(top)
    if issues:
        return None, issues
    merge = _start(layers[-1])
    for layer in reversed(layers[:-1]):
        _apply(merge, layer)
    if merge.issues:
        return None, merge.issues
    _prune_inputs(merge, source)
    for key in COMPOSITION_KEYS:
        merge.data.pop(key, None)
    merge.origin[id(merge.data)] = (layers[-1].source, ())
    positions = _positions(merge, layers)
    return YamlDocument(merge.data, positions, document.dropped), []
