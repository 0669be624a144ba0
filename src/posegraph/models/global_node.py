"""GCN with a global node (Liu, Zou & Tang, ACCV 2020, "Learning global pose features in
graph convolutional networks for 3D human pose estimation").

Backbone: the residual structure of SemGCN with
:class:`posegraph.nn.global_node_conv.GlobalNodeConv` layers (``hidden=128``, 4 blocks); the
joints and the global node each have their own batch norm, ReLU and residual shortcut. The
global node starts at zero. The output layer maps the joints to 3D (its global branch is
dropped). Each convolution's matrices are drawn as one stacked Xavier tensor, the scale of
SemGCN's family of code (:class:`~posegraph.nn.global_node_conv.GlobalNodeConv`); ``forward`` returns ``{"pose", "global"}`` where ``"global"`` (B, hidden) is the
global node after the last residual block (a pose descriptor, e.g. for action recognition).

``joint_embedding=True`` (not in the paper; default off): a learned vector per joint, added to the
joints' features after the input layer, ``h_i <- h_i + e_i``. Every later weight is shared by all
joints, so without it a joint's identity reaches the network only through its 2D position and its
degree in the skeleton. ``e`` starts at zero: the untrained model is the paper's.

Auxiliary tasks on the global node (``aux``):

* ``"cluster"`` (pseudo action classification): :meth:`prepare` runs K-means
  (``num_clusters``: 50/100/200) on the training 3D poses (root-relative, flattened, in
  metres as in the paper) and keeps the centroids as a buffer; a sample's label is the
  centroid nearest to its target; a linear classifier on the global node is trained with
  cross-entropy, weight ``aux_weight`` (default 0.001, the paper's) times ``aux_scale``.

  **Loss scale.** The paper adds ``0.001 * CE`` to an MSE in metres. posegraph trains on
  per-joint standardised targets, whose MSE is ``1 / mean(sigma^2)`` times the metre MSE
  (about 30x on mocap-lift), so :meth:`prepare` sets ``aux_scale = 1 / mean(sigma^2)`` from
  the output normaliser: the CE then has the paper's weight relative to the pose loss.
  Extra output ``"cluster_logits"`` (B, K).
* ``"embedding"`` (pose embedding): a linear map from the global node to ``embed_dim``
  (10/20) values and a 2-layer MLP decoder back to the 3D pose, trained with the MSE of the
  decoded pose, weight ``aux_weight`` (default 0.0001). Extra outputs ``"embedding"`` (B, E)
  and ``"decoded"`` (B, J, 3). The decoded pose and the pose loss are in the same
  (standardised) units, so their ratio is the paper's without rescaling (``aux_scale`` stays 1).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..errors import PosegraphError, ShapeError
from ..nn.batch_norm import batch_norm_last, bn_scale_shift
from ..nn.global_node_conv import GlobalNodeConv
from .base import LiftingModel, mpjpe
from .registry import register_model

__all__ = ["GlobalNodeGCN"]

_DEFAULT_WEIGHT = {"none": 0.0, "cluster": 1e-3, "embedding": 1e-4}


class _GLayer(nn.Module):
    """GlobalNodeConv -> BN -> ReLU (-> dropout) on both the joints and the global node."""

    def __init__(self, in_f: int, out_f: int, adjacency, dropout: float | None):
        super().__init__()
        self.conv = GlobalNodeConv(in_f, out_f, adjacency)
        self.bn = nn.BatchNorm1d(out_f)
        self.bn_global = nn.BatchNorm1d(out_f)
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()

    def forward(self, x, u):
        """Joint-major joints ``(J, B, C)`` and global node ``(B, C)``."""
        x, u = self.conv.forward_jm(x, u)
        x = self.dropout(F.relu(batch_norm_last(self.bn, x)))
        u = self.dropout(F.relu(batch_norm_last(self.bn_global, u)))
        return x, u

    def fold_bn_(self) -> None:
        """Fold both batch norms into the convolution (evaluation only)."""
        if isinstance(self.bn, nn.Identity):
            return
        self.conv.scale_output_(*bn_scale_shift(self.bn), *bn_scale_shift(self.bn_global))
        self.bn, self.bn_global = nn.Identity(), nn.Identity()


class _GBlock(nn.Module):
    def __init__(self, channels: int, adjacency, dropout: float | None):
        super().__init__()
        self.layer1 = _GLayer(channels, channels, adjacency, dropout)
        self.layer2 = _GLayer(channels, channels, adjacency, dropout)

    def forward(self, x, u):
        h, v = self.layer2(*self.layer1(x, u))
        return x + h, u + v


@register_model("global-node", task="lift")
class GlobalNodeGCN(LiftingModel):
    def __init__(self, skeleton="h36m16", hidden: int = 128, num_blocks: int = 4, dropout: float | None = None,
                 aux: str = "none", num_clusters: int = 100, embed_dim: int = 20,
                 aux_weight: float | None = None, decoder_hidden: int = 256, kmeans_max_samples: int = 100_000,
                 seed: int = 0, joint_embedding: bool = False):
        super().__init__(skeleton)
        if aux not in _DEFAULT_WEIGHT:
            raise ValueError(f"aux must be 'none', 'cluster' or 'embedding', not {aux!r}")
        self.aux = aux
        self.aux_weight = _DEFAULT_WEIGHT[aux] if aux_weight is None else float(aux_weight)
        self.kmeans_max_samples, self.seed = int(kmeans_max_samples), int(seed)
        J = self.num_joints
        self.input = _GLayer(2, hidden, self.skeleton, dropout)
        # joint-major (J, 1, C), added to the input layer's joints; zeros: the paper's model at start
        self.joint_embedding = nn.Parameter(torch.zeros(J, 1, hidden)) if joint_embedding else None
        self.blocks = nn.ModuleList([_GBlock(hidden, self.skeleton, dropout) for _ in range(num_blocks)])
        self.output = GlobalNodeConv(hidden, 3, self.skeleton, update_global=False)
        if aux == "cluster":
            self.num_clusters = int(num_clusters)
            self.classifier = nn.Linear(hidden, self.num_clusters)
            self.register_buffer("centroids", torch.zeros(self.num_clusters, J * 3))
            self.register_buffer("clusters_fitted", torch.tensor(False))
            # the training targets' normalisation (metres = y * std + mean) and the CE's loss scale
            self.register_buffer("target_mean", torch.zeros(J, 3))
            self.register_buffer("target_std", torch.ones(J, 3))
            self.register_buffer("aux_scale", torch.tensor(1.0))
        elif aux == "embedding":
            self.embed = nn.Linear(hidden, embed_dim)
            self.decoder = nn.Sequential(nn.Linear(embed_dim, decoder_hidden), nn.ReLU(),
                                         nn.Linear(decoder_hidden, J * 3))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        self._check_input(x)
        h, u = self.input(x.transpose(0, 1), None)  # joint-major inside (see posegraph.nn.graph_conv)
        if self.joint_embedding is not None:
            h = h + self.joint_embedding
        for block in self.blocks:
            h, u = block(h, u)
        pose, _ = self.output.forward_jm(h, u)
        pose = pose.transpose(0, 1)
        out = {"pose": pose, "global": u}
        if self.aux == "cluster":
            out["cluster_logits"] = self.classifier(u)
        elif self.aux == "embedding":
            z = self.embed(u)
            out["embedding"] = z
            out["decoded"] = self.decoder(z).reshape(x.shape[0], self.num_joints, 3)
        return out

    def _root_relative_flat(self, poses):
        return (poses - poses[:, self.root:self.root + 1]).reshape(poses.shape[0], -1)

    def prepare(self, train_targets: np.ndarray, train_inputs: np.ndarray | None = None,
                target_mean: np.ndarray | None = None, target_std: np.ndarray | None = None) -> None:
        """K-means on the training 3D poses (``aux="cluster"`` only; otherwise nothing).

        ``train_targets`` are in the loss's units; ``target_mean``/``target_std`` (J, 3) map them
        back to metres (``y * std + mean``; omitted: the targets are metres). The clustering runs
        in metres and ``aux_scale = 1 / mean(std^2)`` (see the module docstring)."""
        if self.aux != "cluster":
            return
        from sklearn.cluster import KMeans

        y = np.asarray(train_targets, dtype=np.float64)
        if y.ndim != 3 or y.shape[1:] != (self.num_joints, 3):
            raise ShapeError(f"train_targets must be (N, {self.num_joints}, 3), got {y.shape}")
        if len(y) < self.num_clusters:
            raise PosegraphError(f"K-means needs at least {self.num_clusters} training poses, got {len(y)}")
        mean = np.zeros((self.num_joints, 3)) if target_mean is None else np.asarray(target_mean, np.float64)
        std = np.ones((self.num_joints, 3)) if target_std is None else np.asarray(target_std, np.float64)
        if mean.shape != (self.num_joints, 3) or std.shape != (self.num_joints, 3) or not (std > 0).all():
            raise ShapeError(f"target_mean/target_std must be ({self.num_joints}, 3) with std > 0")
        self.target_mean.copy_(torch.as_tensor(mean, dtype=self.target_mean.dtype))
        self.target_std.copy_(torch.as_tensor(std, dtype=self.target_std.dtype))
        self.aux_scale.fill_(float(1.0 / np.mean(std ** 2)))
        flat = self._root_relative_flat(y * std + mean)
        if len(flat) > self.kmeans_max_samples:
            rng = np.random.default_rng(self.seed)
            flat = flat[rng.choice(len(flat), self.kmeans_max_samples, replace=False)]
        km = KMeans(n_clusters=self.num_clusters, random_state=self.seed, n_init=2).fit(flat)
        c = torch.as_tensor(km.cluster_centers_, dtype=self.centroids.dtype, device=self.centroids.device)
        self.centroids.copy_(c)
        self.clusters_fitted.fill_(True)

    @staticmethod
    def upgrade_state_dict(state: dict, prefix: str = "") -> dict:
        """Model files written before the auxiliary loss was rescaled have no ``target_mean``,
        ``target_std`` and ``aux_scale``: they clustered and trained in standardised units
        without rescaling, which is exactly mean 0, std 1 and scale 1, so those are filled in."""
        c = state.get(prefix + "centroids")
        if c is not None and prefix + "aux_scale" not in state:
            J = c.shape[1] // 3
            state[prefix + "target_mean"] = torch.zeros(J, 3)
            state[prefix + "target_std"] = torch.ones(J, 3)
            state[prefix + "aux_scale"] = torch.tensor(1.0)
        return state

    def cluster_labels(self, target: torch.Tensor) -> torch.Tensor:
        """Index of the nearest centroid (metres) of each target pose (loss units), (B,)."""
        flat = self._root_relative_flat(target * self.target_std + self.target_mean)
        return torch.cdist(flat, self.centroids.to(flat.dtype)).argmin(dim=1)

    def loss(self, out, target):
        pose = out["pose"]
        mse = F.mse_loss(pose, target)
        logs = {"mse": mse.detach(), "mpjpe": mpjpe(pose.detach(), target)}
        loss = mse
        if self.aux == "cluster":
            if not bool(self.clusters_fitted):
                raise PosegraphError("global-node with aux='cluster' needs prepare(train_targets) "
                                     "(K-means) before training")
            labels = self.cluster_labels(target)
            ce = F.cross_entropy(out["cluster_logits"], labels)
            loss = loss + self.aux_weight * self.aux_scale * ce
            logs["cluster_ce"] = ce.detach()
            logs["cluster_acc"] = (out["cluster_logits"].argmax(1) == labels).float().mean().detach()
        elif self.aux == "embedding":
            rec = F.mse_loss(out["decoded"], target)
            loss = loss + self.aux_weight * rec
            logs["embed_rec"] = rec.detach()
        return loss, logs
