"""What every registered model is: :class:`PoseModel`, with the hooks training calls.

A model maps its task's input to its output (see :mod:`posegraph.tasks`): lifting
``(B, J, 2) -> (B, J, 3)``, forecasting ``(B, T_in, J, 3) -> (B, T_out, J, 3)``; a lifting
model may return a dict that holds ``"pose"`` (:func:`pose_of` takes it out) plus extra
outputs. Besides ``forward`` it has ``loss(out, target) -> (scalar, logs)`` and may override
the hooks below, whose defaults do nothing. :func:`~posegraph.models.registry.register_model`
accepts only subclasses, so the trainer calls the hooks without looking for them.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["PoseModel", "pose_of"]


def pose_of(out) -> torch.Tensor:
    """The point prediction of a model's output: ``out["pose"]`` of a dict, else ``out``."""
    return out["pose"] if isinstance(out, dict) else out


class PoseModel(nn.Module):
    """Base class of every registered model (no parameters of its own)."""

    registry_name: str
    task: str

    def loss(self, out, target: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The training loss of ``out`` (the model's output, normalised units) against ``target``,
        and a dict of values to log."""
        raise NotImplementedError(f"{type(self).__name__} defines no loss")

    def prepare(self, train_targets: np.ndarray, train_inputs: np.ndarray | None = None, *,
                target_mean: np.ndarray | None = None, target_std: np.ndarray | None = None) -> None:
        """Called once before training with the (normalised) training targets and inputs and the
        output normaliser's statistics (lifting only); e.g. k-means centres, a mean pose."""

    def after_optimizer_step(self) -> None:
        """Called after every optimizer step (e.g. re-apply a weight constraint or a mask)."""
