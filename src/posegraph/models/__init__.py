"""Models, each registered by name (see :mod:`posegraph.models.registry`).

Lifting models map ``(B, J, 2)`` normalised 2D joints to ``(B, J, 3)`` pelvis-relative 3D
joints; forecasting models map ``(B, T_in, J, 3)`` past poses to ``(B, T_out, J, 3)``.
"""

from .registry import build_model, list_models, model_task, register_model
from . import trivial, baseline, resgcn, semgcn, semgcn_image, global_node, graphmdn, modulated_gcn, sts_gcn, ses_gcn  # noqa: F401  (registration)

__all__ = ["build_model", "list_models", "model_task", "register_model"]
