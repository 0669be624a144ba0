"""Atomic file writing: every file posegraph writes goes to a temporary name, then is renamed.

A crash (or SIGKILL) while writing leaves either the old file or the new one, never a
half-written file under the final name.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

__all__ = ["atomic_path", "save_npz", "save_json", "save_json_stream", "write_text", "ensure_empty_dir",
           "OutputDir", "writes_output_dir", "os_error_line"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    ``suffix`` is the temporary file's ending (some writers, e.g. ``np.savez``, add ``.npz``
    to a name without one); it defaults to ``path``'s own suffix.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent,
                               suffix=path.suffix if suffix is None else suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the final file the usual mode
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_npz(path: str | os.PathLike, compressed: bool = True, **arrays: Any) -> Path:
    """``np.savez[_compressed]`` written atomically."""
    with atomic_path(path, suffix=".npz") as tmp:
        (np.savez_compressed if compressed else np.savez)(tmp, **arrays)
    return Path(path)


def save_json(path: str | os.PathLike, obj: Any, indent: int = 2) -> Path:
    """JSON written atomically (numpy scalars and arrays converted)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=indent, default=_json_default) + "\n")
    return Path(path)


def save_json_stream(path: str | os.PathLike, head: dict, key: str, items: Iterable[Any]) -> Path:
    """JSON object ``{**head, key: [items...]}`` written atomically, one item at a time.

    Memory stays bounded however many items there are (e.g. a per-frame list of an hour of video).
    """
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        body = json.dumps({**head, key: []}, default=_json_default)
        f.write(body[:-2])  # everything up to the empty list's closing "]}"
        for i, item in enumerate(items):
            f.write(("," if i else "") + json.dumps(item, default=_json_default))
        f.write("]}\n")
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """A UTF-8 text file written atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _json_default(o: Any):
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def ensure_empty_dir(path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Create ``path``; refuse a non-empty existing directory unless ``overwrite``."""
    from .errors import PosegraphError

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise PosegraphError(f"{path}: exists and is not a directory")
    if path.exists() and any(path.iterdir()) and not overwrite:
        raise PosegraphError(f"{path}: output directory is not empty (pass --overwrite to write into it)")
    path.mkdir(parents=True, exist_ok=True)
    return path


def os_error_line(e: OSError, path: str | os.PathLike | None = None) -> str:
    """One line for a filesystem error: ``PATH: reason`` (``path`` when the error names no file).

    ``OSError(errno.ENOSPC)`` (one argument, no ``errno`` attribute) reads as the errno's text.
    """
    code = e.errno if e.errno is not None else (e.args[0] if len(e.args) == 1 and isinstance(e.args[0], int) else None)
    reason = e.strerror or (os.strerror(code) if code is not None else " ".join(str(e).split()) or type(e).__name__)
    where = e.filename if e.filename is not None else path
    return f"{os.fsdecode(where)}: {reason}" if where is not None else reason


_STAGE_PREFIX = ".posegraph-partial-"


