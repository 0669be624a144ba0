"""Shared parts of the space-time GCN forecasters (STS-GCN, SeS-GCN).

Contract: ``forward(x)`` maps past poses ``(B, T_in, V, 3)`` (pelvis-relative, metres) to
future poses ``(B, T_out, V, 3)``; ``loss(out, target)`` returns ``(MPJPE, logs)``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import ShapeError
from ..nn.space_time_conv import SpaceTimeAdjacency, SpaceTimeGraphConv
from ..nn.temporal_decoder import TemporalConvDecoder
from ..skeleton import get_skeleton

__all__ = ["mpjpe", "SpaceTimeForecaster"]


def mpjpe(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    r"""Mean per-joint position error: :math:`\frac{1}{B T V}\sum_{b,t,v} \|\hat p_{btv} - p_{btv}\|_2`."""
    return torch.linalg.vector_norm(pred - target, dim=-1).mean()


class SpaceTimeForecaster(nn.Module):
    """Encoder of space-time separable graph convolutions + temporal convolutional decoder.

    ``channels`` lists the hidden widths; the encoder is ``coords -> channels... -> coords``.
    Subclasses choose the layer kind (``separable``) and whether adjacencies are masked.
    ``residual``: the output is added to the last observed pose, :math:`\hat x_{T+k} = x_T + f(x)_k`,
    so the network predicts displacements and the forecast starts where the motion is (an option
    beyond the papers, which regress poses directly; see benchmarks/results/forecast.md).
    """

    def __init__(self, skeleton="h36m17", input_frames: int = 10, output_frames: int = 25,
                 channels=(64, 32, 64), num_tcn_layers: int = 4, dropout: float = 0.1,
                 tcn_kernel_size: int = 3, tcn_dropout: float = 0.0, coords: int = 3,
                 separable: bool = False, depth_multiplier: int = 1, sparse: bool = False,
                 residual: bool = False):
        super().__init__()
        self.residual = bool(residual)
        sk = get_skeleton(skeleton)
        self.skeleton = sk
        self.input_frames = int(input_frames)
        self.output_frames = int(output_frames)
        self.num_joints = sk.num_joints
        self.coords = int(coords)
        channels = tuple(int(c) for c in channels)
        widths = (self.coords, *channels, self.coords)
        self.encoder = nn.ModuleList(
            SpaceTimeGraphConv(cin, cout, self.input_frames, self.num_joints, dropout=dropout,
                               separable=separable, depth_multiplier=depth_multiplier, sparse=sparse)
            for cin, cout in zip(widths[:-1], widths[1:])
        )
        self.decoder = TemporalConvDecoder(self.input_frames, self.output_frames, num_tcn_layers,
                                           tcn_kernel_size, tcn_dropout)
        self.config = dict(skeleton=sk.name, input_frames=self.input_frames,
                           output_frames=self.output_frames, channels=list(channels),
                           num_tcn_layers=int(num_tcn_layers), dropout=float(dropout),
                           tcn_kernel_size=int(tcn_kernel_size), tcn_dropout=float(tcn_dropout),
                           coords=self.coords, residual=self.residual)

    # -- forward -------------------------------------------------------------------------

    def _check_input(self, x: torch.Tensor) -> None:
        want = (self.input_frames, self.num_joints, self.coords)
        if x.dim() != 4 or tuple(x.shape[1:]) != want:
            raise ShapeError(f"{type(self).__name__} expects input (B, {want[0]}, {want[1]}, "
                             f"{want[2]}), got {tuple(x.shape)}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Past poses ``(B, T_in, V, 3)`` -> future poses ``(B, T_out, V, 3)``."""
        if not torch.jit.is_tracing():
            self._check_input(x)
        h = x.permute(0, 3, 1, 2)  # (B, 3, T_in, V)
        for layer in self.encoder:
            h = layer(h)
        h = self.decoder(h.transpose(1, 2))  # frames as channels: (B, T_in, 3, V) -> (B, T_out, 3, V)
        out = h.transpose(2, 3)  # (B, T_out, V, 3)
        if self.residual:  # predict the displacement from the last observed pose
            out = out + x[:, -1:]
        return out

    def loss(self, out: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """MPJPE (metres) between predicted and true future poses, both ``(B, T_out, V, 3)``."""
        if out.shape != target.shape:
            raise ShapeError(f"prediction {tuple(out.shape)} and target {tuple(target.shape)} differ")
        err = torch.linalg.vector_norm(out - target, dim=-1)  # (B, T, V)
        loss = err.mean()
        with torch.no_grad():
            logs = {"mpjpe": loss.detach(), "mpjpe_last_frame": err[:, -1].mean()}
        return loss, logs

    # -- introspection -------------------------------------------------------------------

    def adjacencies(self) -> list[SpaceTimeAdjacency]:
        return [layer.adjacency for layer in self.encoder]

    def num_parameters(self, effective: bool = False) -> int:
        """Number of trainable scalars; with ``effective`` masked adjacency entries are not counted."""
        n = sum(p.numel() for p in self.parameters() if p.requires_grad)
        if effective:
            for adj in self.adjacencies():
                if adj.temporal_mask is not None:
                    n -= int((adj.temporal_mask == 0).sum()) + int((adj.spatial_mask == 0).sum())
        return n
