r"""Semantic graph convolution (Zhao et al., CVPR 2019, "Semantic graph convolutional
networks for 3D human pose regression").

A learnable logit ``m_{ij}`` sits on every entry of the support of ``A + I`` (one per
directed edge plus one per self loop); entries outside the support are ``-inf``, so a row
softmax ``\rho`` gives them a weight of exactly 0:

.. math::

    \hat A = \rho(M \odot (A + I)), \qquad
    X' = (\hat A \circ I) X W_0 + (\hat A \circ (1 - I)) X W_1 + b .

Channel-wise variant (``channel_wise=True``, the paper's extension): one logit vector per
output channel ``d``, softmax per channel,

.. math::

    x'_{i,d} = \hat a^{d}_{ii} (X W_0)_{i,d} + \sum_{j \ne i} \hat a^{d}_{ij} (X W_1)_{j,d} + b_d .

The logits are stored as a vector ``e`` (``E`` entries, or ``C_out x E``) in the order of
:attr:`SemGraphConv.edge_index` (row-major non-zeros of ``A + I``) and scattered into the
dense ``J x J`` matrix by a fixed one-hot matmul (no index writes, ONNX-friendly).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .graph_conv import as_adjacency, batch_major, graph_mix, inference_cached, scale_output_
from .inits import bias_uniform, xavier

__all__ = ["SemGraphConv"]


class SemGraphConv(nn.Module):
    """Semantic graph convolution (SemGCN), optionally channel-wise.

    Args:
        in_features, out_features: channels.
        adjacency: skeleton (or name) or ``J x J`` adjacency; self loops are added.
        channel_wise: one set of edge logits per output channel.
        bias: learnable bias.
    """

    def __init__(self, in_features: int, out_features: int, adjacency, channel_wise: bool = False,
                 bias: bool = True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.channel_wise = bool(channel_wise)
        A = as_adjacency(adjacency)
        A = A + np.eye(A.shape[0])
        J = A.shape[0]
        rows, cols = np.nonzero(A)
        E = len(rows)
        scatter = np.zeros((E, J * J), dtype=np.float32)
        scatter[np.arange(E), rows * J + cols] = 1.0
        self.num_joints, self.num_edges = J, E
        self.register_buffer("edge_index", torch.tensor(np.stack([rows, cols]), dtype=torch.long))
        self.register_buffer("scatter", torch.tensor(scatter))
        self.register_buffer("mask", torch.tensor(A > 0))
        self.register_buffer("eye", torch.eye(J))
        self.W = xavier(2, in_features, out_features, gain=1.414)
        shape = (out_features, E) if self.channel_wise else (E,)
        self.e = nn.Parameter(torch.ones(shape))
        self.bias = bias_uniform(out_features, bias)

    def attention(self) -> torch.Tensor:
        """The normalised adjacency ``rho(M ⊙ (A+I))``: ``(J, J)`` or ``(C_out, J, J)``."""
        J = self.num_joints
        logits = torch.matmul(self.e, self.scatter)
        logits = logits.reshape(self.e.shape[:-1] + (J, J))
        logits = logits.masked_fill(~self.mask, float("-inf"))
        return F.softmax(logits, dim=-1)

    def _terms(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(diag, off)``: the self weights ``rho_ii`` -- ``(J, 1)``, or ``(J, C_out)``
        channel-wise -- and the off-diagonal ``rho ∘ (1 - I)``. They depend only on the edge
        logits, so at inference they are computed once (:func:`~.graph_conv.inference_cached`)."""
        def compute():
            att = self.attention()
            if self.channel_wise:
                diag = torch.diagonal(att, dim1=-2, dim2=-1).transpose(0, 1)  # (J, C_out)
            else:
                diag = torch.diagonal(att).unsqueeze(-1)  # (J, 1)
            return diag, att * (1 - self.eye)  # off: (J, J) or (C_out, J, J)
        return inference_cached(self, "terms", [self.e], compute)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return batch_major(self.forward_jm, x)

    def forward_jm(self, x: torch.Tensor) -> torch.Tensor:
        """Joint-major ``(J, B, C_in) -> (J, B, C_out)``: scalar weights go through
        :func:`~.graph_conv.graph_mix` (shared ``W_0`` scaled by ``rho_ii`` per joint, shared ``W_1``)."""
        diag, off = self._terms()
        if not self.channel_wise:
            return graph_mix(x, self.W[0], self.W[1], off, self.bias, self_scale=diag)
        # W0 and W1 in one matmul: x [W0 | W1] -> [h0 | h1]
        W = self.W.permute(1, 0, 2).reshape(self.in_features, 2 * self.out_features)
        h0, h1 = torch.matmul(x, W).split(self.out_features, -1)
        out = diag.unsqueeze(1) * h0 + torch.einsum("dij,jbd->ibd", off, h1)
        return out if self.bias is None else out + self.bias

    def scale_output_(self, scale: torch.Tensor, shift: torch.Tensor) -> None:
        """Fold a per-channel affine map of the output (an eval-mode batch norm) into the layer."""
        scale_output_([self.W], self.bias, scale, shift, self)

    def extra_repr(self) -> str:
        cw = ", channel_wise" if self.channel_wise else ""
        return f"{self.in_features} -> {self.out_features}, joints={self.num_joints}, edges={self.num_edges}{cw}"
