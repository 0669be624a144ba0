"""Run configurations: YAML files checked against a typed schema before anything runs.

A config has five sections: ``task`` ("lift" or "forecast"), ``benchmark`` (:data:`BENCHMARK_TASK`:
"mocap-lift" or "mocap-forecast", the committed benchmarks; "h36m" or "h36m-forecast", a
Human3.6M build that ``data.path`` names), ``model`` (a registered ``name``, its constructor ``kwargs``, and for a
SeS-GCN student its ``teacher`` and ``threshold``; ``flip_test``: test-time mirroring, see
:class:`posegraph.pipeline.Pipeline`), ``data`` (normalisation and augmentation)
and ``train`` (steps, optimiser, schedule, devices). :data:`DEFAULTS` fills what a file leaves
out.

* **Inheritance.** ``base: other.yaml`` (a path relative to the file) starts from that file,
  so a file holds only what it changes. Sections merge key by key; ``model.kwargs`` merges by
  argument. A section with a ``name`` (``model``, ``train.schedule``) is replaced, not merged,
  when the name changes (a semgcn file on a baseline base does not inherit ``linear_size``).
* **Overrides.** ``key.sub=value`` strings (``--set``; values parsed as YAML) apply last.
* **Checks.** Unknown keys are rejected with the nearest valid key suggested; every value is
  checked (types, ranges, finite numbers); the model name must be registered, its task must
  match ``task`` and ``benchmark``, and ``model.kwargs`` must fit the model's constructor
  (names, simple types, and a trial build on the ``meta`` device, which allocates nothing).
  Every problem is one :class:`~posegraph.errors.PosegraphError` line naming the key and the
  file (or ``--set``/option) that set it.
* **Safe YAML.** Files are read with the safe loader, at most :data:`MAX_CONFIG_BYTES`, with
  at most :data:`MAX_YAML_NODES` nodes once aliases are expanded (an alias bomb is refused
  before it is built) and :data:`MAX_YAML_DEPTH` levels of nesting.
* An empty file, or one that names no model (here or in a base), is an error: a config must
  say what it trains.

Why over 500 lines: the schema of every section, the inheritance and override rules and the
bounded YAML loader are one contract that each config passes through in one order (read, merge,
override, check); split into modules, each part would reach into the others' internals, and a
reader checking what a key may hold would have to follow it across files.
"""

from __future__ import annotations

import copy
import difflib
import inspect
import math
import os
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from .errors import PosegraphError

DEFAULTS: dict[str, Any] = {
    "task": "lift",
    "benchmark": "mocap-lift",
    "model": {"name": "baseline", "kwargs": {}},
    "data": {"normalize_input": False, "normalize_output": False, "flip": False,
             "random_cameras": False, "rotate": False, "speed": 0.0, "noise_px": 0.0, "noise_prob": 1.0, "validation_fraction": 0.1},
    "train": {"batch_size": 256, "max_steps": 10000, "lr": 1e-3, "weight_decay": 0.0,
              "optimizer": "adam", "schedule": {"name": "constant"}, "grad_clip": 0.0,
              "seed": 0, "val_every_steps": 1000, "log_every_steps": 50, "precision": "32-true",
              "early_stopping_patience": 0, "devices": 1, "accelerator": "auto", "strategy": "auto"},
}

#: benchmark name -> its task. ``h36m`` / ``h36m-forecast`` read the build that ``data.path``
#: names (``posegraph data build h36m|h36m-forecast --out DIR``: DIR or the .npz in it); the
#: ``mocap-*`` benchmarks read the committed files, or ``data.path`` when it is set (which may
#: also be a Human3.6M build: what configs written before the ``h36m`` names did).
BENCHMARK_TASK = {"mocap-lift": "lift", "mocap-forecast": "forecast", "h36m": "lift", "h36m-forecast": "forecast"}
#: the Human3.6M benchmarks: they need ``data.path``.
H36M_BENCHMARKS = ("h36m", "h36m-forecast")
MAX_CONFIG_BYTES = 1_000_000
MAX_YAML_NODES = 100_000
MAX_YAML_DEPTH = 64
MAX_BASE_DEPTH = 16
MAX_PARAMETERS = 2_000_000_000
DEFAULT_SOURCE = "the defaults"


