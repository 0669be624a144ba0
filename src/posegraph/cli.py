"""The ``posegraph`` command. Thin: every subcommand calls one library function.

Errors are one line (``error: ...``) and exit code 2, unless ``--debug`` is given.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .errors import PosegraphError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Graph neural networks on the human skeleton: 2D->3D lifting and 3D forecasting.")
data_app = typer.Typer(no_args_is_help=True, help="Build, inspect and export the benchmarks.")
app.add_typer(data_app, name="data")

_STATE = {"debug": False}


def _check_options(**opts) -> None:
    """Range checks of numeric options: ``name=(value, lo, hi)`` (``None`` = open, ``lo="> 0"``
    = positive; ``None`` values are skipped); one line naming the option."""
    import math

    for name, (v, lo, hi) in opts.items():
        if v is None:
            continue
        opt = "--" + name.replace("_", "-")
        if isinstance(v, float) and not math.isfinite(v):
            raise PosegraphError(f"{opt} must be a finite number, not {v}")
        if lo == "> 0":
            if v <= 0:
                raise PosegraphError(f"{opt} must be a positive number, not {v}")
        elif (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = f">= {lo}" if hi is None else f"<= {hi}" if lo is None else f"in [{lo}, {hi}]"
            raise PosegraphError(f"{opt} must be {rng}, not {v}")


@app.callback()
def _main(debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors.")):
    _STATE["debug"] = debug


# --------------------------------------------------------------------------------- data
@data_app.command("build")
def data_build(target: Optional[str] = typer.Argument(None, help="h36m or h36m-forecast (licensed Human3.6M files); default: the mocap benchmarks."),
               raw: Optional[Path] = typer.Option(None, help="Folder of the raw mocap (default: ../shared/data or $POSEGRAPH_DATA)."),
               out: Optional[Path] = typer.Option(None, help="Output folder (default: the package's assets/benchmarks)."),
               data_3d: Optional[Path] = typer.Option(None, "--data-3d", help="h36m: VideoPose3D's data_3d_h36m.npz."),
               data_2d: Optional[Path] = typer.Option(None, "--data-2d", help="h36m: a data_2d_h36m_<name>.npz (e.g. cpn_ft_h36m_dbb)."),
               root: Optional[Path] = typer.Option(None, help="h36m-forecast: the exp-map tree PATH/h3.6m/dataset.")):
    """Build mocap_lift.npz and mocap_forecast.npz from the raw mocap, or a Human3.6M protocol.

    Examples:
      posegraph data build --raw ../shared/data
      posegraph data build h36m --data-3d data_3d_h36m.npz --data-2d data_2d_h36m_cpn_ft_h36m_dbb.npz --out h36m
      posegraph data build h36m-forecast --root h3.6m/dataset --out h36m
    """
    from .data.build import build_benchmarks

    if target is not None:
        from .data.h36m_cli import build_target

        for line in build_target(target, out, data_3d=data_3d, data_2d=data_2d, root=root):
            typer.echo(line)
        return
    for name, p in build_benchmarks(raw, out).items():
        typer.echo(f"wrote {p} ({p.stat().st_size / 1e6:.1f} MB)")


@data_app.command("info")
def data_info(as_json: bool = typer.Option(False, "--json", help="Print JSON.")):
    """Sample counts per benchmark, split and source.

    Example: posegraph data info
    """
    from .data.info import benchmark_counts, counts_markdown

    counts = benchmark_counts()
    typer.echo(json.dumps(counts, indent=2) if as_json else counts_markdown(counts))


@data_app.command("export")
def data_export(benchmark: str = typer.Argument(..., help="mocap-lift or mocap-forecast"),
                split: str = typer.Option("test", help="train or test"),
                setting: str = typer.Option("gt", help="gt or noisy (mocap-lift only)"),
                out: Path = typer.Option(..., help="Output .npz file."),
                overwrite: bool = typer.Option(False, help="Replace an existing file.")):
    """Write a benchmark split as flat arrays (p2d/p3d or past/future plus labels).

    Example: posegraph data export mocap-lift --split test --setting noisy --out lift_test_noisy.npz
    """
    from .data.forecast import load_forecast
    from .data.lift import load_lift

    if out.exists() and not overwrite:
        raise PosegraphError(f"{out}: exists (pass --overwrite to replace it)")
    if benchmark == "mocap-lift":
        samples = load_lift(split, setting)
    elif benchmark == "mocap-forecast":
        samples = load_forecast(split).to_samples()
    else:
        raise PosegraphError(f"unknown benchmark {benchmark!r}; known: mocap-lift, mocap-forecast")
    samples.to_npz(out)
    typer.echo(f"wrote {out}: {len(samples)} samples")


# --------------------------------------------------------------------------------- train / eval
@app.command()
def train(config: Optional[Path] = typer.Option(None, help="YAML config, e.g. configs/lift/semgcn.yaml."),
          set_: Optional[List[str]] = typer.Option(None, "--set", help="Override a config key: --set train.max_steps=2000"),
          out: Optional[Path] = typer.Option(None, help="Run directory (default runs/<model>)."),
          resume: Optional[Path] = typer.Option(None, help="Continue the interrupted run in this directory."),
          devices: Optional[int] = typer.Option(None, help="Number of devices (processes) to train on (>= 1, or -1 for all)."),
          strategy: Optional[str] = typer.Option(None, help="Lightning strategy, e.g. ddp."),
          accelerator: Optional[str] = typer.Option(None, help="cpu, gpu or auto."),
          overwrite: bool = typer.Option(False, help="Write into a non-empty --out."),
          progress: bool = typer.Option(True, help="Show the progress bar."),
          print_config: bool = typer.Option(False, "--print-config", help="Print the resolved config (YAML) and exit.")):
    """Train a model on its benchmark. The config is checked before anything runs.

    Examples:
      posegraph train --config configs/lift/baseline.yaml --out runs/baseline
      posegraph train --config configs/lift/semgcn.yaml --set train.max_steps=500 --out runs/try
      posegraph train --config configs/lift/ablations/semgcn_long.yaml --print-config
      posegraph train --resume runs/baseline
      posegraph train --config configs/lift/semgcn.yaml --devices 2 --strategy ddp
    """
    from .config import load_config

    options = {f"train.{k}": (v, f"--{k}") for k, v in (("devices", devices), ("strategy", strategy),
                                                          ("accelerator", accelerator)) if v is not None}
    if resume is not None:
        from .train.runner import load_run_config

        if config is not None or set_:
            raise PosegraphError(f"--resume continues {resume} with its own config.yaml; --config and --set do not "
                                 "apply (edit that file to change the run)")
        if out is not None and out != resume:
            raise PosegraphError(f"--resume writes into the run folder {resume}; drop --out {out}")
        cfg = load_run_config(resume, options)
        out = resume
    elif config is None:
        raise PosegraphError("no config: pass --config FILE (e.g. configs/lift/baseline.yaml), or --resume RUN")
    else:
        cfg = load_config(config, set_, options)
    if print_config:
        import yaml

        typer.echo(yaml.safe_dump(cfg, sort_keys=False).rstrip())
        return
    from .train.runner import train as run

    out = out or Path("runs") / cfg["model"]["name"]
    metrics = run(cfg, out, resume=resume is not None, overwrite=overwrite, progress=progress)
    if metrics.get("already_finished"):
        typer.echo(f"{out}: this run is finished ({metrics.get('steps')} steps; model {out / 'model.pt'}); "
                   "nothing to resume")
    elif metrics:
        t = metrics.get("test_gt", {})
        typer.echo(f"done: {metrics['steps']} steps; model {out / 'model.pt'}; "
                   f"test MPJPE {t.get('mpjpe', float('nan')):.1f} mm" if "mpjpe" in t else
                   f"done: {metrics['steps']} steps; model {out / 'model.pt'}")


@app.command("eval")
def eval_(checkpoint: str = typer.Option(..., help="Shipped model name (e.g. semgcn) or a model file / run dir."),
          benchmark: Optional[str] = typer.Option(None, help="mocap-lift, mocap-forecast, h36m or h36m-forecast (with --root, or the build the model trained on; default: the model's)."),
          setting: str = typer.Option("gt", help="gt or noisy inputs (mocap-lift); h36m: gt, det (the --data-2d keypoints) or noisy; h36m-forecast: the test sampling mao256 (default), srnn8 or all."),
          data: Optional[Path] = typer.Option(None, help="Evaluate on a flat-layout .npz instead of the benchmark."),
          root: Optional[Path] = typer.Option(None, help="--benchmark h36m / h36m-forecast: the folder `posegraph data build` wrote (default: the data.path of a model trained on that benchmark)."),
          as_json: bool = typer.Option(False, "--json", help="Print one JSON object and nothing else."),
          out: Optional[Path] = typer.Option(None, help="Also write report.md and report.json here (must be empty unless --overwrite)."),
          overwrite: bool = typer.Option(False, help="Write into a non-empty --out."),
          mirror: Optional[bool] = typer.Option(None, "--mirror/--no-mirror", help="Test-time mirroring (also run the mirrored input and average) on or off; default: as the model file says (the shipped models: on). --no-mirror gives one pass, as the papers report.")):
    """Evaluate a model: per-source and per-action tables.

    Examples:
      posegraph eval --checkpoint semgcn --setting noisy
      posegraph eval --checkpoint runs/baseline/model.pt --data my_test.npz --json
      posegraph eval --checkpoint runs/h36m-semgcn --benchmark h36m --root h36m --setting det
    """
    from .evaluate import evaluate_benchmark, evaluate_file
    from .fileio import OutputDir
    from .metrics import report_to_markdown
    from .pipeline import load_model_file, resolve_checkpoint

    known = ("mocap-lift", "mocap-forecast", "h36m", "h36m-forecast")
    if benchmark is not None and benchmark not in known:
        raise PosegraphError(f"unknown benchmark {benchmark!r}; known: {', '.join(known)}")
    if out is not None:
        OutputDir(out, overwrite).check()  # refuse before the evaluation runs
    pipe = load_model_file(resolve_checkpoint(checkpoint))
    if mirror is not None:
        pipe.flip_test = mirror
    cfg = (getattr(pipe, "metadata", None) or {}).get("config") or {}
    trained_on = cfg.get("benchmark") if isinstance(cfg, dict) else None
    if benchmark is None and data is None and trained_on in ("h36m", "h36m-forecast"):
        benchmark = trained_on  # a model trained on a Human3.6M build: the papers' tables by default
    if root is not None and benchmark not in ("h36m", "h36m-forecast"):
        raise PosegraphError(f"--root is for --benchmark h36m or h36m-forecast (a `posegraph data build` folder), "
                             f"not {benchmark or 'the ' + pipe.task + ' model default'}")
    if benchmark in ("h36m", "h36m-forecast"):  # the papers' Human3.6M tables (posegraph.h36m_eval)
        from .h36m_eval import run_h36m_eval

        if data is not None:
            raise PosegraphError(f"--data evaluates a flat file; --benchmark {benchmark} reads --root (drop one)")
        if root is None and trained_on == benchmark:  # the build the model trained on
            root = (cfg.get("data") or {}).get("path")
        rep, md = run_h36m_eval(pipe, benchmark, root, setting)
        if out is not None:
            _write_reports(out, overwrite, rep, md)
        typer.echo(json.dumps(rep, default=float) if as_json else md)
        return
    if benchmark is not None:
        from .tasks import TASKS

        want = next(t for t in TASKS.values() if t.benchmark == benchmark)
        want.require(pipe, f"{checkpoint} is a {pipe.task} model; it cannot be evaluated on {benchmark}")
    rep = evaluate_file(pipe, data) if data is not None else evaluate_benchmark(pipe, setting, benchmark)
    title = f"{checkpoint} on {data if data is not None else (benchmark or pipe.task)} ({setting})"
    if out is not None:
        _write_reports(out, overwrite, rep, report_to_markdown(rep, title=title) + "\n")
    if as_json:
        typer.echo(json.dumps(rep, default=float))
    else:
        typer.echo(report_to_markdown(rep, title=title, forecast_columns="both"))  # (lift reports have one kind)


def _write_reports(out: Path, overwrite: bool, rep: dict, md: str) -> None:
    """``eval --out``: report.json and report.md, written as one set (OutputDir)."""
    from .fileio import OutputDir, save_json, write_text

    with OutputDir(out, overwrite) as stage:
        d = stage.begin()
        save_json(d / "report.json", rep)
        write_text(d / "report.md", md)


@app.command()
def forecast(input: Path = typer.Argument(..., help="Past motion: .amc (+ .asf beside it or --skeleton), .bvh, exp-map .txt, or .npz with positions (frames x 17 x 3, metres, +y up) and fps."),
             checkpoint: str = typer.Option("sts-gcn", help="Shipped forecasting model (sts-gcn, ses-gcn) or a model file."),
             out: Path = typer.Option(..., help="Output folder (forecast.npz, forecast.json, forecast.gif)."),
             skeleton: Optional[Path] = typer.Option(None, help="ASF skeleton of an .amc input (default: the only .asf beside it)."),
             frame: Optional[int] = typer.Option(None, help="Last observed frame, at 25 fps (default: the input's last frame)."),
             plot: bool = typer.Option(False, help="Also write an animation (GIF) of past, predicted and true motion."),
             overwrite: bool = typer.Option(False, help="Write into a non-empty --out.")):
    """Forecast the next second of motion after 10 observed frames (400 ms at 25 fps).

    Examples:
      posegraph forecast ../shared/data/cmu/subjects/17/17_10.amc --frame 100 --out fc --plot
      posegraph forecast walk.bvh --checkpoint ses-gcn --out fc
    """
    from .apps.forecast import forecast_input

    r = forecast_input(input, checkpoint, out, skeleton=skeleton, frame=frame, plot=plot, overwrite=overwrite)
    msg = f"wrote {out}/forecast.npz and forecast.json ({len(r['horizon_ms'])} frames predicted by {r['model']})"
    if "mpjpe_mm_per_frame" in r:
        e = r["mpjpe_mm_per_frame"]
        msg += f"; MPJPE vs the true continuation: {e[min(9, len(e) - 1)]:.0f} mm at {r['horizon_ms'][min(9, len(e) - 1)]} ms"
    typer.echo(msg)


@app.command()
def models():
    """List the registered architectures and the shipped pretrained models."""
    from .models import list_models
    from .pipeline import list_pretrained

    typer.echo("architectures (lift):     " + ", ".join(list_models("lift")))
    typer.echo("architectures (forecast): " + ", ".join(list_models("forecast")))
    typer.echo("pretrained:               " + (", ".join(list_pretrained()) or "none"))


@app.command()
def demo(out: Path = typer.Option(Path("posegraph-demo"), help="Output folder (overwritten)."),
         quick: bool = typer.Option(False, help="Evaluate on a subset of the test split.")):
    """The main job on the bundled data: evaluate the shipped models and lift a test take.

    Example: posegraph demo
    """
    from .apps.demo import run_demo

    run_demo(out, quick=quick)


@app.command()
def lift(input: Path = typer.Argument(..., help="Video, image, folder of images, or 2D keypoint file "
                                                "(COCO .json, OpenPose folder, .npz, .csv)."),
         checkpoint: str = typer.Option(..., help="Lifting model: shipped name (semgcn, graphmdn, baseline), "
                                                  "model file or run dir."),
         out: Path = typer.Option(..., help="Output folder (must be empty unless --overwrite)."),
         overwrite: bool = typer.Option(False, help="Write into a non-empty --out."),
         render: bool = typer.Option(False, help="Also write lift.mp4: frame + 2D | 3D skeleton."),
         gif: bool = typer.Option(False, help="With --render: write lift.gif instead of lift.mp4."),
         smooth: str = typer.Option("savgol", help="Temporal filter per track: savgol (Savitzky-Golay), gaussian or none."),
         window: Optional[int] = typer.Option(None, help="--smooth savgol: window in frames (odd; default 15)."),
         order: int = typer.Option(2, help="--smooth savgol: polynomial order."),
         sigma: float = typer.Option(2.0, help="--smooth gaussian: standard deviation in frames."),
         constant_bones: bool = typer.Option(True, help="Re-scale every frame's bones to the track's median lengths."),
         robust: bool = typer.Option(True, help="Smoothing robust to outliers (a limb flipped for a frame is "
                                                "replaced by the smooth curve); --no-robust: a plain linear filter."),
         max_gap: int = typer.Option(0, help="Interpolate (and flag) undetected runs of at most this many frames."),
         bvh: bool = typer.Option(False, help="Also write the motion as BVH (lift.bvh; one file per track)."),
         focal: Optional[float] = typer.Option(None, help="Focal length in pixels (default 1.145 x image width)."),
         person: str = typer.Option("largest", help="Whom to follow in multi-person keypoint files: "
                                                    "'largest', 'centre' (nearest the image centre) or a rank (0 = largest)."),
         image_size: Optional[str] = typer.Option(None, help="WIDTHxHEIGHT, for keypoint files that do not say."),
         conf_threshold: float = typer.Option(0.3, help="Joints below this confidence are filled and flagged."),
         max_frames: Optional[int] = typer.Option(None, help="Only the first N frames."),
         turn: float = typer.Option(0.0, help="--render: degrees the 3D view turns per frame."),
         progress: bool = typer.Option(True, help="Show progress bars.")):
    """Lift 2D to 3D: a video/images (through the offline 2D detector) or a 2D keypoint file.

    Writes lift.npz and lift.json: per frame the h36m17 2D (pixels), the 3D joints (metres, camera frame, pelvis-relative), confidence, the filled-joint mask, and for GraphMDN every hypothesis with its weight.

    Video and images need the detector environment: make detect-env.

    Examples:
      posegraph lift walk.mp4 --checkpoint semgcn --out walk3d --render
      posegraph lift walk.mp4 --checkpoint semgcn --out walk3d --render --bvh --max-gap 3
      posegraph lift walk.mp4 --checkpoint graphmdn --out walk3d --render --gif --smooth gaussian --sigma 1.5
      posegraph lift results.json --checkpoint baseline --out lifted --image-size 1920x1080
      posegraph lift openpose_out/ --checkpoint runs/semgcn/model.pt --out lifted --person 1 --focal 1500
    """
    from .apps.lift import lift_input

    _check_options(max_frames=(max_frames, 1, None), focal=(focal, "> 0", None), conf_threshold=(conf_threshold, 0.0, 1.0),
                   sigma=(sigma, "> 0", None), window=(window, 1, None), order=(order, 0, None), max_gap=(max_gap, 0, None),
                   turn=(turn, None, None))
    size = None
    if image_size is not None:
        try:
            w, h = (int(v) for v in image_size.lower().split("x"))
            size = (w, h)
        except ValueError:
            raise PosegraphError(f"--image-size must be WIDTHxHEIGHT (e.g. 1920x1080), not {image_size!r}") from None
        if min(size) < 1:
            raise PosegraphError(f"--image-size must be at least 1x1 pixels, not {image_size!r}")
    res = lift_input(input, checkpoint, out, render=("gif" if gif else "mp4") if render else False,
                     smooth=smooth, window=sigma if smooth == "gaussian" else window, order=order,
                     bones=constant_bones, robust=robust, max_gap=max_gap, bvh=bvh, focal=focal, person=person, overwrite=overwrite,
                     progress=progress, image_size=size, conf_threshold=conf_threshold,
                     max_frames=max_frames, turn=turn)
    typer.echo(f"lifted {res['frames']} frames ({res['skeleton_3d']}, {res['detected_frames']} detected, "
               f"{res['tracks']} track(s), {100 * res['filled_fraction']:.1f}% joints filled): {res['npz']}, {res['json']}"
               + (f", {res['video']}" if res["video"] else "") + "".join(f", {p}" for p in res["bvh"]))


@app.command("export-motion")
def export_motion(result: Path = typer.Argument(..., help="A posegraph lift output folder or its lift.npz."),
                  format: str = typer.Option("bvh", "--format", help="Motion format (bvh)."),
                  out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output file (default RESULT/lift.bvh)."),
                  overwrite: bool = typer.Option(False, help="Replace existing files.")):
    """Write a lifted motion as BVH: the person's bone lengths, rotations solved from the joints, root trajectory.

    Examples:
      posegraph export-motion walk3d --format bvh
      posegraph export-motion walk3d/lift.npz -o walk.bvh --overwrite
    """
    from .motion_export import export_motion as run

    for p in run(result, format, out, overwrite=overwrite):
        typer.echo(f"wrote {p}")


@app.command()
def view(result: Path = typer.Argument(..., help="A lift or forecast output (folder or .npz), or a flat benchmark .npz."),
         out: Path = typer.Option(..., "--out", "-o", help="Output .html file (self-contained, opens offline)."),
         index: int = typer.Option(0, help="Flat forecasting files: which window."),
         max_frames: Optional[int] = typer.Option(None, help="Only the first N frames."),
         overwrite: bool = typer.Option(False, help="Replace an existing file.")):
    """Write an interactive 3D viewer (one HTML file): play/pause, frame slider, orbit/zoom, metric ground grid.

    Examples:
      posegraph view walk3d -o view.html
      posegraph view fc/forecast.npz -o forecast.html
    """
    from .apps.viewer import write_view

    typer.echo(f"wrote {write_view(result, out, overwrite=overwrite, index=index, max_frames=max_frames)}")


@app.command()
def export(checkpoint: str = typer.Option(..., help="Shipped model name (e.g. semgcn) or a model file / run dir."),
           format: str = typer.Option("onnx", "--format", help="Export format (onnx)."),
           out: Path = typer.Option(..., help="Output file, e.g. semgcn.onnx."),
           opset: int = typer.Option(17, help="ONNX opset version."),
           overwrite: bool = typer.Option(False, help="Replace an existing --out file.")):
    """Export a model to ONNX: the whole pipeline (normalisation included), dynamic batch size,
    one named output per model output ("pose" always), metadata in metadata_props.

    Examples:
      posegraph export --checkpoint semgcn --format onnx --out semgcn.onnx
      posegraph export --checkpoint runs/graphmdn/model.pt --out graphmdn.onnx --opset 18 --overwrite
    """
    from .pipeline import load_model_file, resolve_checkpoint
    from .runtime import export_onnx, output_names

    _check_options(opset=(opset, 7, None))
    if format.lower() != "onnx":
        raise PosegraphError(f"--format {format!r} is not supported; use onnx")
    if out.exists() and not overwrite:
        raise PosegraphError(f"{out}: exists (pass --overwrite to replace it)")
    pipe = load_model_file(resolve_checkpoint(checkpoint))
    path = export_onnx(pipe, out, opset=opset, overwrite=overwrite)
    typer.echo(f"exported {pipe.model_name} ({pipe.task}, {pipe.skeleton.name}) to {path} "
               f"(opset {opset}; outputs: {', '.join(output_names(pipe))}; {path.stat().st_size / 1e6:.1f} MB)")


def main(argv: list[str] | None = None) -> int:
    """Entry point: one-line errors, exit code 2 (``--debug`` shows the traceback)."""
    import warnings

    from .errors import PosegraphWarning

    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    show = warnings.showwarning

    def one_line_warning(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, PosegraphWarning) and not debug:  # about the user's input: no source line
            typer.echo(f"warning: {message}", err=True)
        else:
            show(message, category, filename, lineno, file, line)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = one_line_warning
            app(args=argv, prog_name="posegraph")
        return 0
    except SystemExit as e:  # typer's own exit (help, usage errors: code 2)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except PosegraphError as e:
        if debug:
            raise
        typer.echo(f"error: {e}", err=True)
        return 2
    except OSError as e:  # read-only folder, no space, name too long, not a directory, ...
        if debug:
            raise
        from .fileio import os_error_line

        typer.echo(f"error: {os_error_line(e)}", err=True)
        return 2
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
