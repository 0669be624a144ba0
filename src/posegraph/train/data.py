"""In-memory training data, batches cut by index (no per-sample Python work).

:class:`IndexBatches` shuffles sample indices once per epoch (seed + epoch) and yields whole
batches gathered by tensor indexing. Under DDP each rank takes a disjoint, equal-length
slice of the permutation, so ranks see different batches and take the same number of steps.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, IterableDataset

from ..data.build import load_benchmark_file
from ..data.forecast import load_forecast
from ..data.lift import load_lift
from ..skeleton import H36M17, Skeleton


def _rank_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class IndexBatches(IterableDataset):
    """Yields ``gather(index_tensor)`` for batches of a per-epoch permutation of ``n`` samples."""

    def __init__(self, n: int, gather: Callable[[torch.Tensor], dict], batch_size: int,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = True):
        self.n, self.gather, self.batch_size = n, gather, batch_size
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        self.epoch = 0
        self.position = 0  # batches of the current epoch consumed by training (set by the module)
        self._skip = 0  # batches to skip on the next iteration (a mid-epoch resume)

    def state_dict(self) -> dict:
        return {"epoch": int(self.epoch), "position": int(self.position)}

    def load_state_dict(self, state: dict) -> None:
        """Resume mid-epoch: the same permutation, continuing after the consumed batches."""
        self.epoch = int(state.get("epoch", 0))
        self._skip = self.position = int(state.get("position", 0))

    def _indices(self) -> torch.Tensor:
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed * 100003 + self.epoch)
            idx = torch.randperm(self.n, generator=g)
        else:
            idx = torch.arange(self.n)
        rank, world = _rank_world()
        per_rank = self.n // world
        return idx[rank * per_rank:(rank + 1) * per_rank] if world > 1 else idx

    def __len__(self) -> int:
        per_rank = self.n // _rank_world()[1]
        return per_rank // self.batch_size if self.drop_last else math.ceil(per_rank / self.batch_size)

    def __iter__(self):
        idx = self._indices()
        stop = len(idx) - (len(idx) % self.batch_size if self.drop_last else 0)
        start, self._skip = self._skip * self.batch_size, 0
        for s in range(start, stop, self.batch_size):
            yield self.gather(idx[s:s + self.batch_size])


class ResumableLoader(DataLoader):
    """A DataLoader of whole :class:`IndexBatches` batches whose position Lightning checkpoints."""

    def __init__(self, batches: IndexBatches):
        super().__init__(batches, batch_size=None)

    def state_dict(self) -> dict:
        return self.dataset.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.dataset.load_state_dict(state)


class LiftTensors:
    """Lifting samples as tensors in a model's joint set.

    With ``world`` (frames x 17 x 3, world +y up) and ``world_index`` (the frame of each sample),
    batches also carry ``w``, the sample's world pose, for random-camera augmentation.
    """

    def __init__(self, p2d: np.ndarray, p3d: np.ndarray, skeleton: Skeleton,
                 world: np.ndarray | None = None, world_index: np.ndarray | None = None):
        ji = torch.as_tensor(H36M17.subset_indices(skeleton)) if p2d.shape[1] == 17 else torch.arange(p2d.shape[1])
        self.x = torch.as_tensor(np.ascontiguousarray(p2d))[:, ji].contiguous()
        self.y = torch.as_tensor(np.ascontiguousarray(p3d))[:, ji].contiguous()
        self.world = None if world is None else torch.as_tensor(np.ascontiguousarray(world))[:, ji].contiguous()
        self.world_index = None if world_index is None else torch.as_tensor(world_index)

    def __len__(self) -> int:
        return len(self.x)

    def gather(self, idx: torch.Tensor) -> dict:
        b = {"x": self.x[idx], "y": self.y[idx]}
        if self.world is not None:
            b["w"] = self.world[self.world_index[idx]]
        return b


def _world_frames(samples, path=None) -> tuple[np.ndarray, np.ndarray]:
    """The benchmark's world frames and, per sample, the index of its frame among them."""
    bench = load_benchmark_file(path or "mocap_lift")
    train = bench.seq_split == "train"
    offsets = {str(n): int(bench.seq_offsets[i]) for i, n in enumerate(bench.seq_name) if train[i]}
    names, inv = np.unique(samples.seq, return_inverse=True)
    start = np.array([offsets[str(n)] for n in names], dtype=np.int64)[inv]
    return bench.positions, start + samples.frame // bench.stride