# ------------------------------------------------------------------------------ safe YAML
def _check_events(text: str, where: str) -> None:
    """Walk the YAML events: refuse deep nesting and alias expansion beyond the node limit
    (sizes of anchored nodes are known when an alias refers to them, so a bomb is refused
    after reading a few hundred bytes of it, never built)."""
    anchors: dict[str, int] = {}
    stack: list[list] = []  # [anchor, size so far]

    def add(size: int) -> None:
        if stack:
            stack[-1][1] += size
            if stack[-1][1] > MAX_YAML_NODES:
                raise PosegraphError(f"{where}: more than {MAX_YAML_NODES} YAML nodes once aliases are expanded "
                                     "(an alias bomb?); a config is a few dozen keys")

    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            stack.append([ev.anchor, 1])
            if len(stack) > MAX_YAML_DEPTH:
                raise PosegraphError(f"{where}: YAML nested more than {MAX_YAML_DEPTH} levels deep")
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            anchor, size = stack.pop()
            if anchor is not None:
                anchors[anchor] = size
            add(size)
        elif isinstance(ev, yaml.ScalarEvent):
            if ev.anchor is not None:
                anchors[ev.anchor] = 1
            add(1)
        elif isinstance(ev, yaml.AliasEvent):
            add(anchors.get(ev.anchor, 1))


def safe_yaml(text: str, where: str) -> Any:
    """Parse YAML ``text`` with the safe loader and the node/depth limits; errors name ``where``."""
    try:
        _check_events(text, where)
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        msg = " ".join(str(e).split())
        raise PosegraphError(f"{where}: invalid YAML: {msg}") from None
    except RecursionError:
        raise PosegraphError(f"{where}: YAML nested too deeply") from None


def read_yaml_file(path: str | os.PathLike) -> Any:
    """Read a YAML file safely: size limit, text check, safe loader, alias/depth limits."""
    p = Path(path)
    try:
        if not p.exists():
            raise PosegraphError(f"{p}: config file not found")
        if p.is_dir():
            raise PosegraphError(f"{p}: is a directory, not a config file")
        size = p.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise PosegraphError(f"{p}: {size} bytes is too large for a config (at most {MAX_CONFIG_BYTES})")
        raw = p.read_bytes()
    except OSError as e:
        raise PosegraphError(f"{p}: cannot read: {e.strerror or e}") from None
    if b"\x00" in raw:
        raise PosegraphError(f"{p}: not a text file (a YAML config was expected)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PosegraphError(f"{p}: not UTF-8 text (byte {e.start}); a YAML config was expected") from None
    return safe_yaml(text, str(p))


# ------------------------------------------------------------------------------ value checks
def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _to_int(v: Any) -> int:
    if isinstance(v, str):
        try:
            v = int(v.strip())
        except ValueError:
            raise ValueError(f"must be an integer, not {_short(v)}") from None
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        v = int(v)
    if not isinstance(v, int) or isinstance(v, bool):
        raise ValueError(f"must be an integer, not {_short(v)}")
    return v


def _to_float(v: Any) -> int | float:
    if isinstance(v, str):  # YAML reads 1e-3 (no dot) as a string
        try:
            v = float(v.strip())
        except ValueError:
            raise ValueError(f"must be a number, not {_short(v)}") from None
    if not _is_number(v):
        raise ValueError(f"must be a number, not {_short(v)}")
    if not math.isfinite(v):
        raise ValueError(f"must be a finite number, not {v}")
    return v


def _to_bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError(f"must be true or false, not {_short(v)}")
    return v


def _to_str(v: Any) -> str:
    if not isinstance(v, str) or not v:
        raise ValueError(f"must be a non-empty string, not {_short(v)}")
    return v


def _int(lo: int | None = None, hi: int | None = None):
    def check(v):
        v = _to_int(v)
        if lo is not None and v < lo:
            raise ValueError(f"must be an integer >= {lo}, not {v}")
        if hi is not None and v > hi:
            raise ValueError(f"must be an integer <= {hi}, not {v}")
        return v
    return BeforeValidator(check)


def _num(lo: float | None = None, hi: float | None = None, lo_open: bool = False, hi_open: bool = False):
    def check(v):
        v = _to_float(v)
        bad = (lo is not None and (v <= lo if lo_open else v < lo)) or (hi is not None and (v >= hi if hi_open else v > hi))
        if bad:
            rng = f"{'(' if lo_open else '['}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{')' if hi_open else ']'}"
            raise ValueError(f"must be a number in {rng}, not {v}")
        return v
    return BeforeValidator(check)


Bool = Annotated[bool, BeforeValidator(_to_bool)]
Text = Annotated[str, BeforeValidator(_to_str)]
Probability = Annotated[float, _num(0.0, 1.0)]


def _prob_or_bool(v):
    return v if isinstance(v, bool) else _num(0.0, 1.0).func(v)


def _subjects(v):
    if v is None:
        return None
    if isinstance(v, str) or not isinstance(v, (list, tuple)) or not v:
        raise ValueError("must be a non-empty list of 'source/subject' names, e.g. [cmu/05, cmu/64]")
    for s in v:
        if not isinstance(s, str) or s.count("/") != 1 or "" in s.split("/"):
            raise ValueError(f"{s!r} is not a 'source/subject' name (e.g. cmu/05)")
    return list(v)


def _devices(v):
    if isinstance(v, str) and v.strip().lower() == "auto":
        return "auto"
    if isinstance(v, list):
        if not v or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in v) or len(set(v)) != len(v):
            raise ValueError(f"must be a positive count, -1 (all), 'auto', or a list of distinct device indices, not {_short(v)}")
        return v
    try:
        n = _to_int(v)
    except ValueError:
        raise ValueError(f"must be a positive count, -1 (all), 'auto', or a list of device indices, not {_short(v)}") from None
    if n == 0 or n < -1:
        raise ValueError(f"must be a positive count of devices (or -1 for all), not {n}")
    return n


