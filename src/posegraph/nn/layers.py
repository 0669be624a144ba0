"""The graph layers by name, and the contract every lifting graph layer keeps.

:data:`GRAPH_CONVS` maps the ``conv`` names that model configs use (``resgcn``'s ``conv``, the
residual blocks of :mod:`posegraph.models.base`) to a constructor
``(in_features, out_features, adjacency) -> layer``; :func:`make_graph_conv` builds one. A new
graph convolution is its own module here plus one entry in :data:`GRAPH_CONVS` (the tests of
``tests/test_nn_lift.py`` run over the table).

:class:`GraphLayer` is the contract (a :class:`typing.Protocol`, checked structurally):
batch-major ``forward`` ``(B, J, C_in) -> (B, J, C_out)``, the same map joint-major in
``forward_jm`` ``(J, B, C_in) -> (J, B, C_out)`` (see :mod:`posegraph.nn.graph_conv`), and
``scale_output_(scale, shift)`` that folds a per-channel affine map of the output (an
evaluation-mode batch norm) into the weights. Blocks that own a batch norm after such a layer
implement :class:`~posegraph.nn.batch_norm.FoldsBatchNorm` (``fold_bn_()``), which
:func:`posegraph.nn.batch_norm.fold_batch_norms` calls on every module that has it.
"""

from __future__ import annotations

from functools import partial
from typing import Callable, Protocol, runtime_checkable

import torch
from torch import nn

from .batch_norm import FoldsBatchNorm
from .decoupled_conv import DecoupledGraphConv
from .graph_conv import GraphConv
from .modulated_conv import ModulatedGraphConv
from .semantic_conv import SemGraphConv

__all__ = ["GRAPH_CONVS", "make_graph_conv", "GraphLayer", "FoldsBatchNorm"]


@runtime_checkable
class GraphLayer(Protocol):
    """A lifting graph layer: batch-major and joint-major forwards, and batch-norm folding."""

    def forward(self, x: torch.Tensor) -> torch.Tensor: ...

    def forward_jm(self, x: torch.Tensor) -> torch.Tensor: ...

    def scale_output_(self, scale: torch.Tensor, shift: torch.Tensor) -> None: ...


GRAPH_CONVS: dict[str, Callable[..., nn.Module]] = {
    "vanilla": GraphConv,
    "decoupled": DecoupledGraphConv,
    "semantic": SemGraphConv,
    "semantic_cw": partial(SemGraphConv, channel_wise=True),
    "modulated": ModulatedGraphConv,
}
"""``conv`` name -> constructor ``(in_features, out_features, adjacency)``."""


def make_graph_conv(kind: str, in_features: int, out_features: int, adjacency) -> nn.Module:
    """A graph convolution of type ``kind`` (a key of :data:`GRAPH_CONVS`)."""
    if kind not in GRAPH_CONVS:
        raise ValueError(f"conv must be one of {', '.join(GRAPH_CONVS)}, not {kind!r}")
    return GRAPH_CONVS[kind](in_features, out_features, adjacency)
