"""The ``mocap-forecast`` benchmark: 10 past frames (400 ms) -> the next 25 (1000 ms), 25 fps.

Poses are pelvis-relative (global orientation kept), metres, +y up. Training windows start
at every frame; test windows at frames 0, 10, 20, ... of every test take, as long as the
whole 35-frame window fits. Windows are cut by index from the concatenated frames, so no
per-window copy is made until a batch is gathered.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from ..errors import FormatError, PosegraphError
from ..fileio import save_npz
from ..io.npzfile import as_float32, float_array, read_npz, sample_labels
from .build import Benchmark, load_benchmark_file
from .lift import _no_subjects_for_h36m, validation_takes

PAST = 10
FUTURE = 25
TEST_STRIDE = 10


@dataclass
class ForecastWindows:
    """Windows over a benchmark's frames: ``starts`` index into ``positions``."""

    positions: np.ndarray  # (F, 17, 3) all frames
    starts: np.ndarray  # (N,) global frame index of each window's first frame
    seq_index: np.ndarray  # (N,) take of each window
    bench: Benchmark
    past: int = PAST
    future: int = FUTURE

    def __len__(self) -> int:
        return len(self.starts)

    def gather(self, index=slice(None)) -> tuple[np.ndarray, np.ndarray]:
        """``past (n, 10, 17, 3)``, ``future (n, 25, 17, 3)`` of the selected windows."""
        s = self.starts[index]
        w = self.positions[s[:, None] + np.arange(self.past + self.future)]
        return w[:, :self.past], w[:, self.past:]

    def labels(self) -> dict[str, np.ndarray]:
        b, i = self.bench, self.seq_index
        return {"source": b.seq_source[i], "subject": b.seq_subject[i], "action": b.seq_action[i],
                "seq": b.seq_name[i], "start": self.starts - b.seq_offsets[i]}

    def to_samples(self) -> "ForecastSamples":
        past, future = self.gather()
        return ForecastSamples(past.astype(np.float32), future.astype(np.float32), **self.labels())


@dataclass
class ForecastSamples:
    """Flat arrays of forecasting samples (the export layout)."""

    past: np.ndarray
    future: np.ndarray
    source: np.ndarray
    subject: np.ndarray
    action: np.ndarray
    seq: np.ndarray
    start: np.ndarray

    def __len__(self) -> int:
        return len(self.past)

    def subset(self, index) -> "ForecastSamples":
        return ForecastSamples(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def to_npz(self, path: str | os.PathLike) -> Path:
        return save_npz(path, **{f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def from_npz(cls, path: str | os.PathLike) -> "ForecastSamples":
        """Read a file in the flat export layout.

        ``past`` ``(N, T_in, J, 3)`` and ``future`` ``(N, T_out, J, 3)`` (finite real numbers,
        every size >= 1) are required; missing labels default to ``"unknown"``/0, present ones
        must be ``(N,)`` text (``source``, ``subject``, ``action``, ``seq``) or integers
        (``start``). Anything else is a :class:`FormatError` naming the file and the array.
        """
        path = Path(path)
        if not path.exists():
            raise PosegraphError(f"{path}: file not found")
        z = read_npz(path)
        for key in ("past", "future"):
            if key not in z:
                raise FormatError(path, "missing array (a forecasting file needs past and future)", key)
        past = float_array(z["past"], path, "past", 4, "(N, T, J, 3) positions in metres", limit=1e4)
        if past.shape[-1] != 3:
            raise FormatError(path, f"shape {past.shape}, expected (N, T, J, 3)", "past")
        future = float_array(z["future"], path, "future", 4, "(N, T, J, 3) positions in metres", limit=1e4)
        if future.shape[0] != past.shape[0] or future.shape[2:] != past.shape[2:]:
            raise FormatError(path, f"shape {future.shape} does not fit past {past.shape} "
                                    f"(expected ({past.shape[0]}, T, {past.shape[2]}, 3))", "future")
        if past.shape[2] == 17:
            from ..io.stature import check_units
            from ..skeleton import H36M17

            check_units(past[:, 0], H36M17.joints, path, "past")  # warns on millimetres, as for motion files
        n = len(past)
        labels = sample_labels(z, path, n, {"source": "unknown", "subject": "unknown", "action": "unknown",
                                            "seq": "unknown", "start": 0})
        past32, future32 = as_float32(path, past=past, future=future)
        return cls(past32, future32, **labels)


def make_windows(bench: Benchmark, seq_mask: np.ndarray, stride: int, past: int = PAST,
                 future: int = FUTURE) -> ForecastWindows:
    """Windows of ``past + future`` frames starting every ``stride`` frames in the chosen takes."""
    L = past + future
    starts, seqs = [], []
    for i in np.flatnonzero(seq_mask):
        a, b = bench.seq_offsets[i], bench.seq_offsets[i + 1]
        s = np.arange(a, b - L + 1, stride)
        starts.append(s)
        seqs.append(np.full(len(s), i))
    starts = np.concatenate(starts).astype(np.int64) if starts else np.zeros(0, np.int64)
    seqs = np.concatenate(seqs).astype(np.int64) if seqs else np.zeros(0, np.int64)
    return ForecastWindows(bench.positions, starts, seqs, bench, past, future)


def load_forecast(split: str = "train", validation: str = "include", stride: int | None = None,
                  path: str | os.PathLike | None = None, validation_subjects=None) -> ForecastWindows:
    """Windows of ``mocap-forecast`` (train: every start frame; test: every 10th);
    ``validation_subjects``: see :func:`posegraph.data.lift.validation_takes`."""
    if path is not None:  # a Human3.6M build (posegraph data build h36m-forecast): the papers' splits
        from .h36m import is_h36m_file
        from .h36m_forecast import load_h36m_forecast

        if is_h36m_file(path, "h36m-forecast"):
            _no_subjects_for_h36m(validation_subjects)
            return load_h36m_forecast(path, split, validation, stride=stride)
    if split not in ("train", "test"):
        raise PosegraphError(f"split must be 'train' or 'test', not {split!r}")
    bench = load_benchmark_file(path or "mocap_forecast")
    mask = bench.seq_split == split
    if split == "train" and validation != "include":
        val = validation_takes(bench, validation_subjects)
        mask &= val if validation == "only" else ~val
    if stride is None:
        stride = 1 if split == "train" and validation != "only" else TEST_STRIDE
    return make_windows(bench, mask, stride)