def _choice(known_fn, what: str):
    def check(v):
        if not isinstance(v, str):
            raise ValueError(f"must be a string naming the {what}, not {_short(v)}")
        known = known_fn()
        if v not in known:
            near = difflib.get_close_matches(v, known, n=1)
            listed = known if len(known) <= 12 else [k for k in known if "_" not in k] + ["..."]
            raise ValueError(f"unknown {what} {v!r}" + (f"; did you mean {near[0]!r}?" if near else "")
                             + f" (known: {', '.join(listed)})")
        return v
    return BeforeValidator(check)


def known_accelerators() -> list[str]:
    from lightning.pytorch.accelerators import AcceleratorRegistry

    return ["auto"] + sorted(set(AcceleratorRegistry.available_accelerators()) | {"gpu"})


def known_strategies() -> list[str]:
    from lightning.pytorch.strategies import StrategyRegistry

    return ["auto"] + sorted(StrategyRegistry.available_strategies())


PRECISIONS = ["64", "32", "16", "bf16", "64-true", "32-true", "16-true", "bf16-true", "16-mixed", "bf16-mixed",
              "transformer-engine", "transformer-engine-float16"]


def _precision(v):
    if _is_number(v) and v in (16, 32, 64):
        return v
    if v not in PRECISIONS:
        near = difflib.get_close_matches(str(v), PRECISIONS, n=1)
        raise ValueError(f"unknown precision {_short(v)}" + (f"; did you mean {near[0]!r}?" if near else "")
                         + f" (known: {', '.join(PRECISIONS)})")
    return v


def _optional_path(v):
    if v is None:
        return v
    if isinstance(v, os.PathLike):
        v = os.fspath(v)
    return _to_str(v)


# ------------------------------------------------------------------------------ schema
class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=False)


class ConstantSchedule(_Section):
    name: Literal["constant"]


class ExponentialSchedule(_Section):
    name: Literal["exponential"]
    gamma: Annotated[float, _num(0.0, 1.0, lo_open=True)] = 0.96
    decay_steps: Annotated[float, _num(0.0, None, lo_open=True)] = 100000
    staircase: Bool = False


class OneCycleSchedule(_Section):
    name: Literal["onecycle"]
    pct_start: Annotated[float, _num(0.0, 1.0, lo_open=True, hi_open=True)] = 0.5
    div_factor: Annotated[float, _num(0.0, None, lo_open=True)] = 25.0
    final_div_factor: Annotated[float, _num(0.0, None, lo_open=True)] = 1e3


class MultiStepSchedule(_Section):
    name: Literal["multistep"]
    milestones: list[Annotated[int, _int(1)]] = []
    gamma: Annotated[float, _num(0.0, None, lo_open=True)] = 0.1


Schedule = Annotated[Union[ConstantSchedule, ExponentialSchedule, OneCycleSchedule, MultiStepSchedule],
                     Field(discriminator="name")]
SCHEDULES = {"constant": ConstantSchedule, "exponential": ExponentialSchedule, "onecycle": OneCycleSchedule,
             "multistep": MultiStepSchedule}


class ModelSection(_Section):
    name: Text
    kwargs: dict[str, Any] = {}
    teacher: Annotated[Optional[str], BeforeValidator(_optional_path)] = None
    threshold: Annotated[float, _num(0.0, 1.0, hi_open=True)] = 0.03
    teacher_resolved: Bool = False
    flip_test: Bool = False


