"""Issue 12: the built wheel carries the shipped data, and its README commands work installed.

Builds the wheel, installs it without extras into a fresh virtual environment (pip fetches the
three dependencies), and runs the commands that use shipped names from a folder far from the
repository, so that nothing can come from the source tree.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _run(*argv: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(a) for a in argv], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )
    if check and done.returncode != 0:
        pytest.fail(f"{argv} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def installed(root, tmp_path_factory):
    """The wheel, and the bin folder of a fresh virtual environment it is installed in."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, root, cwd=base)
    (wheel,) = dist.glob("emulation_rules-*.whl")
    try:
        venv.create(base / "venv", with_pip=True)
    except (OSError, subprocess.CalledProcessError) as exc:  # no ensurepip on this Python
        pytest.skip(f"cannot create a virtual environment with pip here: {exc}")
    bindir = base / "venv" / ("Scripts" if os.name == "nt" else "bin")
    _run(bindir / "python", "-m", "pip", "install", "-q", wheel, cwd=base)
    return wheel, bindir


def test_the_wheel_holds_the_data_as_files(installed, root):
    wheel, _ = installed
    with zipfile.ZipFile(wheel) as archive:
        infos = {i.filename: i for i in archive.infolist()}
    data = root / "src/emulation_rules/data"
    expected = {
        "emulation_rules/data/" + p.relative_to(data).as_posix()
        for p in data.rglob("*")
        if p.is_file()
    }
    assert expected <= set(infos)
    assert "emulation_rules/data/rulesets/templates/bo-tnmt-mau-2022.yaml" in expected
    assert "emulation_rules/data/schema/ruleset-v1.json" in expected
    assert "emulation_rules/data/examples/tiengiang-2022/submissions.yaml" in expected
    for name in expected:  # regular files with their full size, not symbolic links
        mode = infos[name].external_attr >> 16
        assert mode & 0o170000 in (0, 0o100000), name
        relative = name.removeprefix("emulation_rules/data/")
        assert infos[name].file_size == (data / relative).stat().st_size, name


def test_the_installed_commands_use_shipped_names(installed, root, tmp_path):
    _, bindir = installed
    tool = bindir / "emulation-rules"
    work = tmp_path / "elsewhere"
    work.mkdir()
    version = _run(tool, "--version", cwd=work).stdout
    assert version.startswith("emulation-rules ")
    listed = _run(tool, "guides", cwd=work).stdout
    assert "tiengiang-stnmt-2022" in listed
    assert "bo-tnmt-mau-2022" in listed
    assert "site-packages" in listed  # the data folder of the installed package

    scored = _run(
        tool, "score", "tiengiang-stnmt-2022", "tiengiang-2022", "--format", "json", cwd=work
    )
    result = json.loads(scored.stdout)
    assert result["ruleset"]["id"] == "tiengiang-stnmt-2022"
    assert len(result["units"]) > 1
    _run(
        tool, "score", "congan-cum347-2024", "congan-cum347", "--cluster", "congan-cum347", cwd=work
    )
    # Vietnamese by default: the wheel ships the compiled catalogs (issue 15)
    assert ": hợp lệ\n" in _run(tool, "check", "tiengiang-stnmt-2022", cwd=work).stdout
    assert ", 0 sai\n" in _run(tool, "test", "tinh-mau-stnmt-2022", cwd=work).stdout
    missing = _run(tool, "check", "tiengiang", cwd=work, check=False)
    assert missing.returncode == 1
    assert "file-not-found" in missing.stdout

    _run(tool, "init", "cum", cwd=work)
    guide = work / "cum" / "huong-dan.yaml"
    first = guide.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=file://")
    assert "site-packages" in first
    schema_file = Path.from_uri(first.split("=", 1)[1]) if sys.version_info >= (3, 13) else None
    if schema_file is not None:
        assert schema_file.is_file()
    _run(tool, "check", guide, cwd=work)
    _run(tool, "test", guide, cwd=work)

    # the shipped 'tỉnh Mẫu' guide, outside the package, on the template by its name
    text = (root / "rulesets/tinh-mau-stnmt-2022.yaml").read_text(encoding="utf-8")
    child = work / "tinh-mau.yaml"
    child.write_text(re.sub(r"(?m)^extends: .*$", "extends: bo-tnmt-mau-2022", text), "utf-8")
    _run(tool, "check", child, cwd=work)
    _run(tool, "score", child, "tinh-mau-stnmt-2022", "--record", "ket-qua.json", cwd=work)
    assert "trùng khớp: sha256:" in _run(tool, "replay", "ket-qua.json", cwd=work).stdout
