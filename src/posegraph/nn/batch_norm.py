r"""Batch norm on channels-last features, and folding it into the layer before it.

In evaluation mode a batch norm is a fixed per-channel affine map,

.. math::

    \mathrm{BN}(y) = s \odot y + t, \qquad s = \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}}, \qquad
    t = \beta - s \odot \mu ,

so after a layer whose output is linear in its weights (``y = f(x; W) + b``, output channels
last) it can be removed by scaling the weights' output channels by ``s`` and setting
``b \leftarrow s \odot b + t`` (:func:`fold_batch_norms`). This removes a full pass over the
features per layer at inference; training is unchanged.
"""

from __future__ import annotations

import copy
from typing import Protocol, runtime_checkable

import torch
from torch import nn

__all__ = ["batch_norm_last", "bn_scale_shift", "fold_batch_norms", "FoldsBatchNorm"]


@runtime_checkable
class FoldsBatchNorm(Protocol):
    """A block that can fold its (evaluation-mode) batch norm into the layer before it, in place
    (e.g. :class:`posegraph.models.base.ConvBNReLU`, :class:`posegraph.nn.NonLocalBlock`)."""

    def fold_bn_(self) -> None: ...


def batch_norm_last(bn: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply a ``BatchNorm1d`` (or ``Identity``) over the last dim of ``x`` (any leading dims)."""
    if isinstance(bn, nn.Identity):
        return x
    c = x.shape[-1]
    return bn(x.reshape(-1, c)).view(x.shape)


def bn_scale_shift(bn: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    """``(s, t)`` with ``BN(y) = s * y + t`` in evaluation mode."""
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("cannot fold a batch norm without running statistics")
    s = torch.rsqrt(bn.running_var + bn.eps)
    if bn.weight is not None:
        s = s * bn.weight
    t = -bn.running_mean * s
    if bn.bias is not None:
        t = t + bn.bias
    return s.detach(), t.detach()


def fold_batch_norms(model: nn.Module) -> nn.Module:
    """An evaluation-mode copy of ``model`` with every foldable batch norm folded into the layer
    before it (modules that are :class:`FoldsBatchNorm`). Outputs match ``model.eval()`` to float
    rounding; ``model`` itself is not changed."""
    folded = copy.deepcopy(model).eval()
    for m in list(folded.modules()):
        if isinstance(m, FoldsBatchNorm):
            m.fold_bn_()
    return folded
