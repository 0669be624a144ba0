r"""Mixture-density output head (Bishop 1994; GraphMDN, Oikarinen et al., IJCNN 2021).

Per joint ``i`` and kernel ``k = 1..M`` the head predicts a mean ``\mu_{ik} \in (-s, s)^3``
(``s \tanh``), one isotropic standard deviation ``\sigma_{ik} = \mathrm{ELU}(\cdot) + 1 +
\sigma_{min}`` and a mixing logit ``l_{ik}``.

*Node level* (``level="node"``): ``\pi_{ik} = \mathrm{softmax}_k(l_{ik})`` and

.. math::

    \mathcal L = -\sum_i \log \sum_k \pi_{ik}\, \mathcal N(y_i \mid \mu_{ik}, \sigma_{ik}^2 I).

*Pose level* (``level="pose"``): one mixture over whole poses, ``\pi_k =
\mathrm{softmax}_k(\frac1J \sum_i l_{ik})``, and (``\sigma_k`` from the joint-averaged
pre-activation if ``uniform_sigma``, else ``\sigma_{ik}``)

.. math::

    \mathcal L = -\log \sum_k \pi_k \prod_i \mathcal N(y_i \mid \mu_{ik}, \sigma_k^2 I).

Both are computed with log-sum-exp, per sample, then averaged over the batch. With
``\log\mathcal N(y \mid \mu, \sigma^2 I) = -\tfrac32\log 2\pi - 3\log\sigma -
\lVert y-\mu\rVert^2 / 2\sigma^2`` in 3D.

Hypothesis selection helpers: :func:`select_highest`, :func:`select_mean`,
:func:`select_oracle`, :func:`sample_poses`.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .semantic_conv import SemGraphConv

__all__ = ["MDNHead", "gaussian_log_density", "mdn_nll", "select_highest", "select_mean",
           "select_oracle", "sample_poses"]

_LOG_2PI = math.log(2 * math.pi)


class MDNHead(nn.Module):
    """Mixture-density head on ``(B, J, C)`` features.

    Args:
        in_features: ``C``.
        num_kernels: ``M``.
        level: ``"node"`` (a mixture per joint) or ``"pose"`` (one mixture per pose).
        adjacency: if given, the projection to the mixture parameters is a semantic graph
            convolution on this graph (GraphMDN's output layer); otherwise a per-joint linear map.
        sigma_floor: ``\\sigma_{min}`` added to ``ELU + 1``.
        uniform_sigma: pose level only; one ``sigma_k`` per kernel shared by all joints
            (default ``True`` at pose level).
        mean_scale: ``s`` in ``s * tanh``; the means lie in ``(-s, s)``.

    ``forward`` returns a dict: ``means`` (B, M, J, 3), ``sigma`` (B, J, M), ``log_weights``
    (B, J, M) (pose level: the same over J) and ``weights`` (its exp).
    """

    def __init__(self, in_features: int, num_kernels: int = 5, level: str = "node", adjacency=None,
                 sigma_floor: float = 1e-3, uniform_sigma: bool | None = None, mean_scale: float = 1.0):
        super().__init__()
        if level not in ("node", "pose"):
            raise ValueError(f"level must be 'node' or 'pose', not {level!r}")
        self.num_kernels, self.level = int(num_kernels), level
        self.sigma_floor, self.mean_scale = float(sigma_floor), float(mean_scale)
        self.uniform_sigma = (level == "pose") if uniform_sigma is None else bool(uniform_sigma)
        if self.uniform_sigma and level != "pose":
            raise ValueError("uniform_sigma is a pose-level option")
        out = 5 * self.num_kernels
        self.proj = SemGraphConv(in_features, out, adjacency) if adjacency is not None else nn.Linear(in_features, out)

    def forward(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        M = self.num_kernels
        p = self.proj(h)  # (B, J, 5M)
        B, J = p.shape[0], p.shape[1]
        mu = self.mean_scale * torch.tanh(p[..., : 3 * M]).reshape(B, J, M, 3).permute(0, 2, 1, 3)
        s = p[..., 3 * M: 4 * M]  # (B, J, M)
        logits = p[..., 4 * M:]
        if self.level == "pose":
            if self.uniform_sigma:
                s = s.mean(dim=1, keepdim=True).expand_as(logits)
            logw = F.log_softmax(logits.mean(dim=1, keepdim=True), dim=-1).expand_as(logits)
        else:
            logw = F.log_softmax(logits, dim=-1)
        sigma = F.elu(s) + 1.0 + self.sigma_floor
        return {"means": mu, "sigma": sigma, "log_weights": logw, "weights": logw.exp()}

    def nll(self, out: dict[str, torch.Tensor], target: torch.Tensor) -> torch.Tensor:
        return mdn_nll(out["means"], out["sigma"], out["log_weights"], target, self.level)


def gaussian_log_density(means: torch.Tensor, sigma: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``log N(y_i | mu_ik, sigma_ik^2 I)`` in 3D, ``(B, J, M)``.

    ``means`` (B, M, J, 3), ``sigma`` (B, J, M), ``target`` (B, J, 3).
    """
    d = means.shape[-1]
    sq = ((target.unsqueeze(1) - means) ** 2).sum(-1).transpose(1, 2)  # (B, J, M)
    return -0.5 * d * _LOG_2PI - d * torch.log(sigma) - sq / (2 * sigma ** 2)


def mdn_nll(means: torch.Tensor, sigma: torch.Tensor, log_weights: torch.Tensor, target: torch.Tensor,
            level: str = "node") -> torch.Tensor:
    """Mixture negative log-likelihood, mean over the batch (see the module docstring).

    ``log_weights`` (B, J, M); at pose level its values must not depend on J (row 0 is used).
    """
    logn = gaussian_log_density(means, sigma, target)  # (B, J, M)
    if level == "node":
        per_sample = -torch.logsumexp(log_weights + logn, dim=-1).sum(dim=1)
    elif level == "pose":
        per_sample = -torch.logsumexp(log_weights[:, 0] + logn.sum(dim=1), dim=-1)
    else:
        raise ValueError(f"level must be 'node' or 'pose', not {level!r}")
    return per_sample.mean()


def _gather_kernel(means: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """``means`` (B, M, J, 3), ``idx`` (B, J) kernel per joint -> (B, J, 3)."""
    m = means.permute(0, 2, 1, 3)  # (B, J, M, 3)
    index = idx.unsqueeze(-1).unsqueeze(-1).expand(-1, -1, 1, m.shape[-1])
    return torch.gather(m, 2, index).squeeze(2)


def select_highest(means: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Per joint the mean of the kernel with the highest weight, (B, J, 3).

    At pose level the weights are equal across joints, so this is one kernel per pose."""
    return _gather_kernel(means, weights.argmax(dim=-1))


def select_mean(means: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Weighted mean ``sum_k pi_ik mu_ik`` (B, J, 3)."""
    return torch.einsum("bjm,bmjd->bjd", weights, means)


def select_oracle(means: torch.Tensor, target: torch.Tensor, per_joint: bool = False) -> torch.Tensor:
    """The hypothesis closest to the ground truth, (B, J, 3).

    ``per_joint=False``: the kernel with the lowest mean per-joint error (MPJPE) over the whole
    pose; ``True``: the closest kernel for each joint separately."""
    err = torch.linalg.vector_norm(means - target.unsqueeze(1), dim=-1)  # (B, M, J)
    if per_joint:
        idx = err.argmin(dim=1)  # (B, J)
    else:
        idx = err.mean(dim=-1).argmin(dim=1, keepdim=True).expand(-1, means.shape[2])
    return _gather_kernel(means, idx)


def sample_poses(means: torch.Tensor, sigma: torch.Tensor, weights: torch.Tensor, num_samples: int = 1,
                 level: str = "node", generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw poses from the mixture, (B, S, J, 3).

    Node level: each joint picks its kernel independently; pose level: one kernel per pose."""
    B, M, J, D = means.shape
    if level == "pose":
        k = torch.multinomial(weights[:, 0], num_samples, replacement=True, generator=generator)  # (B, S)
        k = k.unsqueeze(-1).expand(B, num_samples, J)
    else:
        w = weights.reshape(B * J, M)
        k = torch.multinomial(w, num_samples, replacement=True, generator=generator)  # (B*J, S)
        k = k.reshape(B, J, num_samples).transpose(1, 2)  # (B, S, J)
    m = means.permute(0, 2, 1, 3)  # (B, J, M, 3)
    mu = torch.gather(m.unsqueeze(1).expand(B, num_samples, J, M, D), 3,
                      k[..., None, None].expand(B, num_samples, J, 1, D)).squeeze(3)
    sd = torch.gather(sigma.unsqueeze(1).expand(B, num_samples, J, M), 3, k.unsqueeze(-1)).squeeze(3)
    noise = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + sd.unsqueeze(-1) * noise
