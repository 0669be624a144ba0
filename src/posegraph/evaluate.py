"""Evaluate pipelines on the benchmarks or on any file in the flat export layout."""

from __future__ import annotations

import numpy as np

from .data.forecast import ForecastSamples
from .data.lift import LiftSamples
from .errors import PosegraphError, ShapeError
from .metrics import forecast_report, lift_report
from .pipeline import Pipeline, run_batched  # noqa: F401 (evaluate.run_batched, as before)
from .skeleton import H36M17
from .tasks import get_task


def _to_model_joints(arr: np.ndarray, pipe: Pipeline, axis: int) -> np.ndarray:
    J = arr.shape[axis]
    if J == pipe.skeleton.num_joints:
        return arr
    if J == 17:
        return np.take(arr, H36M17.subset_indices(pipe.skeleton), axis=axis)
    raise ShapeError(f"inputs have {J} joints; model {pipe.model_name!r} uses {pipe.skeleton.num_joints} "
                     f"({pipe.skeleton.name}) and can take 17 (h36m17)")


def mixture_summary(out: dict[str, np.ndarray]) -> dict:
    """How a mixture model uses its kernels: the kernel weights sorted per sample and averaged
    (``weights_sorted``; a collapsed mixture has ~1 in the first entry), the share of samples
    whose top kernel holds > 90% of the weight, the mean kernel sigma (mm), and the spread of
    the hypotheses (mean distance of a hypothesis' joints from the weighted-mean pose, mm)."""
    w = out["weights"].astype(np.float64)  # (N, J, M); at pose level the same for every joint
    ws = (-np.sort(-w, axis=-1)).reshape(-1, w.shape[-1])  # sorted per sample (and joint)
    hyp = out["hypotheses"].astype(np.float64)
    spread = np.linalg.norm(hyp - out["pose"].astype(np.float64)[:, None], axis=-1).mean()
    return {"weights_sorted": [float(v) for v in ws.mean(0)],
            "share_top_over_90pct": float((ws[:, 0] > 0.9).mean()),
            "sigma_mm": float(out["sigma"].astype(np.float64).mean() * 1000.0) if "sigma" in out else None,
            "spread_mm": float(spread * 1000.0)}


def evaluate_lift(pipe: Pipeline, samples: LiftSamples, batch_size: int = 8192) -> dict:
    """MPJPE, P-MPJPE, N-MPJPE, PCK, AUC overall, per source and per action.

    Errors are over the model's joints (pelvis included, zero after centring). Mixture models
    also report ``mpjpe_highest`` (highest-weight hypothesis) and ``mpjpe_oracle`` (closest).
    """
    pipe.eval()
    x = _to_model_joints(samples.p2d, pipe, 1)
    gt = _to_model_joints(samples.p3d, pipe, 1).astype(np.float64)
    out = run_batched(pipe, x, batch_size)
    groups = {"source": samples.source, "action": samples.action}
    rep = lift_report(out["pose"], gt, groups=groups)
    if "hypotheses" in out:
        hyp = out["hypotheses"].astype(np.float64)  # (N, M, J, 3)
        err = np.linalg.norm(hyp - gt[:, None], axis=-1).mean(-1)  # (N, M)
        rep["mpjpe_oracle"] = float(err.min(1).mean() * 1000.0)
        if "pose_highest" in out:
            rep["mpjpe_highest"] = float(np.linalg.norm(out["pose_highest"] - gt, axis=-1).mean() * 1000.0)
        if "weights" in out:
            rep["mixture"] = mixture_summary(out)
    rep["model"] = pipe.model_name
    rep["params"] = pipe.num_parameters()
    return rep


def evaluate_forecast(pipe: Pipeline, samples: ForecastSamples, batch_size: int = 4096,
                      horizons_ms=(80, 160, 320, 400, 560, 1000)) -> dict:
    """MPJPE at and up to 80/160/320/400/560/1000 ms, overall and per action."""
    pipe.eval()
    past = _to_model_joints(samples.past, pipe, 2)
    fut = _to_model_joints(samples.future, pipe, 2).astype(np.float64)
    pred = run_batched(pipe, past, batch_size)["pose"]
    if pred.shape != fut.shape:
        raise ShapeError(f"model predicts {pred.shape[1]} frames, the data has {fut.shape[1]}")
    rep = forecast_report(pred, fut, groups={"source": samples.source, "action": samples.action},
                          horizons_ms=horizons_ms)
    rep["model"] = pipe.model_name
    rep["params"] = pipe.num_parameters()
    return rep


def evaluate_benchmark(pipe: Pipeline, setting: str = "gt", benchmark: str | None = None) -> dict:
    """Evaluate on the test split of ``benchmark`` (default: the one the model's config names).

    ``mocap-lift`` / ``mocap-forecast``: the committed test split, or, for a model whose config
    names that benchmark with ``data.path`` set to a Human3.6M build (configs written before the
    ``h36m`` names), that build's test split. ``h36m`` / ``h36m-forecast``: the test split of the
    build that the config's ``data.path`` names (an error if it is not there; never the committed
    set). The papers' per-action tables of a Human3.6M build are :mod:`posegraph.h36m_eval`'s.
    """
    task = get_task(pipe)
    cfg = (getattr(pipe, "metadata", None) or {}).get("config") or {}
    path = (cfg.get("data") or {}).get("path") if isinstance(cfg, dict) else None
    trained_on = cfg.get("benchmark") if isinstance(cfg, dict) else None
    bench = benchmark or trained_on
    if bench in ("h36m", "h36m-forecast"):  # the build must be there: never fall back to mocap-*
        from .data.h36m import h36m_build_path

        if trained_on != bench:
            raise PosegraphError(f"{pipe.model_name} was not trained on {bench}: give the build with "
                                 f"`posegraph eval --benchmark {bench} --root DIR`")
        path = h36m_build_path(path, bench, what="data.path of the model's config")
        return task.evaluate(pipe, task.test_samples(setting, path))
    if path is not None and bench == trained_on:
        from .data.h36m import is_h36m_file

        if is_h36m_file(path, task.h36m_kind):
            return task.evaluate(pipe, task.test_samples(setting, path))
    return task.evaluate(pipe, task.test_samples(setting))


def evaluate_file(pipe: Pipeline, path) -> dict:
    """Evaluate on a flat-layout npz (``p2d``/``p3d`` or ``past``/``future``)."""
    task = get_task(pipe)
    return task.evaluate(pipe, task.file_samples(path))


SHIPPED_CHECK_STRIDE = 16
"""Every 16th sample of the mocap-lift gt test split (about 2,000 poses), or every window of the
mocap-forecast test split: the fixed slice on which a shipped model's stored result is re-checked."""


def shipped_check(pipe: Pipeline) -> dict:
    """MPJPE (mm) of ``pipe`` on a fixed slice of its task's test split, stored in shipped model
    files (``metrics["shipped_check"]``) so that a test can check the weights reproduce it."""
    return get_task(pipe).shipped_check(pipe, SHIPPED_CHECK_STRIDE)
