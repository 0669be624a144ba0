"""The task contracts (posegraph.tasks) and the model registry's self-registration."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
import torch

import posegraph.models as models
from posegraph.models import PoseModel, list_models, model_task, register_model
from posegraph.pipeline import Pipeline
from posegraph.tasks import FORECAST, LIFT, TASKS, get_task

_BASES = {"LiftingModel", "SpaceTimeForecaster"}  # abstract bases, not models


def test_every_model_module_is_imported_and_every_model_class_registered():
    names = [m.name for m in pkgutil.iter_modules(models.__path__)]
    assert {"baseline", "semgcn", "sts_gcn"} <= set(names)
    registered = set(list_models())
    for name in names:
        mod = importlib.import_module(f"posegraph.models.{name}")
        for _, cls in inspect.getmembers(mod, inspect.isclass):
            if (issubclass(cls, PoseModel) and cls is not PoseModel and cls.__module__ == mod.__name__
                    and not cls.__name__.startswith("_") and cls.__name__ not in _BASES):
                assert "registry_name" in vars(cls), f"{mod.__name__}.{cls.__name__} is not registered"
                assert cls.registry_name in registered
                assert model_task(cls.registry_name) in TASKS


def test_register_model_refuses_unknown_tasks_and_non_models():
    with pytest.raises(ValueError, match="task must be one of"):
        register_model("x", task="segment")
    with pytest.raises(TypeError, match="not a PoseModel"):
        register_model("x-plain", task="lift")(torch.nn.Linear)


@pytest.mark.parametrize("name", ["semgcn", "sts-gcn", "zero-velocity", "mean-pose"])
def test_task_shapes_fit_the_models(name):
    pipe = Pipeline(name).eval()
    task = get_task(pipe)
    assert task is TASKS[pipe.task] and get_task(pipe.task) is task
    x = task.example_input(pipe, batch=2)
    assert x.dim() == task.input_rank and x.shape[-1] == task.input_coords
    assert tuple(pipe.in_norm.mean.shape) == (pipe.skeleton.num_joints, task.input_coords)
    with torch.no_grad():
        y = pipe.predict(x)
    assert y.shape[-1] == task.output_coords and y.shape[-2] == pipe.skeleton.num_joints


def test_tasks_differ_where_expected():
    assert LIFT.eval_settings == ("gt", "noisy") and FORECAST.eval_settings == ("gt",)
    assert LIFT.input_shape(16) == (16, 2) and FORECAST.input_shape(17, 10) == (10, 17, 3)
    with pytest.raises(Exception, match="unknown task"):
        get_task("segment")


def test_hooks_have_no_op_defaults():
    m = Pipeline("semgcn").model
    assert m.after_optimizer_step() is None
    assert type(m).prepare is PoseModel.prepare
