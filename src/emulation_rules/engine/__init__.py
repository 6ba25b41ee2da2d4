"""The engine: score units against a compiled guide, then the cluster: rank and award.

:mod:`~emulation_rules.engine.evaluator` (the interpreter and the trace),
:mod:`~emulation_rules.engine.codegen` (the generated program, built on first use),
:mod:`~emulation_rules.engine.cluster`, :mod:`~emulation_rules.engine.ranking`,
:mod:`~emulation_rules.engine.awards` and :mod:`~emulation_rules.engine.scoring` (the whole run).
The engine reads no file and imports no report, audit or command line module.
"""
