"""Guide tests: named cases written beside a guide, with the results they must give.

A tests file ``<guide>.tests.yaml`` sits beside its guide::

    guide: tiengiang-stnmt-2022.yaml          # relative to this file
    defaults:                                 # values every inline unit starts from
      c1_ty_le_thu_gom: 100
    cases:
      - name: a1 bị trừ chạm mức tối đa 1,5 điểm
        units:                                # inline units, like a submission file's units
          - {unit_id: u1, values: {a1_1_so_truong_hop: 4}}
        expect:
          units:
            u1: {total: 98.5, rank: 1, items: {a1: 1.5, a1.1: -2}}
      - name: năm đơn vị mẫu
        submissions: ../examples/tiengiang-2022/submissions.yaml
        expect:
          units: {tx-cai-lay: {total: 110.10, rank: 1}}

:func:`load_suite` reads and checks a tests file, :func:`run_case` scores one case and
compares, :func:`coverage` reports the parts of the guide that no case exercises.
Expectations name only what they check; decimals compare exactly (``110.1`` equals
``110.10``). A unit that is rejected or fails without being expected to fails its case.

The package has three parts: :mod:`.format` (the file's format, loading and checking it),
:mod:`.run` (scoring a case and comparing) and :mod:`.coverage` (what no case exercises).
"""

from __future__ import annotations

from emulation_rules.authoring.guidetests.coverage import Coverage, Gap, coverage
from emulation_rules.authoring.guidetests.format import (
    TESTS_SUFFIX,
    GuideSuite,
    GuideTestsFile,
    check_suite,
    is_tests_file,
    load_suite,
    tests_path_for,
)
from emulation_rules.authoring.guidetests.run import CaseResult, Mismatch, run_case, run_suite

__all__ = [
    "TESTS_SUFFIX",
    "CaseResult",
    "Coverage",
    "Gap",
    "GuideSuite",
    "GuideTestsFile",
    "Mismatch",
    "check_suite",
    "coverage",
    "is_tests_file",
    "load_suite",
    "run_case",
    "run_suite",
    "tests_path_for",
]