class DataSection(_Section):
    normalize_input: Bool = False
    normalize_output: Bool = False
    flip: Bool = False
    random_cameras: Annotated[Union[bool, float], BeforeValidator(_prob_or_bool)] = False
    rotate: Bool = False
    speed: Annotated[float, _num(0.0, 0.9)] = 0.0
    scale: Annotated[float, _num(0.0, 0.5)] = 0.0
    bone_scale: Annotated[float, _num(0.0, 0.5)] = 0.0
    """Lifting: every bone times ``g * r`` (stature ``g ~ U(1-c, 1+c)``, proportions
    ``r ~ U(1-c/2, 1+c/2)``), re-projected through the sample's camera
    (:func:`posegraph.train.augment.rescale_bones`)."""
    noise_px: Annotated[float, _num(0.0, 1000.0)] = 0.0
    noise_prob: Probability = 1.0
    validation_fraction: Annotated[float, _num(0.0, 1.0, hi_open=True)] = 0.1
    validation_subjects: Annotated[Optional[list[str]], BeforeValidator(_subjects)] = None
    """People held out for validation (``source/subject``, e.g. ``cmu/05``) instead of 10% of
    the takes: a person-disjoint validation split (:func:`posegraph.data.lift.validation_takes`)."""
    path: Annotated[Optional[str], BeforeValidator(_optional_path)] = None


class TrainSection(_Section):
    batch_size: Annotated[int, _int(1, 10_000_000)] = 256
    max_steps: Annotated[int, _int(1)] = 10000
    lr: Annotated[float, _num(0.0, None, lo_open=True)] = 1e-3
    weight_decay: Annotated[float, _num(0.0)] = 0.0
    optimizer: Literal["adam", "adamw"] = "adam"
    schedule: Schedule = ConstantSchedule(name="constant")
    grad_clip: Annotated[float, _num(0.0)] = 0.0
    seed: Annotated[int, _int(0, 2 ** 32 - 1)] = 0
    val_every_steps: Annotated[int, _int(1)] = 1000
    log_every_steps: Annotated[int, _int(1)] = 50
    precision: Annotated[Union[str, int], BeforeValidator(_precision)] = "32-true"
    early_stopping_patience: Annotated[int, _int(0)] = 0
    devices: Annotated[Union[int, str, list], BeforeValidator(_devices)] = 1
    accelerator: Annotated[str, _choice(known_accelerators, "accelerator")] = "auto"
    strategy: Annotated[str, _choice(known_strategies, "strategy")] = "auto"
    num_threads: Annotated[Optional[int], BeforeValidator(lambda v: v if v is None else _int(1, 4096).func(v))] = None
    trace_batches: Annotated[Optional[str], BeforeValidator(_optional_path)] = None
    test_curve: bool = False
    """After each validation, also measure the test split (gt inputs) and append it to
    ``test_curve.csv``: reported only (time to a test error), never used to choose a checkpoint."""


class ConfigSchema(_Section):
    task: Literal["lift", "forecast"]
    benchmark: Literal["mocap-lift", "mocap-forecast", "h36m", "h36m-forecast"]
    model: ModelSection
    data: DataSection
    train: TrainSection


def _fields(cls) -> dict[str, Any]:
    return dict(cls.model_fields)


_SECTIONS = {"": ConfigSchema, "model": ModelSection, "data": DataSection, "train": TrainSection}


def valid_keys() -> list[str]:
    """Every dotted key the schema knows (schedule keys under ``train.schedule``)."""
    keys = []
    for sec, cls in _SECTIONS.items():
        keys += [f"{sec}.{k}" if sec else k for k in _fields(cls)]
    for cls in SCHEDULES.values():
        keys += [f"train.schedule.{k}" for k in _fields(cls)]
    return sorted(set(keys) | {"base"})


