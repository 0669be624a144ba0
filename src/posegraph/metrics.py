"""Evaluation metrics for 3D pose lifting and forecasting.

All metric functions take ``pred`` and ``gt`` of equal shape ``(N, J, 3)`` or
``(N, T, J, 3)`` (any leading dimensions, at least one), in metres, and return one value
per pose (shape ``(N,)`` or ``(N, T)``), so that callers can average or group as they need.

* :func:`mpjpe`: mean per-joint position error (Euclidean, averaged over joints).
* :func:`p_mpjpe`: MPJPE after aligning each pose by the best similarity transform
  (Procrustes, proper rotations only).
* :func:`n_mpjpe`: MPJPE after the best scale only, ``s = <pred, gt> / <pred, pred>``
  (Rhodin et al. 2018).
* :func:`pck`: fraction of joints whose error is at most a threshold (150 mm by default).
* :func:`auc`: mean PCK over thresholds 0..150 mm in 5 mm steps.

:func:`lift_report` and :func:`forecast_report` average these overall and per group (e.g.
data source, action); :func:`report_to_markdown` renders a report as tables.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .errors import ShapeError
from .geometry import procrustes_align

__all__ = [
    "mpjpe",
    "p_mpjpe",
    "n_mpjpe",
    "pck",
    "auc",
    "joint_errors",
    "horizon_index",
    "group_means",
    "lift_report",
    "forecast_report",
    "report_to_markdown",
    "AUC_THRESHOLDS",
]

AUC_THRESHOLDS = np.linspace(0.0, 0.150, 31)
LIFT_KEYS = ("mpjpe", "p_mpjpe", "n_mpjpe", "pck", "auc")


def _check(pred, gt, min_ndim: int = 3) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(pred, dtype=np.float64)
    g = np.asarray(gt, dtype=np.float64)
    if p.shape != g.shape:
        raise ShapeError(f"pred and gt differ in shape: {p.shape} vs {g.shape}")
    if p.ndim < min_ndim or p.shape[-1] != 3:
        want = "(N, J, 3) or (N, T, J, 3)" if min_ndim == 3 else "(N, T, J, 3)"
        raise ShapeError(f"poses must have shape {want}, got {p.shape}")
    if p.shape[-2] == 0:
        raise ShapeError(f"poses have no joints: shape {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ShapeError("pred has non-finite values (NaN or inf)")
    if not np.all(np.isfinite(g)):
        raise ShapeError("gt has non-finite values (NaN or inf)")
    return p, g


def joint_errors(pred, gt) -> np.ndarray:
    """Euclidean error of every joint, shape ``(..., J)``."""
    p, g = _check(pred, gt)
    return np.linalg.norm(p - g, axis=-1)


def mpjpe(pred, gt) -> np.ndarray:
    """Mean per-joint position error of each pose: ``(N, J, 3) -> (N,)``, ``(N, T, J, 3) -> (N, T)``."""
    return joint_errors(pred, gt).mean(axis=-1)


def p_mpjpe(pred, gt) -> np.ndarray:
    """MPJPE after per-pose similarity Procrustes alignment (no reflections)."""
    p, g = _check(pred, gt)
    aligned = procrustes_align(p, g, scale=True, reflection=False)
    return np.linalg.norm(aligned - g, axis=-1).mean(axis=-1)


def n_mpjpe(pred, gt) -> np.ndarray:
    """MPJPE after scaling each pose by ``s = <pred, gt> / <pred, pred>`` (no centring)."""
    p, g = _check(pred, gt)
    num = np.sum(p * g, axis=(-1, -2))
    den = np.sum(p * p, axis=(-1, -2))
    s = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return np.linalg.norm(s[..., None, None] * p - g, axis=-1).mean(axis=-1)


def pck(pred, gt, threshold: float = 0.150) -> np.ndarray:
    """Fraction (0..1) of each pose's joints whose error is at most ``threshold`` metres."""
    return (joint_errors(pred, gt) <= threshold).mean(axis=-1)


def auc(pred, gt, thresholds=AUC_THRESHOLDS) -> np.ndarray:
    """Mean over ``thresholds`` of :func:`pck` (0..1), per pose."""
    e = joint_errors(pred, gt)
    th = np.asarray(thresholds, dtype=np.float64).reshape(-1)
    if th.size == 0:
        raise ShapeError("auc needs at least one threshold")
    return (e[..., None, :] <= th[:, None]).mean(axis=(-1, -2))


# ---------------------------------------------------------------------------------------
# Grouping and reports
# ---------------------------------------------------------------------------------------


