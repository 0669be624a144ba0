"""Issue #14: configs that reject mistakes before anything runs, `--resume` on damaged run
folders, range-checked options. Every failure: one line, exit code 2, no traceback, nothing in
an existing folder changed."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posegraph.cli import main
from posegraph.config import DEFAULTS, deep_update, load_config, read_yaml_file, set_key, valid_keys, validate_config
from posegraph.errors import PosegraphError

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "configs/lift/baseline.yaml"
CLI = [sys.executable, "-m", "posegraph.cli"]


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def one_line_error(code: int, err: str, *needles: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def snapshot(folder: Path) -> dict:
    """Every file under ``folder``: its bytes' hash and mtime."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- shipped configs
def test_every_shipped_config_loads_to_the_same_dict_as_before():
    """Each file under configs/ loads, and resolves exactly as the pre-schema loader did
    (defaults updated by the file): same keys, values, types and order."""
    files = sorted(REPO.glob("configs/**/*.yaml"))
    assert len(files) >= 30
    for f in files:
        new = load_config(f)
        raw = yaml.safe_load(f.read_text())
        if "base" in raw:
            continue
        old = deep_update(DEFAULTS, raw)
        assert new == old, f
        assert yaml.safe_dump(new, sort_keys=False) == yaml.safe_dump(old, sort_keys=False), f


# ----------------------------------------------------------------------------- bad values and keys
CASES = [
    (["train.max_step=100"], "unknown key train.max_step in --set train.max_step=100; did you mean train.max_steps?"),
    (["train.warp_speed=9"], "unknown key train.warp_speed"),
    (["train.max_steps=abc"], "train.max_steps in --set train.max_steps=abc: must be an integer"),
    (["train.max_steps=-5"], "train.max_steps in --set train.max_steps=-5: must be an integer >= 1"),
    (["train.batch_size=0"], "train.batch_size"),
    (["train.lr=nan"], "train.lr in --set train.lr=nan: must be a finite number"),
    (["train.lr=-1"], "train.lr"),
    (["train.lr=.inf"], "train.lr"),
    (["train.seed=-1"], "train.seed"),
    (["train.devices=0"], "train.devices"),
    (["train.accelerator=tpu9"], "did you mean 'tpu'"),
    (["train.strategy=dpp"], "did you mean 'ddp'"),
    (["train.optimizer=sgd"], "train.optimizer"),
    (["train.precision=17"], "train.precision"),
    (["train.schedule.name=cosine"], "unknown schedule 'cosine'"),
    (["train.schedule.gama=0.5"], "did you mean train.schedule.gamma?"),
    (["train.schedule.gamma=2"], "train.schedule.gamma"),
    (["train.schedule.milestones=[0, 5]"], "train.schedule.milestones"),
    (["data.noise_prob=2"], "data.noise_prob"),
    (["data.flip=maybe"], "data.flip"),
    (["data.noise_px=-1"], "data.noise_px"),
    (["data.random_cameras=1.5"], "data.random_cameras"),
    (["data.bone_scale=0.9"], "data.bone_scale"),
    (["data.validation_subjects=cmu05"], "data.validation_subjects"),
    (["data.validation_subjects=[cmu05]"], "'cmu05' is not a 'source/subject' name"),
    (["model.kwargs.linear_size=many"], "model.kwargs.linear_size in --set model.kwargs.linear_size=many: must be an integer"),
    (["model.kwargs.linear_sze=10"], "did you mean model.kwargs.linear_size?"),
    (["model.kwargs.dropout=1.5"], "model.kwargs in --set model.kwargs.dropout=1.5: cannot build a 'baseline' model"),
    (["model.kwargs.skeleton=h36m99"], "unknown skeleton"),
    (["model.kwargs.linear_size=10000000"], "parameters"),
    (["model.name=semgnc"], "did you mean 'semgcn'"),
    (["model.teacher=x.pt"], "model.teacher"),
    (["task=forecast"], "'baseline' is a lift model, so task must be 'lift'"),
    (["benchmark=mocap-forecast"], "mocap-forecast is a forecast benchmark"),
    (["task=juggle"], "task"),
    (["train=5"], "train in --set train=5: must be a section"),
    (["nonsense=1"], "unknown key nonsense"),
    (["train.lr"], "expected key=value"),
    (["base=x.yaml"], "'base' is a key of config files only"),
]


@pytest.mark.parametrize("sets,needle", CASES, ids=[c[0][0] for c in CASES])
def test_bad_overrides_are_one_line_errors(sets, needle):
    with pytest.raises(PosegraphError) as e:
        load_config(BASELINE, sets)
    msg = str(e.value)
    assert "\n" not in msg and needle in msg, msg


