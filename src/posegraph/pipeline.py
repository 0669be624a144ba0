"""A trained model as users get it: the network plus its input/output normalisation.

:class:`Pipeline` is what checkpoints store, what ``posegraph.pretrained`` returns and what
ONNX export traces: ``forward`` takes raw inputs (normalised screen 2D for lifting, metres for
forecasting) in the model's joint set and returns outputs in metres.

Model files (``*.pt``) are a dict: ``format``/``format_version``, ``task``, ``model``
(registry name and keyword arguments), ``skeleton``, ``state_dict`` (network and
normalisation, no optimizer state), ``inference`` (``{"flip_test": bool}``; absent in files
written before it: off), ``benchmark``, ``split``, ``library_version``, ``metrics``,
``config``. They are written atomically.

**Test-time mirroring** (``Pipeline.flip_test``): in evaluation mode the input is also run
mirrored (left/right joints swapped, the first coordinate negated: the image's x about its
centre for lifting, the lateral axis for forecasting: the mirror that ``data.flip`` trains on),
the second output is mirrored back and the two are averaged. A mixture output becomes the
mixture of both passes' kernels, each at half its weight (so ``pose``, its mean, is still the
average of the two passes' means, and the hypotheses are both passes'). It costs a second pass.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ._version import __version__
from .errors import CheckpointError, PosegraphError, ShapeError
from .fileio import atomic_path
from .geometry import mirror
from .models import build_model, model_task, pose_of
from .nn.batch_norm import fold_batch_norms
from .nn.graph_conv import freeze_inference_caches
from .nn.mdn_head import select_highest
from .skeleton import Skeleton, get_skeleton
from .tasks import get_task

MODEL_FORMAT = "posegraph-model"
MODEL_FORMAT_VERSION = 1


class Normalizer(nn.Module):
    """Standardisation ``(x - mean) / std`` with statistics fixed at training time."""

    def __init__(self, shape: tuple[int, ...]):
        super().__init__()
        self.register_buffer("mean", torch.zeros(shape))
        self.register_buffer("std", torch.ones(shape))

    def fit(self, data: np.ndarray, enabled: bool = True, eps: float = 1e-4) -> "Normalizer":
        if enabled:
            d = np.asarray(data, dtype=np.float64)
            self.mean.copy_(torch.as_tensor(d.mean(0), dtype=torch.float32))
            self.std.copy_(torch.as_tensor(np.maximum(d.std(0), eps), dtype=torch.float32))
        return self

    @property
    def is_identity(self) -> bool:
        return bool((self.mean == 0).all() and (self.std == 1).all())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def inverse(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.std + self.mean


def merge_mirrored(out, mirrored, perm: torch.Tensor):
    """Average an output with the output of the mirrored input (mirrored back here); see the
    module docstring for mixtures. Other entries of a dict output are the first pass's."""
    if not isinstance(out, dict):
        return 0.5 * (out + mirror(mirrored, perm))
    res = dict(out)
    res["pose"] = 0.5 * (out["pose"] + mirror(mirrored["pose"], perm))
    if "hypotheses" in out and "weights" in out:  # (B, M, J, 3) and (B, J, M)
        hyp = torch.cat([out["hypotheses"], mirror(mirrored["hypotheses"], perm)], dim=1)
        w = 0.5 * torch.cat([out["weights"], mirrored["weights"].index_select(1, perm)], dim=-1)
        res.update(hypotheses=hyp, weights=w, pose_highest=select_highest(hyp, w))
        if "sigma" in out:
            res["sigma"] = torch.cat([out["sigma"], mirrored["sigma"].index_select(1, perm)], dim=-1)
        if "log_weights" in out:
            lw = torch.cat([out["log_weights"], mirrored["log_weights"].index_select(1, perm)], dim=-1)
            res["log_weights"] = lw - math.log(2.0)
    return res


