"""Model registry: every model is built by name from a config's keyword arguments.

>>> from posegraph.models import build_model
>>> m = build_model("semgcn", skeleton="h36m16", hidden=128)
"""

from __future__ import annotations

from typing import Callable

from ..errors import PosegraphError
from ..tasks import TASKS
from .contract import PoseModel

_REGISTRY: dict[str, Callable] = {}
_TASKS: dict[str, str] = {}


def register_model(name: str, task: str):
    """Class decorator: register a :class:`~posegraph.models.contract.PoseModel` subclass under
    ``name`` for ``task`` (a key of :data:`posegraph.tasks.TASKS`: "lift" or "forecast")."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, not {task!r}")

    def deco(cls):
        if not (isinstance(cls, type) and issubclass(cls, PoseModel)):
            raise TypeError(f"model {name!r}: {cls!r} is not a PoseModel subclass")
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"model {name!r} registered twice")
        _REGISTRY[name] = cls
        _TASKS[name] = task
        cls.registry_name = name
        cls.task = task
        return cls

    return deco


def build_model(name: str, **kwargs):
    """Instantiate the registered model ``name`` with ``kwargs``."""
    if name not in _REGISTRY:
        raise PosegraphError(f"unknown model {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    try:
        return _REGISTRY[name](**kwargs)
    except TypeError as e:
        raise PosegraphError(f"model {name!r}: bad config: {e}") from None


def model_task(name: str) -> str:
    if name not in _TASKS:
        raise PosegraphError(f"unknown model {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _TASKS[name]


def list_models(task: str | None = None) -> list[str]:
    return sorted(n for n, t in _TASKS.items() if task is None or t == task)
