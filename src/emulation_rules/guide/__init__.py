"""The guide as written: its YAML text read with positions, composed, and validated.

:mod:`~emulation_rules.guide.read` (text → located YAML →
:class:`~emulation_rules.guide.model.Ruleset`),
:mod:`~emulation_rules.guide.composition` (a guide built on a base guide),
:mod:`~emulation_rules.guide.model` (the pydantic models of the format).
"""
