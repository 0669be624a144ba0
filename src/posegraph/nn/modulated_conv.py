r"""Modulated graph convolution (Zou & Tang, ICCV 2021, "Modulated graph convolutional
network for 3D human pose estimation").

*Weight modulation*: one pair of shared weights (``W_0`` for the self loop, ``W_1`` for the
neighbours, as in the paper's SemGCN-style split) and a learnable modulation vector
``m_j`` per node that rescales the transformed feature of node ``j`` channel by channel:

.. math::

    x'_i = \tilde a_{ii} (m_i \odot W_0 x_i) + \sum_{j \ne i} \tilde a_{ij} (m_j \odot W_1 x_j) + b .

*Adjacency modulation*: a learnable ``J x J`` matrix ``Q`` (initialised to ``1e-6``) is added
to the fixed normalised adjacency and the sum is symmetrised,

.. math::

    \tilde A = \tfrac12 \big( (N(A) + Q) + (N(A) + Q)^\top \big),

so that ``Q`` may also create edges between joints that are not connected in the skeleton.
``N`` is the normalisation of ``A + I`` (``"row"``: ``D^{-1}(A+I)``, as in the authors'
release; ``"sym"`` is available). The order "normalise the fixed ``A``, then add ``Q``,
then symmetrise" follows the authors' released code: normalising after adding a free
``Q`` could divide by a vanishing or negative degree. Batched:
``X' = diag(\tilde A) \odot (M \odot X W_0) + (\tilde A \circ (1-I)) (M \odot X W_1) + b``; in the
joint-major layout the modulation is folded into per-joint weights ``\tilde a_{jj} (W_0 \odot m_j)``
and ``W_1 \odot m_j`` (``J`` batched products, no elementwise pass over the features).
"""

from __future__ import annotations

import torch
from torch import nn

from .graph_conv import as_adjacency, batch_major, graph_mix, inference_cached, normalize_adjacency, scale_output_
from .inits import bias_uniform, xavier

__all__ = ["ModulatedGraphConv"]


class ModulatedGraphConv(nn.Module):
    """Graph convolution with weight modulation (``M``) and adjacency modulation (``Q``).

    Args:
        in_features, out_features: channels.
        adjacency: skeleton (or name) or ``J x J`` adjacency.
        weight_modulation: learn ``M`` (``J x C_out``, Xavier-uniform as in the authors' code).
        adjacency_modulation: learn ``Q`` (``J x J``, initialised to ``q_init``).
        normalize: normalisation of the fixed ``A + I`` (``"row"`` as the authors, ``"sym"``).
    """

    def __init__(self, in_features: int, out_features: int, adjacency, bias: bool = True,
                 weight_modulation: bool = True, adjacency_modulation: bool = True,
                 normalize: str | None = "row", q_init: float = 1e-6):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        A = torch.tensor(normalize_adjacency(as_adjacency(adjacency), normalize), dtype=torch.float32)
        J = A.shape[0]
        self.register_buffer("adj", A)
        self.register_buffer("eye", torch.eye(J))
        self.W = xavier(2, in_features, out_features, gain=1.414)
        # W and M as the authors' code draws them: Xavier-uniform (gain 1.414) with torch's fans.
        self.M = xavier(J, out_features, gain=1.414) if weight_modulation else None
        self.Q = nn.Parameter(torch.full((J, J), float(q_init))) if adjacency_modulation else None
        self.bias = bias_uniform(out_features, bias)

    def adjacency(self) -> torch.Tensor:
        """The modulated adjacency ``Ã`` (``J x J``)."""
        A = self.adj if self.Q is None else self.adj + self.Q
        return (A + A.transpose(0, 1)) / 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return batch_major(self.forward_jm, x)

    def _weights(self):
        A = self.adjacency()
        diag = torch.diagonal(A).view(-1, 1, 1)
        w0, w1 = self.W[0], self.W[1]
        if self.M is not None:
            m = self.M.unsqueeze(1)  # (J, 1, C_out)
            w0, w1 = w0 * m, w1 * m  # per joint (J, C_in, C_out)
        return diag * w0, w1, A * (1 - self.eye)

    def forward_jm(self, x: torch.Tensor) -> torch.Tensor:
        """Joint-major ``(J, B, C_in) -> (J, B, C_out)`` (see :func:`~.graph_conv.graph_mix`)."""
        w_self, w_nbr, off = inference_cached(self, "weights", [self.W, self.M, self.Q], self._weights)
        return graph_mix(x, w_self, w_nbr, off, self.bias)

    def scale_output_(self, scale: torch.Tensor, shift: torch.Tensor) -> None:
        """Fold a per-channel affine map of the output (an eval-mode batch norm) into the layer."""
        scale_output_([self.W], self.bias, scale, shift, self)

    def extra_repr(self) -> str:
        return f"{self.in_features} -> {self.out_features}, joints={self.adj.shape[0]}"
