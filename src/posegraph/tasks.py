"""The two tasks, as objects that the trainer, the pipeline, export and evaluation ask.

A :class:`Task` says what a model of the task takes and returns (shapes, units, the ONNX input
name), how it is trained (training data, normaliser fitting, model preparation,
augmentation) and how it is evaluated (the input settings of the test split, the metrics
table). Code that behaves differently per task asks ``get_task(pipe.task)`` instead of
comparing the task's name; the name itself (``"lift"``, ``"forecast"``) stays what configs,
model files and ONNX metadata store.

>>> from posegraph.tasks import get_task
>>> get_task("lift").input_shape(16)
(16, 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from .errors import PosegraphError
from .train.augment import augment_forecast, augment_lift

__all__ = ["Task", "LiftTask", "ForecastTask", "LIFT", "FORECAST", "TASKS", "get_task"]


@dataclass(frozen=True)
class Task:
    """What differs between the tasks; see :data:`LIFT` and :data:`FORECAST`."""

    name: str
    benchmark: str
    """The benchmark a model of the task is trained and tested on by default."""
    input_coords: int
    """Coordinates per joint of one input frame (2 for 2D keypoints, 3 for 3D poses)."""
    input_rank: int
    """Dimensions of a batch of inputs: ``(B, J, 2)`` is 3, ``(B, T_in, J, 3)`` is 4."""
    eval_settings: tuple[str, ...]
    """The input settings of the test split a trained model is evaluated on."""
    onnx_input_name: str
    input_meaning: str
    pose_meaning: str
    units: str
    augment: Callable
    """``augment(x, y, world, data, flip_perm) -> (x, y)``: the training augmentation
    (:mod:`posegraph.train.augment`)."""
    h36m_kind: str
    """The kind of a Human3.6M build of the task (:func:`posegraph.data.h36m.is_h36m_file`)."""
    headline: str
    """The key of the one-number MPJPE (mm) of an evaluation report (:meth:`evaluate`)."""
    output_coords: int = 3

    def input_shape(self, num_joints: int, frames: int | None = None) -> tuple[int, ...]:
        """The shape of one input sample (without the batch dimension)."""
        raise NotImplementedError

    def example_input(self, pipe, batch: int = 1) -> torch.Tensor:
        """A zero input of the right shape for pipeline ``pipe``."""
        return torch.zeros(batch, *self.input_shape(pipe.skeleton.num_joints, _input_frames(pipe)))

    def training_data(self, skeleton, data: dict, path=None):
        """``(train, val)`` in-memory datasets (:mod:`posegraph.train.data`) for ``data``, the
        config's ``data`` section; ``path``: the benchmark file or build to read (default
        ``data.path``; None: the committed benchmark)."""
        raise NotImplementedError

    def prepare_pipeline(self, pipe, train, data: dict) -> None:
        """Before the first step of a new run: fit ``pipe``'s normalisers on ``train`` as
        ``data`` asks, then let the model prepare itself (:meth:`PoseModel.prepare`)."""

    def require(self, pipe, message: str) -> None:
        """A :class:`~posegraph.errors.PosegraphError` with ``message`` unless ``pipe`` (a
        pipeline, model or task name) is of this task."""
        if get_task(pipe) is not self:
            raise PosegraphError(message)

    def test_samples(self, setting: str = "gt", path=None):
        """The test split of the task's benchmark (``path``: a build other than the committed one)."""
        raise NotImplementedError

    def file_samples(self, path):
        """Samples from an npz in the flat export layout (``p2d``/``p3d`` or ``past``/``future``)."""
        raise NotImplementedError

    def evaluate(self, pipe, samples) -> dict:
        """The metrics report of ``pipe`` on ``samples`` (:mod:`posegraph.evaluate`)."""
        raise NotImplementedError

    def shipped_check(self, pipe, stride: int) -> dict:
        """MPJPE (mm) of ``pipe`` on a fixed slice of the test split (see
        :func:`posegraph.evaluate.shipped_check`)."""
        raise NotImplementedError

    def report_markdown(self, rep: dict, title: str, forecast_columns: str | None = None) -> str:
        """The metrics table of an evaluation report."""
        from .metrics import report_to_markdown

        kw = {} if forecast_columns is None else {"forecast_columns": forecast_columns}
        return report_to_markdown(rep, title=title, **kw)


def _input_frames(pipe) -> int:
    return int(getattr(pipe.model, "input_frames", pipe.model_kwargs.get("input_frames", 10)))


