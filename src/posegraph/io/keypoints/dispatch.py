""":func:`read_keypoints`, which picks the reader of a file from the table :data:`READERS`.

Each row of the table names a format, the file suffix it is read from (or :data:`FOLDER`),
its reader and, where several formats share a suffix, a *sniff* that tells them apart by the
file's content. The content is loaded once, by :data:`CONTENT` of the suffix, and handed to the
sniffs and the reader. Rows of one suffix are tried in order; the last one should take any
content (no sniff).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ...errors import FormatError
from .checks import _load_json
from .coco_json import _read_coco
from .container import Keypoints2D
from .csv_file import _read_csv
from .npz_file import _read_npz
from .openpose_dir import _is_openpose_frame, _read_openpose_folder, _read_openpose_frame

__all__ = ["read_keypoints", "READERS", "Reader", "FOLDER"]

FOLDER = "/"
"""The "suffix" of a folder in :data:`READERS`."""


@dataclass(frozen=True)
class Reader:
    """One format in :data:`READERS`.

    Attributes:
        name: the format, as the errors name it (``"OpenPose"`` -> "a folder (OpenPose)").
        suffix: lower-case file suffix with its dot (``".json"``), or :data:`FOLDER`.
        read: ``read(path, content, layout, person) -> Keypoints2D``; ``content`` is what
            :data:`CONTENT` loaded for the suffix (None when it loads nothing).
        sniff: ``sniff(content) -> bool``, whether the content is this format; None takes any.
    """

    name: str
    suffix: str
    read: Callable[[Path, Any, Any, Any], Keypoints2D]
    sniff: Callable[[Any], bool] | None = None


CONTENT: dict[str, Callable[[Path], Any]] = {".json": _load_json}
"""How the content that the sniffs and readers of a suffix look at is loaded (once)."""

READERS: tuple[Reader, ...] = (
    Reader("OpenPose", FOLDER, _read_openpose_folder),
    Reader("OpenPose frame", ".json", _read_openpose_frame, _is_openpose_frame),
    Reader("COCO keypoints", ".json", _read_coco),
    Reader("npz", ".npz", _read_npz),
    Reader("CSV", ".csv", _read_csv),
)
"""The formats :func:`read_keypoints` reads, in the order they are tried."""


def _expected() -> str:
    """``a folder (OpenPose), .json, .npz or .csv``: what the table reads."""
    kinds = []
    for r in READERS:
        kind = f"a folder ({r.name})" if r.suffix == FOLDER else r.suffix
        if kind not in kinds:
            kinds.append(kind)
    return kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " or " + kinds[-1]


def read_keypoints(path: str | os.PathLike, layout=None, person: str | int = "largest") -> Keypoints2D:
    """Read any supported 2D keypoint file.

    A folder is read as OpenPose output; ``.json`` as COCO keypoint results (or COCO ground
    truth), or as a single OpenPose frame when it is an object with ``people``; ``.npz`` and
    ``.csv`` as posegraph's own formats (see :data:`READERS`). The layout comes from the file,
    else ``layout``, else the joint count. ``person`` chooses whom to follow in multi-person
    files.
    """
    p = Path(path)
    if p.is_dir():
        suffix = FOLDER
    elif not p.exists():
        raise FormatError(p, "no such file or folder")
    else:
        suffix = p.suffix.lower()
    rows = [r for r in READERS if r.suffix == suffix]
    if not rows:
        raise FormatError(p, f"unknown keypoint file type {suffix or '(no extension)'!r}; "
                             f"expected {_expected()}")
    content = CONTENT[suffix](p) if suffix in CONTENT else None
    for r in rows:
        if r.sniff is None or r.sniff(content):
            return r.read(p, content, layout, person)
    raise FormatError(p, f"not a {' or '.join(r.name for r in rows)} file")
