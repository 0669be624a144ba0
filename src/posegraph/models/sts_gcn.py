"""STS-GCN: Space-Time-Separable Graph Convolutional Network (Sofianos et al., ICCV 2021).

Encoder: four space-time separable graph convolution layers
(:class:`~posegraph.nn.space_time_conv.SpaceTimeGraphConv`), channels ``3 -> 64 -> 32 -> 64 -> 3``,
each ``H = PReLU(Dropout(BN(W (A^s o A^t)(X) + b)) + R(X))`` with a dense learnable temporal
adjacency per joint (``V x T x T``, applied first) and spatial adjacency per frame
(``T x V x V``). Decoder: a temporal convolutional network with the frames as channels
(:class:`~posegraph.nn.temporal_decoder.TemporalConvDecoder`): a ``3 x 3`` convolution
``T_in -> T_out`` then ``num_tcn_layers - 1`` residual ``T_out -> T_out`` ones, each with BN and
PReLU. Trained with MPJPE.

Input ``(B, 10, V, 3)`` pelvis-relative joints in metres (25 fps); output ``(B, 25, V, 3)``.
"""

from __future__ import annotations

from .forecast_base import SpaceTimeForecaster
from .registry import register_model

__all__ = ["STSGCN"]


@register_model("sts-gcn", task="forecast")
class STSGCN(SpaceTimeForecaster):
    """STS-GCN forecaster.

    Args:
        skeleton: joint set name (or :class:`~posegraph.skeleton.Skeleton`).
        input_frames, output_frames: past and future frame counts (``T_in``, ``T_out``).
        channels: hidden widths of the encoder (``3 -> channels... -> 3``).
        num_tcn_layers: decoder depth; tcn_kernel_size: its ``k x k`` kernel.
        dropout: encoder dropout; tcn_dropout: decoder dropout (0 as in the paper's code).
        coords: coordinates per joint (3).
        residual: add the last observed pose to the output (predict displacements);
        output_scale: the unit of the network's output (default 1e-3 m with ``residual``);
        canonical_heading: forecast in a frame turned to the last observed hips' heading
        (see :class:`~posegraph.models.forecast_base.SpaceTimeForecaster`).
    """

    def __init__(self, skeleton="h36m17", input_frames: int = 10, output_frames: int = 25,
                 channels=(64, 32, 64), num_tcn_layers: int = 4, dropout: float = 0.1,
                 tcn_kernel_size: int = 3, tcn_dropout: float = 0.0, coords: int = 3, residual: bool = False,
                 output_scale: float | None = None, canonical_heading: bool = False):
        super().__init__(skeleton, input_frames, output_frames, channels, num_tcn_layers, dropout,
                         tcn_kernel_size, tcn_dropout, coords, separable=False, residual=residual,
                         output_scale=output_scale, canonical_heading=canonical_heading)