# ------------------------------------------------------------------------------ merging
class _Layers:
    """The merged config and, per dotted key, the file or option that set it."""

    def __init__(self):
        self.cfg: dict = copy.deepcopy({k: v for k, v in DEFAULTS.items() if k not in ("task", "benchmark")})
        self.source: dict[str, str] = {}
        self.order: list[str] = []

    def latest(self, key: str) -> str:
        """The last-applied source among ``key`` and the keys under it."""
        srcs = {s for k, s in self.source.items() if k == key or k.startswith(key + ".")}
        for s in reversed(self.order):
            if s in srcs:
                return s
        return self.where(key)

    def where(self, key: str) -> str:
        parts = key.split(".")
        for n in range(len(parts), 0, -1):
            s = self.source.get(".".join(parts[:n]))
            if s is not None:
                return s
        return DEFAULT_SOURCE

    def merge(self, new: dict, source: str) -> None:
        self.order.append(source)
        self.cfg = self._merge(self.cfg, new, source, "")

    def _merge(self, base: dict, new: dict, source: str, prefix: str) -> dict:
        out = copy.deepcopy(base)
        for k, v in new.items():
            if not isinstance(k, str):
                raise PosegraphError(f"key {_short(k)} under {prefix.rstrip('.') or 'the top level'} in {source}: "
                                     "keys must be strings")
            key = prefix + k
            if isinstance(v, dict) and isinstance(out.get(k), dict):
                cur = out[k]
                if key in ("model", "train.schedule") and "name" in v and v["name"] != cur.get("name"):
                    # another model/schedule: its options do not carry over
                    cur = {"name": v["name"], "kwargs": {}} if key == "model" else {"name": v["name"]}
                    for s in [s for s in self.source if s.startswith(key + ".")]:
                        del self.source[s]
                if key == "model.kwargs":
                    out[k] = {**cur, **copy.deepcopy(v)}
                    for kk in v:
                        self.source[f"{key}.{kk}"] = source
                    self.source.setdefault(key, source)
                else:
                    out[k] = self._merge(cur, v, source, key + ".")
            else:
                out[k] = copy.deepcopy(v)
                self.source[key] = source
                for s in [s for s in self.source if s.startswith(key + ".")]:
                    del self.source[s]
        return out