def _label(v):
    return v.item() if isinstance(v, np.generic) else v


def group_means(values: Mapping[str, np.ndarray], labels) -> dict:
    """Per-label means of per-sample arrays, vectorised.

    ``values`` maps a key to an ``(N,)`` array; ``labels`` is ``(N,)``. Returns
    ``{label: {"n": count, key: mean, ...}}`` in sorted label order.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ShapeError(f"group labels must be one-dimensional, got shape {labels.shape}")
    uniq, inv = np.unique(labels, return_inverse=True)
    inv = inv.reshape(-1)
    counts = np.bincount(inv, minlength=len(uniq))
    sums = {k: np.bincount(inv, weights=np.asarray(v, dtype=np.float64), minlength=len(uniq))
            for k, v in values.items()}
    out = {}
    for i, u in enumerate(uniq):
        out[_label(u)] = {"n": int(counts[i]), **{k: float(s[i] / counts[i]) for k, s in sums.items()}}
    return out


def _check_groups(groups, n: int) -> dict:
    if not groups:
        return {}
    out = {}
    for name, labels in groups.items():
        a = np.asarray(labels)
        if a.shape != (n,):
            raise ShapeError(f"group {name!r} has {a.shape} labels for {n} samples (need one label per sample)")
        out[name] = a
    return out


def lift_report(pred, gt, groups: Mapping[str, Sequence] | None = None, scale: float = 1000.0) -> dict:
    """Lifting metrics overall and per group.

    Args:
        pred, gt: ``(N, J, 3)`` (or ``(N, T, J, 3)``, averaged over T per sample), metres.
        groups: ``{group name: (N,) labels}``, e.g. ``{"source": ..., "action": ...}``.
        scale: multiplier of the errors (1000 gives millimetres).

    Returns:
        ``{"n", "mpjpe", "p_mpjpe", "n_mpjpe", "pck", "auc", <group name>: {label: {same keys}}}``
        with errors times ``scale`` and PCK/AUC in percent; every mean is over samples.
    """
    p, g = _check(pred, gt)
    n = p.shape[0]
    if n == 0:
        raise ShapeError("lift_report needs at least one sample")
    groups = _check_groups(groups, n)
    red = tuple(range(1, p.ndim - 2))  # extra axes (e.g. frames) averaged per sample

    def per_sample(a):
        return a.mean(axis=red) if red else a

    e = np.linalg.norm(p - g, axis=-1)  # (N, ..., J)
    vals = {
        "mpjpe": per_sample(e.mean(-1)) * scale,
        "p_mpjpe": per_sample(p_mpjpe(p, g)) * scale,
        "n_mpjpe": per_sample(n_mpjpe(p, g)) * scale,
        "pck": per_sample((e <= 0.150).mean(-1)) * 100.0,
        "auc": per_sample((e[..., None, :] <= AUC_THRESHOLDS[:, None]).mean(axis=(-1, -2))) * 100.0,
    }
    report: dict = {"n": int(n), **{k: float(v.mean()) for k, v in vals.items()}}
    for name, labels in groups.items():
        report[name] = group_means(vals, labels)
    return report


def horizon_index(horizon_ms: float, fps: float = 25.0) -> int:
    """0-based output frame of a forecast horizon: ``round(h / 1000 * fps) - 1``.

    Frame ``k`` (1-based) of a forecast lies ``k / fps`` seconds after the last input frame,
    so at 25 fps 80 ms is index 1 and 1000 ms index 24. Halves round up.
    """
    idx = int(np.floor(horizon_ms * fps / 1000.0 + 0.5)) - 1
    if idx < 0:
        raise ValueError(f"horizon {horizon_ms} ms is shorter than half a frame at {fps} fps")
    return idx


def forecast_report(pred, gt, fps: float = 25.0, horizons_ms=(80, 160, 320, 400, 560, 1000),
                    groups: Mapping[str, Sequence] | None = None, scale: float = 1000.0) -> dict:
    """Forecasting MPJPE at and up to given horizons, overall and per group.

    Args:
        pred, gt: ``(N, T, J, 3)`` predicted and true future poses (metres); frame ``k``
            (0-based) is ``(k + 1) / fps`` seconds after the last observed frame.
        fps: frame rate of the future frames.
        horizons_ms: horizons in milliseconds; those beyond the last predicted frame are
            left out of the report.
        groups: ``{group name: (N,) labels}``.
        scale: multiplier of the errors (1000 gives millimetres).

    Returns:
        ``{"n", "mpjpe_at": {"80": err, ...}, "mpjpe_upto": {"80": mean error over frames
        0..index, ...}, "mpjpe_mean": mean over all frames, <group>: {label: {same keys}}}``.
    """
    p, g = _check(pred, gt)
    if p.ndim != 4:
        raise ShapeError(f"forecast poses must have shape (N, T, J, 3), got {p.shape}")
    n, T = p.shape[:2]
    if n == 0 or T == 0:
        raise ShapeError(f"forecast_report needs at least one sample and one frame, got {p.shape}")
    groups = _check_groups(groups, n)
    e = np.linalg.norm(p - g, axis=-1).mean(-1) * scale  # (N, T)
    cum = np.cumsum(e, axis=1) / np.arange(1, T + 1)  # mean over frames 0..k
    hs = []
    for h in horizons_ms:
        idx = horizon_index(h, fps)
        if idx < T:
            hs.append((_hkey(h), idx))
    at = {k: e[:, i] for k, i in hs}
    upto = {k: cum[:, i] for k, i in hs}
    mean = e.mean(axis=1)

    def pack(at_means, upto_means, mean_value, count):
        return {"n": int(count), "mpjpe_at": at_means, "mpjpe_upto": upto_means, "mpjpe_mean": mean_value}

    report = pack({k: float(v.mean()) for k, v in at.items()},
                  {k: float(v.mean()) for k, v in upto.items()}, float(mean.mean()), n)
    flat = {**{("at", k): v for k, v in at.items()}, **{("upto", k): v for k, v in upto.items()},
            ("mean", ""): mean}
    for name, labels in groups.items():
        gm = group_means(flat, labels)
        report[name] = {
            lab: pack({k: d[("at", k)] for k, _ in hs}, {k: d[("upto", k)] for k, _ in hs},
                      d[("mean", "")], d["n"])
            for lab, d in gm.items()
        }
    return report


def _hkey(h) -> str:
    h = float(h)
    return str(int(h)) if h.is_integer() else f"{h:g}"


# ---------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{v:.1f}" if np.isfinite(v) else "-"
    return str(v)


def _table(first: str, header: list[str], rows: list[tuple[str, list]]) -> str:
    lines = ["| " + " | ".join([first, *header]) + " |",
             "|" + "---|" + "---:|" * len(header)]
    for name, cells in rows:
        lines.append("| " + " | ".join([str(name), *(_fmt(c) for c in cells)]) + " |")
    return "\n".join(lines)


def report_to_markdown(report: Mapping, title: str | None = None, group_names=("source", "action"),
                       forecast_columns: str = "at") -> str:
    """Render a :func:`lift_report` or :func:`forecast_report` as Markdown tables.

    One table for the overall row, then one per group in ``group_names`` present in the
    report. Lift columns: n, MPJPE, P-MPJPE, N-MPJPE, PCK, AUC. Forecast columns: n, one per
    horizon (``forecast_columns="at"``: error at that frame; ``"upto"``: mean up to it;
    ``"both"``: both), and the mean over all frames. Numbers have one decimal.
    """
    is_forecast = "mpjpe_at" in report
    if is_forecast:
        if forecast_columns not in ("at", "upto", "both"):
            raise ValueError(f"forecast_columns must be 'at', 'upto' or 'both', not {forecast_columns!r}")
        hkeys = list(report["mpjpe_at"].keys())
        header = ["n"]
        if forecast_columns in ("at", "both"):
            header += [f"{k} ms" for k in hkeys]
        if forecast_columns in ("upto", "both"):
            header += [f"<={k} ms" for k in hkeys]
        header.append("mean")

        def cells(d):
            c = [d["n"]]
            if forecast_columns in ("at", "both"):
                c += [float(d["mpjpe_at"][k]) for k in hkeys]
            if forecast_columns in ("upto", "both"):
                c += [float(d["mpjpe_upto"][k]) for k in hkeys]
            return c + [float(d["mpjpe_mean"])]
    else:
        header = ["n", "MPJPE", "P-MPJPE", "N-MPJPE", "PCK", "AUC"]

        def cells(d):
            return [d["n"], *(float(d[k]) for k in LIFT_KEYS)]

    parts = []
    if title:
        parts.append(f"## {title}")
    unit = "MPJPE (mm)" if is_forecast else "errors in mm, PCK/AUC in %"
    parts.append(_table("subset", header, [("all", cells(report))]) + f"\n\n_{unit}_")
    for name in group_names or ():
        sub = report.get(name)
        if not isinstance(sub, Mapping) or not sub:
            continue
        parts.append(f"### by {name}\n\n" + _table(name, header, [(lab, cells(d)) for lab, d in sub.items()]))
    return "\n\n".join(parts) + "\n"
