r"""Non-local block on the joints, embedded-concatenation form (Wang et al., CVPR 2018), as
used by SemGCN (Zhao et al., CVPR 2019) to capture global relations between joints.

For joint features ``x_i`` (``C`` channels), with 1x1 projections ``\theta, \phi, g`` to
``C' = C/2`` channels and a learnable vector ``w`` (``2C'``, no bias):

.. math::

    f_{ij} = \frac{1}{N} \mathrm{ReLU}\big(w^\top [\theta(x_i); \phi(x_j)]\big), \qquad
    y_i = \sum_j f_{ij}\, g(x_j), \qquad
    z_i = \mathrm{BN}(W_z y_i) + x_i .

``N`` is the number of positions ``j``. The batch norm's scale and shift start at zero, so
the block starts as the identity. Optional sub-sampling as in SemGCN: neighbouring joints
are grouped (e.g. knee+ankle) and ``\phi`` and ``g`` are max-pooled over each group, so
``j`` runs over the ``G`` groups (``N = G``) while ``i`` runs over all joints. Groups may
differ in size (a short group is padded by repeating one of its members, which does not
change a max). Batched: ``w^\top[\theta_i; \phi_j] = w_1^\top\theta_i + w_2^\top\phi_j`` is a
broadcast sum of a ``(B, J, 1)`` and a ``(B, 1, G)`` tensor.

Inference (:meth:`NonLocalBlock.forward_jm`, joint-major ``(J, B, C)``): ``\theta``, ``\phi`` and
``g`` are one matrix product, with ``w_1`` folded into ``\theta`` (``w_1^\top \theta(x_i) =
(w_1^\top W_\theta) x_i + w_1^\top b_\theta``, one output column instead of ``C'``); ``\phi`` and ``g``
are pooled in one gather; the eval-mode batch norm folds into ``W_z``
(:func:`posegraph.nn.batch_norm.fold_batch_norms`).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ..skeleton import Skeleton, get_skeleton
from .batch_norm import batch_norm_last, bn_scale_shift
from .graph_conv import batch_major, inference_cached

__all__ = ["NonLocalBlock", "default_joint_groups"]

_GROUPS_BY_NAME = [
    ["pelvis", "spine"], ["r_hip", "l_hip"], ["r_knee", "r_ankle"], ["l_knee", "l_ankle"],
    ["thorax", "neck", "head"], ["l_shoulder", "r_shoulder"], ["l_elbow", "l_wrist"],
    ["r_elbow", "r_wrist"],
]


def default_joint_groups(skeleton: str | Skeleton) -> list[list[int]] | None:
    """SemGCN's joint pairs (8 groups) for ``h36m16``; ``h36m17`` puts the neck with thorax
    and head. ``None`` for a skeleton whose joints are not all covered."""
    sk = get_skeleton(skeleton)
    names = set(sk.joints)
    groups = [[sk.index(n) for n in g if n in names] for g in _GROUPS_BY_NAME]
    groups = [g for g in groups if g]
    if sorted(i for g in groups for i in g) != list(range(sk.num_joints)):
        return None
    return groups


class NonLocalBlock(nn.Module):
    """Non-local block (embedded concatenation) on ``(B, J, C)`` joint features.

    Args:
        channels: ``C``.
        groups: optional list of joint index lists; ``phi`` and ``g`` are max-pooled over
            each group (SemGCN's sub-sampling). ``None``: no sub-sampling.
        inter_channels: ``C'`` (default ``C // 2``).
    """

    def __init__(self, channels: int, groups: Sequence[Sequence[int]] | None = None,
                 inter_channels: int | None = None):
        super().__init__()
        ci = inter_channels or max(channels // 2, 1)
        self.channels, self.inter_channels = channels, ci
        self.theta = nn.Linear(channels, ci)
        self.phi = nn.Linear(channels, ci)
        self.g = nn.Linear(channels, ci)
        self.concat_project = nn.Parameter(torch.empty(2 * ci))
        nn.init.uniform_(self.concat_project, -1.0 / (2 * ci) ** 0.5, 1.0 / (2 * ci) ** 0.5)
        self.out = nn.Linear(ci, channels)
        self.bn = nn.BatchNorm1d(channels)
        nn.init.zeros_(self.bn.weight)
        nn.init.zeros_(self.bn.bias)
        if groups is not None:
            groups = [list(g) for g in groups]
            size = max(len(g) for g in groups)
            idx = [g + [g[0]] * (size - len(g)) for g in groups]
            self.register_buffer("group_index", torch.tensor(idx, dtype=torch.long), persistent=False)  # (G, S)
            self.num_positions = len(groups)
        else:
            self.group_index = None

    def _projection(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``[w_1^T W_theta | W_phi | W_g]`` as one ``(C, 1 + 2C')`` matrix and its bias."""
        ci = self.inter_channels
        w1 = self.concat_project[:ci]
        weight = torch.cat([(w1 @ self.theta.weight).unsqueeze(0), self.phi.weight, self.g.weight]).t()
        bias = torch.cat([(w1 @ self.theta.bias).view(1), self.phi.bias, self.g.bias])
        return weight.contiguous(), bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return batch_major(self.forward_jm, x)

    def forward_jm(self, x: torch.Tensor) -> torch.Tensor:
        """Joint-major ``(J, B, C) -> (J, B, C)``."""
        ci = self.inter_channels
        weight, bias = inference_cached(
            self, "projection", [self.theta.weight, self.theta.bias, self.phi.weight, self.phi.bias,
                                 self.g.weight, self.g.bias, self.concat_project], self._projection)
        p = torch.matmul(x, weight) + bias  # (J, B, 1 + 2C')
        a = p[..., 0]  # (J, B): w_1 . theta_i
        pg = p[..., 1:]  # (J, B, 2C'): [phi | g]
        if self.group_index is not None:
            pg = pg[self.group_index].amax(dim=1)  # (G, B, 2C')
        n = self.num_positions if self.group_index is not None else x.shape[0]
        b = torch.matmul(pg[..., :ci], self.concat_project[ci:])  # (N, B): w_2 . phi_j
        f = (F.relu(a.unsqueeze(1) + b.unsqueeze(0)) / n).permute(2, 0, 1).contiguous()  # (B, J, N)
        y = torch.bmm(f, pg[..., ci:].transpose(0, 1).contiguous())  # (B, J, C')
        y = y.transpose(0, 1).contiguous()  # joint-major again (C' channels: the cheap side)
        if isinstance(self.bn, nn.Identity):  # folded: no batch norm; the residual added in place
            return self.out(y).add_(x)
        return x + batch_norm_last(self.bn, self.out(y))

    def fold_bn_(self) -> None:
        """Fold the (evaluation-mode) batch norm into the output projection ``W_z``."""
        if isinstance(self.bn, nn.Identity):
            return
        s, t = bn_scale_shift(self.bn)
        with torch.no_grad():
            self.out.weight.mul_(s.unsqueeze(1))
            self.out.bias.mul_(s).add_(t)
        self.bn = nn.Identity()

    def extra_repr(self) -> str:
        n = "all" if self.group_index is None else f"{self.group_index.shape[0]} groups"
        return f"channels={self.channels}, inter={self.inter_channels}, pooled={n}"