def test_unknown_key_in_a_file_names_the_file_and_suggests(tmp_path):
    f = tmp_path / "cfg.yaml"
    f.write_text(BASELINE.read_text().replace("  max_steps: 9000", "  max_step: 100"))
    with pytest.raises(PosegraphError, match=r"^unknown key train.max_step in .*cfg.yaml; did you mean train.max_steps\?$"):
        load_config(f)


def test_task_that_does_not_match_the_model(tmp_path):
    f = tmp_path / "cfg.yaml"
    f.write_text("task: forecast\nbenchmark: mocap-lift\nmodel: {name: semgcn}\n")
    with pytest.raises(PosegraphError, match="'semgcn' is a lift model"):
        load_config(f)
    f.write_text("task: lift\nbenchmark: mocap-forecast\nmodel: {name: semgcn}\n")
    with pytest.raises(PosegraphError, match="forecast benchmark"):
        load_config(f)
    f.write_text("model: {name: sts-gcn}\n")  # task and benchmark follow the model when not given
    cfg = load_config(f)
    assert cfg["task"] == "forecast" and cfg["benchmark"] == "mocap-forecast"


def test_yaml_strings_that_are_numbers_are_read_as_numbers():
    cfg = load_config(BASELINE, ["train.lr=1e-3", "train.max_steps='200'"])  # YAML reads 1e-3 as a string
    assert cfg["train"]["lr"] == 0.001 and isinstance(cfg["train"]["lr"], float)
    assert cfg["train"]["max_steps"] == 200


@pytest.mark.parametrize("text,needle", [
    ("", "empty config"),
    ("# only a comment\n", "empty config"),
    ("train: {max_steps: 5}\n", "no model.name"),
    ("- a\n- b\n", "must be a mapping"),
    ("model: [unclosed", "invalid YAML"),
    ("!!python/object/apply:os.system [echo hi]\n", "invalid YAML"),
    ("1: 2\nmodel: {name: semgcn}\n", "keys must be strings"),
    ("[" * 100 + "]" * 100, "nested more than"),
])
def test_bad_files(tmp_path, text, needle):
    f = tmp_path / "c.yaml"
    f.write_text(text)
    with pytest.raises(PosegraphError) as e:
        load_config(f)
    assert needle in str(e.value) and "\n" not in str(e.value) and "c.yaml" in str(e.value)


def test_binary_missing_and_huge_files(tmp_path):
    (tmp_path / "bin.yaml").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(PosegraphError, match="bin.yaml: not a text file"):
        load_config(tmp_path / "bin.yaml")
    (tmp_path / "latin.yaml").write_bytes(b"model: {name: caf\xe9}\n")
    with pytest.raises(PosegraphError, match="latin.yaml: not UTF-8"):
        load_config(tmp_path / "latin.yaml")
    with pytest.raises(PosegraphError, match="none.yaml: config file not found"):
        load_config(tmp_path / "none.yaml")
    with pytest.raises(PosegraphError, match="is a directory"):
        load_config(tmp_path)
    (tmp_path / "big.yaml").write_text("# " + "x" * 2_000_000 + "\nmodel: {name: semgcn}\n")
    with pytest.raises(PosegraphError, match="too large for a config"):
        load_config(tmp_path / "big.yaml")
    with pytest.raises(PosegraphError, match="no config given"):
        load_config(None)


