"""Writing output files whole or not at all.

Every file the library writes (audit records, reports, workbooks, scaffolds) goes to a
temporary file in the target's folder first, is flushed to disk, and then replaces the target
in one step (:func:`os.replace`). A write that fails part-way (a full disk, a killed process)
leaves the previous file as it was, never a truncated one. A failure is an
:class:`~emulation_rules.errors.OutputError` with the code ``file-write``, never a raw
``OSError``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from emulation_rules.errors import Issue, OutputError

__all__ = ["make_folder", "write_atomic"]


def write_atomic(path: str | Path, data: bytes | str) -> None:
    """Write ``data`` (text is written as UTF-8) to ``path`` whole, or leave ``path`` as it was.

    Raises:
        OutputError: ``file-write``, when the folder is missing or the file cannot be written.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as exc:
        raise _write_error(target, exc) from None
    scratch = Path(temporary)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        if target.exists():  # keep the permissions the file had
            with contextlib.suppress(OSError):
                scratch.chmod(target.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            scratch.chmod(0o666 & ~umask)
        scratch.replace(target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            scratch.unlink()
        raise _write_error(target, exc) from None


def make_folder(path: str | Path) -> Path:
    """Create ``path`` (and its parents) as a folder for outputs.

    Raises:
        OutputError: ``file-write``, when it cannot be created or is a file.
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _write_error(folder, exc) from None
    return folder


def _write_error(target: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or type(exc).__name__
    hint = (
        "create the folder first, or choose another path"
        if isinstance(exc, FileNotFoundError)
        else "check the permissions and the free space"
    )
    return OutputError(
        f"cannot write {target}",
        (Issue("file-write", f"cannot write the file: {reason}", source=str(target), hint=hint),),
    )
