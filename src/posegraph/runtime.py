"""Deployment runtimes: ONNX export, an ONNX Runtime predictor, and one factory for all backends.

>>> from posegraph.pipeline import pretrained
>>> from posegraph.runtime import export_onnx, OnnxPredictor, make_predictor
>>> pipe = pretrained("semgcn")
>>> export_onnx(pipe, "semgcn.onnx")               # whole Pipeline: normalisation baked in
>>> pred = OnnxPredictor("semgcn.onnx", threads=1)
>>> pred(p2d)["pose"]                                # (B, J, 2) -> (B, J, 3) metres
>>> run = make_predictor("semgcn", backend="compile")  # "torch" | "onnx" | "compile"

The exported graph has one input (``keypoints_2d`` for lifting, ``past_poses`` for
forecasting) and one named output per entry of the pipeline's output (``pose`` always; e.g.
GraphMDN adds ``pose_highest``, ``hypotheses``, ``weights``, ``sigma``, ``log_weights``), all with
a dynamic batch dimension. The model's description is stored in the ONNX ``metadata_props``
under ``posegraph.*`` keys (see :func:`onnx_metadata`).
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from ._version import __version__
from .errors import CheckpointError, PosegraphError, ShapeError
from .fileio import atomic_path
from .flops import example_input
from .tasks import get_task

__all__ = ["export_onnx", "OnnxPredictor", "TorchPredictor", "make_predictor", "onnx_metadata",
           "output_names", "input_name", "BACKENDS", "DEFAULT_OPSET"]

DEFAULT_OPSET = 17
BACKENDS = ("torch", "onnx", "compile")

_OUTPUT_MEANING = {  # "pose" is the task's (posegraph.tasks.Task.pose_meaning)
    "pose_highest": "(batch, J, 3) float32 metres: per joint the mixture kernel of highest weight",
    "hypotheses": "(batch, M, J, 3) float32 metres: the mixture kernels' means",
    "weights": "(batch, J, M) float32: mixing weights (sum to 1 over M)",
    "sigma": "(batch, J, M) float32 metres: isotropic standard deviation of each kernel",
    "log_weights": "(batch, J, M) float32: natural log of the mixing weights",
    "global": "(batch, C) float32: the global node's features (unitless)",
    "cluster_logits": "(batch, K) float32: logits of the auxiliary pose-cluster classifier",
    "embedding": "(batch, D) float32: the auxiliary pose embedding (unitless)",
    "decoded": "(batch, J, 3) float32: the pose decoded from the auxiliary embedding (normalised units)",
}


def input_name(pipe) -> str:
    return get_task(pipe.task).onnx_input_name




def output_names(pipe) -> list[str]:
    """The pipeline's output names in export order (``["pose"]`` for a plain tensor output)."""
    was = pipe.training
    pipe.eval()
    try:
        with torch.inference_mode():
            out = pipe(example_input(pipe, batch=2))
    finally:
        pipe.train(was)
    if isinstance(out, dict):
        if "pose" not in out:
            raise PosegraphError(f"model {pipe.model_name!r} returns a dict without 'pose'")
        return list(out)
    return ["pose"]


class _TupleOutputs(nn.Module):
    """The pipeline with its outputs as a tuple in a fixed order (what ONNX export needs)."""

    def __init__(self, pipe, names: list[str]):
        super().__init__()
        self.pipe, self.names = pipe, list(names)

    def forward(self, x: torch.Tensor):
        out = self.pipe(x)
        if not isinstance(out, dict):
            return out
        return tuple(out[k] for k in self.names)


