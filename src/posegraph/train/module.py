"""The one LightningModule that trains every posegraph model, for lifting and forecasting."""

from __future__ import annotations

import time
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO

from .._version import __version__
from ..models.contract import pose_of
from ..pipeline import MODEL_FORMAT, MODEL_FORMAT_VERSION, Pipeline
from ..tasks import get_task
from .schedules import build_scheduler


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoints written to a temporary file, then renamed."""

    def save_checkpoint(self, checkpoint, path, storage_options=None):
        from ..fileio import atomic_path

        with atomic_path(path) as tmp:
            torch.save(checkpoint, tmp)


def step_seed(seed: int, step: int, rank: int = 0) -> int:
    """The seed of one training step's random draws: (seed, step, rank) hashed by numpy's
    ``SeedSequence`` (well mixed: neighbouring steps or seeds give unrelated streams)."""
    return int(np.random.SeedSequence([int(seed), int(step), int(rank)]).generate_state(1, np.uint64)[0] >> 1)


class PoseModule(pl.LightningModule):
    """Trains ``Pipeline(model)`` with the model's own ``loss``; logs loss and MPJPE (mm)."""

    def __init__(self, config: dict):
        super().__init__()
        self.save_hyperparameters({"config": config})
        self.config = config
        m = config["model"]
        self.pipeline = Pipeline(m["name"], m.get("kwargs", {}), flip_test=bool(m.get("flip_test", False)))
        self.task = self.pipeline.task
        self.task_spec = get_task(self.task)
        self.train_batches = None  # set by the runner (IndexBatches), to reseed per epoch

    # ------------------------------------------------------------------ augmentation
    def _augment(self, x: torch.Tensor, y: torch.Tensor, world: torch.Tensor | None = None):
        """The task's training augmentation (:mod:`posegraph.train.augment`) as the config's
        ``data`` section asks."""
        return self.task_spec.augment(x, y, world, self.config["data"], self.pipeline.flip_perm,
                                      parents=self.pipeline.skeleton.parents)

    # ------------------------------------------------------------------ steps
    def on_train_epoch_start(self):
        if self.train_batches is not None and self.train_batches.epoch != self.current_epoch:
            self.train_batches.epoch = self.current_epoch
            self.train_batches.position = 0

    def on_train_batch_start(self, batch, batch_idx):
        # Every random draw of a step (flips, virtual cameras, noise, dropout) comes from a
        # generator seeded by (seed, step, rank): a resumed run repeats the uninterrupted run's
        # draws exactly, whatever else consumed random numbers in between (validation loader
        # iterators, a different number of sanity checks, process restarts).
        torch.manual_seed(step_seed(int(self.config["train"].get("seed", 0)), self.global_step, self.global_rank))

    def training_step(self, batch, batch_idx):
        if self.config["train"].get("trace_batches"):  # debugging/tests: fingerprint of each batch
            self._trace.append(float(batch["x"].double().sum()))
        x, y = self._augment(batch["x"], batch["y"], batch.get("w"))
        out = self.pipeline.raw(x)
        loss, logs = self.pipeline.model.loss(out, self.pipeline.out_norm(y))
        with torch.no_grad():
            err = (pose_of(self.pipeline.denormalize(out)) - y).norm(dim=-1).mean() * 1000.0
        self.log("train_loss", loss, prog_bar=True, batch_size=x.shape[0])
        self.log("train_mpjpe", err, prog_bar=True, batch_size=x.shape[0])
        for k, v in logs.items():
            if k not in ("loss", "mpjpe"):
                self.log(f"train_{k}", v, batch_size=x.shape[0])
        return loss

    def on_train_start(self):
        self._trace = []
        self._t0 = time.time()

    def train_seconds(self) -> float:
        """Wall time spent training, summed over interrupted and resumed sessions."""
        return getattr(self, "_wall_offset", 0.0) + (time.time() - self._t0 if hasattr(self, "_t0") else 0.0)

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self._wall_offset = float(checkpoint.get("posegraph_train_seconds", 0.0))

    def on_train_end(self):
        d = self.config["train"].get("trace_batches")
        if d:
            from ..fileio import save_json

            save_json(Path(d) / f"trace_rank{self.global_rank}.json",
                      {"rank": self.global_rank, "world_size": self.trainer.world_size, "batches": self._trace})

    def on_train_batch_end(self, outputs, batch, batch_idx):
        if self.train_batches is not None:
            self.train_batches.position = batch_idx + 1
        self.pipeline.model.after_optimizer_step()

    def validation_step(self, batch, batch_idx):
        x, y = batch["x"], batch["y"]
        pred = pose_of(self.pipeline(x))
        err = (pred - y).norm(dim=-1).mean() * 1000.0
        self.log("val_mpjpe", err, prog_bar=True, batch_size=x.shape[0], sync_dist=True)

    def configure_optimizers(self):
        t = self.config["train"]
        params = [p for p in self.pipeline.parameters() if p.requires_grad]
        if t.get("optimizer", "adam") == "adamw":
            opt = torch.optim.AdamW(params, lr=float(t["lr"]), weight_decay=float(t["weight_decay"]))
        else:
            opt = torch.optim.Adam(params, lr=float(t["lr"]), weight_decay=float(t["weight_decay"]))
        sched = build_scheduler(opt, t.get("schedule", {}), int(t["max_steps"]), float(t["lr"]))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    # ------------------------------------------------------------------ checkpoints
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        """Make Lightning checkpoints self-describing model files too (weights stay in state_dict)."""
        checkpoint["posegraph_train_seconds"] = self.train_seconds()
        checkpoint["posegraph"] = {
            "format": MODEL_FORMAT, "format_version": MODEL_FORMAT_VERSION, "task": self.task,
            "model": {"name": self.pipeline.model_name, "kwargs": self.pipeline.model_kwargs},
            "skeleton": self.pipeline.skeleton.to_dict(), "inference": {"flip_test": self.pipeline.flip_test},
            "benchmark": self.config.get("benchmark"),
            "split": "train", "library_version": __version__, "config": self.config,
            "metrics": {k: float(v) for k, v in self.trainer.callback_metrics.items()} if self._trainer else {},
        }