class LiftTask(Task):
    """2D keypoints ``(B, J, 2)`` -> root-relative 3D joints ``(B, J, 3)``."""

    def input_shape(self, num_joints, frames=None):
        return (num_joints, self.input_coords)

    def training_data(self, skeleton, data, path=None):
        from .train.data import lift_training_data

        return lift_training_data(skeleton, path or data.get("path"), world=bool(data.get("random_cameras")),
                                  validation_subjects=data.get("validation_subjects"))

    def prepare_pipeline(self, pipe, train, data):
        from .models.contract import PoseModel

        pipe.in_norm.fit(train.x.numpy(), enabled=bool(data.get("normalize_input")))
        pipe.out_norm.fit(train.y.numpy(), enabled=bool(data.get("normalize_output")))
        if type(pipe.model).prepare is PoseModel.prepare:  # the default does nothing
            return
        with torch.no_grad():  # in the units the loss sees
            pipe.model.prepare(pipe.out_norm(train.y).numpy(), pipe.in_norm(train.x).numpy(),
                               target_mean=pipe.out_norm.mean.numpy(), target_std=pipe.out_norm.std.numpy())


    def test_samples(self, setting="gt", path=None):
        from .data.lift import load_lift

        return load_lift("test", setting, path=path)

    def file_samples(self, path):
        from .data.lift import LiftSamples

        return LiftSamples.from_npz(path)

    def evaluate(self, pipe, samples):
        from .evaluate import evaluate_lift

        return evaluate_lift(pipe, samples)

    def shipped_check(self, pipe, stride):
        import numpy as np

        test = self.test_samples("gt")
        idx = np.arange(0, len(test), stride)
        rep = self.evaluate(pipe, test.subset(idx))
        return {"slice": f"mocap-lift test gt, every {stride}th sample", "n": int(len(idx)),
                "mpjpe": float(rep[self.headline])}


class ForecastTask(Task):
    """Past 3D poses ``(B, T_in, J, 3)`` -> future 3D poses ``(B, T_out, J, 3)``, in metres
    (no normalisation: the forecasters take metres and most predict a residual)."""

    def input_shape(self, num_joints, frames=None):
        return (10 if frames is None else int(frames), num_joints, self.input_coords)

    def training_data(self, skeleton, data, path=None):
        from .train.data import forecast_training_data

        return forecast_training_data(skeleton, path or data.get("path"), speed=float(data.get("speed") or 0.0),
                                      validation_subjects=data.get("validation_subjects"))

    def test_samples(self, setting="gt", path=None):
        from .data.forecast import load_forecast

        return load_forecast("test", path=path).to_samples()

    def file_samples(self, path):
        from .data.forecast import ForecastSamples

        return ForecastSamples.from_npz(path)

    def evaluate(self, pipe, samples):
        from .evaluate import evaluate_forecast

        return evaluate_forecast(pipe, samples)

    def shipped_check(self, pipe, stride):
        rep = self.evaluate(pipe, self.test_samples())
        return {"slice": "mocap-forecast test, every window", "n": int(rep["n"]), "mpjpe": float(rep[self.headline])}


LIFT = LiftTask(
    name="lift", benchmark="mocap-lift", input_coords=2, input_rank=3, eval_settings=("gt", "noisy"),
    onnx_input_name="keypoints_2d",
    input_meaning="(batch, J, 2) float32: 2D joints in normalised screen coordinates "
                  "(pixels / image_width * 2 - [1, image_height / image_width]), the model's joint order",
    pose_meaning="(batch, J, 3) float32: 3D joints in metres, camera frame, root(pelvis)-relative",
    units="metres (3D), normalised screen coordinates (2D input)",
    augment=augment_lift, h36m_kind="h36m-lift", headline="mpjpe")

FORECAST = ForecastTask(
    name="forecast", benchmark="mocap-forecast", input_coords=3, input_rank=4, eval_settings=("gt",),
    onnx_input_name="past_poses",
    input_meaning="(batch, T_in, J, 3) float32: the observed 3D poses in metres, oldest frame first",
    pose_meaning="(batch, T_out, J, 3) float32: the forecast 3D poses in metres",
    units="metres",
    augment=augment_forecast, h36m_kind="h36m-forecast", headline="mpjpe_mean")

TASKS: dict[str, Task] = {t.name: t for t in (LIFT, FORECAST)}
"""Task name -> :class:`Task`."""


def get_task(task) -> Task:
    """The :class:`Task` of a name, a pipeline or model (anything with ``.task``), or a Task."""
    if isinstance(task, Task):
        return task
    name = getattr(task, "task", task)
    if name not in TASKS:
        raise PosegraphError(f"unknown task {name!r}; known: {', '.join(TASKS)}")
    return TASKS[name]
