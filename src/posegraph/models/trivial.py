"""Baselines that need no training: the floors every model must beat.

* ``mean-pose`` (lifting): always predicts the mean training pose (camera frame, pelvis-relative).
* ``zero-velocity`` (forecasting): repeats the last input frame.
* ``constant-velocity`` (forecasting): x_{T+k} = x_T + k (x_T - x_{T-1}).
"""

from __future__ import annotations

import numpy as np
import torch

from ..skeleton import get_skeleton
from .contract import PoseModel
from .registry import register_model


@register_model("mean-pose", task="lift")
class MeanPose(PoseModel):
    """Predicts the mean of the training targets whatever the input."""

    def __init__(self, skeleton="h36m17"):
        super().__init__()
        self.skeleton = get_skeleton(skeleton)
        self.register_buffer("mean", torch.zeros(self.skeleton.num_joints, 3))

    def prepare(self, train_targets: np.ndarray, train_inputs: np.ndarray | None = None, **_) -> None:
        self.mean.copy_(torch.as_tensor(np.asarray(train_targets, dtype=np.float64).mean(0), dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mean.expand(x.shape[0], -1, -1) + 0.0 * x[..., :1]

    def loss(self, out, target):
        return ((out - target) ** 2).mean(), {}


class _Extrapolate(PoseModel):
    velocity: float = 0.0

    def __init__(self, skeleton="h36m17", input_frames: int = 10, output_frames: int = 25):
        super().__init__()
        self.skeleton = get_skeleton(skeleton)
        self.input_frames, self.output_frames = input_frames, output_frames
        self.register_buffer("steps", torch.arange(1, output_frames + 1, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = x[:, -1:]
        return last + self.velocity * self.steps * (last - x[:, -2:-1])

    def loss(self, out, target):
        return (out - target).norm(dim=-1).mean(), {}


@register_model("zero-velocity", task="forecast")
class ZeroVelocity(_Extrapolate):
    """Repeats the last observed pose."""

    velocity = 0.0


@register_model("constant-velocity", task="forecast")
class ConstantVelocity(_Extrapolate):
    """Continues the last observed velocity: x_{T+k} = x_T + k (x_T - x_{T-1})."""

    velocity = 1.0
