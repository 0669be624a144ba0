"""Human3.6M lifting protocols (#1 MPJPE, #2 P-MPJPE) from the VideoPose3D npz files.

``posegraph data build h36m --data-3d data_3d_h36m.npz [--data-2d data_2d_h36m_<name>.npz]
--out DIR`` writes ``DIR/h36m_lift.npz`` in the compact form of ``mocap_lift.npz``
(:mod:`posegraph.data.build`): world joint positions of every mocap frame (50 Hz, h36m17,
metres, +y up), per-take labels and offsets, plus, per take, the published cameras of its
subject and, with ``--data-2d``, the 2D keypoints of the file for each camera. Samples are
made on load (:func:`load_h36m_lift`), one per frame and camera:

* ``p3d``: the 17 joints in the camera's frame (the published extrinsics, VideoPose3D's
  ``world_to_camera``), minus the pelvis, metres;
* ``p2d``: setting ``gt`` -- the 3D projected through the camera's published intrinsics with
  its radial and tangential distortion (VideoPose3D's ``project_to_2d``, the way its
  ``data_2d_h36m_gt.npz`` is made); setting ``det`` -- the 2D file's keypoints. Both in
  VideoPose3D's normalised screen coordinates ``x/w*2-1, y/w*2-h/w`` (aspect kept).

Protocol: train S1 S5 S6 S7 S8, test S9 S11, every frame of every camera, per-action errors
averaged over the action's frames, ``Avg`` the mean of the 15 action errors (as the papers
and VideoPose3D's evaluation do).

Quirks, each handled as VideoPose3D's own preparation and evaluation do, and reported by the
build:

* S11 ``Directions`` (the take without a number) is discarded: one of its videos is corrupt,
  and VideoPose3D's ``prepare_data_h36m.py`` skips it; ``Directions 1`` of S11 is kept.
* Take names carry suffixes: a numbered repetition (``"Eating 2"``, ``"Directions 1"``) and the
  release's two spellings of two actions (``TakingPhoto``/``Photo``, ``WalkingDog``/``WalkDog``).
  The action of a take is its name up to the first space, with the long spellings mapped to the
  short (VideoPose3D's ``action.split(' ')[0]`` after its renaming). Anything else is an error.
* 2D files whose frame counts differ from the 3D by a few frames (some videos have extra
  frames): both are cut to the shorter. VideoPose3D requires the 2D to be at least as long and
  cuts the 2D; a 2D shorter than the 3D (which VideoPose3D refuses) cuts the 3D here, and the
  build says so.
* A take whose 2D file lacks a camera keeps its other cameras in the ``det`` setting (the
  ``gt`` setting has all four). A 3D take finds its 2D under the same name or the other
  spelling (``TakingPhoto 1`` / ``Photo 1``), so files of the two releases can be mixed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..errors import FormatError, PosegraphError
from ..fileio import save_npz
from ..geometry import normalize_screen
from ..io.h36m_cameras import CAMERA_IDS, camera
from ..io.h36m_npz import h36m32_to_h36m17, read_h36m_2d, read_h36m_3d, zup_to_yup
from .lift import LiftSamples, validation_mask

__all__ = [
    "ACTIONS", "TRAIN_SUBJECTS", "TEST_SUBJECTS", "canonical_action", "quat_to_matrix", "h36m_camera_arrays",
    "world_to_camera", "camera_to_world", "project_distorted", "build_h36m_lift", "is_h36m_file",
    "load_h36m_lift", "LIFT_FILE",
]

FORMAT_VERSION = 1
LIFT_FILE = "h36m_lift.npz"
KIND_LIFT = "h36m-lift"
FPS = 50.0
TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
TEST_SUBJECTS = ("S9", "S11")
#: the 15 actions in the papers' table order, with the column labels the papers print.
ACTIONS = ("Directions", "Discussion", "Eating", "Greeting", "Phoning", "Photo", "Posing", "Purchases",
           "Sitting", "SittingDown", "Smoking", "Waiting", "WalkDog", "Walking", "WalkTogether")
ACTION_LABELS = ("Direct.", "Discuss", "Eating", "Greet", "Phone", "Photo", "Pose", "Purch.", "Sitting",
                 "SittingD.", "Smoke", "Wait", "WalkD.", "Walk", "WalkT.")
_ALIASES = {"TakingPhoto": "Photo", "WalkingDog": "WalkDog"}
#: h36m17 left/right joint indices (the 2D files' ``keypoints_symmetry``).
H36M17_SYMMETRY = ([4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16])
_YUP_FROM_ZUP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])  # zup_to_yup as a matrix


def canonical_action(name: str) -> str | None:
    """The action of a take name (``"Eating 2"`` -> ``Eating``, ``"TakingPhoto 1"`` ->
    ``Photo``, ``"WalkingDog"`` -> ``WalkDog``); ``None`` if it is none of the 15."""
    base = re.split(r"[ _-]", str(name).strip(), maxsplit=1)[0]
    base = _ALIASES.get(base, base)
    return base if base in ACTIONS else None


def _find_take(takes: dict, name: str):
    """The 2D entry of a 3D take: the same name, else the name in the release's other spelling
    (VideoPose3D's files say ``Photo``/``WalkDog``; Martinez et al.'s archive ``TakingPhoto``/
    ``WalkingDog``)."""
    if name in takes:
        return takes[name]
    base = name.split(" ", 1)[0]
    swap = {**_ALIASES, **{v: k for k, v in _ALIASES.items()}}
    if base in swap and swap[base] + name[len(base):] in takes:
        return takes[swap[base] + name[len(base):]]
    return None


def discarded(subject: str, take: str) -> bool:
    """Takes VideoPose3D drops: S11 ``Directions`` (a corrupt video)."""
    return subject == "S11" and take.strip() == "Directions"


def quat_to_matrix(q) -> np.ndarray:
    """The matrix of VideoPose3D's ``qrot(q, v) = v + 2 (w u x v + u x (u x v))`` for
    ``q = (w, u)``: the rotation of a unit quaternion. The published quaternions are float32
    and not exactly unit; like VideoPose3D, they are used as they are (not normalised)."""
    w, x, y, z = np.asarray(q, dtype=np.float64)
    U = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])  # u x .
    return np.eye(3) + 2.0 * w * U + 2.0 * U @ U


def h36m_camera_arrays(subject: str) -> dict[str, np.ndarray]:
    """The 4 published cameras of ``subject`` as arrays acting on +y-up world points (metres):
    ``R`` (4, 3, 3) and ``t`` (4, 3) with ``x_cam = R @ x_world + t``; ``intrinsics``
    (4, 9) ``fx fy cx cy k1 k2 k3 p1 p2`` (pixels); ``size`` (4, 2) ``width height``."""
    R, t, intr, size = [], [], [], []
    zup_from_yup = _YUP_FROM_ZUP.T
    for c in range(len(CAMERA_IDS)):
        cam = camera(subject, c)
        qinv = cam["orientation"] * np.array([1.0, -1.0, -1.0, -1.0])
        Rzc = quat_to_matrix(qinv)  # VideoPose3D's world_to_camera: qrot(qinv(q), X - t)
        centre = cam["translation"] / 1000.0  # mm -> m
        R.append(Rzc @ zup_from_yup)  # +y-up world -> camera
        t.append(-Rzc @ centre)
        intr.append(np.concatenate([cam["focal_length"], cam["center"], cam["k"], cam["p"]]))
        size.append((cam["width"], cam["height"]))
    return {"R": np.array(R), "t": np.array(t), "intrinsics": np.array(intr), "size": np.array(size, dtype=np.int64)}


def world_to_camera(x: np.ndarray, R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``(..., 3)`` world points -> camera frame: ``R @ x + t``."""
    return np.asarray(x, dtype=np.float64) @ np.asarray(R).T + np.asarray(t)


