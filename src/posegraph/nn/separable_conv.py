"""Per-position channel mixing: the pointwise (1x1) convolution and its depthwise-separable form.

Both operate on ``(N, C, L)`` tensors, where ``L`` is any flattened set of positions (for the
space-time layers ``L = T * V``); a 1x1 convolution over ``(N, C, T, V)`` is exactly the same
map, applied to the flattened view. They are written as batched matrix products rather than
``nn.Conv2d`` calls because on CPU ``baddbmm`` is 3-6x faster than the 1x1 ``conv2d`` path at
large batch, for identical maths (and the parameter shapes/counts equal those of a 1x1 conv
with bias).
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["PointwiseConv", "DepthwiseConv", "DepthwiseSeparableConv"]


class PointwiseConv(nn.Module):
    r"""1x1 convolution (a per-position linear map over channels).

    .. math::  Y_{n,o,l} = \sum_{c} W_{o,c}\, X_{n,c,l} + b_o

    Shapes: ``X`` is ``(N, C_in, L)``, ``Y`` is ``(N, C_out, L)``; ``W`` is ``(C_out, C_in)``.
    Initialised as PyTorch's ``nn.Conv2d`` (Kaiming-uniform with ``a = sqrt(5)``, bias
    ``U(-1/sqrt(C_in), 1/sqrt(C_in))``).
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_channels)
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        w = self.weight.unsqueeze(0).expand(n, -1, -1)
        if self.bias is None:
            return torch.bmm(w, x)
        return torch.baddbmm(self.bias.view(1, -1, 1), w, x)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, bias={self.bias is not None}"


class DepthwiseConv(nn.Module):
    r"""Depthwise 1x1 convolution (``groups = C_in``, channel multiplier ``k``).

    .. math::  Y_{n,ck+j,l} = w_{ck+j}\, X_{n,c,l} + b_{ck+j}, \qquad j = 0..k-1

    i.e. each input channel is scaled and shifted independently (``k`` times). Parameters:
    ``2 * C_in * k``.
    """

    def __init__(self, channels: int, multiplier: int = 1):
        super().__init__()
        if multiplier < 1:
            raise ValueError(f"depth multiplier must be >= 1, not {multiplier}")
        self.channels = channels
        self.multiplier = multiplier
        self.weight = nn.Parameter(torch.empty(channels * multiplier, 1))
        self.bias = nn.Parameter(torch.empty(channels * multiplier, 1))
        # nn.Conv2d's default for fan_in = 1: U(-1, 1) for both weight and bias.
        nn.init.uniform_(self.weight, -1.0, 1.0)
        nn.init.uniform_(self.bias, -1.0, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.multiplier > 1:
            x = x.repeat_interleave(self.multiplier, dim=1)
        return torch.addcmul(self.bias, self.weight, x)

    def extra_repr(self) -> str:
        return f"{self.channels}, multiplier={self.multiplier}"


class DepthwiseSeparableConv(nn.Module):
    r"""Depthwise-separable 1x1 convolution (MobileNet-style, as used by SeS-GCN).

    .. math::  Y = W_{pw}\;\mathrm{ReLU6}\big(\mathrm{Dropout}(\mathrm{BN}(w_{dw} \odot X + b_{dw}))\big) + b_{pw}

    a depthwise 1x1 convolution (per-channel scale and shift, multiplier ``k``), batch norm,
    dropout (``dropout``; SeS-GCN's code uses 0.1 here), ReLU6, then a pointwise 1x1
    convolution ``C_in * k -> C_out``. Shapes ``(N, C, L)``.
    Parameters: ``2 C_in k`` (depthwise) ``+ 2 C_in k`` (BN) ``+ C_out C_in k + C_out``.
    """

    def __init__(self, in_channels: int, out_channels: int, multiplier: int = 1, dropout: float = 0.0):
        super().__init__()
        self.depthwise = DepthwiseConv(in_channels, multiplier)
        self.bn = nn.BatchNorm1d(in_channels * multiplier)
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()
        self.act = nn.ReLU6()
        self.pointwise = PointwiseConv(in_channels * multiplier, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.act(self.dropout(self.bn(self.depthwise(x)))))