def _short_path(p: Path, limit: int = 120) -> str:
    """``p`` as text, its middle elided past ``limit`` characters (a 300-character name stays readable)."""
    s = os.fspath(p)
    return s if len(s) <= limit else s[:limit // 2 - 2] + "..." + s[-(limit // 2 - 1):]


class OutputDir:
    """An output folder written as one set: everything goes to a temporary folder, then into place.

    ``begin()`` checks the folder (``ensure_empty_dir``'s refusals, a parent that is a file, a
    name too long; a read-only folder fails when the temporary folder is made, before any
    work is written) and returns the temporary folder: beside ``out`` when
    ``out`` is absent (it is renamed to ``out`` at the end: one rename), inside ``out`` when it
    exists (each file is then moved into ``out``, the previous file of the same name kept
    until every move has succeeded and put back if one fails). Used as a context manager, a
    failure inside removes the temporary folder and every parent folder ``begin`` created, so
    ``out`` holds either its whole previous content or the whole new set; a filesystem error
    becomes a one-line :class:`~posegraph.errors.PosegraphError` naming the path.
    """

    def __init__(self, out: str | os.PathLike, overwrite: bool = False):
        self.out = Path(out)
        self.overwrite = overwrite
        self.tmp: Path | None = None
        self._created: list[Path] = []  # parent folders made by begin(), deepest last

    def check(self) -> None:
        """The refusals, without creating anything."""
        from .errors import PosegraphError

        out = self.out
        for part in [out] + list(out.parents):
            if len(os.fsencode(part.name)) > 255:
                raise PosegraphError(f"{_short_path(out)}: file name too long ({len(os.fsencode(part.name))} "
                                     f"bytes in one name; the limit is 255)")
        if out.exists() and not out.is_dir():
            raise PosegraphError(f"{out}: exists and is not a directory")
        if out.is_dir() and any(out.iterdir()) and not self.overwrite:
            raise PosegraphError(f"{out}: output directory is not empty (pass --overwrite to write into it)")
        for parent in out.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise PosegraphError(f"{out}: {parent} is a file, not a directory")
                break

    def begin(self) -> Path:
        """Check, then create and return the temporary folder."""
        from .errors import PosegraphError

        self.check()
        out = self.out
        self._inside = out.is_dir()
        try:
            if self._inside:
                base = out
            else:
                base = Path(os.path.abspath(out)).parent
                missing = []
                for parent in [base] + list(base.parents):
                    if parent.exists():
                        break
                    missing.append(parent)
                for parent in reversed(missing):
                    parent.mkdir()
                    self._created.append(parent)
            self.tmp = Path(tempfile.mkdtemp(prefix=_STAGE_PREFIX, dir=base))
        except OSError as e:
            self.abort()
            e.filename = None
            raise PosegraphError(f"cannot create the output folder {os_error_line(e, out)}") from None
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.tmp, 0o777 & ~umask)  # mkdtemp makes 0700; the folder becomes out
        return self.tmp

    def commit(self) -> None:
        """Move the new set into place (see the class docstring)."""
        tmp, out = self.tmp, self.out
        if tmp is None:
            return
        if not self._inside:  # out was absent: one rename
            os.rename(tmp, out)
            self.tmp = None
            self._created = []
            return
        new = sorted((p for p in tmp.iterdir()), key=lambda p: (p.stat().st_mtime_ns, p.name))  # written order
        keep = tmp / ".previous"
        keep.mkdir()
        done: list[tuple[Path, Path, Path | None]] = []
        try:
            for src in new:
                dst = out / src.name
                old = None
                if dst.exists() or dst.is_symlink():
                    old = keep / src.name
                    os.replace(dst, old)
                done.append((src, dst, old))
                os.replace(src, dst)
        except BaseException:
            for src, dst, old in reversed(done):  # put everything back as it was
                with contextlib.suppress(OSError):
                    if dst.exists() and not src.exists():
                        os.replace(dst, src)
                    if old is not None:
                        os.replace(old, dst)
            raise
        self.abort()  # removes the previous files kept aside

    def abort(self) -> None:
        """Remove the temporary folder and the parent folders ``begin`` created."""
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        for parent in reversed(self._created):
            with contextlib.suppress(OSError):
                parent.rmdir()
        self._created = []

    def final(self, obj: Any) -> Any:
        """``obj`` with every path inside the temporary folder changed to its place in ``out``."""
        if isinstance(obj, dict):
            return {k: self.final(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(self.final(v) for v in obj)
        if isinstance(obj, Path) and self._staged is not None:
            try:
                return self.out / obj.relative_to(self._staged)
            except ValueError:
                return obj
        return obj

    def __enter__(self) -> "OutputDir":
        return self

    def __exit__(self, typ, exc, tb) -> bool:
        self._staged = self.tmp
        if exc is None:
            try:
                self.commit()
            except BaseException as e:
                self.abort()
                if isinstance(e, OSError):
                    raise self._error(e) from None
                raise
            return False
        self.abort()
        if isinstance(exc, OSError):
            raise self._error(exc) from None
        return False

    _staged: Path | None = None
    _inside = False

    def _error(self, e: OSError):
        from .errors import PosegraphError

        name = e.filename
        staged = self._staged
        if name is not None and staged is not None:
            try:
                e.filename = os.fspath(self.out / Path(os.fsdecode(name)).relative_to(staged))
            except ValueError:
                pass
        line = os_error_line(e, self.out)
        return PosegraphError(line + (" (nothing was written)" if line.startswith(f"{self.out}:")
                                      else f" (nothing was written to {self.out})"))


def writes_output_dir(fn):
    """Decorator: ``fn``'s ``out`` argument (a folder) is given as an :class:`OutputDir` (with
    ``fn``'s ``overwrite``); ``fn`` calls ``out.begin()`` where it starts writing and writes
    into the folder that returns. The set moves into place when ``fn`` returns; paths in its
    result are given as their final places."""
    sig = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        with OutputDir(bound.arguments["out"], bool(bound.arguments.get("overwrite", False))) as stage:
            bound.arguments["out"] = stage
            res = fn(*bound.args, **bound.kwargs)
        return stage.final(res)

    return wrapper
