"""Temporal convolutional decoder of STS-GCN / SeS-GCN: time treated as channels.

The encoder's output ``(N, C, T_in, V)`` is read as an image with ``T_in`` channels on a
``C x V`` grid (coordinates x joints); 2D convolutions over that grid map the ``T_in`` past
frames to ``T_out`` future frames.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["TemporalConvDecoder"]


class TemporalConvDecoder(nn.Module):
    r"""Temporal convolutional network (TCN) that maps ``T_in`` frames to ``T_out`` frames.

    With ``H_0 = X`` of shape ``(N, T_in, C, V)`` (frames as channels):

    .. math::

        H_1 = \mathrm{PReLU}_1\big(\mathrm{Drop}(\mathrm{BN}(\mathrm{Conv}_{T_{in}\to T_{out}}(H_0)))\big)

        H_l = \mathrm{PReLU}_l\big(\mathrm{Drop}(\mathrm{BN}(\mathrm{Conv}_{T_{out}\to T_{out}}(H_{l-1})))\big)
              + H_{l-1}, \qquad l = 2..L

    Every ``Conv`` is a ``k x k`` 2D convolution over the ``(C, V)`` grid with "same" padding
    and bias; each PReLU has one slope. Output ``(N, T_out, C, V)``.
    Parameters: ``T_out (T_in k^2 + 1) + 2 T_out + 1 + (L-1) (T_out (T_out k^2 + 1) + 2 T_out + 1)``.
    """

    def __init__(self, in_frames: int, out_frames: int, num_layers: int = 4, kernel_size: int = 3,
                 dropout: float = 0.0):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, not {num_layers}")
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, not {kernel_size}")
        pad = kernel_size // 2
        self.convs = nn.ModuleList()
        for i in range(num_layers):
            cin = in_frames if i == 0 else out_frames
            self.convs.append(nn.Sequential(
                nn.Conv2d(cin, out_frames, kernel_size, padding=pad),
                nn.BatchNorm2d(out_frames),
                nn.Dropout(dropout),
            ))
        self.acts = nn.ModuleList(nn.PReLU() for _ in range(num_layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.acts[0](self.convs[0](x))
        for conv, act in zip(self.convs[1:], self.acts[1:]):
            x = act(conv(x)) + x
        return x
