"""SeS-GCN: Separable-Sparse GCN (Sampieri et al., "Pose Forecasting in Industrial
Human-Robot Collaboration", ECCV 2022).

Same design as STS-GCN (space-time separable adjacencies + temporal convolutional decoder),
with two changes:

* **Separable**: the 1x1 channel convolution of each encoder layer is replaced by a
  depthwise-separable one, ``W_pw ReLU6(Dropout(BN(w_dw * X + b_dw))) + b_pw``
  (:class:`~posegraph.nn.separable_conv.DepthwiseSeparableConv`), and, as in the authors'
  code, the layer has no outer BN or dropout: ``H = PReLU(DSC(A(X)) + R(X))``.
* **Sparse**: adjacencies are sparsified teacher -> student. A dense teacher
  (``sparse=False``) is trained first; :meth:`SeSGCN.make_student` keeps the entries with
  ``|tanh(a)| > threshold`` (0.03 in the paper) as fixed binary masks ``M``, and a student with
  fresh weights is trained from scratch with adjacencies ``M * A``.

Choices (documented deviations/interpretations):

* Encoder widths ``3 -> 66 -> 66 -> 66 -> 66 -> 3`` (5 layers), depth multiplier 1.
* ``tanh`` is used only in the mask criterion (to bound the magnitudes before thresholding);
  the forward pass uses the raw masked adjacency ``M * A`` with no ``tanh``, as in STS-GCN.
  Since ``tanh`` is monotone, the criterion equals ``|a| > artanh(threshold)``.
* Masks are float ``{0, 1}`` buffers ``encoder.<i>.adjacency.{temporal,spatial}_mask``, saved
  in the ``state_dict``; ``config`` carries ``sparse=True`` (and ``threshold``) so that
  ``SeSGCN(**student.config)`` rebuilds a model into which the student's ``state_dict`` loads.
"""

from __future__ import annotations

import torch

from .forecast_base import SpaceTimeForecaster
from .registry import register_model

__all__ = ["SeSGCN"]


@register_model("ses-gcn", task="forecast")
class SeSGCN(SpaceTimeForecaster):
    """SeS-GCN forecaster (dense teacher with ``sparse=False``, masked student with ``sparse=True``).

    Args:
        skeleton, input_frames, output_frames, num_tcn_layers, tcn_kernel_size, dropout,
        tcn_dropout, coords: as :class:`~posegraph.models.sts_gcn.STSGCN`.
        channels: hidden widths of the encoder (default ``(66, 66, 66, 66)``).
        depth_multiplier: channel multiplier of the depthwise convolutions.
        sparse: hold adjacency masks (all ones until set by :meth:`make_student` or loaded).
        threshold: the ``|tanh(a)|`` threshold the masks were made with (bookkeeping only).
        residual, output_scale, canonical_heading: as :class:`~posegraph.models.sts_gcn.STSGCN`.
    """

    def __init__(self, skeleton="h36m17", input_frames: int = 10, output_frames: int = 25,
                 channels=(66, 66, 66, 66), num_tcn_layers: int = 4, dropout: float = 0.1,
                 tcn_kernel_size: int = 3, tcn_dropout: float = 0.0, coords: int = 3,
                 depth_multiplier: int = 1, sparse: bool = False, threshold: float = 0.03,
                 residual: bool = False, output_scale: float | None = None, canonical_heading: bool = False):
        super().__init__(skeleton, input_frames, output_frames, channels, num_tcn_layers, dropout,
                         tcn_kernel_size, tcn_dropout, coords, separable=True,
                         depth_multiplier=depth_multiplier, sparse=sparse, residual=residual,
                         output_scale=output_scale, canonical_heading=canonical_heading)
        self.sparse = bool(sparse)
        self.threshold = float(threshold)
        self.config.update(depth_multiplier=int(depth_multiplier), sparse=self.sparse,
                           threshold=self.threshold)

    @classmethod
    @torch.no_grad()
    def make_student(cls, teacher: "SeSGCN", threshold: float = 0.03) -> "SeSGCN":
        """A freshly initialised student with the teacher's config and fixed adjacency masks.

        The mask keeps entry ``a`` of every teacher adjacency iff ``|tanh(a)| > threshold``
        (the teacher's own masks, if it has any, are applied first). The student's raw
        adjacency parameters are zeroed at masked entries.
        """
        cfg = dict(teacher.config, sparse=True, threshold=float(threshold))
        student = cls(**cfg)
        student.to(next(teacher.parameters()).device)
        for t_adj, s_adj in zip(teacher.adjacencies(), student.adjacencies()):
            at, as_ = t_adj.effective()
            s_adj.set_masks(torch.tanh(at).abs() > threshold, torch.tanh(as_).abs() > threshold)
        return student

    def after_optimizer_step(self) -> None:
        """Re-zero masked raw adjacency entries (guards against optimisers that move them)."""
        if self.sparse:
            for adj in self.adjacencies():
                adj.apply_masks_()

    @torch.no_grad()
    def sparsity(self) -> dict[str, float]:
        """Fraction of zero entries of each effective adjacency, per kind, and overall."""
        out: dict[str, float] = {}
        zeros = {"temporal": 0, "spatial": 0}
        total = {"temporal": 0, "spatial": 0}
        for i, adj in enumerate(self.adjacencies()):
            for kind, a in zip(("temporal", "spatial"), adj.effective()):
                z = int((a == 0).sum())
                out[f"encoder.{i}.{kind}"] = z / a.numel()
                zeros[kind] += z
                total[kind] += a.numel()
        for kind in ("temporal", "spatial"):
            out[kind] = zeros[kind] / total[kind]
        out["overall"] = sum(zeros.values()) / sum(total.values())
        return out
