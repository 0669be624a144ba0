"""The `posegraph` command: help everywhere, one-line errors, non-zero exit codes."""

import subprocess
import sys

import pytest

CLI = [sys.executable, "-m", "posegraph.cli"]
COMMANDS = [["data", "build"], ["data", "info"], ["data", "export"], ["train"], ["eval"], ["lift"], ["forecast"],
            ["export"], ["demo"], ["models"]]


def run(*args):
    return subprocess.run(CLI + list(args), capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c))
def test_help_of_every_command(cmd):
    r = run(*cmd, "--help")
    assert r.returncode == 0, r.stderr
    assert "Usage" in r.stdout
    if cmd[-1] not in ("info", "models"):
        assert "Example" in r.stdout  # every command that takes inputs shows examples


def test_unknown_option_and_command():
    r = run("eval", "--no-such-option")
    assert r.returncode == 2 and "No such option" in (r.stderr + r.stdout)
    r = run("fly")
    assert r.returncode == 2


def test_missing_checkpoint_is_one_line(tmp_path):
    r = run("eval", "--checkpoint", str(tmp_path / "nope.pt"))
    assert r.returncode == 2
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "nope.pt" in lines[0] and lines[0].startswith("error:")
    r = run("--debug", "eval", "--checkpoint", str(tmp_path / "nope.pt"))
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_eval_wrong_benchmark_for_task(tmp_path):
    from posegraph.pipeline import Pipeline, save_model_file

    f = save_model_file(tmp_path / "z.pt", Pipeline("zero-velocity"))
    r = run("eval", "--checkpoint", str(f), "--benchmark", "mocap-lift")
    assert r.returncode == 2 and "forecast model" in r.stderr


def test_eval_json_on_forecast_data(tmp_path):
    import json

    from posegraph.data.forecast import load_forecast
    from posegraph.pipeline import Pipeline, save_model_file

    f = save_model_file(tmp_path / "z.pt", Pipeline("zero-velocity"))
    load_forecast("test").to_samples().subset(slice(0, 100)).to_npz(tmp_path / "d.npz")
    r = run("eval", "--checkpoint", str(f), "--data", str(tmp_path / "d.npz"), "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)  # the only output on stdout
    assert rep["n"] == 100
    assert set(rep["mpjpe_at"]) == set(rep["mpjpe_upto"]) == {"80", "160", "320", "400", "560", "1000"}
    assert rep["mpjpe_upto"]["1000"] <= rep["mpjpe_at"]["1000"] + 1e-9  # zero velocity: error grows with time
