"""Human3.6M in the VideoPose3D npz layout.

* ``data_3d_h36m.npz``: key ``positions_3d``, a dict ``subject -> action -> (frames, 32, 3)``
  float32 array, metres, Human3.6M world frame (+z up).
* ``data_2d_h36m_*.npz``: key ``positions_2d``, a dict ``subject -> action -> list of 4
  (frames, 17, 2)`` arrays (one per camera), and key ``metadata``, a dict with
  ``layout_name``, ``num_joints`` and ``keypoints_symmetry``.

Both dicts are stored as 0-d object arrays (pickled), as VideoPose3D does. Reading uses a
restricted unpickler that only rebuilds numpy arrays, dicts, lists and plain values, so an
untrusted file cannot run code.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..fileio import save_npz

__all__ = [
    "H36M32_TO_H36M17", "read_h36m_3d", "write_h36m_3d", "read_h36m_2d", "write_h36m_2d",
    "h36m32_to_h36m17", "zup_to_yup",
]

#: indices into the 32 Human3.6M joints of the 17 ``h36m17`` joints (VideoPose3D's choice).
H36M32_TO_H36M17 = np.array([0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27])


def h36m32_to_h36m17(positions: np.ndarray) -> np.ndarray:
    """``(..., 32, D)`` -> ``(..., 17, D)`` in ``h36m17`` order."""
    return np.asarray(positions)[..., H36M32_TO_H36M17, :]


def zup_to_yup(positions: np.ndarray) -> np.ndarray:
    """Rotate +z-up world coordinates to +y up (a -90 degree turn about x, handedness kept):
    ``(x, y, z) -> (x, z, -y)``."""
    p = np.asarray(positions)
    return np.stack([p[..., 0], p[..., 2], -p[..., 1]], axis=-1)


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"), ("builtins", "dict"), ("builtins", "list"),
    ("collections", "OrderedDict"), ("_codecs", "encode"),
}


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _load_npz(path) -> dict:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise FormatError(p, f"cannot read file ({e.strerror or e})") from None
    if not raw:
        raise FormatError(p, "file is empty (expected an npz archive)")
    out = {}
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            for name in z.namelist():
                if not name.endswith(".npy"):
                    continue
                with z.open(name) as f:
                    data = io.BytesIO(f.read())
                key = name[:-4]
                version = np.lib.format.read_magic(data)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(data)
                else:
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(data)
                if dtype.hasobject:
                    arr = _SafeUnpickler(data).load()
                else:
                    data.seek(0)
                    arr = np.lib.format.read_array(data, allow_pickle=False)
                out[key] = arr
    except FormatError:
        raise
    except Exception as e:  # zip, header, pickle errors of a damaged file
        raise FormatError(p, f"not a readable npz archive ({type(e).__name__}: {e})") from None
    return out


def _get_dict(p, arrays, key):
    if key not in arrays:
        raise FormatError(p, f"missing key (file has: {', '.join(sorted(arrays)) or 'nothing'})", key)
    v = arrays[key]
    if isinstance(v, np.ndarray) and v.dtype == object and v.shape == ():
        v = v.item()
    if not isinstance(v, dict):
        raise FormatError(p, f"expected a dict stored as a 0-d object array, got {type(v).__name__}", key)
    return v


def _check_array(p, key, a, last_dims):
    if not isinstance(a, np.ndarray) or a.dtype == object or a.ndim != 3 or (
            last_dims[0] is not None and a.shape[1] != last_dims[0]) or a.shape[2] != last_dims[1]:
        shape = getattr(a, "shape", type(a).__name__)
        want = f"(frames, {last_dims[0] or 'J'}, {last_dims[1]})"
        raise FormatError(p, f"array has shape {shape} (expected {want})", key)
    if not np.issubdtype(a.dtype, np.number):
        raise FormatError(p, f"array has dtype {a.dtype} (expected numbers)", key)
    if not np.isfinite(a).all():
        raise FormatError(p, "array has non-finite values", key)
    return a.astype(np.float32, copy=False)


def read_h36m_3d(path: str | os.PathLike, num_joints: int | None = 32) -> dict:
    """Read ``positions_3d``: ``{subject: {action: (frames, 32, 3) float32}}`` (metres, +z up).

    Use :func:`h36m32_to_h36m17` and :func:`zup_to_yup` to get ``h36m17`` positions with +y
    up. ``num_joints=None`` accepts any joint count.
    """
    p = Path(path)
    data = _get_dict(p, _load_npz(p), "positions_3d")
    out = {}
    for s, acts in data.items():
        if not isinstance(acts, dict):
            raise FormatError(p, "expected a dict of actions", f"positions_3d/{s}")
        out[str(s)] = {str(a): _check_array(p, f"positions_3d/{s}/{a}", v, (num_joints, 3)) for a, v in acts.items()}
    return out


def write_h36m_3d(path: str | os.PathLike, data: dict) -> None:
    """Write ``{subject: {action: (frames, J, 3)}}`` as VideoPose3D's ``positions_3d`` npz."""
    clean = {str(s): {str(a): np.asarray(v, dtype=np.float32) for a, v in acts.items()} for s, acts in data.items()}
    save_npz(path, positions_3d=np.array(clean, dtype=object))


