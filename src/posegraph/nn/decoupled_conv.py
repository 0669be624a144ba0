r"""Decoupled graph convolution (Liu et al., ECCV 2020, "A comprehensive study of weight
sharing in graph networks for 3D human pose estimation", eq. 3).

.. math::

    x'_i = Q x_i \hat a_{ii} + \sum_{j \in \mathcal N(i)} W x_j \hat a_{ij} + b,

with ``\hat A = D^{-1/2}(A+I)D^{-1/2}``: the node itself gets its own transform ``Q``, every
neighbour shares ``W``. Batched: ``X' = diag(\hat A) \odot (X Q) + (\hat A \circ (1-I)) X W``.
"""

from __future__ import annotations

import torch
from torch import nn

from .graph_conv import as_adjacency, batch_major, graph_mix, normalize_adjacency, scale_output_
from .inits import bias_uniform, xavier_stack

__all__ = ["DecoupledGraphConv"]


class DecoupledGraphConv(nn.Module):
    """Graph convolution with separate self (``Q``) and neighbour (``W``) weights."""

    def __init__(self, in_features: int, out_features: int, adjacency, bias: bool = True,
                 normalize: str | None = "sym"):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        A = torch.tensor(normalize_adjacency(as_adjacency(adjacency), normalize), dtype=torch.float32)
        eye = torch.eye(A.shape[0])
        self.register_buffer("adj_self", torch.diagonal(A).unsqueeze(-1).clone())  # (J, 1)
        self.register_buffer("adj_nbr", A * (1 - eye))  # (J, J)
        # drawn as one stacked (2, C_in, C_out) Xavier tensor, as SemGCN's code draws its
        # self/neighbour weight pair (the same two matrices without edge weights)
        self.Q, self.W = xavier_stack(2, in_features, out_features, gain=1.414)
        self.bias = bias_uniform(out_features, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return batch_major(self.forward_jm, x)

    def forward_jm(self, x: torch.Tensor) -> torch.Tensor:
        """Joint-major ``(J, B, C_in) -> (J, B, C_out)`` (see :func:`~.graph_conv.graph_mix`)."""
        return graph_mix(x, self.Q, self.W, self.adj_nbr, self.bias, self_scale=self.adj_self)

    def scale_output_(self, scale: torch.Tensor, shift: torch.Tensor) -> None:
        """Fold a per-channel affine map of the output (an eval-mode batch norm) into the layer."""
        scale_output_([self.Q, self.W], self.bias, scale, shift, self)

    def extra_repr(self) -> str:
        return f"{self.in_features} -> {self.out_features}, joints={self.adj_nbr.shape[0]}"