def deep_update(base: dict, new: dict) -> dict:
    """``base`` updated by ``new`` section by section (``kwargs`` merged by argument)."""
    out = copy.deepcopy(base)
    for k, v in (new or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k != "kwargs":
            out[k] = deep_update(out[k], v)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = {**out[k], **v}
        else:
            out[k] = copy.deepcopy(v)
    return out


def set_key(cfg: dict, key: str, value: Any) -> dict:
    """Set the dotted ``key`` of ``cfg`` in place to a copy of ``value``, creating (or replacing
    non-dict) sections on the way; no checks (for generated configs: tests, fuzzing)."""
    node = cfg
    parts = key.split(".")
    for p in parts[:-1]:
        if not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    node[parts[-1]] = copy.deepcopy(value)
    return cfg


def parse_overrides(overrides: list[str] | None) -> list[tuple[dict, str]]:
    """``a.b.c=value`` strings -> (nested dict, source label); values parsed as YAML."""
    out = []
    for item in overrides or []:
        if "=" not in item:
            raise PosegraphError(f"--set {item!r}: expected key=value, e.g. train.lr=0.001")
        key, value = item.split("=", 1)
        parts = key.strip().split(".")
        if not all(parts):
            raise PosegraphError(f"--set {item!r}: {key.strip()!r} is not a dotted key like train.lr")
        if parts[0] == "base":
            raise PosegraphError(f"--set {item!r}: 'base' is a key of config files only")
        val = safe_yaml(value, f"--set {item}")
        node: Any = val
        for p in reversed(parts):
            node = {p: node}
        out.append((node, f"--set {item}"))
    return out


def apply_overrides(cfg: dict, overrides: list[str] | None) -> dict:
    """Apply ``a.b.c=value`` strings to ``cfg`` (no checks; :func:`load_config` checks)."""
    layers = _Layers()
    layers.cfg = copy.deepcopy(cfg)
    for node, src in parse_overrides(overrides):
        layers.merge(node, src)
    return layers.cfg


def _file_layers(path: Path, seen: tuple[Path, ...] = ()) -> list[tuple[dict, str]]:
    """The file and its ``base`` chain, base first."""
    real = path.resolve()
    if real in seen:
        raise PosegraphError(f"{path}: 'base' chain loops back to this file")
    if len(seen) >= MAX_BASE_DEPTH:
        raise PosegraphError(f"{path}: more than {MAX_BASE_DEPTH} levels of 'base'")
    data = read_yaml_file(path)
    if data is None or data == {}:
        raise PosegraphError(f"{path}: empty config; a config must at least name its model "
                             "(model: {name: ...}; see configs/)")
    if not isinstance(data, dict):
        raise PosegraphError(f"{path}: a config must be a mapping of sections (task, benchmark, model, data, train), "
                             f"not a {type(data).__name__}")
    data = dict(data)
    layers: list[tuple[dict, str]] = []
    if "base" in data:
        b = data.pop("base")
        if not isinstance(b, str) or not b:
            raise PosegraphError(f"base in {path}: must be a path to another config (relative to this file), not {_short(b)}")
        bp = Path(b) if Path(b).is_absolute() else path.parent / b
        if not bp.exists():
            raise PosegraphError(f"base in {path}: {bp} not found (a base path is relative to the file)")
        layers = _file_layers(bp, seen + (real,))
    layers.append((data, str(path)))
    return layers


# ------------------------------------------------------------------------------ checks
def _suggest(key: str, candidates: list[str]) -> str:
    """The nearest valid key: by name within the key's section, else the same name elsewhere."""
    sec, _, leaf = key.rpartition(".")
    same = {c.rpartition(".")[2]: c for c in candidates if c.rpartition(".")[0] == sec}
    near = difflib.get_close_matches(leaf, list(same), n=1, cutoff=0.6)
    if near:
        return f"; did you mean {same[near[0]]}?"
    other = [c for c in candidates if c.rpartition(".")[2] == leaf and c != key]
    if other:
        return f"; did you mean {other[0]}?"
    near = difflib.get_close_matches(key, candidates, n=1, cutoff=0.8)
    return f"; did you mean {near[0]}?" if near else ""


def _format_error(err: dict, layers: _Layers) -> str:
    loc = [str(p) for p in err["loc"]]
    # a discriminated union puts the tag into the location: train.schedule.exponential.gamma
    if len(loc) >= 3 and loc[:2] == ["train", "schedule"] and loc[2] in SCHEDULES:
        del loc[2]
    key = ".".join(loc)
    src = layers.where(key)
    typ = err["type"]
    if typ == "extra_forbidden":
        if loc[:2] == ["train", "schedule"]:
            name = layers.cfg.get("train", {}).get("schedule", {}).get("name")
            cands = [f"train.schedule.{k}" for k in _fields(SCHEDULES.get(name, ConstantSchedule))]
            extra = f" (a {name!r} schedule takes: {', '.join(c.split('.')[-1] for c in cands if not c.endswith('.name')) or 'no options'})"
            return f"unknown key {key} in {src}{_suggest(key, cands) or extra}"
        return f"unknown key {key} in {src}{_suggest(key, valid_keys())}"
    if typ == "missing":
        return f"missing key {key}" + ("" if src == DEFAULT_SOURCE else f" (in {src})")
    if typ in ("union_tag_invalid", "union_tag_not_found"):
        val = layers.cfg.get("train", {}).get("schedule", {}).get("name")
        near = difflib.get_close_matches(str(val), list(SCHEDULES), n=1)
        return (f"{key}.name in {layers.where(key + '.name')}: unknown schedule {_short(val)}"
                + (f"; did you mean {near[0]!r}?" if near else "") + f" (known: {', '.join(SCHEDULES)})")
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    elif typ in ("model_type", "dict_type", "model_attributes_type"):
        msg = f"must be a section (a mapping of keys), not {_short(err.get('input'))}"
    elif typ == "literal_error":
        msg = f"{msg[0].lower()}{msg[1:]}, not {_short(err.get('input'))}"
        if isinstance(err.get("input"), str):
            exp = [e.strip(" '") for e in str(err.get("ctx", {}).get("expected", "")).replace(" or ", ",").split(",")]
            near = difflib.get_close_matches(err["input"], [e for e in exp if e], n=1)
            msg += f"; did you mean {near[0]!r}?" if near else ""
    else:
        msg = f"{msg[0].lower()}{msg[1:]}, not {_short(err.get('input'))}"
    if src.startswith("--") and not src.startswith("--set "):  # a command-line option
        return f"{src} ({key}): {msg}"
    return f"{key} in {src}: {msg}"


def _check_kwarg(v: Any, hint: Any) -> Any:
    """Check one model argument against a simple annotation; returns the (converted) value."""
    if hint is inspect.Parameter.empty or hint is Any:
        return v
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType) and type(None) in args:
        if v is None:
            return v
        rest = [a for a in args if a is not type(None)]
        return _check_kwarg(v, rest[0]) if len(rest) == 1 else v
    if hint is int:
        return _to_int(v)
    if hint is float:
        return _to_float(v)
    if hint is bool:
        return _to_bool(v)
    if hint is str:
        if not isinstance(v, str):
            raise ValueError(f"must be a string, not {_short(v)}")
        return v
    return v


