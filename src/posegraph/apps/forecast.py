"""Forecast the next second of motion from a mocap file or an npz of joint positions.

``posegraph forecast INPUT --checkpoint sts-gcn --out DIR`` reads past motion with any reader
posegraph knows (ASF/AMC — the skeleton is the only ``.asf`` beside the file or ``--skeleton``
— BVH, exp-map text, or an npz with ``positions`` (frames x 17 x 3, metres, +y up) and
``fps``), resamples it to the model's 25 fps, subtracts the pelvis, takes the 10 frames that
end at ``--frame`` (default: the last 10), and predicts the next 25 (1 s). If the input goes
on after the observed window, the true continuation is stored beside the prediction and its
MPJPE is reported.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from ..errors import ShapeError
from ..fileio import save_json, save_npz, writes_output_dir
from ..io.motion import resample_linear
from ..io.read import read_positions
from ..pipeline import load_model_file, resolve_checkpoint
from ..skeleton import H36M17
from ..tasks import FORECAST

MODEL_FPS = 25.0


@writes_output_dir
def forecast_input(input: str | os.PathLike, checkpoint: str, out: str | os.PathLike, *, skeleton=None,
                   frame: int | None = None, plot: bool = False, overwrite: bool = False) -> dict:
    """Forecast 1 s after the observed window; write ``forecast.npz``/``forecast.json`` (and a GIF)
    into ``out`` as one set (:class:`posegraph.fileio.OutputDir`: a failure leaves ``out`` as it was)."""
    pipe = load_model_file(resolve_checkpoint(checkpoint))
    FORECAST.require(pipe, f"{checkpoint} is a {pipe.task} model; forecasting needs a forecasting model (e.g. sts-gcn)")
    kw = pipe.model_kwargs
    n_in, n_out = int(kw.get("input_frames", 10)), int(kw.get("output_frames", 25))
    pos, fps = read_positions(input, skeleton)
    seq = resample_linear(pos, fps, MODEL_FPS) if abs(fps - MODEL_FPS) > 1e-6 else pos.astype(np.float32)
    seq = seq - seq[:, :1]
    last = len(seq) - 1 if frame is None else int(frame)
    if last < n_in - 1 or last >= len(seq):
        raise ShapeError(f"{input}: at {MODEL_FPS:g} fps it has {len(seq)} frames; the observed window must end at a "
                         f"frame in [{n_in - 1}, {len(seq) - 1}] (got {last})")
    past = seq[last - n_in + 1:last + 1]
    out_dir = out.begin()  # a temporary folder, moved into place on return (writes_output_dir)
    ji = H36M17.subset_indices(pipe.skeleton)
    with torch.inference_mode():
        pred = pipe(torch.as_tensor(past[None][:, :, ji], dtype=torch.float32))
    pred = (pred["pose"] if isinstance(pred, dict) else pred)[0].numpy()
    true = seq[last + 1:last + 1 + n_out][:, ji]
    result = {"input": str(input), "checkpoint": str(checkpoint), "model": pipe.model_name, "fps": MODEL_FPS,
              "observed_frames": [last - n_in + 1, last], "joints": list(pipe.skeleton.joints),
              "horizon_ms": [round(1000 * (k + 1) / MODEL_FPS) for k in range(n_out)]}
    arrays = {"past": past[:, ji].astype(np.float32), "prediction": pred.astype(np.float32), "fps": np.float64(MODEL_FPS)}
    if len(true):
        arrays["future_true"] = true.astype(np.float32)
        err = np.linalg.norm(pred[:len(true)] - true, axis=-1).mean(-1) * 1000.0
        result["mpjpe_mm_per_frame"] = [float(e) for e in err]
        result["true_frames_available"] = int(len(true))
    result["prediction"] = pred.round(5).tolist()
    save_npz(out_dir / "forecast.npz", **arrays)
    save_json(out_dir / "forecast.json", result)
    if plot:
        from ..viz import forecast_animation

        forecast_animation(past[:, ji], pred, true if len(true) else None, pipe.skeleton, out_dir / "forecast.gif",
                           fps=MODEL_FPS)
    return result
