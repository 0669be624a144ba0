"""Learning-rate schedules the papers use, all stepped once per optimizer step.

* ``exponential`` (Martinez et al.): lr_t = lr_0 * gamma^(t / decay_steps) (``staircase`` for
  a step every ``decay_steps``); the paper's gamma = 0.96 every 100k steps.
* ``onecycle`` ("super-convergence", Smith & Topin): linear ramp from lr/div to the peak lr over
  the first ``pct_start`` of training, then linear decay to lr/final_div.
* ``multistep``: lr multiplied by ``gamma`` at each step in ``milestones``.
* ``constant``.
"""

from __future__ import annotations

import torch
from torch.optim.lr_scheduler import LambdaLR, MultiStepLR, OneCycleLR

from ..errors import PosegraphError


def build_scheduler(optimizer: torch.optim.Optimizer, cfg: dict, max_steps: int, lr: float):
    name = cfg.get("name", "constant")
    if name == "constant":
        return LambdaLR(optimizer, lambda t: 1.0)
    if name == "exponential":
        gamma, every = float(cfg.get("gamma", 0.96)), float(cfg.get("decay_steps", 100000))
        if cfg.get("staircase", False):
            return LambdaLR(optimizer, lambda t: gamma ** (t // every))
        return LambdaLR(optimizer, lambda t: gamma ** (t / every))
    if name == "onecycle":
        return OneCycleLR(optimizer, max_lr=lr, total_steps=max(max_steps, 2), pct_start=float(cfg.get("pct_start", 0.5)),
                          anneal_strategy="linear", div_factor=float(cfg.get("div_factor", 25.0)),
                          final_div_factor=float(cfg.get("final_div_factor", 1e3)), cycle_momentum=False)
    if name == "multistep":
        return MultiStepLR(optimizer, milestones=[int(m) for m in cfg.get("milestones", [])],
                           gamma=float(cfg.get("gamma", 0.1)))
    raise PosegraphError(f"unknown schedule {name!r}; known: constant, exponential, onecycle, multistep")