def _check_model(cfg: dict, layers: _Layers) -> None:
    from .models.registry import _REGISTRY, list_models, model_task

    m = cfg["model"]
    name = m["name"]
    if name not in _REGISTRY:
        near = difflib.get_close_matches(name, list_models(), n=1)
        raise PosegraphError(f"model.name in {layers.where('model.name')}: unknown model {name!r}"
                             + (f"; did you mean {near[0]!r}?" if near else "") + f" (known: {', '.join(list_models())})")
    mtask = model_task(name)
    if cfg["task"] != mtask:
        raise PosegraphError(f"task in {layers.where('task')}: {name!r} is a {mtask} model, so task must be "
                             f"{mtask!r}, not {cfg['task']!r}")
    btask = BENCHMARK_TASK[cfg["benchmark"]]
    if btask != mtask:
        fits = " or ".join(b for b, t in BENCHMARK_TASK.items() if t == mtask)
        raise PosegraphError(f"benchmark in {layers.where('benchmark')}: {cfg['benchmark']} is a {btask} benchmark; "
                             f"a {mtask} model ({name!r}) needs {fits}")
    if cfg["benchmark"] in H36M_BENCHMARKS and not (cfg.get("data") or {}).get("path"):
        b = cfg["benchmark"]
        raise PosegraphError(f"benchmark in {layers.where('benchmark')}: {b} reads a Human3.6M build, so data.path "
                             f"must name it (the folder `posegraph data build {b} ... --out DIR` wrote, or the .npz "
                             "in it; e.g. --set data.path=DIR)")
    cls = _REGISTRY[name]
    sig = inspect.signature(cls.__init__)
    params = {k: p for k, p in list(sig.parameters.items())[1:]
              if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    open_kwargs = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception:  # unresolvable annotations: names are still checked
        hints = {}
    kwargs = m.get("kwargs") or {}
    for k in list(kwargs):
        key = f"model.kwargs.{k}"
        if not isinstance(k, str):
            raise PosegraphError(f"model.kwargs in {layers.where('model.kwargs')}: argument names must be strings, not {_short(k)}")
        if k not in params and not open_kwargs:
            near = difflib.get_close_matches(k, list(params), n=1)
            raise PosegraphError(f"unknown key {key} in {layers.where(key)}"
                                 + (f"; did you mean model.kwargs.{near[0]}?" if near else "")
                                 + f" ({name!r} takes: {', '.join(params) or 'no arguments'})")
        try:
            kwargs[k] = _check_kwarg(kwargs[k], hints.get(k, inspect.Parameter.empty))
        except ValueError as e:
            raise PosegraphError(f"{key} in {layers.where(key)}: {e}") from None
    if m.get("teacher") is not None and not m.get("teacher_resolved"):
        if getattr(cls, "make_student", None) is None:
            raise PosegraphError(f"model.teacher in {layers.where('model.teacher')}: a {name!r} model has no "
                                 "teacher/student training (ses-gcn has)")
    _trial_build(name, kwargs, layers)


def _trial_build(name: str, kwargs: dict, layers: _Layers) -> None:
    """Build the model on the ``meta`` device (no memory, no weights): catches what the
    signature cannot say (an unknown skeleton, a negative width, a dropout of 1.5)."""
    import torch

    from .models.registry import _REGISTRY

    src = layers.latest("model.kwargs")
    try:
        with torch.device("meta"):
            model = _REGISTRY[name](**kwargs)
        n = sum(p.numel() for p in model.parameters())
    except PosegraphError as e:
        raise PosegraphError(f"model.kwargs in {src}: {e}") from None
    except Exception as e:  # noqa: BLE001 - any constructor failure becomes one line naming the keys
        msg = " ".join(str(e).split()) or type(e).__name__
        raise PosegraphError(f"model.kwargs in {src}: cannot build a {name!r} model from "
                             f"{_short(kwargs)}: {msg[:200]}") from None
    if n > MAX_PARAMETERS:
        raise PosegraphError(f"model.kwargs in {src}: a {name!r} model with these arguments has {n:,} parameters "
                             f"(more than {MAX_PARAMETERS:,})")


def _coerce(raw: Any, checked: Any) -> Any:
    """``raw`` with each leaf replaced by its checked value (strings read as numbers become
    numbers); keys stay as given (nothing is added), and numbers that were numbers stay as they were."""
    if isinstance(raw, dict) and isinstance(checked, dict):
        return {k: _coerce(v, checked.get(k, v)) for k, v in raw.items()}
    if isinstance(raw, list) and isinstance(checked, list) and len(raw) == len(checked):
        return [_coerce(a, b) for a, b in zip(raw, checked)]
    return raw if (_is_number(raw) and _is_number(checked) and raw == checked) else checked


def validate_config(cfg: dict, layers: _Layers | None = None) -> dict:
    """Check a resolved config dict; returns it (values read from strings converted).

    Raises a one-line :class:`PosegraphError` naming the key (and the file or option that
    set it, when known) on the first problem.
    """
    if not isinstance(cfg, dict):
        raise PosegraphError(f"a config must be a mapping of sections, not a {type(cfg).__name__}")
    if layers is None:  # a dict from the API: the defaults fill what it leaves out
        layers = _Layers()
        layers.merge(cfg, "the config")
        cfg = {**{k: layers.cfg[k] for k in ("task", "benchmark") if k in layers.cfg}, **layers.cfg}
        layers.cfg = cfg
    try:
        checked = ConfigSchema.model_validate(cfg).model_dump(exclude_unset=True)
    except ValidationError as e:
        errs = sorted(e.errors(include_url=False), key=lambda r: (r["type"] != "extra_forbidden", len(r["loc"])))
        raise PosegraphError(_format_error(errs[0], layers)) from None
    except RecursionError:
        raise PosegraphError("config nested too deeply") from None
    out = _coerce(cfg, checked)
    out["model"]["kwargs"] = dict(out["model"].get("kwargs") or {})
    _check_model(out, layers)
    return out


def load_config(path: str | os.PathLike | None = None, overrides: list[str] | None = None,
                options: dict[str, tuple[Any, str]] | None = None) -> dict:
    """Defaults, updated by the YAML file (after its ``base`` chain), by ``overrides``
    (``key.sub=value``) and by ``options`` (``{"train.devices": (2, "--devices")}``);
    checked with :func:`validate_config`. Returns the resolved dict."""
    override_layers = parse_overrides(overrides)  # cheap syntax checks first
    if path is None:
        raise PosegraphError("no config given: pass a YAML file, e.g. --config configs/lift/baseline.yaml")
    layers = _Layers()
    files = _file_layers(Path(path))
    for data, src in files:
        layers.merge(data, src)
    for node, src in override_layers:
        layers.merge(node, src)
    _merge_options(layers, options)
    return _finish(layers, str(path))


def _finish(layers: _Layers, what: str) -> dict:
    cfg = layers.cfg
    if not isinstance(cfg.get("model"), dict) or "model.name" not in layers.source:
        raise PosegraphError(f"{what}: no model.name; a config must name its model, e.g. model: {{name: semgcn}}")
    name = cfg["model"].get("name")
    if "task" not in cfg:  # not given: the model's
        from .models.registry import _TASKS

        cfg["task"] = _TASKS.get(name, DEFAULTS["task"]) if isinstance(name, str) else DEFAULTS["task"]
    if "benchmark" not in cfg:
        from .tasks import TASKS

        cfg["benchmark"] = TASKS[cfg["task"]].benchmark if cfg["task"] in TASKS else DEFAULTS["benchmark"]
    order = ["task", "benchmark", "model", "data", "train"]
    cfg = {**{k: cfg[k] for k in order if k in cfg}, **{k: v for k, v in cfg.items() if k not in order}}
    layers.cfg = cfg
    return validate_config(cfg, layers)


def check_saved_config(cfg: Any, path: str | os.PathLike, options: dict[str, tuple[Any, str]] | None = None) -> dict:
    """Check the resolved ``config.yaml`` of a run folder (no defaults added, no base), with
    ``options`` (as in :func:`load_config`) applied."""
    if not isinstance(cfg, dict) or not cfg:
        raise PosegraphError(f"{path}: not a run config (expected a mapping with model, data and train)")
    for k in ("task", "benchmark", "model", "data", "train"):
        if k not in cfg:
            raise PosegraphError(f"{path}: not a run config (no {k!r} section)")
    layers = _Layers()
    layers.merge(cfg, str(path))  # the defaults fill what an older file leaves out (options added since)
    layers.cfg = {**{k: layers.cfg[k] for k in ("task", "benchmark") if k in layers.cfg}, **layers.cfg}
    _merge_options(layers, options)
    out = validate_config(layers.cfg, layers)
    for k in ("batch_size", "max_steps", "lr", "weight_decay", "seed", "val_every_steps"):
        if k not in cfg["train"]:
            raise PosegraphError(f"{path}: no train.{k} (a run's config.yaml holds every key; was it cut short?)")
    return out


def _merge_options(layers: _Layers, options: dict[str, tuple[Any, str]] | None) -> None:
    for key, (val, src) in (options or {}).items():
        node: Any = val
        for p in reversed(key.split(".")):
            node = {p: node}
        layers.merge(node, src)

