"""``posegraph eval --benchmark h36m|h36m-forecast --root DIR``: the papers' Human3.6M tables.

Lifting: Protocol #1 (MPJPE) and #2 (P-MPJPE, similarity Procrustes per pose) per action in
the papers' column order, ``Avg`` the mean of the 15 action errors, beside the number each
paper reports for the model and input. Forecasting: MPJPE per action at 80, 160, 320, 400, 560
and 1000 ms, both at the frame and averaged over the frames up to it, beside STS-GCN's and
SeS-GCN's reported 1000 ms averages. Reference numbers are the papers' *averages* (the
per-action numbers of the papers are not repeated here).
"""

from __future__ import annotations

import numpy as np

from .data.h36m import ACTION_LABELS, ACTIONS, load_h36m_lift
from .data.h36m_forecast import SAMPLINGS, load_h36m_forecast
from .errors import PosegraphError
from .evaluate import _to_model_joints, evaluate_forecast
from .pipeline import run_batched
from .tasks import FORECAST, LIFT
from .metrics import mpjpe, p_mpjpe

#: reported Protocol #1 averages (mm): model name -> [(paper, setting, MPJPE, note)].
#: GraphMDN is left out on purpose (see docs/h36m.md); the modulated GCN's is the authors' README
#: number for their ground-truth script's checkpoint (ZhimingZo/Modulated-GCN).
LIFT_REFERENCES = {
    "baseline": [("Martinez et al., ICCV'17", "gt", 45.5, "ground-truth 2D"),
                 ("Martinez et al., ICCV'17", "det", 62.9, "their fine-tuned Stacked Hourglass detections, not CPN")],
    "semgcn": [("Zhao et al., CVPR'19 (SemGCN)", "gt", 43.8, "ground-truth 2D, with non-local blocks")],
    "global-node": [("Liu et al., ACCV'20 (global node)", "gt", 38.7, "ground-truth 2D")],
    "modulated-gcn": [("Zou & Tang, ICCV'21 (modulated GCN)", "gt", 38.25,
                       "ground-truth 2D, 16 joints; the authors' README for the released checkpoint of "
                       "Modulated_GCN_gt/main_gcn.py (P-MPJPE 30.06)")],
}
#: reported forecasting numbers (mm) at 1000 ms, both the "averaged up to" variant.
FORECAST_REFERENCES = [
    ("STS-GCN (Sofianos et al., ICCV'21)", "sts-gcn", 75.6),
    ("SeS-GCN (Sampieri et al., ECCV'22)", "ses-gcn", 72.9),
]
HORIZONS_MS = (80, 160, 320, 400, 560, 1000)


def _fmt(v) -> str:
    return "-" if v is None or not np.isfinite(v) else f"{v:.1f}"


def _ref(v) -> str:
    """A reported number as the paper (or README) gives it: 38.25 stays 38.25."""
    return f"{v:g}"


def _row(name, cells) -> str:
    return "| " + " | ".join([name, *cells]) + " |"


def evaluate_h36m_lift(pipe, root, setting: str = "gt", batch_size: int = 8192) -> dict:
    """Protocols #1 and #2 on the test subjects (S9, S11) of a ``data build h36m`` output."""
    LIFT.require(pipe, f"{pipe.model_name} is a {pipe.task} model; --benchmark h36m needs a lifting model")
    s = load_h36m_lift(root, "test", setting)
    pipe.eval()
    x = _to_model_joints(s.p2d, pipe, 1)
    gt = _to_model_joints(s.p3d, pipe, 1).astype(np.float64)
    pred = run_batched(pipe, x, batch_size)["pose"].astype(np.float64)
    e1, e2 = mpjpe(pred, gt) * 1000.0, p_mpjpe(pred, gt) * 1000.0
    per = {}
    for a in ACTIONS:
        m = s.action == a
        per[a] = {"n": int(m.sum()), "mpjpe": float(e1[m].mean()) if m.any() else None,
                  "p_mpjpe": float(e2[m].mean()) if m.any() else None}
    done = [v for v in per.values() if v["n"]]
    rep = {"benchmark": "h36m", "setting": setting, "model": pipe.model_name, "params": pipe.num_parameters(),
           "n": int(len(e1)), "joints": pipe.skeleton.name, "actions": per,
           "avg_mpjpe": float(np.mean([v["mpjpe"] for v in done])),
           "avg_p_mpjpe": float(np.mean([v["p_mpjpe"] for v in done])),
           "frame_mean_mpjpe": float(e1.mean()), "frame_mean_p_mpjpe": float(e2.mean()),
           "missing_actions": [a for a, v in per.items() if not v["n"]],
           "references": [{"paper": p, "setting": st, "mpjpe": v, "note": n}
                          for p, st, v, n in LIFT_REFERENCES.get(pipe.model_name, []) if st == setting]}
    return rep