def onnx_metadata(pipe, opset: int = DEFAULT_OPSET, names: list[str] | None = None) -> dict[str, str]:
    """The ``posegraph.*`` key/value strings stored in an exported model's ``metadata_props``."""
    names = names or output_names(pipe)
    task = get_task(pipe.task)
    meanings = {}
    for k in names:
        meanings[k] = task.pose_meaning if k == "pose" else _OUTPUT_MEANING.get(k, "float32, see the model's documentation")
    meta = {
        "posegraph.format": "posegraph-onnx",
        "posegraph.task": pipe.task,
        "posegraph.model": pipe.model_name,
        "posegraph.model_kwargs": json.dumps(pipe.model_kwargs, sort_keys=True, default=str),
        "posegraph.skeleton": pipe.skeleton.name,
        "posegraph.joints": json.dumps(list(pipe.skeleton.joints)),
        "posegraph.parents": json.dumps(list(pipe.skeleton.parents)),
        "posegraph.input": json.dumps({input_name(pipe): task.input_meaning}),
        "posegraph.outputs": json.dumps(meanings),
        "posegraph.units": task.units,
        "posegraph.normalization": "included (input standardisation and output de-standardisation are in the graph)",
        "posegraph.library_version": __version__,
        "posegraph.opset": str(int(opset)),
        "posegraph.flip_test": "true" if getattr(pipe, "flip_test", False) else "false",
        "posegraph.torch_version": torch.__version__,
    }
    extra = getattr(pipe, "metadata", None) or {}
    for key in ("benchmark", "split"):
        if extra.get(key):
            meta[f"posegraph.{key}"] = str(extra[key])
    if extra.get("metrics"):
        meta["posegraph.metrics"] = json.dumps(extra["metrics"], default=float)
    return meta


