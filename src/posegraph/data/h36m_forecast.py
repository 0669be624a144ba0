"""Human3.6M forecasting protocol of STS-GCN / SeS-GCN from the exp-map text files.

``posegraph data build h36m-forecast --root PATH/h3.6m/dataset --out DIR`` reads the exp-map
release of Martinez et al. (CVPR'17; ``S<k>/<action>_<subaction>.txt``, 99 comma-separated
values a line at 50 Hz: root position, then 32 exponential maps, root first) and writes
``DIR/h36m_forecast.npz`` in the compact form of ``mocap_forecast.npz``. What it does, step by
step, as STS-GCN's released loader (itself from Mao et al. 2020, "History repeats itself"):

* every 2nd line (lines 0, 2, 4, ...: 50 Hz -> 25 fps);
* the first 6 values (root position and root rotation) set to zero, so every pose is
  centred on the hips and faces one way;
* forward kinematics with the bundled Human3.6M skeleton (32 joints, millimetres, +y up;
  ``assets/h36m_expmap_skeleton.json``), converted to metres;
* ``positions``: the h36m17 joints (for posegraph's forecasters), ``positions22``: the 22 joints
  the papers predict (the 32 without 0 1 6 11 16 20 23 24 28 31: hips, static and duplicated
  joints).

Splits (the papers'): train S1 S6 S7 S8 S9 (every window), validation S11, test S5.
Windows: 10 frames in, 25 out. Test windows (``sampling``):

* ``mao256`` (default; STS-GCN and SeS-GCN): per action, 128 windows in each of the two
  subactions of S5, from ``numpy.random.RandomState(1234567890)`` created anew for each action;
  128 times draw ``i1 = randint(16, T1 - 150)`` then ``i2 = randint(16, T2 - 150)`` (T: frames at
  25 fps); window start ``i + 50 - 10``. 256 windows an action, 3840 in all.
* ``srnn8``: the same draws 4 times per subaction (8 windows an action): the older protocol of
  Jain et al. / Martinez et al. / Mao et al. 2019.
* ``all``: every window of S5 (stride 1).

Where papers differ (see ``docs/h36m.md``): STS-GCN and SeS-GCN report the error *averaged over
all predicted frames up to* the horizon, over all 32 joints (22 predicted, 6 copied from
predicted duplicates, 4 hip/static joints exact), each horizon from a model trained for that
horizon; Mao et al. 2020 report the error *at* the horizon over the 22 joints.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import FormatError, PosegraphError
from ..fileio import save_npz
from ..io.expmap import expmap_forward_kinematics, load_expmap_skeleton, read_expmap_values
from ..skeleton import H36M17
from .h36m import ACTIONS

__all__ = ["FORECAST_FILE", "FILE_ACTIONS", "JOINTS22", "build_h36m_forecast", "load_h36m_forecast",
           "test_starts", "SAMPLINGS"]

FORMAT_VERSION = 1
FORECAST_FILE = "h36m_forecast.npz"
KIND_FORECAST = "h36m-forecast"
SPLITS = {"train": ("S1", "S6", "S7", "S8", "S9"), "val": ("S11",), "test": ("S5",)}
#: file name stem of each action (``ACTIONS`` order).
FILE_ACTIONS = dict(zip(ACTIONS, ("directions", "discussion", "eating", "greeting", "phoning", "takingphoto",
                                  "posing", "purchases", "sitting", "sittingdown", "smoking", "waiting",
                                  "walkingdog", "walking", "walkingtogether")))
#: the 22 of the 32 exp-map joints the papers predict and evaluate.
JOINTS22 = np.setdiff1d(np.arange(32), [0, 1, 6, 11, 16, 20, 23, 24, 28, 31])
PAST, FUTURE = 10, 25
SAMPLINGS = ("mao256", "srnn8", "all")
_SEED = 1234567890


def _read_take(path: Path, sk: dict) -> np.ndarray:
    """``(F, 32, 3)`` metres at 25 fps, root position and rotation zeroed."""
    p, a = read_expmap_values(path, 32, skip_rest=False)
    a = a[::2].copy()  # lines 0, 2, 4, ...: 50 Hz -> 25 fps
    a[:, :6] = 0.0
    F = len(a)
    x = expmap_forward_kinematics(a[:, :3], a[:, 3:].reshape(F, 32, 3), sk) * float(sk["length_unit_in_metres"])
    if not np.isfinite(x).all():
        raise FormatError(p, "forward kinematics gave non-finite positions (values out of range?)", None)
    return x


def build_h36m_forecast(root: str | os.PathLike, out_dir: str | os.PathLike = "h36m") -> tuple[Path, dict]:
    """Write ``out_dir/h36m_forecast.npz`` from the exp-map tree under ``root``; returns the
    path and a summary (takes per split, files missing from the tree)."""
    root = Path(root)
    if not root.is_dir():
        raise PosegraphError(f"{root}: not a folder (expected PATH/h3.6m/dataset with S1 ... S11 inside)")
    sk = load_expmap_skeleton("h36m")
    idx17 = [int(sk["h36m17_from_joint_index"][j]) for j in H36M17.joints]
    pos17, pos22, labels = [], [], []
    summary = {"root": str(root), "takes": {}, "missing": []}
    for split, subjects in SPLITS.items():
        for subject in subjects:
            for action in ACTIONS:
                for sub in (1, 2):
                    f = root / subject / f"{FILE_ACTIONS[action]}_{sub}.txt"
                    if not f.exists():
                        summary["missing"].append(f"{subject}/{f.name}")
                        continue
                    x = _read_take(f, sk)
                    pos17.append(x[:, idx17].astype(np.float32))
                    pos22.append(x[:, JOINTS22].astype(np.float32))
                    labels.append(("h36m", subject, action, f"{subject}/{FILE_ACTIONS[action]}_{sub}", split, str(sub)))
                    summary["takes"][split] = summary["takes"].get(split, 0) + 1
    if not labels:
        raise PosegraphError(f"{root}: no exp-map files found (expected e.g. {root / 'S5' / 'walking_1.txt'})")
    if not summary["takes"].get("test"):
        raise PosegraphError(f"{root}: no files of the test subject S5 (expected e.g. {root / 'S5' / 'walking_1.txt'})")
    lengths = np.array([len(p) for p in pos17], dtype=np.int64)
    lab = np.array(labels, dtype=str)
    arrays = {
        "positions": np.concatenate(pos17), "positions22": np.concatenate(pos22),
        "seq_offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        "format_version": np.int64(FORMAT_VERSION), "source_fps": np.float64(50.0), "fps": np.float64(25.0),
        "stride": np.int64(2), "kind": np.array(KIND_FORECAST),
        "seq_source": lab[:, 0], "seq_subject": lab[:, 1], "seq_action": lab[:, 2], "seq_name": lab[:, 3],
        "seq_split": lab[:, 4], "seq_subaction": lab[:, 5].astype(np.int64),
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return save_npz(out / FORECAST_FILE, **arrays), summary


def test_starts(T1: int, T2: int, draws: int, past: int = PAST) -> tuple[np.ndarray, np.ndarray]:
    """Start frames of the sampled test windows in subactions 1 and 2 (frames at 25 fps):
    ``draws`` alternate pairs from a fresh ``RandomState(1234567890)``."""
    if min(T1, T2) - 150 <= 16:
        raise PosegraphError(f"a test take has {min(T1, T2)} frames at 25 fps; the sampled protocol needs more than 166")
    rng = np.random.RandomState(_SEED)
    s1, s2 = [], []
    for _ in range(draws):
        s1.append(rng.randint(16, T1 - 150) + 50 - past)
        s2.append(rng.randint(16, T2 - 150) + 50 - past)
    return np.array(s1, np.int64), np.array(s2, np.int64)


def _resolve(path) -> Path:
    p = Path(path)
    return p / FORECAST_FILE if p.is_dir() else p


def load_h36m_forecast(path, split: str = "test", validation: str = "include", sampling: str = "mao256",
                       joints: str = "h36m17", stride: int | None = None):
    """Windows of a Human3.6M forecasting build (:class:`posegraph.data.forecast.ForecastWindows`).

    ``split="train"``: ``validation="exclude"`` the training subjects, ``"only"`` S11 (every 10th
    window), ``"include"`` both. ``split="test"``: S5 with ``sampling``. ``joints``: ``h36m17``
    (posegraph's models) or ``sts22`` (the papers' 22 joints).
    """
    from ..io.npzfile import read_npz
    from .build import Benchmark
    from .forecast import ForecastWindows

    p = _resolve(path)
    if not p.exists():
        raise PosegraphError(f"{p}: not found (run `posegraph data build h36m-forecast --root ... --out DIR` first)")
    if sampling not in SAMPLINGS:
        raise PosegraphError(f"test sampling must be one of {', '.join(SAMPLINGS)}, not {sampling!r}")
    z = read_npz(p)
    if str(z.get("kind", "")) != KIND_FORECAST:
        raise FormatError(p, f"not a Human3.6M forecasting build (kind {str(z.get('kind', 'missing'))!r})", "kind")
    for key in ("positions", "positions22", "seq_offsets", "seq_subject", "seq_action", "seq_name", "seq_split",
                "seq_subaction"):
        if key not in z:
            raise FormatError(p, "missing array", key)
    pos = z["positions"] if joints == "h36m17" else z["positions22"]
    lab = {k: z[k].astype(str) for k in ("seq_source", "seq_subject", "seq_action", "seq_name", "seq_split")}
    bench = Benchmark(pos, z["seq_offsets"].astype(np.int64), **lab, fps=25.0, stride=2, path=p)
    off = bench.seq_offsets
    L = PAST + FUTURE
    starts, seqs = [], []

    def every(i, step):
        s = np.arange(off[i], off[i + 1] - L + 1, step)
        starts.append(s)
        seqs.append(np.full(len(s), i))

    if split == "train":
        if validation in ("include", "exclude"):
            for i in np.flatnonzero(bench.seq_split == "train"):
                every(i, stride or 1)
        if validation in ("include", "only"):
            for i in np.flatnonzero(bench.seq_split == "val"):
                every(i, stride or (10 if validation == "only" else 1))
    elif split == "test":
        test = np.flatnonzero(bench.seq_split == "test")
        if sampling == "all":
            for i in test:
                every(i, stride or 1)
        else:
            draws = 128 if sampling == "mao256" else 4
            sub = z["seq_subaction"]
            for action in ACTIONS:
                pair = {int(sub[i]): i for i in test if bench.seq_action[i] == action}
                if not pair:
                    continue
                if set(pair) != {1, 2}:
                    raise PosegraphError(f"{p}: S5 {action} needs both subactions 1 and 2 for the sampled protocol "
                                         f"(found {sorted(pair)}); use sampling 'all'")
                i1, i2 = pair[1], pair[2]
                a1, a2 = test_starts(int(off[i1 + 1] - off[i1]), int(off[i2 + 1] - off[i2]), draws)
                starts += [off[i1] + a1, off[i2] + a2]
                seqs += [np.full(draws, i1), np.full(draws, i2)]
    else:
        raise PosegraphError(f"split must be 'train' or 'test', not {split!r}")
    if not starts:
        raise PosegraphError(f"{p}: no {split} windows")
    return ForecastWindows(pos, np.concatenate(starts).astype(np.int64), np.concatenate(seqs).astype(np.int64), bench)