def camera_to_world(x: np.ndarray, R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Inverse of :func:`world_to_camera` (``R`` inverted exactly: the published quaternions
    are not exactly unit, so ``R`` is a rotation only to about 1e-7)."""
    return (np.asarray(x, dtype=np.float64) - np.asarray(t)) @ np.linalg.inv(np.asarray(R)).T


def project_distorted(xc: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """Camera-frame points ``(..., 3)`` -> pixels ``(..., 2)`` with Human3.6M's distortion model
    as VideoPose3D applies it: normalised coordinates clipped to [-1, 1], radial factor
    ``1 + k1 r^2 + k2 r^4 + k3 r^6``, tangential term ``p . xy`` scaling and ``p r^2`` added."""
    f, c, k, p = intrinsics[:2], intrinsics[2:4], intrinsics[4:7], intrinsics[7:9]
    xy = np.clip(xc[..., :2] / xc[..., 2:3], -1.0, 1.0)
    r2 = (xy ** 2).sum(-1, keepdims=True)
    radial = 1.0 + k[0] * r2 + k[1] * r2 ** 2 + k[2] * r2 ** 3
    tan = (xy * p).sum(-1, keepdims=True)
    return f * (xy * (radial + tan) + p * r2) + c


# ----------------------------------------------------------------------------------- build
def _split_of(subject: str) -> str | None:
    return "train" if subject in TRAIN_SUBJECTS else "test" if subject in TEST_SUBJECTS else None


def build_h36m_lift(data_3d: str | os.PathLike, data_2d: str | os.PathLike | None = None,
                    out_dir: str | os.PathLike = "h36m") -> tuple[Path, dict]:
    """Write ``out_dir/h36m_lift.npz``; returns its path and a summary of what was kept,
    dropped and trimmed (the quirks)."""
    p3 = Path(data_3d)
    if not p3.exists():
        raise PosegraphError(f"{p3}: file not found")
    pos = read_h36m_3d(p3, num_joints=None)
    det, p2 = None, None
    if data_2d is not None:
        p2 = Path(data_2d)
        if not p2.exists():
            raise PosegraphError(f"{p2}: file not found")
        det, meta = read_h36m_2d(p2)
        if int(meta["num_joints"]) != 17 or str(meta.get("layout_name", "h36m")).lower() not in ("h36m", "h36m17"):
            raise FormatError(p2, f"2D layout {meta.get('layout_name')!r} with {meta['num_joints']} joints; "
                                  "expected the Human3.6M 17-joint layout (layout_name 'h36m', e.g. the cpn_ft_h36m_dbb, "
                                  "sh_ft_h36m or gt files)", "metadata")
    summary = {"data_3d": str(p3), "data_2d": str(p2) if p2 else None, "subjects": {}, "dropped": [],
               "unknown_subjects": [], "trimmed": [], "missing_2d": [], "missing_cameras": []}
    frames, det2d, detmask, labels, cams = [], [], [], [], {"R": [], "t": [], "intrinsics": [], "size": []}
    for subject in sorted(pos, key=lambda s: (len(s), s)):
        split = _split_of(subject)
        if split is None:
            summary["unknown_subjects"].append(subject)
            continue
        if det is not None and subject not in det:
            raise FormatError(p2, f"subject {subject} of {p3.name} is missing from the 2D file", "positions_2d")
        carr = h36m_camera_arrays(subject)
        for take in sorted(pos[subject]):
            if discarded(subject, take):
                summary["dropped"].append(f"{subject}/{take}")
                continue
            action = canonical_action(take)
            if action is None:
                raise FormatError(p3, f"take {take!r} of {subject} is none of the 15 Human3.6M actions "
                                      f"({', '.join(ACTIONS)}, or TakingPhoto/WalkingDog, with a number)",
                                  f"positions_3d/{subject}/{take}")
            a = pos[subject][take]
            J = a.shape[1]
            if J == 32:
                a = h36m32_to_h36m17(a)
            elif J != 17:
                raise FormatError(p3, f"{J} joints (expected 32, or 17 in h36m17 order)", f"positions_3d/{subject}/{take}")
            n = len(a)
            d = None
            if det is not None:
                d = _find_take(det[subject], take)
                if d is None:
                    summary["missing_2d"].append(f"{subject}/{take}")
                else:
                    if len(d) > 4:
                        raise FormatError(p2, f"{len(d)} cameras (expected at most 4)", f"positions_2d/{subject}/{take}")
                    if len(d) < 4:
                        summary["missing_cameras"].append(f"{subject}/{take}: {len(d)} of 4 cameras")
                    lens = [len(v) for v in d]
                    m = min([n] + lens)
                    if any(L != n for L in lens):
                        summary["trimmed"].append(f"{subject}/{take}: 3D {n}, 2D {'/'.join(map(str, lens))} -> {m} frames"
                                                  + (" (2D shorter than 3D: 3D cut)" if m < n else ""))
                    n = m
            if n < 1:
                summary["dropped"].append(f"{subject}/{take} (no frames)")
                continue
            world = zup_to_yup(a[:n].astype(np.float64))
            frames.append(world.astype(np.float32))
            dd = np.zeros((n, 4, 17, 2), np.float32)
            mm = np.zeros((n, 4), bool)
            if d is not None:
                for c, v in enumerate(d):
                    w, h = carr["size"][c]
                    dd[:, c] = normalize_screen(v[:n].astype(np.float64), float(w), float(h))
                    mm[:, c] = True
            det2d.append(dd)
            detmask.append(mm)
            labels.append(("h36m", subject, action, f"{subject}/{take}", split))
            for k in cams:
                cams[k].append(carr[k])
            s = summary["subjects"].setdefault(subject, {"split": split, "takes": 0, "frames": 0})
            s["takes"] += 1
            s["frames"] += n
    if not frames:
        raise FormatError(p3, "no takes of subjects S1 S5 S6 S7 S8 S9 S11", "positions_3d")
    lengths = np.array([len(f) for f in frames], dtype=np.int64)
    lab = np.array(labels, dtype=str)
    arrays = {
        "positions": np.concatenate(frames), "seq_offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        "format_version": np.int64(FORMAT_VERSION), "source_fps": np.float64(FPS), "fps": np.float64(FPS),
        "stride": np.int64(1), "kind": np.array(KIND_LIFT),
        "seq_source": lab[:, 0], "seq_subject": lab[:, 1], "seq_action": lab[:, 2], "seq_name": lab[:, 3],
        "seq_split": lab[:, 4],
        "cam_R": np.array(cams["R"]), "cam_t": np.array(cams["t"]), "cam_intrinsics": np.array(cams["intrinsics"]),
        "cam_size": np.array(cams["size"]), "has_det": np.bool_(det is not None),
    }
    if det is not None:
        arrays["det_p2d"] = np.concatenate(det2d)
        arrays["det_mask"] = np.concatenate(detmask)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = save_npz(out / LIFT_FILE, **arrays)
    return path, summary


# ----------------------------------------------------------------------------------- load
def _resolve(path_or_dir) -> Path:
    p = Path(path_or_dir)
    return p / LIFT_FILE if p.is_dir() else p


def is_h36m_file(path, kind: str = KIND_LIFT) -> bool:
    """Whether ``path`` (a file or a build folder) is a build of this module of ``kind``."""
    if path is None:
        return False
    p = Path(path)
    if p.is_dir():
        p = p / (LIFT_FILE if kind == KIND_LIFT else "h36m_forecast.npz")
    if p.suffix != ".npz" or not p.is_file():
        return False
    try:
        with np.load(p, allow_pickle=False) as z:
            return "kind" in z.files and str(z["kind"]) == kind
    except Exception:
        return False


def h36m_build_path(path, benchmark: str = "h36m", what: str = "data.path") -> Path:
    """The build file that benchmark ``h36m`` (lifting) or ``h36m-forecast`` reads from ``path``
    (the folder ``posegraph data build BENCHMARK --out DIR`` wrote, or the .npz in it); a
    one-line :class:`PosegraphError` naming ``what`` when there is none or it is of the other kind."""
    if benchmark not in ("h36m", "h36m-forecast"):
        raise PosegraphError(f"not a Human3.6M benchmark: {benchmark!r} (h36m or h36m-forecast)")
    if path is None:
        raise PosegraphError(f"benchmark {benchmark} needs {what}: the folder `posegraph data build {benchmark} ... "
                             "--out DIR` wrote")
    kind = KIND_LIFT if benchmark == "h36m" else "h36m-forecast"
    name = LIFT_FILE if benchmark == "h36m" else "h36m_forecast.npz"
    p = Path(path)
    f = p / name if p.is_dir() else p
    if not f.is_file():
        raise PosegraphError(f"{what} {path}: no {name} there (benchmark {benchmark}: run "
                             f"`posegraph data build {benchmark} ... --out DIR` first and point {what} at DIR)")
    if not is_h36m_file(f, kind):
        other = "h36m-forecast" if benchmark == "h36m" else "h36m"
        hint = (f"; it is a build of {other}" if is_h36m_file(f, KIND_LIFT if other == "h36m" else "h36m-forecast")
                else "")
        raise PosegraphError(f"{what} {f}: not a Human3.6M {'lifting' if benchmark == 'h36m' else 'forecasting'} "
                             f"build (benchmark {benchmark} reads what `posegraph data build {benchmark}` writes){hint}")
    return f


def _read(path: Path) -> dict:
    from ..io.npzfile import read_npz

    if not path.exists():
        raise PosegraphError(f"{path}: not found (run `posegraph data build h36m --data-3d ... --out DIR` first)")
    z = read_npz(path)
    if str(z.get("kind", "")) != KIND_LIFT:
        raise FormatError(path, f"not a Human3.6M lifting build (kind {str(z.get('kind', 'missing'))!r})", "kind")
    for key in ("positions", "seq_offsets", "seq_subject", "seq_action", "seq_name", "seq_split", "cam_R", "cam_t",
                "cam_intrinsics", "cam_size"):
        if key not in z:
            raise FormatError(path, "missing array", key)
    S = len(z["seq_offsets"]) - 1
    if z["cam_R"].shape != (S, 4, 3, 3) or z["positions"].ndim != 3 or z["positions"].shape[1:] != (17, 3):
        raise FormatError(path, "arrays do not fit each other (a damaged build?)", "cam_R")
    return z


def load_h36m_lift(path, split: str = "test", setting: str = "gt", validation: str = "include") -> LiftSamples:
    """Samples of a Human3.6M build: every frame of every camera of the ``split``'s subjects.

    ``setting``: ``gt`` (projected ground truth) or ``det`` (the build's 2D file); ``noisy``
    adds 4 px Gaussian noise to ``gt`` (posegraph's own robustness setting, not a protocol).
    ``validation`` as :func:`posegraph.data.lift.load_lift` (whole training takes held out).
    """
    from .lift import add_noise

    if split not in ("train", "test"):
        raise PosegraphError(f"split must be 'train' or 'test', not {split!r}")
    if setting not in ("gt", "det", "noisy"):
        raise PosegraphError(f"setting must be gt, det or noisy for Human3.6M, not {setting!r}")
    p = _resolve(path)
    z = _read(p)
    if setting == "det" and not bool(z.get("has_det", False)):
        raise PosegraphError(f"{p}: built without --data-2d, so there is no 'det' setting (use gt)")
    names = z["seq_name"].astype(str)
    mask = z["seq_split"].astype(str) == split
    if split == "train" and validation != "include":
        val = validation_mask(names)
        mask &= val if validation == "only" else ~val
    off = z["seq_offsets"]
    out = {k: [] for k in ("p2d", "p3d", "source", "subject", "action", "seq", "cam", "frame")}
    for i in np.flatnonzero(mask):
        a, b = int(off[i]), int(off[i + 1])
        world = z["positions"][a:b].astype(np.float64)
        for c in range(4):
            sel = np.ones(b - a, bool) if setting != "det" else z["det_mask"][a:b, c]
            if not sel.any():
                continue
            xc = world_to_camera(world, z["cam_R"][i, c], z["cam_t"][i, c])
            if setting == "det":
                p2d = z["det_p2d"][a:b, c]
            else:
                w, h = z["cam_size"][i, c]
                p2d = normalize_screen(project_distorted(xc, z["cam_intrinsics"][i, c]), float(w), float(h))
            out["p2d"].append(p2d[sel].astype(np.float32))
            out["p3d"].append((xc - xc[:, :1])[sel].astype(np.float32))
            k = int(sel.sum())
            out["cam"].append(np.full(k, c, np.int64))
            out["frame"].append(np.flatnonzero(sel).astype(np.int64))
            for key, arr in (("source", "h36m"), ("subject", z["seq_subject"][i]), ("action", z["seq_action"][i]),
                             ("seq", names[i])):
                out[key].append(np.full(k, str(arr)))
    if not out["p2d"]:
        raise PosegraphError(f"{p}: no {split} samples (subjects {', '.join(TRAIN_SUBJECTS if split == 'train' else TEST_SUBJECTS)})")
    samples = LiftSamples(**{k: np.concatenate(v) for k, v in out.items()})
    return add_noise(samples) if setting == "noisy" else samples
