"""Build the compact benchmark files committed to the repository.

``posegraph data build`` reads every raw take (see :mod:`posegraph.data.sources`) and writes

* ``mocap_lift.npz``: world joint positions (metres, +y up, 17 joints) of every 4th frame of
  the 120 Hz sources (30 fps), starting at the first motion frame; the benchmark's cameras
  and 2D inputs are derived from these on load (:mod:`posegraph.data.lift`);
* ``mocap_forecast.npz``: the same takes resampled to 25 fps by linear interpolation in time
  (frame k at k/25 s, the source's first frame at 0 s, as many frames as fit), pelvis
  subtracted per frame (global orientation kept).

Both hold float32 ``positions`` (all frames of all takes, concatenated), ``seq_offsets``
(``S + 1`` frame offsets) and per-take string arrays ``seq_source``, ``seq_subject``,
``seq_action``, ``seq_name``, ``seq_split``. Building twice from the same raw files gives
identical arrays.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FormatError, PosegraphError
from ..fileio import save_npz
from ..io.motion import resample_linear
from .sources import SequenceSpec, list_sequences

FORMAT_VERSION = 1
SOURCE_FPS = 120.0
LIFT_STRIDE = 4
FORECAST_FPS = 25.0
_SEQ_KEYS = ("seq_source", "seq_subject", "seq_action", "seq_name", "seq_split")


def benchmark_dir() -> Path:
    """Where the committed benchmark files live (inside the package)."""
    return Path(__file__).resolve().parents[1] / "assets" / "benchmarks"


@dataclass
class _Store:
    positions: list
    meta: list


def build_benchmarks(raw_root: str | os.PathLike | None = None, out_dir: str | os.PathLike | None = None,
                     progress: bool = True) -> dict[str, Path]:
    """Read every raw take and write ``mocap_lift.npz`` and ``mocap_forecast.npz``."""
    seqs = list_sequences(raw_root)
    out_dir = Path(out_dir) if out_dir is not None else benchmark_dir()
    lift = _Store([], [])
    fc = _Store([], [])
    for k, spec in enumerate(seqs):
        if progress and (sys.stdout.isatty() or k % 50 == 0 or k == len(seqs) - 1):
            print(f"\r[{k + 1}/{len(seqs)}] {spec.source}/{spec.subject}/{spec.name}" + " " * 20, end="", flush=True)
        motion = spec.read()
        if abs(motion.fps - SOURCE_FPS) > 0.5:
            raise FormatError(spec.path, f"frame rate {motion.fps:g} Hz, expected {SOURCE_FPS:g} Hz")
        pos = np.asarray(motion.positions, dtype=np.float32)
        if not np.isfinite(pos).all():
            raise FormatError(spec.path, "non-finite joint positions")
        meta = (spec.source, spec.subject, spec.action, spec.name, spec.split)
        lift.positions.append(pos[::LIFT_STRIDE])
        lift.meta.append(meta)
        f = resample_linear(pos, SOURCE_FPS, FORECAST_FPS)
        fc.positions.append(f - f[:, :1])
        fc.meta.append(meta)
    if progress:
        print(flush=True)
    paths = {}
    for name, store, extra in (("mocap_lift", lift, {"fps": SOURCE_FPS / LIFT_STRIDE, "stride": LIFT_STRIDE}),
                               ("mocap_forecast", fc, {"fps": FORECAST_FPS, "stride": 0})):
        paths[name] = save_npz(out_dir / f"{name}.npz", **_pack(store, extra))
    return paths


def _pack(store: _Store, extra: dict) -> dict:
    lengths = np.array([len(p) for p in store.positions], dtype=np.int64)
    arrays = {
        "positions": np.concatenate(store.positions).astype(np.float32),
        "seq_offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        "format_version": np.int64(FORMAT_VERSION),
        "source_fps": np.float64(SOURCE_FPS),
        "fps": np.float64(extra["fps"]),
        "stride": np.int64(extra["stride"]),
    }
    meta = np.array(store.meta, dtype=str)
    for i, key in enumerate(_SEQ_KEYS):
        arrays[key] = meta[:, i]
    return arrays


@dataclass
class Benchmark:
    """A loaded benchmark file: concatenated frames plus per-take labels."""

    positions: np.ndarray
    seq_offsets: np.ndarray
    seq_source: np.ndarray
    seq_subject: np.ndarray
    seq_action: np.ndarray
    seq_name: np.ndarray
    seq_split: np.ndarray
    fps: float
    stride: int
    path: Path

    @property
    def num_sequences(self) -> int:
        return len(self.seq_name)

    def sequence(self, i: int) -> np.ndarray:
        return self.positions[self.seq_offsets[i]:self.seq_offsets[i + 1]]

    def sequence_index(self, name: str) -> int:
        hits = np.flatnonzero(self.seq_name == name)
        if len(hits) == 0:
            raise PosegraphError(f"{self.path}: no sequence named {name!r}")
        return int(hits[0])


def load_benchmark_file(name_or_path: str | os.PathLike) -> Benchmark:
    """Load ``mocap_lift``/``mocap_forecast`` (by name, from the package) or any path.

    Every array is checked (keys, dtypes, shapes, finite positions, consistent offsets and
    labels, a positive frame rate, a format version this library knows); a problem is a
    :class:`FormatError` naming the file and the array.
    """
    from ..io.npzfile import float_array, float_scalar, int_scalar, label_array, read_npz

    p = Path(name_or_path)
    if not p.suffix:
        p = benchmark_dir() / f"{str(name_or_path).replace('-', '_')}.npz"
    if not p.exists():
        raise PosegraphError(f"{p}: benchmark file not found (run `posegraph data build`)")
    z = read_npz(p)
    for key in ("positions", "seq_offsets", "fps", "stride", "format_version") + _SEQ_KEYS:
        if key not in z:
            raise FormatError(p, "missing array", key)
    version = int_scalar(z["format_version"], p, "format_version")
    if version > FORMAT_VERSION:
        raise FormatError(p, f"format version {version} is newer than this library knows ({FORMAT_VERSION}); upgrade posegraph",
                          "format_version")
    positions = float_array(z["positions"], p, "positions", 3, "(frames, 17, 3) positions in metres", limit=1e4)
    if positions.shape[1:] != (17, 3):
        raise FormatError(p, f"shape {positions.shape}, expected (frames, 17, 3)", "positions")
    offsets = z["seq_offsets"]
    if offsets.dtype == bool or offsets.dtype.kind not in "iu" or offsets.ndim != 1 or len(offsets) < 2:
        raise FormatError(p, f"{offsets.dtype} array of shape {offsets.shape}, expected (takes + 1,) integers",
                          "seq_offsets")
    offsets = offsets.astype(np.int64)
    if offsets[0] != 0 or (np.diff(offsets) < 0).any() or offsets[-1] != len(positions):
        raise FormatError(p, f"offsets must rise from 0 to the {len(positions)} frames of positions", "seq_offsets")
    S = len(offsets) - 1
    labels = [label_array(z[k], p, k, S, "str") for k in _SEQ_KEYS]
    fps = float_scalar(z["fps"], p, "fps", "a frame rate in [1, 10000] Hz", low=1.0, high=1e4)
    stride = int_scalar(z["stride"], p, "stride", "an integer >= 0")
    if stride < 0:
        raise FormatError(p, f"{stride}, expected an integer >= 0", "stride")
    return Benchmark(positions, offsets, *labels, fps=fps, stride=stride, path=p)