def h36m_lift_markdown(rep: dict, title: str | None = None) -> str:
    header = _row("Protocol", list(ACTION_LABELS) + ["Avg"])
    sep = "|---|" + "---:|" * (len(ACTIONS) + 1)
    rows = [header, sep]
    for key, name in (("mpjpe", f"#1 MPJPE, {rep['model']}"), ("p_mpjpe", f"#2 P-MPJPE, {rep['model']}")):
        rows.append(_row(name, [_fmt(rep["actions"][a][key]) for a in ACTIONS] + [_fmt(rep[f"avg_{key}"])]))
    for r in rep["references"]:
        rows.append(_row(f"#1 reported: {r['paper']}", ["-"] * len(ACTIONS) + [_ref(r["mpjpe"])]))
    lines = [f"## {title}" if title else "## Human3.6M lifting", "",
             f"Test subjects S9 S11, every frame of the 4 cameras ({rep['n']} samples), {rep['setting']} 2D inputs, "
             f"errors in mm over the model's {rep['joints']} joints (pelvis-relative); Avg = mean of the action errors "
             f"(the papers'; over all frames: #1 {_fmt(rep['frame_mean_mpjpe'])}, #2 {_fmt(rep['frame_mean_p_mpjpe'])}).",
             "", *rows]
    if rep["missing_actions"]:
        lines += ["", f"Actions without test samples in this build (Avg over the others): {', '.join(rep['missing_actions'])}."]
    if not rep["references"]:
        lines += ["", f"No reported number for {rep['model']} with {rep['setting']} inputs "
                      "(GraphMDN's is left out on purpose; see docs/h36m.md)."]
    else:
        lines += ["", "Reported numbers: " + "; ".join(f"{r['paper']}: {r['note']}" for r in rep["references"]) + "."]
    return "\n".join(lines) + "\n"


def evaluate_h36m_forecast(pipe, root, sampling: str = "mao256") -> dict:
    """MPJPE at and up to the horizons on the test subject S5 of a ``data build h36m-forecast``."""
    FORECAST.require(pipe, f"{pipe.model_name} is a {pipe.task} model; --benchmark h36m-forecast needs a forecasting model")
    w = load_h36m_forecast(root, "test", sampling=sampling)
    rep = evaluate_forecast(pipe, w.to_samples(), horizons_ms=HORIZONS_MS)
    per = rep.get("action", {})
    rep["benchmark"] = "h36m-forecast"
    rep["sampling"] = sampling
    rep["joints"] = pipe.skeleton.name
    present = [a for a in ACTIONS if a in per]
    rep["action_average"] = {v: {k: float(np.mean([per[a][v][k] for a in present])) for k in per[present[0]][v]}
                             for v in ("mpjpe_at", "mpjpe_upto")}
    rep["missing_actions"] = [a for a in ACTIONS if a not in per]
    rep["references"] = [{"paper": p, "model": m, "mpjpe_upto_1000": v} for p, m, v in FORECAST_REFERENCES]
    return rep


