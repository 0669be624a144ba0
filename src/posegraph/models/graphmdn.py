"""GraphMDN (Oikarinen, Hannah & Kazerounian, IJCNN 2021, "GraphMDN: leveraging graph
structure and deep learning to solve inverse problems").

A SemGCN backbone (semantic graph convolutions, ``hidden=128``, 4 residual blocks,
non-local blocks on grouped joints, dropout 0.1) whose output layer is a mixture-density
head (:class:`posegraph.nn.mdn_head.MDNHead`): a semantic graph convolution to ``5 M`` values
per joint (M means in 3D, M sigmas, M mixing logits). ``level="node"``: a mixture per joint;
``level="pose"``: one mixture over whole poses (weights from the joint-averaged logits, one
sigma per kernel shared by the joints unless ``uniform_sigma=False``).

``forward`` returns ``"pose"`` (the weighted mean of the hypotheses), ``"pose_highest"``
(per joint the kernel of highest weight), ``"hypotheses"`` (B, M, J, 3), ``"weights"``
(B, J, M), ``"sigma"`` (B, J, M) and ``"log_weights"`` (B, J, M). ``loss`` is the
mixture negative log-likelihood (per pose, mean over the batch).
"""

from __future__ import annotations

import torch

from ..nn.mdn_head import MDNHead, mdn_nll, select_highest, select_mean
from .base import LiftingModel, ResGCNBackbone, mpjpe
from .registry import register_model

__all__ = ["GraphMDN"]


@register_model("graphmdn", task="lift")
class GraphMDN(LiftingModel):
    def __init__(self, skeleton="h36m16", num_kernels: int = 5, level: str = "node", hidden: int = 128,
                 num_blocks: int = 4, non_local: bool = True, dropout: float | None = 0.1,
                 sigma_floor: float = 1e-3, uniform_sigma: bool | None = None, mean_scale: float = 1.0):
        super().__init__(skeleton)
        self.level = level
        self.backbone = ResGCNBackbone(self.skeleton, "semantic", 2, hidden, num_blocks, non_local, dropout)
        self.head = MDNHead(hidden, num_kernels, level, adjacency=self.skeleton, sigma_floor=sigma_floor,
                            uniform_sigma=uniform_sigma, mean_scale=mean_scale)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        self._check_input(x)
        mix = self.head(self.backbone(x))
        w = mix["weights"]
        return {
            "pose": select_mean(mix["means"], w),
            "pose_highest": select_highest(mix["means"], w),
            "hypotheses": mix["means"],
            "weights": w,
            "sigma": mix["sigma"],
            "log_weights": mix["log_weights"],
        }

    def loss(self, out, target):
        nll = mdn_nll(out["hypotheses"], out["sigma"], out["log_weights"], target, self.level)
        return nll, {"nll": nll.detach(), "mpjpe": mpjpe(out["pose"].detach(), target),
                     "mpjpe_highest": mpjpe(out["pose_highest"].detach(), target)}