class ForecastTensors:
    """Forecasting windows gathered from the concatenated frames.

    ``ends`` (the first frame after each window's take) and ``speed`` > 0: batches also carry
    ``"w"``, the take from the window's start over ``(1 + speed)`` times the window's length
    (frames past the take's end are NaN), for the playback-speed augmentation
    (:func:`posegraph.train.augment.augment_forecast`)."""

    def __init__(self, positions: np.ndarray, starts: np.ndarray, past: int, future: int, skeleton: Skeleton,
                 ends: np.ndarray | None = None, speed: float = 0.0):
        ji = H36M17.subset_indices(skeleton)
        self.pos = torch.as_tensor(np.ascontiguousarray(positions[:, ji]))
        self.starts = torch.as_tensor(starts)
        self.offsets = torch.arange(past + future)
        self.past = past
        self.ends = None if ends is None or not speed else torch.as_tensor(ends)
        if self.ends is not None:
            self.long_offsets = torch.arange(int(np.ceil((past + future - 1) * (1 + speed))) + 1)

    def __len__(self) -> int:
        return len(self.starts)

    def gather(self, idx: torch.Tensor) -> dict:
        w = self.pos[self.starts[idx, None] + self.offsets]
        b = {"x": w[:, :self.past], "y": w[:, self.past:]}
        if self.ends is not None:
            f = self.starts[idx, None] + self.long_offsets
            inside = f < self.ends[idx, None]
            long = self.pos[torch.minimum(f, self.ends[idx, None] - 1)]
            b["w"] = torch.where(inside[:, :, None, None], long, torch.full_like(long, float("nan")))
        return b


def benchmark_data_path(cfg: dict):
    """The file a config trains on: for ``h36m`` / ``h36m-forecast``, the Human3.6M build that
    ``data.path`` names (checked: a folder or file of that kind); for ``mocap-*``, ``data.path``
    as given (None: the committed benchmark)."""
    from ..config import H36M_BENCHMARKS

    path = (cfg.get("data") or {}).get("path")
    if cfg.get("benchmark") in H36M_BENCHMARKS:
        from ..data.h36m import h36m_build_path

        return h36m_build_path(path, cfg["benchmark"])
    return path


def lift_training_data(skeleton: Skeleton, path=None, world: bool = False,
                       validation_subjects=None) -> tuple[LiftTensors, LiftTensors]:
    """(train, validation) of ``mocap-lift``: validation = whole held-out training takes (or
    the takes of the people ``validation_subjects`` names: ``data.validation_subjects``).

    ``world``: training batches also carry each sample's world pose (random-camera augmentation).
    """
    tr = load_lift("train", "gt", validation="exclude", path=path, validation_subjects=validation_subjects)
    va = load_lift("train", "gt", validation="only", path=path, validation_subjects=validation_subjects)
    extra = _world_frames(tr, path) if world else (None, None)
    return LiftTensors(tr.p2d, tr.p3d, skeleton, *extra), LiftTensors(va.p2d, va.p3d, skeleton)


def forecast_training_data(skeleton: Skeleton, path=None, speed: float = 0.0,
                           validation_subjects=None) -> tuple[ForecastTensors, ForecastTensors]:
    """(train, validation) windows; ``speed`` > 0: training batches carry what the playback-speed
    augmentation needs (:class:`ForecastTensors`)."""
    tr = load_forecast("train", validation="exclude", path=path, validation_subjects=validation_subjects)
    va = load_forecast("train", validation="only", path=path, validation_subjects=validation_subjects)
    ends = tr.bench.seq_offsets[tr.seq_index + 1] if speed else None
    return (ForecastTensors(tr.positions, tr.starts, tr.past, tr.future, skeleton, ends=ends, speed=speed),
            ForecastTensors(va.positions, va.starts, va.past, va.future, skeleton))