def h36m_forecast_markdown(rep: dict, title: str | None = None) -> str:
    hk = [str(h) for h in HORIZONS_MS if str(h) in rep["mpjpe_at"]]
    per = rep.get("action", {})
    out = [f"## {title}" if title else "## Human3.6M forecasting", "",
           f"Test subject S5, sampling {rep['sampling']} ({rep['n']} windows), 10 frames in, 25 out at 25 fps; "
           f"MPJPE in mm over the model's {rep['joints']} joints (hips-centred, global rotation removed)."]
    for var, label in (("mpjpe_at", "at the frame"), ("mpjpe_upto", "averaged over the frames up to it")):
        out += ["", f"### MPJPE {label}", "", _row("action", ["n"] + [f"{h} ms" for h in hk]),
                "|---|" + "---:|" * (len(hk) + 1)]
        for a in ACTIONS:
            if a in per:
                out.append(_row(a, [str(per[a]["n"])] + [_fmt(per[a][var][h]) for h in hk]))
        out.append(_row(f"**Average** ({rep['model']})", [str(rep["n"])] + [_fmt(rep["action_average"][var][h]) for h in hk]))
        if var == "mpjpe_upto":
            for r in rep["references"]:
                out.append(_row(f"reported: {r['paper']}", ["-"] + ["-"] * (len(hk) - 1) + [_ref(r["mpjpe_upto_1000"])]))
    out += ["", "Both papers' numbers are the *averaged up to* variant: their test code averages the error over "
                "every predicted frame up to the horizon (STS-GCN's authors say so in FraLuca/STSGCN#12), over all 32 "
                "joints of the skeleton (22 predicted, the rest copied or exact), 256 windows an action (mao256). "
                "Compare them with the second table's 1000 ms column; the joint sets differ (see docs/h36m.md)."]
    if rep["missing_actions"]:
        out += ["", f"Actions missing from this build (Average over the others): {', '.join(rep['missing_actions'])}."]
    return "\n".join(out) + "\n"


def h36m_protocol_reports(pipe, benchmark: str, root) -> dict[str, tuple[dict, str]]:
    """What a training run on ``benchmark`` h36m / h36m-forecast adds to its final report:
    ``{"h36m_gt": ...}`` and, when the build has a 2D file, ``"h36m_det"`` (lifting), or
    ``{"h36m_forecast_mao256": ...}`` (forecasting); each a (report, Markdown) pair."""
    if benchmark == "h36m":
        from .data.h36m import h36m_build_path

        with np.load(h36m_build_path(root, "h36m"), allow_pickle=False) as z:
            has_det = "has_det" in z.files and bool(z["has_det"])
        settings = ["gt"] + (["det"] if has_det else [])
        out = {}
        for st in settings:
            rep = evaluate_h36m_lift(pipe, root, st)
            out[f"h36m_{st}"] = (rep, h36m_lift_markdown(rep, title=f"Human3.6M Protocols #1 and #2, {st} 2D inputs"))
        return out
    rep = evaluate_h36m_forecast(pipe, root, "mao256")
    return {"h36m_forecast_mao256": (rep, h36m_forecast_markdown(rep, title="Human3.6M forecasting (mao256 test windows)"))}


def run_h36m_eval(pipe, benchmark: str, root, setting: str | None = None) -> tuple[dict, str]:
    """The CLI's entry: (report, Markdown) for ``h36m`` (``setting`` gt/det/noisy) or
    ``h36m-forecast`` (``setting`` = test sampling: mao256, srnn8, all; ``gt`` means mao256)."""
    if root is None:
        raise PosegraphError(f"--benchmark {benchmark} needs --root DIR (the output of `posegraph data build {benchmark}`)")
    from .data.h36m import h36m_build_path

    root = h36m_build_path(root, benchmark, what="--root")
    if benchmark == "h36m":
        rep = evaluate_h36m_lift(pipe, root, setting or "gt")
        return rep, h36m_lift_markdown(rep)
    sampling = "mao256" if setting in (None, "gt") else setting
    if sampling not in SAMPLINGS:
        raise PosegraphError(f"--setting for h36m-forecast is the test sampling: {', '.join(SAMPLINGS)}, not {setting!r}")
    rep = evaluate_h36m_forecast(pipe, root, sampling)
    return rep, h36m_forecast_markdown(rep)
