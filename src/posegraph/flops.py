"""Floating-point operation counts of the models, from the shapes of their layers.

A multiply-add counts as 2 FLOPs (the convention of ``torch.utils.flop_counter``): a linear
layer ``in -> out`` costs ``2 * in * out`` FLOPs per row. Only matrix products and
convolutions are counted (elementwise work, softmax and normalisation are not), which is what
bounds throughput against a matrix-multiply peak.

>>> from posegraph.flops import pipeline_flops
>>> pipeline_flops(pipe)            # FLOPs of one forward per pose (lifting) or sequence (forecasting)
"""

from __future__ import annotations

from collections import defaultdict

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["count_flops", "flops_by_module", "pipeline_flops", "linear_flops", "mlp_flops", "example_input"]


def linear_flops(in_features: int, out_features: int, rows: int = 1, bias: bool = False) -> int:
    """Hand count of a linear layer on ``rows`` inputs: ``2 * in * out * rows`` (+ ``out * rows``
    for the bias if ``bias``; ``FlopCounterMode`` does not count the bias add)."""
    return 2 * in_features * out_features * rows + (out_features * rows if bias else 0)


def mlp_flops(model: nn.Module, rows: int = 1) -> int:
    """Hand count for a network whose only products are ``nn.Linear`` layers applied once per
    sample (e.g. Martinez et al.'s baseline): ``2 * sum(in * out)`` per row."""
    return sum(linear_flops(m.in_features, m.out_features, rows) for m in model.modules()
               if isinstance(m, nn.Linear))


def _in_place_formulas() -> dict:
    """``FlopCounterMode`` has formulas for ``addmm``/``baddbmm`` but not their in-place forms,
    which the graph layers use to accumulate the mixing over joints."""
    def addmm_(self_shape, a_shape, b_shape, out_shape=None, **kwargs) -> int:
        return 2 * a_shape[0] * a_shape[1] * b_shape[1]

    def baddbmm_(self_shape, a_shape, b_shape, out_shape=None, **kwargs) -> int:
        return 2 * a_shape[0] * a_shape[1] * a_shape[2] * b_shape[2]

    aten = torch.ops.aten
    return {aten.addmm_: addmm_, aten.baddbmm_: baddbmm_}


_IN_PLACE = _in_place_formulas()


def _run(model: nn.Module, *inputs) -> FlopCounterMode:
    was = model.training
    model.eval()
    counter = FlopCounterMode(display=False, custom_mapping=_IN_PLACE)
    try:
        with torch.no_grad(), counter:
            model(*inputs)
    finally:
        model.train(was)
    return counter


def count_flops(model: nn.Module, *inputs) -> int:
    """FLOPs of one forward of ``model`` on ``inputs`` (eval mode, no gradients)."""
    return int(_run(model, *inputs).get_total_flops())


def flops_by_module(model: nn.Module, *inputs, depth: int = 2) -> dict[str, int]:
    """FLOPs of one forward per sub-module (names up to ``depth`` levels, ``Global`` = total)."""
    counts = _run(model, *inputs).get_flop_counts()
    out: dict[str, int] = defaultdict(int)
    for name, per_op in counts.items():
        if name.count(".") < depth:
            out[name] += int(sum(per_op.values()))
    return dict(out)


def example_input(pipe, batch: int = 1) -> torch.Tensor:
    """A zero input of the right shape for a :class:`~posegraph.pipeline.Pipeline`."""
    from .tasks import get_task

    return get_task(pipe.task).example_input(pipe, batch)


def pipeline_flops(pipe, batch: int = 1) -> float:
    """FLOPs per sample (pose for lifting, sequence for forecasting) of a pipeline's forward,
    counted on one forward at ``batch``."""
    return count_flops(pipe, example_input(pipe, batch)) / batch
