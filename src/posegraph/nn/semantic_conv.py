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

from .graph_conv import _bias, _xavier, as_adjacency

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
        self.W = _xavier(2, in_features, out_features, gain=1.414)
        shape = (out_features, E) if self.channel_wise else (E,)
        self.e = nn.Parameter(torch.ones(shape))
        self.bias = _bias(out_features, bias)

    def attention(self) -> torch.Tensor:
        """The normalised adjacency ``rho(M ⊙ (A+I))``: ``(J, J)`` or ``(C_out, J, J)``."""
        J = self.num_joints
        logits = torch.matmul(self.e, self.scatter)
        logits = logits.reshape(self.e.shape[:-1] + (J, J))
        logits = logits.masked_fill(~self.mask, float("-inf"))
        return F.softmax(logits, dim=-1)

    def _terms(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(diag, off)``: the self weights ``rho_ii`` and the off-diagonal ``rho ∘ (1 - I)``.

        They depend only on the edge logits, so with gradients off (inference, export) they are
        computed once and reused until the logits change (their version counter, bumped by every
        optimizer step and ``load_state_dict``), or the device/dtype does.
        """
        key = (self.e._version, self.e.device, self.e.dtype)
        if not torch.is_grad_enabled() and getattr(self, "_cache_key", None) == key:
            return self._cache
        att = self.attention()
        if self.channel_wise:
            diag = torch.diagonal(att, dim1=-2, dim2=-1).transpose(0, 1)  # (J, C_out)
        else:
            diag = torch.diagonal(att).unsqueeze(-1)  # (J, 1)
        off = att * (1 - self.eye)  # (J, J) or (C_out, J, J)
        if not torch.is_grad_enabled():
            self._cache_key, self._cache = key, (diag, off)
        return diag, off

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        diag, off = self._terms()
        # W0 and W1 in one matmul: x [W0 | W1] -> [h0 | h1]
        W = self.W.permute(1, 0, 2).reshape(self.in_features, 2 * self.out_features)
        h0, h1 = torch.matmul(x, W).split(self.out_features, dim=-1)
        if self.channel_wise:
            out = diag * h0 + torch.einsum("dij,bjd->bid", off, h1)
        else:
            out = diag * h0 + torch.matmul(off, h1)
        if self.bias is not None:
            out = out + self.bias
        return out

    def extra_repr(self) -> str:
        cw = ", channel_wise" if self.channel_wise else ""
        return f"{self.in_features} -> {self.out_features}, joints={self.num_joints}, edges={self.num_edges}{cw}"
