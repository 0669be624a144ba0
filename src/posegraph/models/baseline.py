"""Fully connected baseline (Martinez et al., ICCV 2017, "A simple yet effective baseline
for 3d human pose estimation").

The 2D joints of all ``J`` joints are flattened and mapped by linear 1024 + BN + ReLU +
dropout, ``num_stages`` (2) residual blocks of [linear 1024, BN, ReLU, dropout 0.5] x 2, and a
linear layer to ``3 (J - 1)`` values: the pelvis-relative 3D joints except the pelvis, which
:meth:`forward` re-inserts as zeros. A max-norm constraint (every row of every linear
weight has L2 norm <= ``max_norm``) is applied by :meth:`after_optimizer_step`.
About 4.29M parameters for 16 joints. Loss: MSE over all coordinates (the pelvis is 0 on
both sides).
"""

from __future__ import annotations

import torch
from torch import nn

from .base import LiftingModel
from .registry import register_model

__all__ = ["Baseline"]


class _Stage(nn.Module):
    def __init__(self, size: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(size, size), nn.BatchNorm1d(size), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(size, size), nn.BatchNorm1d(size), nn.ReLU(), nn.Dropout(dropout))

    def forward(self, x):
        return x + self.net(x)


@register_model("baseline", task="lift")
class Baseline(LiftingModel):
    def __init__(self, skeleton="h36m16", linear_size: int = 1024, num_stages: int = 2, dropout: float = 0.5,
                 max_norm: float | None = 1.0):
        super().__init__(skeleton)
        J = self.num_joints
        self.max_norm = max_norm
        self.input = nn.Sequential(nn.Linear(2 * J, linear_size), nn.BatchNorm1d(linear_size), nn.ReLU(),
                                   nn.Dropout(dropout))
        self.stages = nn.Sequential(*[_Stage(linear_size, dropout) for _ in range(num_stages)])
        self.output = nn.Linear(linear_size, 3 * (J - 1))
        # out[:, order] puts the predicted joints back around a zero pelvis
        others = [j for j in range(J) if j != self.root]
        order = [0] * J
        for k, j in enumerate(others):
            order[j] = k + 1
        self.register_buffer("order", torch.tensor(order, dtype=torch.long), persistent=False)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        h = self.stages(self.input(x.flatten(1)))
        y = self.output(h).reshape(x.shape[0], self.num_joints - 1, 3)
        y = torch.cat([torch.zeros_like(y[:, :1]), y], dim=1)
        return y[:, self.order]

    @torch.no_grad()
    def after_optimizer_step(self) -> None:
        """Max-norm: rescale every row of every linear weight to norm <= ``max_norm``."""
        if not self.max_norm:
            return
        for m in self.modules():
            if isinstance(m, nn.Linear):
                norms = torch.linalg.vector_norm(m.weight, dim=1, keepdim=True)
                m.weight.mul_(torch.clamp(self.max_norm / norms.clamp_min(1e-12), max=1.0))
