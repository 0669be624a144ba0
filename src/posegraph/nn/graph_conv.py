r"""Vanilla graph convolution (Kipf & Welling, ICLR 2017).

.. math::

    X' = \hat A X W + b, \qquad \hat A = D^{-1/2} (A + I) D^{-1/2},

with ``D`` the degree matrix of ``A + I``. One weight ``W`` is shared by every node and every
edge. ``X`` is ``(B, J, C_in)``; the product with ``\hat A`` is one dense matmul over all joints.

This module also holds the small adjacency helpers that the other layers of
:mod:`posegraph.nn` share (:func:`as_adjacency`, :func:`normalize_adjacency`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..errors import ShapeError
from ..skeleton import Skeleton, get_skeleton

__all__ = ["GraphConv", "as_adjacency", "normalize_adjacency"]


def as_adjacency(graph) -> np.ndarray:
    """Binary ``J x J`` adjacency (float64, symmetric, zero diagonal) of ``graph``.

    ``graph`` is a :class:`~posegraph.skeleton.Skeleton`, a skeleton name, or a square
    array/tensor whose non-zero off-diagonal entries are the edges (the diagonal is ignored:
    the layers add self loops themselves).
    """
    if isinstance(graph, (str, Skeleton)):
        A = get_skeleton(graph).adjacency(self_loops=False).astype(np.float64)
    else:
        if isinstance(graph, torch.Tensor):
            graph = graph.detach().cpu().numpy()
        A = np.asarray(graph, dtype=np.float64)
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ShapeError(f"adjacency must be a square matrix, got shape {A.shape}")
        A = (A != 0).astype(np.float64)
        A = np.maximum(A, A.T)
    np.fill_diagonal(A, 0.0)
    return A


def normalize_adjacency(A: np.ndarray, mode: str | None = "sym", self_loops: bool = True) -> np.ndarray:
    """``D^-1/2 (A+I) D^-1/2`` (``"sym"``), ``D^-1 (A+I)`` (``"row"``) or ``A+I`` (``None``)."""
    A = np.asarray(A, dtype=np.float64)
    if self_loops:
        A = A + np.eye(A.shape[0])
    d = A.sum(1)
    if mode is None:
        return A
    if mode == "sym":
        inv = np.where(d > 0, d ** -0.5, 0.0)
        return inv[:, None] * A * inv[None, :]
    if mode == "row":
        return A / np.where(d > 0, d, 1.0)[:, None]
    raise ValueError(f"normalize must be None, 'sym' or 'row', not {mode!r}")


def _xavier(*shape: int, gain: float = 1.0) -> nn.Parameter:
    w = torch.empty(*shape)
    fan_in, fan_out = shape[-2], shape[-1]
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    nn.init.uniform_(w, -bound, bound)
    return nn.Parameter(w)


def _bias(out_features: int, enabled: bool) -> nn.Parameter | None:
    if not enabled:
        return None
    b = torch.empty(out_features)
    nn.init.uniform_(b, -1.0 / math.sqrt(out_features), 1.0 / math.sqrt(out_features))
    return nn.Parameter(b)


class GraphConv(nn.Module):
    r"""Vanilla graph convolution ``X' = \hat A X W + b`` with ``\hat A = D^{-1/2}(A+I)D^{-1/2}``.

    Args:
        in_features, out_features: channels ``C_in`` and ``C_out``.
        adjacency: skeleton (or name) or ``J x J`` adjacency (edges = non-zeros).
        bias: add a learnable bias ``b``.
        normalize: ``"sym"`` (the paper's), ``"row"`` or ``None``.
    """

    def __init__(self, in_features: int, out_features: int, adjacency, bias: bool = True,
                 normalize: str | None = "sym"):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        A = normalize_adjacency(as_adjacency(adjacency), normalize)
        self.register_buffer("adj", torch.tensor(A, dtype=torch.float32))
        self.weight = _xavier(in_features, out_features, gain=1.414)
        self.bias = _bias(out_features, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.matmul(self.adj, torch.matmul(x, self.weight))
        if self.bias is not None:
            out = out + self.bias
        return out

    def extra_repr(self) -> str:
        return f"{self.in_features} -> {self.out_features}, joints={self.adj.shape[0]}"
