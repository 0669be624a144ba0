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

from .graph_conv import as_adjacency, graph_mix, normalize_adjacency, scale_output_
from .inits import bias_uniform, xavier_stack

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
        # The five (three without the global update) matrices are drawn as one stacked
        # (K, C_in, C_out) Xavier tensor, the scale SemGCN's family of code (SemGCN, the
        # modulated GCN by the same authors) gives its layers (see posegraph.nn.inits.xavier_stack).
        self.update_global = bool(update_global)
        ws = xavier_stack(5 if self.update_global else 3, in_features, out_features, gain=1.414)
        self.Q, self.W, self.T = ws[:3]
        self.bias = bias_uniform(out_features, bias)
        if self.update_global:
            self.R, self.S = ws[3:]
            self.bias_global = bias_uniform(out_features, bias)

    def forward(self, x: torch.Tensor, u: torch.Tensor | None = None):
        local, glob = self.forward_jm(x.transpose(0, 1), u)
        return local.transpose(0, 1), glob

    def forward_jm(self, x: torch.Tensor, u: torch.Tensor | None = None):
        """Joint-major joints ``(J, B, C_in)`` and global node ``(B, C_in)`` (``None``: zero)."""
        shift = self.bias
        if u is not None:  # T x_u, the same for every joint: part of the bias of this sample
            tu = torch.mm(u, self.T)
            shift = tu if shift is None else tu + shift
        local = graph_mix(x, self.Q, self.W, self.adj_nbr, shift, self_scale=self.adj_self)
        if not self.update_global:
            return local, None
        glob = torch.mm(x.mean(dim=0), self.R)
        if u is not None:
            glob = glob.addmm_(u, self.S)
        if self.bias_global is not None:
            glob = glob + self.bias_global
        return local, glob

    def scale_output_(self, scale, shift, scale_global=None, shift_global=None) -> None:
        """Fold per-channel affine maps of the joints' (and the global node's) outputs."""
        scale_output_([self.Q, self.W, self.T], self.bias, scale, shift, self)
        if scale_global is not None:
            scale_output_([self.R, self.S], self.bias_global, scale_global, shift_global, self, "bias_global")

    def extra_repr(self) -> str:
        return f"{self.in_features} -> {self.out_features}, joints={self.adj_nbr.shape[0]}"