def test_alias_bomb_is_refused_before_it_is_built(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i, (prev, cur) in enumerate(zip("abcdefgh", "bcdefghi")):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    lines.append("model: {name: semgcn}")
    f = tmp_path / "bomb.yaml"
    f.write_text("\n".join(lines) + "\n")  # 9^9 = 387M nodes once expanded
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(PosegraphError, match="alias bomb"):
        load_config(f)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB: < 200 MB more
    # a few honest aliases are fine
    f.write_text("model: {name: semgcn, kwargs: &k {hidden: 64}}\ndata: {flip: true}\n")
    assert load_config(f)["model"]["kwargs"] == {"hidden": 64}


# ----------------------------------------------------------------------------- inheritance
def test_base_inheritance(tmp_path):
    (tmp_path / "sub").mkdir()
    child = tmp_path / "sub" / "child.yaml"
    shutil.copy(BASELINE, tmp_path / "parent.yaml")
    child.write_text("base: ../parent.yaml\ntrain: {max_steps: 123}\nmodel: {kwargs: {dropout: 0.25}}\n")
    cfg = load_config(child)
    want = load_config(BASELINE, ["train.max_steps=123", "model.kwargs.dropout=0.25"])
    assert cfg == want
    # a different model or schedule does not inherit the base's options
    child.write_text("base: ../parent.yaml\nmodel: {name: semgcn, kwargs: {hidden: 64}}\ntrain: {schedule: {name: onecycle}}\n")
    cfg = load_config(child)
    assert cfg["model"]["kwargs"] == {"hidden": 64} and cfg["train"]["schedule"] == {"name": "onecycle"}
    assert cfg["data"]["noise_prob"] == 0.5  # the rest is inherited
    # errors name the file that set the key, even through a base
    (tmp_path / "parent.yaml").write_text(BASELINE.read_text().replace("noise_prob: 0.5", "noise_prob: 5"))
    with pytest.raises(PosegraphError, match=r"data.noise_prob in .*parent.yaml"):
        load_config(child)
    # loops, missing bases, bad base values
    child.write_text("base: child.yaml\n")
    with pytest.raises(PosegraphError, match="loops back"):
        load_config(child)
    child.write_text("base: ../nowhere.yaml\n")
    with pytest.raises(PosegraphError, match="nowhere.yaml not found"):
        load_config(child)
    child.write_text("base: 5\n")
    with pytest.raises(PosegraphError, match="must be a path"):
        load_config(child)


def test_print_config_shows_the_resolved_config_and_exits(tmp_path, capsys):
    child = tmp_path / "child.yaml"
    child.write_text(f"base: {BASELINE}\ntrain: {{max_steps: 77}}\n")
    code, out, err = cli(capsys, "train", "--config", str(child), "--print-config", "--out", str(tmp_path / "run"))
    assert code == 0, err
    cfg = yaml.safe_load(out)
    assert cfg == load_config(BASELINE, ["train.max_steps=77"])
    assert not (tmp_path / "run").exists()


# ----------------------------------------------------------------------------- CLI options
@pytest.mark.parametrize("args,needle", [
    (["--devices", "0"], "--devices (train.devices): must be a positive count"),
    (["--devices", "-3"], "--devices (train.devices)"),
    (["--accelerator", "tpu9"], "--accelerator (train.accelerator): unknown accelerator 'tpu9'"),
    (["--strategy", "nope"], "--strategy (train.strategy)"),
    (["--set", "train.max_steps=abc"], "train.max_steps"),
    (["--set", "train.max_steps=-5"], "train.max_steps"),
    (["--set", "train.batch_size=0"], "train.batch_size"),
    (["--set", "train.lr=nan"], "train.lr"),
])
def test_bad_train_options_change_nothing(tmp_path, capsys, args, needle):
    out = tmp_path / "run"
    code, _, err = cli(capsys, "train", "--config", str(BASELINE), "--out", str(out), *args)
    one_line_error(code, err, needle)
    assert not out.exists()


def test_train_without_a_config_and_with_an_empty_one(tmp_path, capsys):
    code, _, err = cli(capsys, "train", "--out", str(tmp_path / "run"))
    one_line_error(code, err, "no config")
    (tmp_path / "empty.yaml").write_text("")
    code, _, err = cli(capsys, "train", "--config", str(tmp_path / "empty.yaml"), "--out", str(tmp_path / "run"))
    one_line_error(code, err, "empty config")
    assert not (tmp_path / "run").exists()


def test_unavailable_accelerator_is_refused_before_anything_is_written(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    out = tmp_path / "run"
    code, _, err = cli(capsys, "train", "--config", str(BASELINE), "--out", str(out), "--accelerator", "gpu")
    one_line_error(code, err, "not available")
    assert not out.exists()


def test_subprocess_error_has_no_traceback(tmp_path):
    r = subprocess.run(CLI + ["train", "--config", str(BASELINE), "--set", "train.max_step=1", "--out", str(tmp_path / "r")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == "error: unknown key train.max_step in --set train.max_step=1; did you mean train.max_steps?"


# ----------------------------------------------------------------------------- property test
_SECTIONS = {"model": ["name", "kwargs", "teacher", "threshold"], "data": list(DEFAULTS["data"]) + ["path"],
             "train": list(DEFAULTS["train"]) + ["num_threads"]}
_values = st.one_of(st.none(), st.booleans(), st.integers(-10, 10 ** 6), st.floats(allow_nan=True, allow_infinity=True),
                    st.text(max_size=12), st.sampled_from(["semgcn", "baseline", "sts-gcn", "adam", "auto", "cpu", "1e-3",
                                                           "32-true", "onecycle", "h36m16"]),
                    st.lists(st.integers(-5, 5), max_size=3), st.dictionaries(st.text(max_size=6), st.integers(), max_size=2))
_keys = st.one_of(st.sampled_from([f"{s}.{k}" for s, ks in _SECTIONS.items() for k in ks] + ["task", "benchmark"]),
                  st.sampled_from(valid_keys()),
                  st.builds(lambda k, c: k + c, st.sampled_from(valid_keys()), st.sampled_from(["", "s", "_", "x"])),
                  st.sampled_from(["model.kwargs.hidden", "model.kwargs.dropout", "model.kwargs.skeleton", "model.kwargs.nope",
                                   "train.schedule.gamma", "train.schedule.name", "train.schedule.pct_start"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(_keys, _values), min_size=1, max_size=4),
       base=st.sampled_from(["configs/lift/semgcn.yaml", "configs/lift/baseline.yaml", "configs/forecast/sts_gcn.yaml"]))
def test_random_configs_are_valid_or_one_line_errors(edits, base):
    cfg = yaml.safe_load((REPO / base).read_text())
    cfg = deep_update(DEFAULTS, cfg)
    for key, val in edits:
        set_key(cfg, key, val)
    try:
        out = validate_config(copy.deepcopy(cfg))
    except PosegraphError as e:
        msg = str(e)
        assert msg and "\n" not in msg and len(msg) < 600, msg
        return
    # valid: the checked values are what the runner reads
    t = out["train"]
    assert isinstance(t["max_steps"], int) and t["max_steps"] >= 1 and t["batch_size"] >= 1
    assert float(t["lr"]) > 0 and float(t["lr"]) < float("inf")
    assert out["task"] == {"mocap-lift": "lift", "mocap-forecast": "forecast"}[out["benchmark"]]
    assert validate_config(out) == out  # idempotent


# ----------------------------------------------------------------------------- damaged run folders
@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A tiny finished run (no test evaluation)."""
    from posegraph.train.runner import train

    out = tmp_path_factory.mktemp("runs") / "done"
    cfg = load_config(BASELINE, ["train.max_steps=4", "train.val_every_steps=2", "train.batch_size=16",
                                 "train.num_threads=1", "model.kwargs.linear_size=64"])
    train(cfg, out, progress=False, evaluate=False)
    return out


def _copy(run: Path, dst: Path) -> Path:
    shutil.copytree(run, dst)
    return dst


def test_finished_run_resumed_says_so_and_writes_nothing(finished_run, tmp_path, capsys):
    run = _copy(finished_run, tmp_path / "moved")  # moved to another folder too
    before = snapshot(run)
    code, out, err = cli(capsys, "train", "--resume", str(run), "--no-progress")
    assert code == 0, err
    assert "finished" in out and "Traceback" not in err
    assert snapshot(run) == before
    assert json.loads((run / "metrics.json").read_text())["best_val_mpjpe"] is not None


@pytest.mark.parametrize("damage,needle", [
    ("truncate_last", "last.ckpt: not a readable checkpoint"),
    ("text_last", "last.ckpt: not a readable checkpoint"),
    ("dir_last", "last.ckpt: not a readable checkpoint"),
    ("no_last", "nothing to resume"),
    ("no_config", "config.yaml: missing"),
    ("garbage_config", "config.yaml: not a text file"),
    ("bad_yaml_config", "invalid YAML"),
    ("unknown_key_config", "unknown key train.max_step"),
    ("mismatch_config", "does not fit"),
    ("list_config", "not a run config"),
    ("nan_weights", "are not finite"),
])
def test_damaged_run_folder_resume_is_one_line_and_changes_nothing(finished_run, tmp_path, capsys, damage, needle):
    run = _copy(finished_run, tmp_path / "run")
    (run / "model.pt").unlink()  # an unfinished run
    (run / "metrics.json").unlink()
    last, cfgf = run / "checkpoints" / "last.ckpt", run / "config.yaml"
    if damage == "truncate_last":
        last.write_bytes(last.read_bytes()[:3000])
    elif damage == "text_last":
        last.write_text("hello")
    elif damage == "dir_last":
        last.unlink()
        last.mkdir()
    elif damage == "no_last":
        last.unlink()
    elif damage == "no_config":
        cfgf.unlink()
    elif damage == "garbage_config":
        cfgf.write_bytes(os.urandom(500) + b"\x00")
    elif damage == "bad_yaml_config":
        cfgf.write_text("train: [unclosed")
    elif damage == "unknown_key_config":
        cfgf.write_text(cfgf.read_text().replace("max_steps:", "max_step:"))
    elif damage == "mismatch_config":
        cfgf.write_text(cfgf.read_text().replace("linear_size: 64", "linear_size: 32"))
    elif damage == "list_config":
        cfgf.write_text("- 1\n")
    elif damage == "nan_weights":
        import torch

        ck = torch.load(last, weights_only=True)
        k = next(k for k, v in ck["state_dict"].items() if v.is_floating_point() and v.numel() > 1)
        ck["state_dict"][k][0] = float("nan")
        torch.save(ck, last)
    before = snapshot(run)
    code, _, err = cli(capsys, "train", "--resume", str(run), "--no-progress")
    line = one_line_error(code, err, needle)
    assert snapshot(run) == before  # metrics.csv not renamed, nothing written
    if damage in ("truncate_last", "text_last", "no_last", "dir_last", "mismatch_config", "nan_weights"):
        assert "best.ckpt" in line and "--overwrite" in line  # what the user can do
    else:
        assert "--overwrite" in line


def test_resume_options_that_do_not_apply(finished_run, tmp_path, capsys):
    code, _, err = cli(capsys, "train", "--resume", str(finished_run), "--set", "train.lr=0.1")
    one_line_error(code, err, "--config and --set do not apply")
    code, _, err = cli(capsys, "train", "--resume", str(tmp_path / "none"))
    one_line_error(code, err, "no such run folder")


def test_moved_checkpoint_callback_keeps_its_best_score(tmp_path):
    import torch

    from posegraph.train.runner import _RelocatableCheckpoint

    cb = _RelocatableCheckpoint(dirpath=tmp_path / "new" / "checkpoints", filename="best", monitor="val_mpjpe")
    old = "/somewhere/else/run/checkpoints"
    cb.load_state_dict({"dirpath": old, "best_model_score": torch.tensor(12.5), "best_model_path": f"{old}/best.ckpt",
                        "kth_best_model_path": f"{old}/best.ckpt", "kth_value": torch.tensor(12.5),
                        "best_k_models": {f"{old}/best.ckpt": torch.tensor(12.5)}, "last_model_path": f"{old}/last.ckpt"})
    assert float(cb.best_model_score) == 12.5
    assert cb.best_model_path == str(tmp_path / "new" / "checkpoints" / "best.ckpt")
    assert list(cb.best_k_models) == [cb.best_model_path]


def test_moved_unfinished_run_resumes_with_its_best_score(finished_run, tmp_path):
    """Resume a run moved to another folder: the best score of the first session is kept
    (Lightning alone forgets it when the folder changed)."""
    import csv

    from posegraph.train.runner import train

    run = _copy(finished_run, tmp_path / "moved")
    (run / "model.pt").unlink()
    (run / "metrics.json").unlink()
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    cfg["train"]["max_steps"] = 6  # continue for 2 more steps, one more validation
    (run / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    m = train(cfg, run, resume=True, progress=False, evaluate=False)
    with open(run / "logs" / "metrics.csv", newline="") as fh:
        vals = [float(r["val_mpjpe"]) for r in csv.DictReader(fh) if r.get("val_mpjpe")]
    assert m["steps"] == 6 and len(vals) == 3
    assert m["best_val_mpjpe"] == pytest.approx(min(vals), rel=1e-5)


@pytest.mark.parametrize("args,needle", [
    (["lift", "x.npz", "--checkpoint", "semgcn", "--max-frames", "-5"], "--max-frames must be >= 1, not -5"),
    (["lift", "x.npz", "--checkpoint", "semgcn", "--max-frames", "0"], "--max-frames must be >= 1, not 0"),
    (["lift", "x.npz", "--checkpoint", "semgcn", "--image-size", "0x0"], "--image-size must be at least 1x1"),
    (["lift", "x.npz", "--checkpoint", "semgcn", "--conf-threshold", "2"], "--conf-threshold must be in [0.0, 1.0]"),
    (["lift", "x.npz", "--checkpoint", "semgcn", "--focal", "-1"], "--focal must be a positive number"),
    (["lift", "x.npz", "--checkpoint", "semgcn", "--sigma", "nan"], "--sigma must be a finite number"),
    (["export", "--checkpoint", "semgcn", "--opset", "0"], "--opset must be >= 7"),
])
def test_numeric_options_are_range_checked(tmp_path, capsys, args, needle):
    out = tmp_path / "out"
    code, _, err = cli(capsys, *args, "--out", str(out))
    one_line_error(code, err, needle)
    assert not out.exists()
