"""Atomic file writing: every file posegraph writes goes to a temporary name, then is renamed.

A crash (or SIGKILL) while writing leaves either the old file or the new one, never a
half-written file under the final name.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

__all__ = ["atomic_path", "save_npz", "save_json", "save_json_stream", "write_text", "ensure_empty_dir"]


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
    """A text file written atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
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
