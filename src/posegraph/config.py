"""Run configurations: YAML files with defaults, overridable by ``key.sub=value`` strings."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml

from .errors import PosegraphError

DEFAULTS: dict[str, Any] = {
    "task": "lift",
    "benchmark": "mocap-lift",
    "model": {"name": "baseline", "kwargs": {}},
    "data": {"normalize_input": False, "normalize_output": False, "flip": False,
             "random_cameras": False, "rotate": False, "noise_px": 0.0, "noise_prob": 1.0, "validation_fraction": 0.1},
    "train": {"batch_size": 256, "max_steps": 10000, "lr": 1e-3, "weight_decay": 0.0,
              "optimizer": "adam", "schedule": {"name": "constant"}, "grad_clip": 0.0,
              "seed": 0, "val_every_steps": 1000, "log_every_steps": 50, "precision": "32-true",
              "early_stopping_patience": 0, "devices": 1, "accelerator": "auto", "strategy": "auto"},
}


def deep_update(base: dict, new: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (new or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k != "kwargs":
            out[k] = deep_update(out[k], v)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = {**out[k], **v}
        else:
            out[k] = copy.deepcopy(v)
    return out


def apply_overrides(cfg: dict, overrides: list[str] | None) -> dict:
    """Apply ``a.b.c=value`` strings (values parsed as YAML: numbers, lists, booleans)."""
    cfg = copy.deepcopy(cfg)
    for item in overrides or []:
        if "=" not in item:
            raise PosegraphError(f"--set {item!r}: expected key=value, e.g. train.lr=0.001")
        key, value = item.split("=", 1)
        parts = key.strip().split(".")
        node = cfg
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise PosegraphError(f"--set {item!r}: {p!r} is not a section")
        node[parts[-1]] = yaml.safe_load(value)
    return cfg


def load_config(path: str | os.PathLike | None = None, overrides: list[str] | None = None) -> dict:
    """Defaults, updated by the YAML file, updated by the overrides."""
    cfg = copy.deepcopy(DEFAULTS)
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise PosegraphError(f"{p}: config file not found")
        try:
            data = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError as e:
            raise PosegraphError(f"{p}: invalid YAML: {e}") from None
        if not isinstance(data, dict):
            raise PosegraphError(f"{p}: a config must be a mapping")
        cfg = deep_update(cfg, data)
    cfg = apply_overrides(cfg, overrides)
    if cfg["task"] not in ("lift", "forecast"):
        raise PosegraphError(f"task must be 'lift' or 'forecast', not {cfg['task']!r}")
    return cfg