def read_h36m_2d(path: str | os.PathLike) -> tuple[dict, dict]:
    """Read ``(positions_2d, metadata)``; ``positions_2d`` is
    ``{subject: {action: [4 x (frames, J, 2) float32]}}``, ``metadata`` the dict with
    ``layout_name``, ``num_joints``, ``keypoints_symmetry``."""
    p = Path(path)
    arrays = _load_npz(p)
    data = _get_dict(p, arrays, "positions_2d")
    meta = _get_dict(p, arrays, "metadata")
    for k in ("layout_name", "num_joints", "keypoints_symmetry"):
        if k not in meta:
            raise FormatError(p, "metadata lacks a key (expected layout_name, num_joints, keypoints_symmetry)", f"metadata/{k}")
    try:
        J = int(meta["num_joints"])
    except (TypeError, ValueError):
        raise FormatError(p, f"num_joints is {meta['num_joints']!r} (expected an integer)", "metadata/num_joints") from None
    out = {}
    for s, acts in data.items():
        if not isinstance(acts, dict):
            raise FormatError(p, "expected a dict of actions", f"positions_2d/{s}")
        out[str(s)] = {}
        for a, cams in acts.items():
            if not isinstance(cams, (list, tuple)):
                raise FormatError(p, "expected a list of per-camera arrays", f"positions_2d/{s}/{a}")
            out[str(s)][str(a)] = [_check_array(p, f"positions_2d/{s}/{a}/{c}", v, (J, 2)) for c, v in enumerate(cams)]
    return out, dict(meta)


def write_h36m_2d(path: str | os.PathLike, positions_2d: dict, metadata: dict) -> None:
    """Write ``positions_2d`` (``{subject: {action: [per-camera (frames, J, 2)]}}``) and
    ``metadata`` as VideoPose3D's npz (two 0-d object arrays)."""
    for k in ("layout_name", "num_joints", "keypoints_symmetry"):
        if k not in metadata:
            raise FormatError(None, "metadata lacks a key (expected layout_name, num_joints, keypoints_symmetry)", k)
    clean = {str(s): {str(a): [np.asarray(v, dtype=np.float32) for v in cams] for a, cams in acts.items()}
             for s, acts in positions_2d.items()}
    meta = {"layout_name": str(metadata["layout_name"]), "num_joints": int(metadata["num_joints"]),
            "keypoints_symmetry": [list(map(int, x)) for x in metadata["keypoints_symmetry"]]}
    meta.update({k: v for k, v in metadata.items() if k not in meta})
    save_npz(path, positions_2d=np.array(clean, dtype=object), metadata=np.array(meta, dtype=object))
