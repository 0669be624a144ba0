"""ONNX export and parity, the predictors, the `export` command and the FLOP counter."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from posegraph.cli import main
from posegraph.config import load_config
from posegraph.errors import PosegraphError
from posegraph.flops import count_flops, example_input, linear_flops, mlp_flops, pipeline_flops
from posegraph.models import list_models
from posegraph.pipeline import Pipeline, list_pretrained, pretrained, save_model_file
from posegraph.runtime import OnnxPredictor, export_onnx, make_predictor
from posegraph.skeleton import H36M17

REPO = Path(__file__).resolve().parents[1]
TOL = 1e-4



def _config_kwargs() -> dict[str, dict]:
    """Architecture -> kwargs from configs (the teacher's where a student config needs one)."""
    out: dict[str, dict] = {}
    for path in sorted((REPO / "configs").glob("*/*.yaml")):
        model = load_config(path)["model"]  # after its base chain
        if model["name"] not in out or not model.get("teacher"):
            out[model["name"]] = model.get("kwargs", {}) or {}
    return out


CONFIGS = _config_kwargs()
ALL_MODELS = list_models()


@pytest.fixture(scope="module")
def lift_test():
    from posegraph.data.lift import load_lift

    s = load_lift("test")
    idx = np.random.default_rng(0).choice(len(s), 200, replace=False)
    return s.p2d[idx].astype(np.float32), s.p3d[idx].astype(np.float32)


@pytest.fixture(scope="module")
def forecast_test():
    from posegraph.data.forecast import load_forecast

    w = load_forecast("test")
    past, future = w.gather(np.arange(0, len(w), max(1, len(w) // 64))[:64])
    return past.astype(np.float32), future.astype(np.float32)


def _inputs(pipe, lift_test, forecast_test) -> np.ndarray:
    if pipe.task == "lift":
        return lift_test[0][:, H36M17.subset_indices(pipe.skeleton)]
    J = H36M17.subset_indices(pipe.skeleton)
    return forecast_test[0][:, :, J]


def _randomised(name: str, lift_test, forecast_test) -> Pipeline:
    """An untrained pipeline made non-trivial: random weights (incl. zero-initialised ones), batch-norm
    statistics from real inputs, and normalisers fitted to the real data."""
    torch.manual_seed(0)
    pipe = Pipeline(name, CONFIGS.get(name, {}))
    x = torch.from_numpy(_inputs(pipe, lift_test, forecast_test))
    with torch.no_grad():
        if pipe.task == "lift":
            pipe.in_norm.fit(x.numpy())
            J = H36M17.subset_indices(pipe.skeleton)
            if not isinstance(pipe.eval()(x[:2]), dict):
                pipe.out_norm.fit(lift_test[1][:, J])
        for p in pipe.model.parameters():
            p.add_(0.05 * torch.randn_like(p))
        pipe.train()
        for m in pipe.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.momentum = None  # cumulative average over the passes below
        for i in range(0, len(x), 100):
            pipe(x[i:i + 100])
    return pipe.eval()


def _parity(pipe, path: Path, x: np.ndarray, relative: bool = False) -> None:
    """ONNX Runtime vs PyTorch: max abs error < 1e-4 (``relative``: scaled by the output's spread,
    for randomised untrained weights whose outputs can be far larger than real poses). Outputs
    that are not in metres (features, logits: the export's ``posegraph.outputs`` says) are always
    held to 1e-4 of their spread: float32 rounding grows with their magnitude."""
    pred = OnnxPredictor(path, threads=1)
    units = json.loads(pred.metadata["posegraph.outputs"])
    with torch.inference_mode():
        ref = pipe(torch.from_numpy(x))
    ref = ref if isinstance(ref, dict) else {"pose": ref}
    got = pred(x)
    assert list(got) == list(ref), (list(got), list(ref))
    for k in ref:
        r = ref[k].numpy()
        assert got[k].shape == r.shape, k
        err = float(np.abs(got[k] - r).max()) if r.size else 0.0
        scale = max(1.0, float(r.std())) if relative or "metres" not in units.get(k, "metres") else 1.0
        assert err < TOL * scale, f"{pipe.model_name} output {k!r}: max abs error {err:.2e}"
    one = pred(x[:1])  # dynamic batch: the export used batch 2
    assert one["pose"].shape[0] == 1
    single = pred(x[0])  # no batch dimension
    assert np.allclose(single["pose"], one["pose"][0])


@pytest.mark.parametrize("name", ALL_MODELS)
def test_export_parity_every_model(name, tmp_path, lift_test, forecast_test):
    pipe = _randomised(name, lift_test, forecast_test)
    path = export_onnx(pipe, tmp_path / f"{name}.onnx")
    _parity(pipe, path, _inputs(pipe, lift_test, forecast_test), relative=True)
    assert not pipe.training


@pytest.mark.skipif(not list_pretrained(), reason="no shipped models yet")
@pytest.mark.parametrize("name", list_pretrained())
def test_export_parity_shipped(name, tmp_path, lift_test, forecast_test):
    pipe = pretrained(name)
    path = export_onnx(pipe, tmp_path / f"{name}.onnx")
    _parity(pipe, path, _inputs(pipe, lift_test, forecast_test))


def test_graphmdn_exports_all_outputs_and_metadata(tmp_path, lift_test, forecast_test):
    pipe = _randomised("graphmdn", lift_test, forecast_test)
    path = export_onnx(pipe, tmp_path / "g.onnx", opset=17)
    import onnx

    model = onnx.load(str(path))
    assert [o.name for o in model.graph.output] == ["pose", "pose_highest", "hypotheses", "weights", "sigma",
                                                     "log_weights"]
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["posegraph.task"] == "lift" and meta["posegraph.model"] == "graphmdn"
    assert json.loads(meta["posegraph.joints"]) == list(pipe.skeleton.joints)
    assert meta["posegraph.opset"] == "17" and meta["posegraph.library_version"]
    assert "metres" in json.loads(meta["posegraph.outputs"])["pose"]
    assert "keypoints_2d" in json.loads(meta["posegraph.input"])
    assert OnnxPredictor(path).metadata["posegraph.skeleton"] == pipe.skeleton.name
    with pytest.raises(PosegraphError, match="exists"):
        export_onnx(pipe, path, overwrite=False)


def test_make_predictor_backends_agree(tmp_path, lift_test, forecast_test):
    pipe = _randomised("semgcn", lift_test, forecast_test)
    x = _inputs(pipe, lift_test, forecast_test)[:32]
    ref = make_predictor(pipe, "torch")(x)
    onnx_out = make_predictor(pipe, "onnx", threads=1, cache_dir=tmp_path)(x)
    assert set(ref) == {"pose"} and np.abs(ref["pose"] - onnx_out["pose"]).max() < TOL
    direct = make_predictor(str(tmp_path / "semgcn.onnx"), "onnx")(x)
    assert np.abs(direct["pose"] - ref["pose"]).max() < TOL
    with pytest.raises(PosegraphError, match="backend"):
        make_predictor(pipe, "tensorrt")


def test_make_predictor_compile(lift_test, forecast_test):
    pipe = Pipeline("baseline", {"skeleton": "h36m16", "linear_size": 32, "num_stages": 1}).eval()
    x = _inputs(pipe, lift_test, forecast_test)[:8]
    a = make_predictor(pipe, "torch")(x)["pose"]
    b = make_predictor(pipe, "compile")(x)["pose"]
    assert np.abs(a - b).max() < TOL


def test_cli_export(tmp_path, capsys):
    pipe = Pipeline("semgcn", CONFIGS["semgcn"])
    ckpt = save_model_file(tmp_path / "model.pt", pipe, benchmark="mocap-lift")
    out = tmp_path / "m.onnx"
    assert main(["export", "--checkpoint", str(ckpt), "--format", "onnx", "--out", str(out)]) == 0
    assert "exported semgcn" in capsys.readouterr().out
    import onnxruntime as ort

    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    y = sess.run(None, {"keypoints_2d": np.zeros((3, 16, 2), np.float32)})[0]
    assert y.shape == (3, 16, 3)
    assert sess.get_modelmeta().custom_metadata_map["posegraph.benchmark"] == "mocap-lift"
    before = out.stat().st_mtime_ns
    assert main(["export", "--checkpoint", str(ckpt), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "--overwrite" in err and err.count("\n") == 1
    assert out.stat().st_mtime_ns == before
    assert main(["export", "--checkpoint", str(ckpt), "--out", str(out), "--overwrite", "--opset", "18"]) == 0
    assert main(["export", "--checkpoint", str(ckpt), "--out", str(tmp_path / "x.trt"), "--format", "trt"]) == 2
    assert main(["export", "--checkpoint", str(tmp_path / "missing.pt"), "--out", str(tmp_path / "y.onnx")]) == 2
    assert not list(tmp_path.glob(".*tmp*"))  # atomic writes leave no temporary files


def test_cli_export_help():
    from typer.testing import CliRunner

    from posegraph.cli import app

    r = CliRunner().invoke(app, ["export", "--help"])
    assert r.exit_code == 0 and "posegraph export --checkpoint semgcn" in r.output


# ---------------------------------------------------------------------------------- FLOPs
def test_flops_linear_hand_count():
    lin = nn.Linear(7, 5)
    assert count_flops(lin, torch.zeros(3, 7)) == linear_flops(7, 5, rows=3) == 2 * 7 * 5 * 3


def test_flops_martinez_baseline_hand_count():
    pipe = Pipeline("baseline", CONFIGS["baseline"])
    J, n = 16, CONFIGS["baseline"]["linear_size"]
    stages = CONFIGS["baseline"]["num_stages"]
    hand = 2 * (2 * J * n + 2 * stages * n * n + n * 3 * (J - 1))
    assert mlp_flops(pipe.model) == hand
    assert count_flops(pipe, example_input(pipe, 1)) == hand
    assert pipeline_flops(pipe, batch=4) == hand


def test_flops_semgcn_per_pose():
    pipe = Pipeline("semgcn", {"skeleton": "h36m16", "hidden": 8, "num_blocks": 1, "non_local": False})
    J, C = 16, 8
    E = pipe.model.output.num_edges
    # each semantic conv: two X W products (2 J in out) + the (J x J) @ (J x out) neighbour product;
    # plus the logits scatter e (E) @ (E x J^2), computed once and then cached at inference
    convs = [(2, C), (C, C), (C, C), (C, 3)]
    per_pose = sum(2 * 2 * J * i * o + 2 * J * J * o for i, o in convs)
    const = len(convs) * 2 * E * J * J
    f1 = count_flops(pipe, example_input(pipe, 1))
    f2 = count_flops(pipe, example_input(pipe, 2))
    assert f1 == per_pose + const  # first inference call: computes the adjacencies
    assert f2 == 2 * per_pose  # later calls reuse them
