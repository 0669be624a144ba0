r"""Graph convolution with a global node (Liu, Zou & Tang, ACCV 2020, "Learning global pose
features in graph convolutional networks for 3D human pose estimation", eqs. 4-5).

A virtual node ``u`` is connected to every joint. With ``\hat A = D^{-1/2}(A+I)D^{-1/2}``
over the skeleton joints and five distinct weights ``Q, W, T, R, S``:

.. math::

    x'_i &= Q x_i \hat a_{ii} + \sum_{j \in \mathcal N(i)} W x_j \hat a_{ij} + T x_u + b,  \\
    x'_u &= \frac{1}{N} \sum_{j=1}^{N} R x_j + S x_u + b_u .

The global node starts as a zero vector (:meth:`GlobalNodeConv.forward` with ``u=None``).
Batched: ``X' = diag(\hat A) \odot XQ + (\hat A \circ (1-I)) XW + 1 (x_u T)``.
"""

from __future__ import annotations

import torch
from torch import nn

from .graph_conv import _bias, _xavier, as_adjacency, normalize_adjacency

__all__ = ["GlobalNodeConv"]


class GlobalNodeConv(nn.Module):
    """Local + global node graph convolution; ``forward(x, u) -> (x', u')``.

    Args:
        in_features, out_features: channels of both the joints and the global node.
        adjacency: skeleton (or name) or ``J x J`` adjacency.
        update_global: compute ``x'_u`` (``False`` for an output layer whose global output is
            unused; then ``R``, ``S`` do not exist and ``u'`` is returned as ``None``).
    """

    def __init__(self, in_features: int, out_features: int, adjacency, bias: bool = True,
                 update_global: bool = True, normalize: str | None = "sym"):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        A = torch.tensor(normalize_adjacency(as_adjacency(adjacency), normalize), dtype=torch.float32)
        eye = torch.eye(A.shape[0])
        self.register_buffer("adj_self", torch.diagonal(A).unsqueeze(-1).clone())
        self.register_buffer("adj_nbr", A * (1 - eye))
        self.Q = _xavier(in_features, out_features, gain=1.414)
        self.W = _xavier(in_features, out_features, gain=1.414)
        self.T = _xavier(in_features, out_features, gain=1.414)
        self.bias = _bias(out_features, bias)
        self.update_global = bool(update_global)
        if self.update_global:
            self.R = _xavier(in_features, out_features, gain=1.414)
            self.S = _xavier(in_features, out_features, gain=1.414)
            self.bias_global = _bias(out_features, bias)

    def forward(self, x: torch.Tensor, u: torch.Tensor | None = None):
        if u is None:
            u = torch.zeros_like(x[:, 0, :])  # the global node starts at zero
        local = (self.adj_self * torch.matmul(x, self.Q)
                 + torch.matmul(self.adj_nbr, torch.matmul(x, self.W))
                 + torch.matmul(u, self.T).unsqueeze(1))
        if self.bias is not None:
            local = local + self.bias
        if not self.update_global:
            return local, None
        glob = torch.matmul(x.mean(dim=1), self.R) + torch.matmul(u, self.S)
        if self.bias_global is not None:
            glob = glob + self.bias_global
        return local, glob

    def extra_repr(self) -> str:
        return f"{self.in_features} -> {self.out_features}, joints={self.adj_nbr.shape[0]}"
