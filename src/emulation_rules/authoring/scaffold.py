"""``emulation-rules init``: a small working guide to start from, with its tests and a submission.

:func:`write_scaffold` writes three files into a folder: ``huong-dan.yaml`` (a guide of three
standards using the common constructs), ``huong-dan.tests.yaml`` (its test cases) and
``bai-nop.yaml`` (an example submission of two units). The files check, score and pass their
tests as written; a rule author edits them into the cluster's own guide.

The guide and its tests start with the editor's schema line, pointing at the JSON Schema files
installed with the package (:func:`schema_line`). The comments point at help the user has
offline (``--help``, ``emulation-rules guides``), not at the repository's ``docs/``: a wheel
does not carry the documentation, whose pages link to each other and to repository files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from emulation_rules._support.files import make_folder, write_atomic
from emulation_rules.guide.shipped import schema_path

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["FILES", "schema_line", "write_scaffold"]

GUIDE = """\
# Hướng dẫn chấm điểm thi đua mẫu, do "emulation-rules init" tạo ra: sửa thành hướng dẫn của cụm.
# Kiểm tra:  emulation-rules check huong-dan.yaml
# Chấm điểm: emulation-rules score huong-dan.yaml bai-nop.yaml
# Kiểm thử:  emulation-rules test huong-dan.yaml --coverage
# Trợ giúp:  emulation-rules --help, emulation-rules <lệnh> --help
# Hướng dẫn mẫu đi kèm (đọc tệp nguồn để xem ví dụ đầy đủ): emulation-rules guides
# Dòng đầu tệp trỏ tới lược đồ JSON đi kèm gói: trình soạn thảo (VS Code với tiện ích YAML của
# Red Hat) dùng nó để gợi ý và kiểm tra khi gõ.

format: emulation-rules/v1
id: huong-dan-mau-2024
version: "2024.1"
title: Bảng điểm thi đua năm 2024 của Cụm thi đua mẫu
issuer: Cụm thi đua mẫu
period: "2024"
scale: 100
total:
  may_exceed_scale: true          # điểm thưởng có thể đưa tổng vượt 100

inputs:
  ty_le_hoan_thanh_chi_tieu:
    type: percent
    label: Tỷ lệ hoàn thành chỉ tiêu, nhiệm vụ được giao trong năm
    unit: "%"
    required: true
    places: 2
    max: 100
  so_bao_cao_tre_han:
    type: count
    label: Số báo cáo gửi Cụm trưởng trễ hạn
    unit: báo cáo
    missing: 0                    # không khai nghĩa là không có báo cáo trễ hạn
  so_sang_kien:
    type: count
    label: Số sáng kiến, mô hình mới được công nhận trong năm
    unit: sáng kiến
    missing: 0
    evidence: true                # khai có sáng kiến thì cần minh chứng
  ngay_dang_ky_thi_dua:
    type: date
    label: Ngày gửi bản đăng ký thi đua
    required: true
  muc_ky_luat:
    type: enum
    label: Hình thức kỷ luật cao nhất đối với cán bộ, công chức trong năm
    values: [khong, khien_trach, canh_cao_tro_len]
    missing: khong
  co_gui_bao_cao:
    type: bool
    label: Có gửi báo cáo tổng kết và bảng tự chấm điểm
    required: true

criteria:
  - id: TC1
    title: "Tiêu chuẩn 1: Hoàn thành chỉ tiêu, nhiệm vụ được giao"
    max: 50
    bands:
      of: ty_le_hoan_thanh_chi_tieu
      bands:
        - {from: 100, points: 50}               # hoàn thành 100%
        - {from: 90, below: 100, points: 40}    # từ 90% đến dưới 100%
        - {from: 80, below: 90, points: 30}     # từ 80% đến dưới 90%
      otherwise: 15                             # dưới 80%

  - id: TC2
    title: "Tiêu chuẩn 2: Chế độ thông tin, báo cáo và kỷ luật, kỷ cương"
    max: 30
    children:
      - id: "2.1"
        title: Gửi báo cáo đúng hạn (đạt 15 điểm chuẩn)
        max: 15
        children:
          - id: "2.1.1"
            title: "Mỗi báo cáo trễ hạn: trừ 1 điểm (tối đa 5 điểm)"
            kind: deduction
            per_event: {count: so_bao_cao_tre_han, points: -1, cap: 5}
      - id: "2.2"
        title: Không có cán bộ, công chức bị kỷ luật (đạt 15 điểm chuẩn)
        max: 15
        children:
          - id: "2.2.1"
            title: Có người bị kỷ luật (khiển trách trừ 5 điểm; cảnh cáo trở lên trừ 10 điểm)
            kind: deduction
            lookup:
              of: muc_ky_luat
              points: {khong: 0, khien_trach: -5, canh_cao_tro_len: -10}

  - id: TC3
    title: "Tiêu chuẩn 3: Công tác thi đua, khen thưởng"
    max: 20
    children:
      - id: "3.1"
        title: Đăng ký thi đua đúng hạn (đạt 20 điểm chuẩn)
        max: 20
        children:
          - id: "3.1.1"
            title: Gửi bản đăng ký thi đua sau ngày 31/3/2024 trừ 5 điểm
            kind: deduction
            deadline: {date: ngay_dang_ky_thi_dua, due: 2024-03-31, late: -5}
          - id: "3.1.2"
            title: "Mỗi sáng kiến, mô hình mới được công nhận: cộng 2 điểm (tối đa 4 điểm)"
            kind: bonus
            per_event: {count: so_sang_kien, points: 2, cap: 4}

not_classified:
  - id: KXL
    when: not co_gui_bao_cao
    reason: Không gửi báo cáo tổng kết và bảng tự chấm điểm thi đua

