r"""Vanilla graph convolution (Kipf & Welling, ICLR 2017).

.. math::

    X' = \hat A X W + b, \qquad \hat A = D^{-1/2} (A + I) D^{-1/2},

with ``D`` the degree matrix of ``A + I``. One weight ``W`` is shared by every node and every
edge. ``X`` is ``(B, J, C_in)``; the product with ``\hat A`` is one dense matmul over all joints.

**Joint-major layout.** Every lifting graph layer also has ``forward_jm`` on *joint-major*
features ``(J, B, C)``, which the residual models use internally. In that layout both
products of a graph convolution are single large matrix products with no copies: the feature
transform is ``(J B, C_in) @ (C_in, C_out)`` and the mixing over joints is
``(J, J) @ (J, B C_out)``, where the batch-major layout needs ``B`` tiny ``J x J`` products.
``forward(x) = forward_jm(x^T)^T`` (the same numbers), so the batch-major API stays.

This module also holds the helpers that the other layers of :mod:`posegraph.nn` share
(:func:`as_adjacency`, :func:`normalize_adjacency`, :func:`graph_mix`, :func:`inference_cached`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import ShapeError
from ..skeleton import Skeleton, get_skeleton
from .inits import bias_uniform, xavier

__all__ = ["GraphConv", "as_adjacency", "normalize_adjacency", "graph_mix", "inference_cached", "freeze_inference_caches",
           "batch_major"]


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


def inference_cached(module: nn.Module, name: str, sources, compute):
    """``compute()`` -- weights derived from parameters -- cached on ``module`` while gradients are
    off (inference, export). The cache is keyed on the sources' version counters (bumped by every
    optimizer step and ``load_state_dict``), devices and dtypes; with gradients on, or while
    ``torch.compile``/tracing, it is recomputed on every call -- unless the module was frozen
    for inference (:func:`freeze_inference_caches`), when the cached value is a constant."""
    frozen = module.__dict__.get("_frozen_cache")
    if frozen is not None and name in frozen:
        return frozen[name]
    if torch.is_grad_enabled() or torch.compiler.is_compiling() or torch.jit.is_tracing():
        return compute()
    key = tuple((t._version, t.device, t.dtype, t.data_ptr()) for t in sources if t is not None)
    cache = module.__dict__.setdefault("_inference_cache", {})
    hit = cache.get(name)
    if hit is not None and hit[0] == key:
        return hit[1]
    value = compute()
    cache[name] = (key, value)
    return value


def freeze_inference_caches(model: nn.Module) -> nn.Module:
    """Make every filled :func:`inference_cached` value a constant of its module, so that a
    traced or compiled graph (ONNX export, ``torch.compile``) holds the derived weights instead
    of recomputing them from the parameters on every call. Only for a model that is no longer
    trained or moved (see :meth:`posegraph.pipeline.Pipeline.for_inference`)."""
    for m in model.modules():
        cache = m.__dict__.get("_inference_cache")
        if cache:
            m.__dict__["_frozen_cache"] = {k: v for k, (_, v) in cache.items()}
    return model


def graph_mix(x: torch.Tensor, self_weight: torch.Tensor, nbr_weight: torch.Tensor, off: torch.Tensor,
              bias: torch.Tensor | None = None, self_scale: torch.Tensor | None = None) -> torch.Tensor:
    r"""``x'_i = s_i \odot (x_i W^{self}_{(i)}) + \sum_{j \ne i} o_{ij}\, x_j W^{nbr}_{(j)} + b`` on
    joint-major ``x`` ``(J, B, C_in)``: the self and neighbour transforms as single products over
    all joints (or ``J`` batched ones for per-joint weights) and the mixing over joints as one
    ``(J, J) @ (J, B C_out)`` product accumulated in place.

    ``self_weight``: ``(C_in, C_out)`` shared, scaled per joint by ``self_scale`` (``(J, 1)`` or
    ``(J, C_out)``, e.g. ``\hat a_{ii}``), or ``(J, C_in, C_out)`` per joint (scale folded in);
    ``nbr_weight``: ``(C_in, C_out)`` shared or ``(J, C_in, C_out)`` per source joint; ``off``:
    ``(J, J)`` with a zero diagonal; ``bias``: ``(C_out,)`` or broadcastable to ``(J, B, C_out)``.
    Shared weights keep batch-1 inference light (each weight is read once, not ``J`` times).
    """
    J, cout = off.shape[0], self_weight.shape[-1]  # static sizes (the batch stays symbolic when traced)
    x = x.contiguous()
    if self_weight.dim() == 2:
        h0 = torch.matmul(x, self_weight)
        scale = self_scale.unsqueeze(1)  # (J, 1, 1 | C_out)
        out = h0 * scale if bias is None else torch.addcmul(bias, h0, scale)
    else:
        out = torch.bmm(x, self_weight) if bias is None else torch.baddbmm(bias, x, self_weight)
    h = torch.matmul(x, nbr_weight)  # (J, B, C_out): one (J B, C_in) product, or J batched ones
    return out.view(J, -1).addmm_(off, h.view(J, -1)).view(J, -1, cout)


def batch_major(forward_jm, x: torch.Tensor, *args):
    """Run a joint-major ``forward_jm`` on batch-major ``x`` ``(B, J, C)``; ``(B, J, C')`` back."""
    return forward_jm(x.transpose(0, 1), *args).transpose(0, 1)


def scale_output_(weights, bias: nn.Parameter | None, scale: torch.Tensor, shift: torch.Tensor,
                  owner: nn.Module, bias_name: str = "bias") -> None:
    """Fold ``y -> scale * y + shift`` (per output channel, e.g. an eval-mode batch norm) into a
    layer whose output is linear in ``weights`` (last dim = output channels) plus ``bias``."""
    with torch.no_grad():
        for w in weights:
            w.mul_(scale)
        if bias is None:
            setattr(owner, bias_name, nn.Parameter(shift.clone()))
        else:
            bias.mul_(scale).add_(shift)


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
        self.weight = xavier(in_features, out_features, gain=1.414)
        self.bias = bias_uniform(out_features, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return batch_major(self.forward_jm, x)

    def forward_jm(self, x: torch.Tensor) -> torch.Tensor:
        """Joint-major ``(J, B, C_in) -> (J, B, C_out)``."""
        J = self.adj.shape[0]
        h = torch.matmul(x, self.weight)
        out = torch.mm(self.adj, h.reshape(J, -1)).view(J, -1, self.out_features)
        return out if self.bias is None else out + self.bias

    def scale_output_(self, scale: torch.Tensor, shift: torch.Tensor) -> None:
        """Fold a per-channel affine map of the output (an eval-mode batch norm) into the layer."""
        scale_output_([self.weight], self.bias, scale, shift, self)

    def extra_repr(self) -> str:
        return f"{self.in_features} -> {self.out_features}, joints={self.adj.shape[0]}"
