"""Models, each registered by name (see :mod:`posegraph.models.registry`).

Lifting models map ``(B, J, 2)`` normalised 2D joints to ``(B, J, 3)`` pelvis-relative 3D
joints; forecasting models map ``(B, T_in, J, 3)`` past poses to ``(B, T_out, J, 3)``. Every
model is a :class:`~posegraph.models.contract.PoseModel`.

Every module of this package is imported here, so a model registers itself by its
``@register_model`` decorator alone: a new model is one new file, with no import line to add.
"""

import importlib as _importlib
import pkgutil as _pkgutil

from .contract import PoseModel, pose_of
from .registry import build_model, list_models, model_task, register_model

for _m in _pkgutil.iter_modules(__path__):
    _importlib.import_module(f"{__name__}.{_m.name}")

__all__ = ["build_model", "list_models", "model_task", "register_model", "PoseModel", "pose_of"]