def export_onnx(pipe, path: str | os.PathLike, opset: int = DEFAULT_OPSET, *, overwrite: bool = True,
                dynamo: bool = False) -> Path:
    """Export a whole :class:`~posegraph.pipeline.Pipeline` (normalisation included) to ONNX.

    Dynamic batch size; one named output per pipeline output; metadata in ``metadata_props``.
    The file is written atomically; ``overwrite=False`` refuses an existing ``path``.
    """
    import onnx

    path = Path(path)
    if path.exists() and not overwrite:
        raise PosegraphError(f"{path}: exists (pass --overwrite to replace it)")
    if path.is_dir():
        raise PosegraphError(f"{path}: is a directory, expected an .onnx file name")
    if not 7 <= int(opset) <= 25:
        raise PosegraphError(f"opset {opset} is out of range (7..25; default {DEFAULT_OPSET})")
    was = pipe.training
    pipe.eval()
    try:
        names = output_names(pipe)
        wrapper = _TupleOutputs(pipe.for_inference(), names).eval()  # batch norms folded
        x = example_input(pipe, batch=2)
        inp = input_name(pipe)
        dyn = {inp: {0: "batch"}, **{k: {0: "batch"} for k in names}}
        with atomic_path(path, suffix=".onnx") as tmp:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    common = dict(opset_version=int(opset), input_names=[inp], output_names=names)
                    if dynamo:
                        torch.onnx.export(wrapper, (x,), str(tmp), dynamo=True,
                                          dynamic_shapes=({0: torch.export.Dim("batch", min=1)},), **common)
                    else:
                        torch.onnx.export(wrapper, (x,), str(tmp), dynamo=False, dynamic_axes=dyn,
                                          do_constant_folding=True, **common)
                except Exception as e:
                    raise PosegraphError(f"{path}: ONNX export of {pipe.model_name!r} failed at opset {opset}: "
                                         f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from None
            model = onnx.load(str(tmp))
            model.producer_name = "posegraph"
            model.producer_version = __version__
            model.doc_string = (f"posegraph {pipe.task} model {pipe.model_name!r} ({pipe.skeleton.name}, "
                                f"{pipe.skeleton.num_joints} joints); input {inp}; outputs {', '.join(names)}")
            onnx.helper.set_model_props(model, onnx_metadata(pipe, opset, names))
            onnx.save(model, str(tmp))
    finally:
        pipe.train(was)
    return path


class OnnxPredictor:
    """An exported model in ONNX Runtime (CPU): ``predictor(x) -> {name: array}``.

    Args:
        path: the ``.onnx`` file.
        threads: intra-op threads (``None``: ONNX Runtime's default, all cores).
        profile: write an ONNX Runtime profile (see :meth:`end_profiling`).
    """

    def __init__(self, path: str | os.PathLike, threads: int | None = None, profile: bool = False):
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.exists():
            raise CheckpointError(f"{self.path}: ONNX model not found")
        so = ort.SessionOptions()
        if threads is not None:
            so.intra_op_num_threads = int(threads)
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if profile:
            so.enable_profiling = True
            so.profile_file_prefix = str(Path(tempfile.gettempdir()) / f"ort-{self.path.stem}")
        try:
            self.session = ort.InferenceSession(str(self.path), sess_options=so, providers=["CPUExecutionProvider"])
        except Exception as e:
            raise CheckpointError(f"{self.path}: not a loadable ONNX model ({type(e).__name__}: "
                                  f"{str(e).splitlines()[0] if str(e) else ''})") from None
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.input_rank = len(inp.shape)
        self.input_shape = tuple(inp.shape)
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.metadata: dict[str, str] = dict(self.session.get_modelmeta().custom_metadata_map)
        self.task = self.metadata.get("posegraph.task")
        self.joints = json.loads(self.metadata["posegraph.joints"]) if "posegraph.joints" in self.metadata else None

    def __call__(self, x: np.ndarray) -> dict[str, np.ndarray]:
        x = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
        single = x.ndim == self.input_rank - 1
        if single:
            x = x[None]
        if x.ndim != self.input_rank or any(isinstance(d, int) and d != s for d, s in zip(self.input_shape[1:], x.shape[1:])):
            raise ShapeError(f"{self.path.name}: expected input {self.input_shape} (batch first), got {x.shape}")
        outs = self.session.run(self.output_names, {self.input_name: x})
        res = dict(zip(self.output_names, outs))
        return {k: v[0] for k, v in res.items()} if single else res

    def end_profiling(self) -> str:
        """Stop profiling; the path of the JSON trace."""
        return self.session.end_profiling()


class TorchPredictor:
    """A :class:`~posegraph.pipeline.Pipeline` behind the same numpy interface (eager or compiled)."""

    def __init__(self, pipe, compile: bool = False, threads: int | None = None):
        pipe = pipe.for_inference()
        self.pipe = pipe
        self.task = pipe.task
        self.joints = list(pipe.skeleton.joints)
        self.input_rank = get_task(pipe.task).input_rank
        if threads is not None:
            torch.set_num_threads(int(threads))
        self.fn: Callable = pipe
        if compile:
            self.fn = torch.compile(pipe, dynamic=True)
        self.output_names = output_names(pipe)

    def __call__(self, x: np.ndarray) -> dict[str, np.ndarray]:
        x = np.asarray(x, dtype=np.float32)
        single = x.ndim == self.input_rank - 1
        t = torch.from_numpy(np.ascontiguousarray(x[None] if single else x))
        with torch.inference_mode():
            out = self.fn(t)
        if not isinstance(out, dict):
            out = {"pose": out}
        return {k: (v[0] if single else v).numpy() for k, v in out.items()}


def _as_pipeline(pipe_or_checkpoint):
    from .pipeline import load_model_file, resolve_checkpoint

    if isinstance(pipe_or_checkpoint, nn.Module):
        return pipe_or_checkpoint
    return load_model_file(resolve_checkpoint(pipe_or_checkpoint))


def make_predictor(pipe_or_checkpoint, backend: str = "torch", threads: int | None = None,
                   cache_dir: str | os.PathLike | None = None) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """A callable ``numpy -> {name: numpy}`` (``"pose"`` always) for inference code.

    Args:
        pipe_or_checkpoint: a Pipeline, a shipped model name, a model file / run dir, or an
            ``.onnx`` file (``backend="onnx"`` only).
        backend: ``"torch"`` (eager, inference mode), ``"compile"`` (``torch.compile``; the first
            calls compile, later ones are fast) or ``"onnx"`` (exported to a temporary file, or
            ``cache_dir``, and run in ONNX Runtime).
        threads: intra-op threads of the backend.
    """
    if backend not in BACKENDS:
        raise PosegraphError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if isinstance(pipe_or_checkpoint, (str, os.PathLike)) and str(pipe_or_checkpoint).endswith(".onnx"):
        if backend != "onnx":
            raise PosegraphError(f"{pipe_or_checkpoint}: an ONNX file runs only with backend 'onnx'")
        return OnnxPredictor(pipe_or_checkpoint, threads=threads)
    pipe = _as_pipeline(pipe_or_checkpoint)
    if backend == "onnx":
        d = Path(cache_dir) if cache_dir is not None else Path(tempfile.mkdtemp(prefix="posegraph-onnx-"))
        path = export_onnx(pipe, d / f"{pipe.model_name}.onnx")
        return OnnxPredictor(path, threads=threads)
    return TorchPredictor(pipe, compile=backend == "compile", threads=threads)
