"""Test-time mirroring (``Pipeline.flip_test``): the second pass, its merge (plain and mixture
outputs), the model-file flag, the config key, and that it does what it is for on real data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from posegraph.config import load_config
from posegraph.data.forecast import load_forecast
from posegraph.data.lift import load_lift
from posegraph.errors import CheckpointError
from posegraph.nn.mdn_head import select_mean
from posegraph.pipeline import (Pipeline, load_model_file, merge_mirrored, mirror, pretrained, read_model_file,
                                run_batched, save_model_file)
from posegraph.skeleton import H36M17, get_skeleton


@pytest.fixture(scope="module")
def val_lift():
    """Every 20th validation sample of mocap-lift (the takes checkpoints are chosen on)."""
    s = load_lift("train", "gt", validation="only")
    return s.subset(np.arange(0, len(s), 20))


def _mpjpe(a, b) -> float:
    return float(np.linalg.norm(np.asarray(a, np.float64) - b, axis=-1).mean() * 1000.0)


def test_mirror_swaps_sides_negates_x_and_is_an_involution(val_lift):
    sk = get_skeleton("h36m16")
    perm = torch.as_tensor(sk.flip_permutation)
    x = torch.as_tensor(val_lift.p2d[:8][:, H36M17.subset_indices(sk)], dtype=torch.float32)
    assert x.shape[1] == 16
    m = mirror(x, perm)
    li, ri = sk.left[0], sk.right[0]
    assert torch.equal(m[:, li, 0], -x[:, ri, 0]) and torch.equal(m[:, li, 1], x[:, ri, 1])
    assert torch.equal(mirror(m, perm), x)


def test_flip_test_is_the_average_with_the_mirrored_pass(val_lift):
    pipe = pretrained("semgcn").eval()
    pipe.flip_test = False
    x = pipe.as_input(val_lift.p2d[:64])  # the model's 16 joints
    with torch.no_grad():
        plain = pipe(x)
        back = mirror(pipe(mirror(x, pipe.flip_perm)), pipe.flip_perm)
        pipe.flip_test = True
        both = pipe(x)
        pipe.train()  # training mode: one pass, whatever the flag
        assert pipe.flip_test and pipe(x).shape == plain.shape
        pipe.eval()
    torch.testing.assert_close(both, 0.5 * (plain + back))
    assert not torch.allclose(plain, back, atol=1e-3)  # the mirrored pass is a second opinion


def test_mixture_merge_keeps_a_normalised_mixture_whose_mean_is_the_pose(val_lift):
    pipe = pretrained("graphmdn").eval()
    M = pipe.model_kwargs.get("num_kernels", 5)
    x = torch.as_tensor(val_lift.p2d[:32], dtype=torch.float32)
    pipe.flip_test = True
    with torch.no_grad():
        out = pipe(x)
    assert out["hypotheses"].shape == (32, 2 * M, 16, 3)
    assert out["weights"].shape == (32, 16, 2 * M) and out["sigma"].shape == (32, 16, 2 * M)
    torch.testing.assert_close(out["weights"].sum(-1), torch.ones(32, 16))
    torch.testing.assert_close(out["log_weights"].exp(), out["weights"])
    torch.testing.assert_close(select_mean(out["hypotheses"], out["weights"]), out["pose"], atol=1e-5, rtol=1e-5)
    top = out["weights"][:, 0].argmax(-1)  # pose level: one kernel for the whole pose
    torch.testing.assert_close(out["pose_highest"], out["hypotheses"][torch.arange(32), top])


def test_merge_of_a_plain_tensor_output():
    perm = torch.as_tensor(get_skeleton("h36m17").flip_permutation)
    a = torch.randn(3, 25, 17, 3)
    # an output that is mirror-equivariant already is unchanged by the merge
    torch.testing.assert_close(merge_mirrored(a, mirror(a, perm), perm), a)


def test_flip_test_lowers_the_validation_error_of_shipped_models(val_lift):
    """What the option is for, on real validation takes (never the test split): the averaged
    prediction is better than the single pass for a lifter and for a forecaster."""
    pipe = pretrained("semgcn")
    gt = val_lift.p3d[:, H36M17.subset_indices(pipe.skeleton)]
    pipe.flip_test = False
    plain = _mpjpe(run_batched(pipe, val_lift.p2d)["pose"], gt)
    pipe.flip_test = True
    both = _mpjpe(run_batched(pipe, val_lift.p2d)["pose"], gt)
    assert both < plain - 0.5, (plain, both)

    w = load_forecast("train", validation="only")
    past, future = w.gather(np.arange(0, len(w), 10))
    fc = pretrained("sts-gcn")
    fc.flip_test = False
    plain = _mpjpe(run_batched(fc, past)["pose"], future)
    fc.flip_test = True
    both = _mpjpe(run_batched(fc, past)["pose"], future)
    assert both < plain - 0.5, (plain, both)


def test_model_file_keeps_the_flag_and_old_files_read_as_off(tmp_path):
    pipe = Pipeline("semgcn", {"skeleton": "h36m16", "hidden": 8, "num_blocks": 1}, flip_test=True)
    f = save_model_file(tmp_path / "m.pt", pipe)
    assert read_model_file(f)["inference"] == {"flip_test": True}
    assert load_model_file(f).flip_test is True
    blob = torch.load(f, weights_only=False)
    del blob["inference"]  # a file written before the option
    torch.save(blob, tmp_path / "old.pt")
    assert load_model_file(tmp_path / "old.pt").flip_test is False
    blob["inference"] = {"flip_test": "yes"}
    torch.save(blob, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match=r"bad\.pt: 'inference' must be"):
        load_model_file(tmp_path / "bad.pt")


def test_config_key_reaches_the_trained_pipeline(tmp_path):
    from posegraph.train.module import PoseModule

    cfg = load_config("configs/lift/semgcn.yaml", overrides=["model.kwargs.hidden=8"])
    assert cfg["model"]["flip_test"] is True
    assert PoseModule(cfg).pipeline.flip_test is True
    off = load_config("configs/lift/semgcn.yaml", overrides=["model.flip_test=false", "model.kwargs.hidden=8"])
    assert PoseModule(off).pipeline.flip_test is False


def test_cli_eval_mirror_switch(tmp_path):
    """`posegraph eval --no-mirror` is one pass; the default follows the file (shipped: on)."""
    import json

    from typer.testing import CliRunner

    from posegraph.cli import app

    f = tmp_path / "val.npz"
    s = load_lift("train", "gt", validation="only").subset(np.arange(0, 4000, 8))
    np.savez(f, p2d=s.p2d, p3d=s.p3d)
    got = {}
    for flag in ("--mirror", "--no-mirror", None):
        args = ["eval", "--checkpoint", "semgcn", "--data", str(f), "--json"] + ([flag] if flag else [])
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 0, r.output
        got[flag] = json.loads(r.output.strip().splitlines()[-1])["mpjpe"]
    assert got[None] == got["--mirror"] != got["--no-mirror"]