class Pipeline(nn.Module):
    """Normalise -> model -> de-normalise, for one task and joint set.

    Lifting: ``(B, J, 2)`` -> ``(B, J, 3)`` (or a dict with ``pose`` for models with extra
    outputs). Forecasting:
    ``(B, T_in, J, 3)`` -> ``(B, T_out, J, 3)``. Inputs may be numpy arrays, and in the 17-joint
    layout of ``posegraph data export`` (see :meth:`as_input`); outputs are tensors in the
    model's joint set.

    ``flip_test``: also run the mirrored input and average (evaluation mode only; see the
    module docstring). An attribute: set it on a loaded pipeline to switch it.
    """

    def __init__(self, model_name: str, model_kwargs: dict | None = None, flip_test: bool = False):
        super().__init__()
        self.model_name = model_name
        self.model_kwargs = dict(model_kwargs or {})
        self.task = model_task(model_name)
        self.model = build_model(model_name, **self.model_kwargs)
        self.skeleton: Skeleton = get_skeleton(getattr(self.model, "skeleton", self.model_kwargs.get("skeleton", "h36m17")))
        J = self.skeleton.num_joints
        task = get_task(self.task)
        self.in_norm = Normalizer((J, task.input_coords))
        self.out_norm = Normalizer((J, task.output_coords))
        self.flip_test = bool(flip_test)
        self.register_buffer("flip_perm", torch.as_tensor(self.skeleton.flip_permutation, dtype=torch.long),
                             persistent=False)

    def raw(self, x: torch.Tensor):
        """The model's output in normalised units (for the loss)."""
        return self.model(self.in_norm(x))

    def denormalize(self, out):
        """Model units -> metres. Dict outputs: poses and hypotheses are mapped back; each
        kernel's isotropic ``sigma`` (B, J, M) is scaled by the joint's mean output std."""
        if not isinstance(out, dict):
            return self.out_norm.inverse(out)
        res = dict(out)
        for key in ("pose", "pose_highest", "hypotheses"):
            if key in res:
                res[key] = self.out_norm.inverse(res[key])
        if "sigma" in res:
            res["sigma"] = res["sigma"] * self.out_norm.std.mean(-1)[:, None]
        return res

    def forward(self, x: torch.Tensor | np.ndarray):
        if not (torch.jit.is_tracing() or torch.compiler.is_compiling()):  # traced/compiled: model layout only
            x = self.as_input(x)
        out = self.denormalize(self.raw(x))
        if self.flip_test and not self.training:
            out = merge_mirrored(out, self.denormalize(self.raw(mirror(x, self.flip_perm))), self.flip_perm)
        return out

    def as_input(self, x) -> torch.Tensor:
        """``x`` as this pipeline's input tensor.

        Accepts a tensor or a numpy array (converted to float32 on the model's device), with the
        joints either in the model's own joint set or in the 17-joint ``h36m17`` layout that
        ``posegraph data export`` writes (mapped to the model's joints by name: for ``h36m16``
        the neck is dropped). Lifting: ``(batch, J, 2)``; forecasting: ``(batch, frames, J, 3)``
        (``frames``: the model's ``input_frames``).
        Any other shape is a :class:`~posegraph.errors.ShapeError` (a ``ValueError``) naming the
        layouts expected.
        """
        from .errors import ShapeError
        from .skeleton import H36M17

        ref = self.in_norm.mean
        if not isinstance(x, torch.Tensor):
            try:
                x = torch.as_tensor(np.asarray(x, dtype=np.float32), device=ref.device)
            except (TypeError, ValueError) as e:
                raise ShapeError(f"input must be a tensor or a numpy array of numbers, not "
                                 f"{type(x).__name__} ({' '.join(str(e).split())[:100]})") from None
        elif not x.is_floating_point() or x.dtype == torch.float64:
            x = x.to(ref.dtype)
        task = get_task(self.task)
        J, rank, dim = self.skeleton.num_joints, task.input_rank, task.input_coords
        frames = None if rank == 3 else getattr(self.model, "input_frames", None)  # one frame, or a window
        if x.ndim == rank and x.shape[-1] == dim and (frames is None or x.shape[1] == frames):
            if x.shape[-2] == J:
                return x
            if x.shape[-2] == 17 and all(j in H36M17.joints for j in self.skeleton.joints):
                idx = torch.as_tensor(H36M17.subset_indices(self.skeleton), device=x.device)
                return x.index_select(-2, idx)
        lead = "(batch, " if rank == 3 else f"(batch, {frames or 'frames'}, "
        own = f"{lead}{J}, {dim}) in the model's {self.skeleton.name} joint order"
        alt = "" if J == 17 else f" or {lead}17, {dim}) in the h36m17 layout of `posegraph data export`"
        raise ShapeError(f"input of shape {tuple(x.shape)}: {self.model_name!r} ({self.task}) expects {own}{alt}")

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """The point prediction only (``pose`` of a dict output)."""
        return pose_of(self(x))

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def for_inference(self) -> "Pipeline":
        """An evaluation-mode copy with the batch norms folded into the layers before them
        (:func:`posegraph.nn.batch_norm.fold_batch_norms`) and the weights derived from
        parameters (normalised adjacencies, per-joint weights) frozen as constants
        (:func:`posegraph.nn.graph_conv.freeze_inference_caches`): same outputs to float
        rounding, fewer passes over the features, and small traced/exported graphs. Used by the
        predictors and by ONNX export; not for training."""
        pipe = fold_batch_norms(self)
        from .flops import example_input

        with torch.no_grad():  # fill the layers' derived-weight caches, then make them constants
            pipe(example_input(pipe, batch=2))
        return freeze_inference_caches(pipe)


