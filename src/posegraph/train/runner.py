"""``posegraph train``: one function that trains any model from its config.

A run directory holds ``config.yaml`` (resolved), ``logs/metrics.csv`` and TensorBoard
events, ``checkpoints/last.ckpt`` and ``checkpoints/best.ckpt`` (Lightning, with optimizer
state, for ``--resume``), ``model.pt`` (the best weights as a model file), ``metrics.json``
(test metrics), ``report.md`` and ``training_curves.png``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import lightning.pytorch as pl
import torch
import yaml
from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint, TQDMProgressBar
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from torch.utils.data import DataLoader

from ..config import check_saved_config, read_yaml_file, validate_config
from ..errors import PosegraphError
from ..fileio import OutputDir, ensure_empty_dir, save_json, write_text
from ..pipeline import load_model_file, save_model_file
from ..tasks import get_task
from .data import IndexBatches, ResumableLoader, benchmark_data_path
from .module import AtomicCheckpointIO, PoseModule

warnings.filterwarnings("ignore", message=r".*does not have many workers.*")
warnings.filterwarnings("ignore", message=r".*IterableDataset.*__len__.*")
warnings.filterwarnings("ignore", message=r".*You are using `torch.load` with `weights_only=False`.*")
# resumed runs keep their logs (metrics.csv is set aside and merged afterwards)
warnings.filterwarnings("ignore", message=r".*Previous log files in this directory will be deleted.*")
warnings.filterwarnings("ignore", message=r".*exists and is not empty.*")
warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated.*")


def _loaders(module: PoseModule, cfg: dict):
    t = cfg["train"]
    sk = module.pipeline.skeleton
    train, val = module.task_spec.training_data(sk, cfg.get("data", {}), benchmark_data_path(cfg))
    tb = IndexBatches(len(train), train.gather, int(t["batch_size"]), shuffle=True, seed=int(t["seed"]))
    vb = IndexBatches(len(val), val.gather, 8192, shuffle=False, drop_last=False)
    module.train_batches = tb
    return train, val, ResumableLoader(tb), DataLoader(vb, batch_size=None)


def _keep_csv_log(logs: Path) -> Path | None:
    """Before a resume: move ``metrics.csv`` aside (Lightning's CSV logger would overwrite it);
    returns where it went."""
    cur = logs / "metrics.csv"
    if cur.exists():
        n = len(list(logs.glob("metrics.part-*.csv")))
        dst = logs / f"metrics.part-{n:03d}.csv"
        os.replace(cur, dst)
        return dst
    return None


class _RelocatableCheckpoint(ModelCheckpoint):
    """A ModelCheckpoint that restores its best score and paths after the run folder moved
    (Lightning's own drops them when the stored ``dirpath`` differs)."""

    def load_state_dict(self, state_dict: dict) -> None:
        old = state_dict.get("dirpath")
        new = self.dirpath
        if old and new and old != new:
            def move(p):
                return os.path.join(new, os.path.relpath(p, old)) if isinstance(p, str) and p.startswith(old) else p
            state_dict = dict(state_dict)
            state_dict["dirpath"] = new
            for k in ("best_model_path", "kth_best_model_path", "last_model_path"):
                if k in state_dict:
                    state_dict[k] = move(state_dict[k])
            if isinstance(state_dict.get("best_k_models"), dict):
                state_dict["best_k_models"] = {move(k): v for k, v in state_dict["best_k_models"].items()}
        super().load_state_dict(state_dict)


class _StepProgressBar(TQDMProgressBar):
    """One bar over the whole run: step/max_steps, loss, MPJPE, the last validation MPJPE and
    the time left (tqdm's estimate), instead of one bar per epoch of an endless epoch count."""

    _started = False

    def on_train_epoch_start(self, trainer, *_):
        bar = self.train_progress_bar
        if self._started or bar is None:
            return
        self._started = True
        bar.reset(total=trainer.max_steps)
        bar.initial = bar.n = trainer.global_step
        bar.set_description("training")
        bar.refresh()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        bar = self.train_progress_bar
        n = trainer.global_step
        if bar is not None and self._should_update(n, bar.total):
            bar.n = n
            bar.set_postfix(self.get_metrics(trainer, pl_module))

    def get_metrics(self, trainer, pl_module):
        m = super().get_metrics(trainer, pl_module)
        m.pop("v_num", None)
        return m


class _TestCurve(pl.Callback):
    """``train.test_curve``: after each validation, the MPJPE (mm) of the current weights on the
    task's test split (gt inputs), appended to ``test_curve.csv`` as ``step, train_seconds,
    test_mpjpe``, so that a report can say how long training took to reach a given test error.
    It is written to its own file, not logged as a metric: checkpoint selection and early
    stopping never see it (they use the validation takes only)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.samples = None

    def on_validation_end(self, trainer, pl_module):
        if trainer.sanity_checking or trainer.global_rank != 0:
            return
        task = get_task(pl_module.pipeline.task)
        if self.samples is None:
            self.samples = task.test_samples("gt")
        was_training = pl_module.training
        try:
            rep = task.evaluate(pl_module.pipeline, self.samples)
        finally:
            pl_module.train(was_training)
        mpjpe = float(rep[task.headline])
        new = not self.path.exists()
        with open(self.path, "a") as f:
            if new:
                f.write("step,train_seconds,test_mpjpe\n")
            f.write(f"{int(trainer.global_step)},{pl_module.train_seconds():.1f},{mpjpe:.3f}\n")


class _ValidationLines(pl.Callback):
    """One line per validation (for ``--no-progress``): step, validation MPJPE, the best so far,
    the training loss and the time left at the pace of this session."""

    def __init__(self, best_cb: ModelCheckpoint):
        self.best_cb = best_cb
        self.best = float("inf")

    def on_train_start(self, trainer, pl_module):
        import time

        self.t0, self.step0 = time.time(), trainer.global_step
        if self.best_cb.best_model_score is not None:
            self.best = float(self.best_cb.best_model_score)

    def on_validation_end(self, trainer, pl_module):
        import time

        if trainer.sanity_checking or trainer.global_rank != 0 or not hasattr(self, "t0"):
            return
        m = trainer.callback_metrics
        if "val_mpjpe" not in m:
            return
        v = float(m["val_mpjpe"])
        self.best = min(self.best, v)
        step, total = trainer.global_step, trainer.max_steps
        done = step - self.step0
        left = (time.time() - self.t0) / done * (total - step) if done > 0 else float("nan")
        loss = f", train loss {float(m['train_loss']):.4g}" if "train_loss" in m else ""
        eta = ("training done" if step >= total else f"{int(left // 60)} min {int(left % 60):02d} s left" if left == left
               else "time left unknown")
        print(f"step {step}/{total}: validation MPJPE {v:.1f} mm (best {self.best:.1f}){loss}; {eta}", flush=True)


def _fix(out: Path) -> str:
    return f"start over with: posegraph train --config FILE --out {out} --overwrite"


def load_run_config(out: str | os.PathLike, options: dict | None = None) -> dict:
    """The checked ``config.yaml`` of run folder ``out`` (for ``--resume``), with ``options``
    (``{"train.devices": (2, "--devices")}``) applied; one-line errors that say what to do."""
    out = Path(out)
    if not out.exists():
        raise PosegraphError(f"{out}: no such run folder to resume")
    if not out.is_dir():
        raise PosegraphError(f"{out}: not a run folder (it is a file)")
    path = out / "config.yaml"
    if not path.exists():
        raise PosegraphError(f"{path}: missing, so the run cannot be resumed; {_fix(out)}")
    try:
        return check_saved_config(read_yaml_file(path), path, options)
    except PosegraphError as e:
        raise PosegraphError(f"cannot resume: {e}; repair {path.name} or {_fix(out)}") from None


def _read_checkpoint(path: Path) -> dict:
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - truncated, another file type, a directory...
        kind = type(e).__name__
        raise PosegraphError(f"{path}: not a readable checkpoint (truncated or another kind of file: {kind})") from None
    if not isinstance(ck, dict) or not isinstance(ck.get("state_dict"), dict) or not isinstance(ck.get("global_step"), int) \
            or "loops" not in ck:
        raise PosegraphError(f"{path}: not a Lightning training checkpoint (no state_dict/global_step/loops)")
    return ck


def check_resume(out: Path, cfg: dict, module: "PoseModule") -> dict:
    """Before a resume touches anything: ``checkpoints/last.ckpt`` is readable, a training
    checkpoint, and fits the model of ``config.yaml``. Returns the checkpoint's summary:
    ``{"global_step", "finished"}`` (finished: ``model.pt`` and ``metrics.json`` were written at
    the checkpoint's step and it is the last step)."""
    ck_dir = out / "checkpoints"
    last, best = ck_dir / "last.ckpt", ck_dir / "best.ckpt"
    fallback = (f"continue from the best checkpoint instead: cp {best} {last}; or {_fix(out)}" if best.is_file()
                else _fix(out))
    if not last.exists():
        raise PosegraphError(f"{out}: nothing to resume (no checkpoints/last.ckpt); {fallback}")
    try:
        ck = _read_checkpoint(last)
    except PosegraphError as e:
        raise PosegraphError(f"{e}; {fallback}") from None
    want = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    have = {k: tuple(v.shape) for k, v in ck["state_dict"].items() if hasattr(v, "shape")}
    missing, extra = sorted(set(want) - set(have)), sorted(set(have) - set(want))
    bad = [k for k in want if k in have and want[k] != have[k]]
    if missing or extra or bad:
        what = (f"{bad[0]} is {list(have[bad[0]])} there but {list(want[bad[0]])} in config.yaml" if bad else
                f"{'no ' + missing[0] if missing else 'an unexpected ' + extra[0]} in the checkpoint")
        raise PosegraphError(f"{last}: does not fit {out / 'config.yaml'} ({what}; was config.yaml edited?); "
                             f"{fallback}")
    nonfinite = [k for k, v in ck["state_dict"].items()
                 if isinstance(v, torch.Tensor) and v.is_floating_point() and not torch.isfinite(v).all()]
    if nonfinite:
        raise PosegraphError(f"{last}: weights {nonfinite[0]} are not finite (a damaged checkpoint, or training "
                             f"diverged); {fallback}")
    step = int(ck["global_step"])
    finished = False
    mfile, model_pt = out / "metrics.json", out / "model.pt"
    if mfile.is_file() and model_pt.is_file():
        try:
            import json

            done = int(json.loads(mfile.read_text()).get("steps", -1))
        except (ValueError, OSError, AttributeError, TypeError):
            done = -1
        t = cfg["train"]
        finished = done == step and (step >= int(t["max_steps"]) or int(t.get("early_stopping_patience", 0)) > 0)
    return {"global_step": step, "finished": finished}


def _check_out(out: Path, overwrite: bool) -> None:
    """``ensure_empty_dir``'s refusals (and a name too long), without creating anything yet."""
    OutputDir(out, overwrite).check()
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise PosegraphError(f"{out}: {parent} is a file, not a directory")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise PosegraphError(f"{out}: cannot create it in {parent} (permission denied)")
            break


def _check_accelerator(t: dict) -> None:
    """The accelerator asked for exists on this machine, with enough devices."""
    acc = t.get("accelerator", "auto")
    if acc in (None, "auto", "cpu"):
        return
    from lightning.pytorch.accelerators import AcceleratorRegistry

    name = "cuda" if acc == "gpu" else acc
    try:
        cls = AcceleratorRegistry[name]["accelerator"]
        available = bool(cls.is_available())
        count = int(cls.auto_device_count()) if available else 0
    except Exception:  # noqa: BLE001 - an accelerator plugin that cannot even say
        available, count = False, 0
    if not available:
        raise PosegraphError(f"train.accelerator {acc!r}: not available on this machine (use cpu or auto)")
    dev = t.get("devices", 1)
    n = len(dev) if isinstance(dev, list) else dev if isinstance(dev, int) and dev > 0 else None
    if n is not None and n > count:
        raise PosegraphError(f"train.devices {dev!r}: this machine has {count} {acc} device(s)")


def _quiet_lightning() -> None:
    """No Lightning tips, "GPU/TPU available" lines or "max_steps reached" notices."""
    import logging

    for name in ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero",
                 "lightning.pytorch.accelerators.cuda", "lightning.fabric.utilities.seed"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _merge_csv_logs(logs: Path) -> None:
    """After a resumed run: one ``metrics.csv`` with the rows of every session. Rows of an
    earlier session from steps that a later session repeated (after its last checkpoint) are
    dropped. Written atomically; the parts are removed only afterwards."""
    import csv
    import io

    parts = sorted(logs.glob("metrics.part-*.csv"))
    if not parts:
        return
    sessions = []
    for f in parts + [logs / "metrics.csv"]:
        if f.exists():
            with open(f, newline="") as fh:
                sessions.append(list(csv.DictReader(fh)))
    rows: list[dict] = []
    for i, sess in enumerate(sessions):
        later = [int(r["step"]) for later_sess in sessions[i + 1:] for r in later_sess if r.get("step")]
        cut = min(later) if later else None
        rows += [r for r in sess if cut is None or not r.get("step") or int(r["step"]) < cut]
    fields = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields)
    w.writeheader()
    w.writerows(rows)
    write_text(logs / "metrics.csv", buf.getvalue())
    for f in parts:
        f.unlink()


def train(cfg: dict, out_dir: str | os.PathLike, resume: bool = False, overwrite: bool = False,
          progress: bool = True, evaluate: bool = True) -> dict:
    """Train ``cfg``'s model on its benchmark; returns the final metrics dict.

    Everything is checked before anything is written: the config, the output folder (or,
    for ``resume``, that ``checkpoints/last.ckpt`` is readable and fits the config), the
    accelerator, the teacher of a student. A finished run given to ``resume`` is left as it is:
    the metrics it wrote are returned with ``"already_finished": True``.
    """
    out = Path(out_dir)
    last = out / "checkpoints" / "last.ckpt"
    # Lightning's DDP launcher re-runs this command for ranks > 0: only the first prepares the run.
    child = os.environ.get("LOCAL_RANK", "0") != "0" or os.environ.get("NODE_RANK", "0") != "0"
    cfg = validate_config(cfg)
    t = cfg["train"]
    if not child:
        _check_accelerator(t)
        if not resume:
            _check_out(out, overwrite)
    if t.get("num_threads"):
        torch.set_num_threads(int(t["num_threads"]))
    pl.seed_everything(int(t["seed"]), workers=True, verbose=False)
    torch.set_float32_matmul_precision("high")
    _quiet_lightning()

    module = PoseModule(cfg)
    if resume and not child:
        state = check_resume(out, cfg, module)
        if state["finished"]:
            import json

            m = json.loads((out / "metrics.json").read_text())
            m["already_finished"] = True
            return m
    new_config = not resume
    if cfg["model"].get("teacher") and not cfg["model"].get("teacher_resolved"):
        _make_student(module, cfg)
        cfg["model"]["teacher_resolved"] = True
        new_config = True
    train_data, _, train_loader, val_loader = _loaders(module, cfg)
    if not resume:
        module.task_spec.prepare_pipeline(module.pipeline, train_data, cfg.get("data", {}))

    ckpt_dir = out / "checkpoints"
    best_cb = _RelocatableCheckpoint(dirpath=ckpt_dir, filename="best", monitor="val_mpjpe", mode="min",
                              save_top_k=1, save_last=True, enable_version_counter=False)
    callbacks = [best_cb, _StepProgressBar() if progress else _ValidationLines(best_cb)]
    if t.get("test_curve"):
        callbacks.append(_TestCurve(out / "test_curve.csv"))
    if int(t.get("early_stopping_patience", 0)) > 0:
        callbacks.append(EarlyStopping("val_mpjpe", patience=int(t["early_stopping_patience"]), mode="min"))
    loggers = [CSVLogger(out, name="logs", version=""), TensorBoardLogger(out, name="tb", version="")]
    max_steps = int(t["max_steps"])
    try:
        trainer = pl.Trainer(
            max_steps=max_steps, max_epochs=-1, val_check_interval=min(int(t["val_every_steps"]), max_steps),
            check_val_every_n_epoch=None, gradient_clip_val=float(t.get("grad_clip") or 0) or None,
            precision=t.get("precision", "32-true"), devices=t.get("devices", 1), accelerator=t.get("accelerator", "auto"),
            strategy=t.get("strategy", "auto"), logger=loggers, callbacks=callbacks, plugins=[AtomicCheckpointIO()],
            enable_progress_bar=progress, log_every_n_steps=int(t.get("log_every_steps", 50)),
            num_sanity_val_steps=0, enable_model_summary=False, default_root_dir=out,
        )
    except (MisconfigurationException, ValueError, RuntimeError, TypeError) as e:
        msg = " ".join(str(e).split())
        raise PosegraphError(f"cannot set up training with train.accelerator={t.get('accelerator')!r}, "
                             f"train.devices={t.get('devices')!r}, train.strategy={t.get('strategy')!r}, "
                             f"train.precision={t.get('precision')!r}: {msg[:300]}") from None
    moved = None
    if not child:  # every check passed: now the folder changes
        if not resume:
            ensure_empty_dir(out, overwrite=overwrite)
        else:
            moved = _keep_csv_log(out / "logs")
        if new_config:
            write_text(out / "config.yaml", yaml.safe_dump(cfg, sort_keys=False))
    try:
        trainer.fit(module, train_loader, val_loader, ckpt_path=str(last) if resume else None)
    except BaseException:
        if moved is not None and not (out / "logs" / "metrics.csv").exists():
            os.replace(moved, out / "logs" / "metrics.csv")  # nothing new logged: as it was
        raise
    if trainer.global_rank != 0:
        return {}

    best = Path(best_cb.best_model_path) if best_cb.best_model_path else last
    pipe = load_model_file(best)
    wall = module.train_seconds()
    metrics = {"steps": int(trainer.global_step), "train_wall_seconds": wall,
               "best_val_mpjpe": float(best_cb.best_model_score) if best_cb.best_model_score is not None else None,
               "params": pipe.num_parameters(),
               "train_samples_per_second": trainer.global_step * int(t["batch_size"]) * trainer.world_size / max(wall, 1e-9),
               "world_size": trainer.world_size, "devices": str(t.get("devices", 1)),
               "accelerator": _accelerator_name(trainer.strategy.root_device)}
    if evaluate:
        from ..evaluate import evaluate_benchmark
        task = get_task(pipe.task)
        settings = task.eval_settings
        print(f"training done ({trainer.global_step} steps); evaluating the best checkpoint on the {cfg['benchmark']} "
              f"test split ({', '.join(settings)} inputs)...", flush=True)
        md = [f"# {cfg['model']['name']} on {cfg['benchmark']}\n"]
        for s in settings:
            rep = evaluate_benchmark(pipe, s)
            metrics[f"test_{s}"] = rep
            md.append(task.report_markdown(rep, title=f"test, {s} inputs"))
        if cfg["benchmark"] in ("h36m", "h36m-forecast"):  # the papers' tables, as `posegraph eval --benchmark`
            from ..h36m_eval import h36m_protocol_reports

            for key, (rep, text) in h36m_protocol_reports(pipe, cfg["benchmark"], benchmark_data_path(cfg)).items():
                metrics[key] = rep
                md.append(text.rstrip())
    with OutputDir(out, overwrite=True) as final:  # report.md, model.pt, metrics.json: one set
        d = final.begin()
        if evaluate:
            write_text(d / "report.md", "\n\n".join(md) + "\n")
        save_model_file(d / "model.pt", pipe, config=cfg, metrics=_headline(metrics), benchmark=cfg["benchmark"], split="train")
        save_json(d / "metrics.json", metrics)
    _merge_csv_logs(out / "logs")
    try:
        plot_curves(out / "logs" / "metrics.csv", out / "training_curves.png")
    except Exception as e:  # a plot must not lose a finished run
        print(f"warning: could not plot training curves: {e}")
    return metrics


def _make_student(module: PoseModule, cfg: dict) -> None:
    """Teacher -> student (SeS-GCN): sparse masks from a trained teacher, fresh weights.

    The student's config (``sparse=True`` and its threshold) replaces the model kwargs, so its
    checkpoints rebuild it; the masks travel in the state_dict.
    """
    from ..pipeline import resolve_checkpoint

    teacher = load_model_file(resolve_checkpoint(cfg["model"]["teacher"]))
    make = getattr(type(teacher.model), "make_student", None)
    if make is None or teacher.model_name != cfg["model"]["name"]:
        raise PosegraphError(f"{cfg['model']['teacher']}: a {teacher.model_name!r} teacher cannot make a "
                             f"{cfg['model']['name']!r} student")
    student = make(teacher.model, threshold=float(cfg["model"].get("threshold", 0.03)))
    module.pipeline.model = student
    module.pipeline.model_kwargs = dict(student.config)
    cfg["model"]["kwargs"] = dict(student.config)
    module.config = cfg


def _headline(metrics: dict) -> dict:
    h = {k: metrics[k] for k in ("steps", "best_val_mpjpe", "params", "train_wall_seconds",
                                 "train_samples_per_second") if k in metrics}
    for s in ("gt", "noisy"):
        rep = metrics.get(f"test_{s}")
        if rep:
            for k in ("mpjpe", "p_mpjpe", "mpjpe_at", "mpjpe_upto"):
                if k in rep:
                    h[f"test_{s}_{k}"] = rep[k]
    return h


def plot_curves(csv_path: Path, png_path: Path) -> Path:
    """Training loss and validation MPJPE against step (PNG)."""
    import csv

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(csv.DictReader(open(csv_path)))
    def series(key):
        pts = [(int(r["step"]), float(r[key])) for r in rows if r.get(key) not in (None, "")]
        return tuple(zip(*pts)) if pts else ((), ())
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    s, v = series("train_loss")
    axes[0].plot(s, v, lw=0.8)
    axes[0].set(xlabel="step", ylabel="training loss", yscale="log", title="loss")
    for key, lab in (("train_mpjpe", "train"), ("val_mpjpe", "validation")):
        s, v = series(key)
        axes[1].plot(s, v, marker="o" if key == "val_mpjpe" else None, lw=0.8, label=lab)
    axes[1].set(xlabel="step", ylabel="MPJPE (mm)", title="MPJPE")
    axes[1].legend()
    fig.tight_layout()
    from ..fileio import atomic_path

    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
    return png_path


def _accelerator_name(device: torch.device) -> str:
    """What a run trained on, for its ``metrics.json`` (``cpu``, or the accelerator's name): train
    times are only comparable on one kind of machine."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return device.type
