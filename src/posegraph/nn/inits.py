"""Parameter initialisers shared by the graph layers of :mod:`posegraph.nn`.

Each returns a fresh :class:`torch.nn.Parameter` drawn from the global torch generator, in the
order the reference implementations draw them (so a seeded model is reproducible and the
numerics pinned by ``tests/test_nn_lift.py`` hold).
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["xavier", "xavier_stack", "bias_uniform"]


def xavier(*shape: int, gain: float = 1.0) -> nn.Parameter:
    """A parameter of ``shape`` drawn by :func:`torch.nn.init.xavier_uniform_`, as the papers' code
    initialises it. For a 2-D ``(C_in, C_out)`` weight the bound is
    ``gain * sqrt(6 / (C_in + C_out))``. For a stacked ``(K, C_in, C_out)`` weight (SemGCN's and
    the modulated GCN's ``W``) torch's fans are ``fan_in = C_in * C_out`` and
    ``fan_out = K * C_out``, which gives much smaller weights than treating each slice as a
    matrix; the reference implementations train from those, so we keep torch's rule."""
    w = torch.empty(*shape)
    nn.init.xavier_uniform_(w, gain=gain)
    return nn.Parameter(w)


def xavier_stack(k: int, in_features: int, out_features: int, gain: float = 1.0) -> list[nn.Parameter]:
    """``k`` separate ``(C_in, C_out)`` parameters drawn as the slices of one stacked
    ``(k, C_in, C_out)`` weight (:func:`xavier` with ``K = k``): the scale SemGCN's family of code
    gives a layer whose weight matrices it stacks, for layers that keep them as separate matrices
    (decoupled and global-node convolutions)."""
    w = xavier(k, in_features, out_features, gain=gain).detach()
    return [nn.Parameter(w[i].clone()) for i in range(k)]


def bias_uniform(out_features: int, enabled: bool = True) -> nn.Parameter | None:
    """A bias of ``out_features`` drawn from ``U(-1/sqrt(C_out), 1/sqrt(C_out))``, or ``None``
    when not ``enabled``."""
    if not enabled:
        return None
    b = torch.empty(out_features)
    nn.init.uniform_(b, -1.0 / math.sqrt(out_features), 1.0 / math.sqrt(out_features))
    return nn.Parameter(b)
