"""The ``mocap-lift`` benchmark: 2D joints seen by virtual cameras -> 3D joints.

Each take of ``mocap_lift.npz`` is seen by the 4 cameras of
:func:`posegraph.geometry.mocap_lift_cameras`. A sample is

* ``p2d``: the 17 joints projected to the 1000x1000 image, in VideoPose3D's normalised screen
  coordinates (``x/w*2-1``, ``y/w*2-h/w``), the input;
* ``p3d``: the 17 joints in the camera frame (OpenCV axes), minus the pelvis, metres, the target;

with ``source``, ``subject``, ``action``, ``seq``, ``cam`` (0-3) and ``frame`` (index in the
120 Hz source). Settings: ``gt`` (exact projections) and ``noisy`` (Gaussian noise of 4 px
on every 2D coordinate, seed :data:`NOISE_SEED`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from ..errors import FormatError, PosegraphError
from ..fileio import save_npz
from ..geometry import mocap_lift_cameras, normalize_screen
from ..io.npzfile import as_float32, float_array, read_npz, sample_labels
from .build import Benchmark, load_benchmark_file

NOISE_SIGMA_PX = 4.0
NOISE_SEED = 2024
IMAGE_SIZE = (1000, 1000)
SETTINGS = ("gt", "noisy")


@dataclass
class LiftSamples:
    """Flat arrays of lifting samples (the export layout)."""

    p2d: np.ndarray
    p3d: np.ndarray
    source: np.ndarray
    subject: np.ndarray
    action: np.ndarray
    seq: np.ndarray
    cam: np.ndarray
    frame: np.ndarray

    def __len__(self) -> int:
        return len(self.p2d)

    def subset(self, index) -> "LiftSamples":
        return LiftSamples(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def to_npz(self, path: str | os.PathLike) -> Path:
        return save_npz(path, **{f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def from_npz(cls, path: str | os.PathLike) -> "LiftSamples":
        """Read a file in the flat export layout (``p2d``, ``p3d`` and labels).

        Only ``p2d`` ``(N, J, 2)`` and ``p3d`` ``(N, J, 3)`` (finite real numbers, N, J >= 1)
        are required; missing labels default to ``"unknown"``/0, present ones must be ``(N,)``
        text (``source``, ``subject``, ``action``, ``seq``) or integers (``cam``, ``frame``).
        Anything else is a :class:`FormatError` naming the file and the array.
        """
        path = Path(path)
        if not path.exists():
            raise PosegraphError(f"{path}: file not found")
        z = read_npz(path)
        for key in ("p2d", "p3d"):
            if key not in z:
                raise FormatError(path, "missing array (a lifting file needs p2d and p3d)", key)
        p2d = float_array(z["p2d"], path, "p2d", 3, "(N, J, 2) 2D joints", limit=1e4)
        if p2d.shape[2] != 2:
            raise FormatError(path, f"shape {p2d.shape}, expected (N, J, 2)", "p2d")
        p3d = float_array(z["p3d"], path, "p3d", 3, f"{p2d.shape[:2] + (3,)} 3D joints in metres", limit=1e4)
        if p3d.shape != p2d.shape[:2] + (3,):
            raise FormatError(path, f"shape {p3d.shape}, expected {p2d.shape[:2] + (3,)}", "p3d")
        if p3d.shape[1] == 17:
            from ..io.stature import check_units
            from ..skeleton import H36M17

            check_units(p3d, H36M17.joints, path, "p3d")  # warns on millimetres, as for motion files
        n = len(p2d)
        labels = sample_labels(z, path, n, {"source": "unknown", "subject": "unknown", "action": "unknown",
                                            "seq": "unknown", "cam": 0, "frame": 0})
        p2d32, p3d32 = as_float32(path, p2d=p2d, p3d=p3d)
        return cls(p2d32, p3d32, **labels)


def validation_mask(seq_names: np.ndarray, fraction: float = 0.1) -> np.ndarray:
    """Whole takes held out for validation, chosen by a stable hash of their name."""
    names = np.asarray(seq_names)
    uniq, inv = np.unique(names, return_inverse=True)
    h = np.array([int(hashlib.sha1(n.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF for n in uniq])
    return (h < fraction)[inv]


def validation_takes(bench, subjects=None) -> np.ndarray:
    """Which takes of a ``mocap-*`` benchmark are validation takes (``(S,)`` bool; only the
    training takes among them matter).

    ``subjects`` None: whole takes chosen by a stable hash of their name
    (:func:`validation_mask`, 10%), so the validation people are also training people.
    Otherwise ``["source/subject", ...]`` (e.g. ``["cmu/05", "cmu/64"]``): every training take of
    those people, none of whose takes is then trained on: a person-disjoint validation split,
    which, like the test split, measures how a model does on people it has not seen."""
    if not subjects:
        return validation_mask(bench.seq_name)
    src, sub = np.asarray(bench.seq_source).astype(str), np.asarray(bench.seq_subject).astype(str)
    train = np.asarray(bench.seq_split) == "train"
    known = sorted({f"{a}/{b}" for a, b in zip(src[train], sub[train])})
    mask = np.zeros(len(src), dtype=bool)
    for spec in subjects:
        a, _, b = str(spec).partition("/")
        hit = (src == a) & (sub == b) & train
        if not hit.any():
            raise PosegraphError(f"data.validation_subjects: {spec!r} is no person of the training split "
                                 f"(source/subject, one of: {', '.join(known)})")
        mask |= hit
    if (train & ~mask).sum() == 0:
        raise PosegraphError("data.validation_subjects: every training person is held out; nothing is left to train on")
    return mask


def project_benchmark(bench: Benchmark, seq_mask: np.ndarray | None = None) -> LiftSamples:
    """Project the takes of a ``mocap_lift`` benchmark through their 4 cameras."""
    p2d, p3d, labels = [], [], {k: [] for k in ("source", "subject", "action", "seq", "cam", "frame")}
    W, H = IMAGE_SIZE
    for i in range(bench.num_sequences):
        if seq_mask is not None and not seq_mask[i]:
            continue
        world = bench.sequence(i).astype(np.float64)
        T = len(world)
        for c, cam in enumerate(mocap_lift_cameras(world[:, 0])):
            xc = cam.world_to_camera(world)
            px = cam.project(xc)
            p2d.append(normalize_screen(px, W, H).astype(np.float32))
            p3d.append((xc - xc[:, :1]).astype(np.float32))
            labels["cam"].append(np.full(T, c, dtype=np.int64))
            labels["frame"].append(np.arange(T, dtype=np.int64) * bench.stride)
            for key, arr in (("source", bench.seq_source), ("subject", bench.seq_subject),
                             ("action", bench.seq_action), ("seq", bench.seq_name)):
                labels[key].append(np.full(T, arr[i]))
    if not p2d:
        raise PosegraphError("no sequences selected")
    return LiftSamples(np.concatenate(p2d), np.concatenate(p3d), **{k: np.concatenate(v) for k, v in labels.items()})


def add_noise(samples: LiftSamples, sigma_px: float = NOISE_SIGMA_PX, seed: int = NOISE_SEED) -> LiftSamples:
    """The ``noisy`` setting: Gaussian noise of ``sigma_px`` pixels on every 2D coordinate."""
    rng = np.random.default_rng(seed)
    scale = 2.0 / IMAGE_SIZE[0]  # pixels -> normalised screen units
    noisy = samples.p2d + (rng.standard_normal(samples.p2d.shape) * sigma_px * scale).astype(np.float32)
    out = samples.subset(slice(None))
    out.p2d = noisy
    return out


def load_lift(split: str = "train", setting: str = "gt", validation: str = "include",
              path: str | os.PathLike | None = None, validation_subjects=None) -> LiftSamples:
    """Samples of ``mocap-lift``.

    Args:
        split: ``train`` or ``test`` (person-disjoint, see :mod:`posegraph.data.sources`).
        setting: ``gt`` or ``noisy`` (noise is for evaluation inputs).
        validation: for the train split, ``include`` (all takes), ``exclude`` (the training
            part only) or ``only`` (the held-out validation takes).
        path: a benchmark file other than the committed one.
        validation_subjects: hold out these people (``source/subject``) for validation instead
            of 10% of the takes (:func:`validation_takes`).
    """
    if path is not None:  # a Human3.6M build (posegraph data build h36m) has its own cameras and 2D
        from .h36m import is_h36m_file, load_h36m_lift

        if is_h36m_file(path):
            _no_subjects_for_h36m(validation_subjects)
            return load_h36m_lift(path, split, setting, validation)
    if split not in ("train", "test"):
        raise PosegraphError(f"split must be 'train' or 'test', not {split!r}")
    if setting not in SETTINGS:
        raise PosegraphError(f"setting must be one of {SETTINGS}, not {setting!r}")
    bench = load_benchmark_file(path or "mocap_lift")
    mask = bench.seq_split == split
    if split == "train" and validation != "include":
        val = validation_takes(bench, validation_subjects)
        mask &= val if validation == "only" else ~val
    samples = project_benchmark(bench, mask)
    return add_noise(samples) if setting == "noisy" else samples


def _no_subjects_for_h36m(subjects) -> None:
    if subjects:
        raise PosegraphError("data.validation_subjects is for the mocap-* benchmarks; a Human3.6M build "
                             "keeps the papers' subject splits")