classification:
  on: total
  bands:
    - {from: 90, label: Hoàn thành xuất sắc nhiệm vụ}
    - {from: 70, below: 90, label: Hoàn thành tốt nhiệm vụ}
    - {from: 50, below: 70, label: Hoàn thành nhiệm vụ}
  otherwise: Không hoàn thành nhiệm vụ

ranking:
  by:
    - total
    - score: TC1                  # bằng điểm: xét điểm tiêu chuẩn 1
    - deductions                  # rồi ít điểm trừ hơn
  method: competition
"""

TESTS = """\
# Các trường hợp kiểm thử của huong-dan.yaml. Chạy: emulation-rules test huong-dan.yaml
# Mỗi trường hợp ghi số điểm mong đợi, tính tay theo bảng điểm.

guide: huong-dan.yaml

defaults:                         # giá trị mỗi đơn vị khai trực tiếp bắt đầu từ đó
  ty_le_hoan_thanh_chi_tieu: 100
  ngay_dang_ky_thi_dua: 2024-03-15
  co_gui_bao_cao: true

cases:
  - name: Đơn vị đạt đủ điểm chuẩn
    units:
      - {unit_id: dat-chuan}
    expect:
      units:
        dat-chuan: {total: 100, rank: 1, classification: Hoàn thành xuất sắc nhiệm vụ}

  - name: Trừ điểm chạm mức tối đa, điểm thưởng tối đa 4
    units:
      - unit_id: nhieu-diem-tru
        values:
          ty_le_hoan_thanh_chi_tieu: 85         # 30
          so_bao_cao_tre_han: 7                 # −7, tối đa 5
          muc_ky_luat: khien_trach              # −5
          ngay_dang_ky_thi_dua: 2024-04-02      # sau 31/3 → −5
      - unit_id: ba-sang-kien
        values: {so_sang_kien: 3}               # +6, tối đa 4
    expect:
      units:
        # 30 + 10 + 10 + 15 = 65
        nhieu-diem-tru:
          total: 65
          rank: 2
          classification: Hoàn thành nhiệm vụ
          items: {TC1: 30, "2.1.1": -5, "2.1": 10, "2.2": 10, "3.1": 15}
        ba-sang-kien: {total: 104, rank: 1, items: {"3.1.2": 4}}

  - name: Hai đơn vị trong bài nộp mẫu
    submissions: bai-nop.yaml
    expect:
      units:
        phong-a: {total: 101, rank: 1}
        # 40 + 29 + 20 = 89
        phong-b: {total: 89, rank: 2, classification: Hoàn thành tốt nhiệm vụ}

  - name: Không gửi báo cáo thì không xếp loại; dưới 50 điểm không hoàn thành nhiệm vụ
    units:
      - unit_id: khong-bao-cao
        values: {co_gui_bao_cao: false}
      - unit_id: duoi-50
        values:
          ty_le_hoan_thanh_chi_tieu: 70         # 15
          so_bao_cao_tre_han: 6                 # −6, tối đa 5
          muc_ky_luat: canh_cao_tro_len         # −10
          ngay_dang_ky_thi_dua: 2024-04-01      # −5
    expect:
      units:
        khong-bao-cao: {status: not_classified, rank: null, not_classified: [KXL]}
        # 15 + 10 + 5 + 15 = 45
        duoi-50: {total: 45, rank: 1, classification: Không hoàn thành nhiệm vụ}
"""

SUBMISSION = """\
# Bài nộp mẫu của hai đơn vị theo huong-dan.yaml.
# Chấm: emulation-rules score huong-dan.yaml bai-nop.yaml
ruleset: huong-dan-mau-2024
ruleset_version: "2024.1"
period: "2024"
units:
  - unit_id: phong-a
    name: Phòng A
    values:
      ty_le_hoan_thanh_chi_tieu: 100
      ngay_dang_ky_thi_dua: 2024-03-10
      so_bao_cao_tre_han: 1
      so_sang_kien: 1
      co_gui_bao_cao: true
    evidence:
      so_sang_kien: ["Quyết định công nhận sáng kiến số 12/QĐ-UBND ngày 20/9/2024"]
  - unit_id: phong-b
    name: Phòng B
    values:
      ty_le_hoan_thanh_chi_tieu: 95.5
      ngay_dang_ky_thi_dua: 2024-03-28
      so_bao_cao_tre_han: 1
      co_gui_bao_cao: true
"""

#: The files written, by name.
FILES = {"huong-dan.yaml": GUIDE, "huong-dan.tests.yaml": TESTS, "bai-nop.yaml": SUBMISSION}


def write_scaffold(folder: str | Path, *, force: bool = False) -> list[Path]:
    """Write the starter guide, its tests and a submission into ``folder``.

    Raises:
        FileExistsError: if a file would be overwritten and ``force`` is false (nothing is
        written then).
    """
    target = Path(folder)
    paths = [target / name for name in FILES]
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        raise FileExistsError(", ".join(str(p) for p in existing))
    make_folder(target)
    for path, text in zip(paths, FILES.values(), strict=True):
        write_atomic(path, _SCHEMA_LINES.get(path.name, _no_line)() + text)
    return paths


def schema_line(what: Literal["ruleset", "guide-tests"]) -> str:
    """The editor line that points at the installed JSON Schema file of ``what``.

    yaml-language-server (VS Code's YAML extension and others) reads it; the file is the one
    shipped inside the package, so the line works offline and matches the installed version.
    """
    return f"# yaml-language-server: $schema={schema_path(what).resolve().as_uri()}\n"


def _no_line() -> str:
    return ""


_SCHEMA_LINES: dict[str, Callable[[], str]] = {
    "huong-dan.yaml": lambda: schema_line("ruleset"),
    "huong-dan.tests.yaml": lambda: schema_line("guide-tests"),
}