def save_model_file(path: str | os.PathLike, pipeline: Pipeline, *, config: dict | None = None,
                    metrics: dict | None = None, benchmark: str | None = None, split: str | None = None,
                    half: bool = False) -> Path:
    """Write a model file (weights without optimizer state) atomically."""
    state = {k: v.detach().cpu() for k, v in pipeline.state_dict().items()}
    if half:
        state = {k: (v.half() if v.is_floating_point() else v) for k, v in state.items()}
    blob = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "task": pipeline.task,
        "model": {"name": pipeline.model_name, "kwargs": pipeline.model_kwargs},
        "skeleton": pipeline.skeleton.to_dict(),
        "state_dict": state,
        "inference": {"flip_test": bool(pipeline.flip_test)},
        "benchmark": benchmark,
        "split": split,
        "library_version": __version__,
        "metrics": metrics or {},
        "config": config or {},
    }
    with atomic_path(path) as tmp:
        torch.save(blob, tmp)
    return Path(path)


def read_model_file(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate a model file's dict (no network built).

    Every problem (missing, truncated or corrupt file, another program's file, a newer format,
    missing or mistyped keys) is a :class:`CheckpointError` naming the file.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: checkpoint not found")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a model file")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:
        msg = " ".join(str(e).split())[:200]
        raise CheckpointError(f"{path}: not a readable checkpoint ({type(e).__name__}: {msg})") from None
    if isinstance(blob, dict) and "state_dict" in blob and "posegraph" in blob:  # a Lightning .ckpt
        if not isinstance(blob["posegraph"], dict) or not isinstance(blob["state_dict"], dict):
            raise CheckpointError(f"{path}: Lightning checkpoint with a malformed 'posegraph' or 'state_dict' entry")
        meta = dict(blob["posegraph"])
        meta["state_dict"] = {k[len("pipeline."):]: v for k, v in blob["state_dict"].items()
                              if isinstance(k, str) and k.startswith("pipeline.")}
        blob = meta
    if not isinstance(blob, dict) or blob.get("format") != MODEL_FORMAT:
        raise CheckpointError(f"{path}: not a posegraph model file (no '{MODEL_FORMAT}' format tag)")
    version = blob.get("format_version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise CheckpointError(f"{path}: format_version is {version!r}, expected an integer")
    if version > MODEL_FORMAT_VERSION:
        raise CheckpointError(f"{path}: format version {version} is newer than this library "
                              f"reads ({MODEL_FORMAT_VERSION}); upgrade posegraph")
    for key in ("task", "model", "skeleton", "state_dict"):
        if key not in blob:
            raise CheckpointError(f"{path}: missing key {key!r}")
    model = blob["model"]
    if (not isinstance(model, dict) or not isinstance(model.get("name"), str)
            or not isinstance(model.get("kwargs", {}), dict)
            or not all(isinstance(k, str) for k in model.get("kwargs", {}))):
        raise CheckpointError(f"{path}: 'model' must be {{'name': str, 'kwargs': dict}}, got {_short(model)}")
    state = blob["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):
        raise CheckpointError(f"{path}: 'state_dict' must map names to tensors")
    if not isinstance(blob["skeleton"], dict):
        raise CheckpointError(f"{path}: 'skeleton' must be a dict, got {_short(blob['skeleton'])}")
    inference = blob.get("inference", {})
    if not isinstance(inference, dict) or not isinstance(inference.get("flip_test", False), bool):
        raise CheckpointError(f"{path}: 'inference' must be {{'flip_test': bool}}, got {_short(inference)}")
    return blob


def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


def _file_skeleton(path, d: dict) -> Skeleton:
    try:
        sk = Skeleton.from_dict(d)
        ok = (isinstance(sk.name, str) and len(sk.joints) > 0 and all(isinstance(j, str) for j in sk.joints)
              and len(sk.parents) == len(sk.joints) and all(-1 <= p < len(sk.joints) for p in sk.parents))
    except Exception:
        ok = False
    if not ok:
        raise CheckpointError(f"{path}: malformed 'skeleton' entry (expected name, joints, parents): {_short(d)}")
    return sk


def load_model_file(path: str | os.PathLike, skeleton: str | Skeleton | None = None,
                    model_name: str | None = None, map_location: str | torch.device = "cpu") -> Pipeline:
    """Build the pipeline a model file describes and load its weights.

    ``skeleton``/``model_name``, if given, must match the file's, else a
    :class:`CheckpointError` says what differs. The network is first built on PyTorch's
    ``meta`` device (no memory) and its parameter shapes compared with the file's, so a
    damaged config cannot allocate a huge network; non-finite weights are refused.
    """
    blob = read_model_file(path)
    saved_sk = _file_skeleton(path, blob["skeleton"])
    if skeleton is not None:
        want = get_skeleton(skeleton)
        if want.joints != saved_sk.joints or want.parents != saved_sk.parents:
            raise CheckpointError(f"{path}: checkpoint skeleton {saved_sk.name!r} ({saved_sk.num_joints} joints) "
                                  f"does not match the requested {want.name!r} ({want.num_joints} joints)")
    name, kwargs = blob["model"]["name"], blob["model"].get("kwargs", {})
    if model_name is not None and model_name != name:
        raise CheckpointError(f"{path}: checkpoint holds model {name!r}, not {model_name!r}")
    state = blob["state_dict"]
    try:
        with torch.device("meta"):
            shape_only = Pipeline(name, kwargs)
    except PosegraphError as e:
        raise CheckpointError(f"{path}: {e}") from None
    except Exception as e:
        raise CheckpointError(f"{path}: model {name!r} cannot be built from the file's kwargs "
                              f"{_short(kwargs)} ({type(e).__name__}: {' '.join(str(e).split())[:150]})") from None
    if shape_only.skeleton.joints != saved_sk.joints:
        raise CheckpointError(f"{path}: model config builds skeleton {shape_only.skeleton.name!r}, file says {saved_sk.name!r}")
    want_state = shape_only.state_dict()
    upgrade = getattr(shape_only.model, "upgrade_state_dict", None)
    if callable(upgrade):  # files written by an older version of the model: fill what it adds
        state = upgrade(dict(state), "model.")
    missing = sorted(set(want_state) - set(state))
    unexpected = sorted(set(state) - set(want_state))
    if missing or unexpected:
        raise CheckpointError(f"{path}: weights do not fit model {name!r}: missing {missing[:5]}, "
                              f"unexpected {unexpected[:5]}")
    for k, v in want_state.items():
        if tuple(state[k].shape) != tuple(v.shape):
            raise CheckpointError(f"{path}: weights do not fit model {name!r}: {k!r} has shape "
                                  f"{tuple(state[k].shape)}, the file's config expects {tuple(v.shape)}")
        if state[k].is_floating_point() != v.is_floating_point() or state[k].is_complex():
            raise CheckpointError(f"{path}: weight {k!r} has dtype {state[k].dtype}, expected {v.dtype}")
        if state[k].is_floating_point() and not bool(torch.isfinite(state[k]).all()):
            raise CheckpointError(f"{path}: weight {k!r} holds NaN/inf values")
        if (k.endswith("_norm.std") and bool((state[k] <= 0).any())) or \
                (k.endswith("running_var") and bool((state[k] < 0).any())):
            raise CheckpointError(f"{path}: {k!r} holds values <= 0 (expected a positive scale)")
    del shape_only
    try:
        pipe = Pipeline(name, kwargs)
    except PosegraphError as e:
        raise CheckpointError(f"{path}: {e}") from None
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in state.items()}
    try:
        pipe.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise CheckpointError(f"{path}: weights do not fit model {name!r} ({' '.join(str(e).split())[:200]})") from None
    pipe.flip_test = bool(blob.get("inference", {}).get("flip_test", False))
    pipe.metadata = {k: blob.get(k) for k in ("benchmark", "split", "library_version", "metrics", "config")}
    pipe.eval()
    return pipe.to(map_location)


def pretrained_dir() -> Path:
    return Path(__file__).resolve().parent / "assets" / "pretrained"


def list_pretrained() -> list[str]:
    d = pretrained_dir()
    return sorted(p.stem for p in d.glob("*.pt")) if d.exists() else []


def resolve_checkpoint(name_or_path: str | os.PathLike) -> Path:
    """A shipped model's name (``semgcn``), a model file, or a run directory."""
    p = Path(name_or_path)
    if p.is_dir():
        for cand in (p / "model.pt", p / "checkpoints" / "best.pt"):
            if cand.exists():
                return cand
        raise CheckpointError(f"{p}: run directory has no model.pt")
    if p.exists():
        return p
    shipped = pretrained_dir() / f"{name_or_path}.pt"
    if shipped.exists():
        return shipped
    known = ", ".join(list_pretrained()) or "none"
    raise CheckpointError(f"{name_or_path}: no such checkpoint file, and not a shipped model (shipped: {known})")


def pretrained(name: str, map_location: str | torch.device = "cpu") -> Pipeline:
    """Load a model shipped with posegraph by name, e.g. ``pretrained("semgcn")``."""
    return load_model_file(resolve_checkpoint(name), map_location=map_location)


def ship_model(src: str | os.PathLike, name: str, flip_test: bool | None = None) -> Path:
    """Copy a trained model file into the package's pretrained models as ``name`` (weights only),
    with its MPJPE on a fixed slice of the test split (:func:`posegraph.evaluate.shipped_check`).
    ``flip_test``: switch test-time mirroring on or off in the shipped file (``None``: as in
    ``src``)."""
    from .evaluate import shipped_check

    blob = read_model_file(src)
    pipe = load_model_file(src)
    if flip_test is not None:
        pipe.flip_test = bool(flip_test)
    metrics = dict(blob.get("metrics") or {})
    metrics["shipped_check"] = shipped_check(pipe)  # re-checked by the tests (tests/test_shipped.py)
    dst = pretrained_dir() / f"{name}.pt"
    save_model_file(dst, pipe, config=blob.get("config"), metrics=metrics,
                    benchmark=blob.get("benchmark"), split=blob.get("split"))
    return dst


@torch.inference_mode()
def run_batched(pipe: Pipeline, x: np.ndarray, batch_size: int = 8192) -> dict[str, np.ndarray]:
    """Run ``pipe`` over ``x`` in batches; returns every output as numpy (``pose`` always).

    Runs under :func:`torch.inference_mode` (no autograd records). Each output is allocated
    once, at its full size, when the first batch gives its shape, and every batch is copied
    into it: no per-batch list and no concatenated copy.
    """
    dev = next(pipe.parameters(), torch.zeros(0)).device
    n = len(x)
    outs: dict[str, np.ndarray] = {}
    for s in range(0, n, batch_size):
        xb = torch.as_tensor(x[s:s + batch_size], dtype=torch.float32, device=dev)
        out = pipe(xb)
        if not isinstance(out, dict):
            out = {"pose": out}
        for k, v in out.items():
            v = v.detach().cpu().numpy()
            if v.ndim == 0 or len(v) != len(xb):
                raise ShapeError(f"model output {k!r} has shape {v.shape}, expected one row per sample "
                                 f"({len(xb)} in the batch)")
            if k not in outs:
                outs[k] = np.empty((n,) + v.shape[1:], dtype=v.dtype)
            outs[k][s:s + len(v)] = v
        del out, xb, v  # free the batch before the next one: nothing of it stays to fragment the heap
    if not outs:
        raise PosegraphError("no samples to run")
    return outs
