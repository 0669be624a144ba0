"""Lifting models: shapes, losses, training steps, hooks, parameter counts and ONNX export."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from posegraph.errors import PosegraphError, ShapeError
from posegraph.models import build_model, model_task
from posegraph.models.contract import pose_of


# (registry name, constructor kwargs): every lifting model of this file and its main options
CONFIGS = [
    ("baseline", {}),
    ("resgcn", {"conv": "vanilla"}),
    ("resgcn", {"conv": "decoupled"}),
    ("resgcn", {"conv": "decoupled", "joint_embedding": True}),
    ("resgcn", {"conv": "semantic", "non_local": True, "dropout": 0.1}),
    ("resgcn", {"conv": "semantic_cw"}),
    ("semgcn", {}),
    ("semgcn", {"non_local": False, "channel_wise": True}),
    ("global-node", {}),
    ("global-node", {"aux": "cluster", "num_clusters": 5}),
    ("global-node", {"aux": "embedding", "embed_dim": 10}),
    ("global-node", {"joint_embedding": True}),
    ("graphmdn", {"level": "node"}),
    ("graphmdn", {"level": "pose"}),
    ("modulated-gcn", {}),
]
SMALL = {"hidden": 32, "num_blocks": 2}  # for the training-step test


def _ids(cfgs):
    return [n + "".join(f"-{k}={v}" for k, v in kw.items()) for n, kw in cfgs]


def _data(B=16, J=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, J, 2, generator=g)
    y = 0.3 * torch.randn(B, J, 3, generator=g)
    y[:, 0] = 0.0  # pelvis-relative
    return x, y


def _pose(out):
    return out["pose"] if isinstance(out, dict) else out


def _build(name, kw, small=False, **extra):
    kw = dict(kw, **extra)
    if small:
        kw.update({"linear_size": 256} if name == "baseline" else SMALL)
    m = build_model(name, **kw)
    if hasattr(m, "prepare"):
        g = np.random.default_rng(0)
        m.prepare(0.3 * g.standard_normal((40, m.num_joints, 3)), g.standard_normal((40, m.num_joints, 2)))
    return m


def test_all_registered_as_lift():
    for name in {n for n, _ in CONFIGS}:
        assert model_task(name) == "lift"


def test_parameter_counts():
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert 4.2e6 <= count(build_model("baseline")) <= 4.4e6  # Martinez et al.: ~4.3M
    assert abs(count(build_model("semgcn", non_local=False)) - 0.27e6) <= 0.027e6  # Zhao et al.: 0.27M
    assert abs(count(build_model("semgcn")) - 0.43e6) <= 0.043e6  # with non-local: 0.43M
    assert abs(count(build_model("modulated-gcn")) - 0.29e6) <= 0.029e6  # Zou & Tang: 0.29M
    # vanilla conv has one weight per layer: about half of SemGCN's
    assert count(build_model("resgcn")) < count(build_model("resgcn", conv="decoupled"))


@pytest.mark.parametrize("name,kw", CONFIGS, ids=_ids(CONFIGS))
def test_forward_loss_and_training(name, kw):
    torch.manual_seed(0)
    m = _build(name, kw, small=True)
    x, y = _data()
    m.eval()
    with torch.no_grad():
        out = m(x)
    pose = _pose(out)
    assert pose.shape == (16, 16, 3) and bool(torch.isfinite(pose).all())
    m.train()
    opt = torch.optim.Adam(m.parameters(), lr=2e-3)
    losses = []
    for _ in range(12):
        opt.zero_grad()
        loss, logs = m.loss(m(x), y)
        assert loss.dim() == 0 and bool(torch.isfinite(loss))
        assert all(isinstance(v, torch.Tensor) for v in logs.values())
        loss.backward()
        opt.step()
        if hasattr(m, "after_optimizer_step"):
            m.after_optimizer_step()
        losses.append(float(loss.detach()))
    assert np.mean(losses[-3:]) < np.mean(losses[:3]), losses


@pytest.mark.parametrize("name", ["baseline", "resgcn", "semgcn", "global-node", "graphmdn", "modulated-gcn"])
def test_h36m17(name):
    m = build_model(name, skeleton="h36m17", **({} if name == "baseline" else SMALL)).eval()
    with torch.no_grad():
        pose = _pose(m(torch.randn(3, 17, 2)))
    assert pose.shape == (3, 17, 3)
    with pytest.raises(ShapeError):
        m(torch.randn(3, 16, 2))


def test_baseline_pelvis_zero_and_max_norm():
    m = build_model("baseline").eval()
    with torch.no_grad():
        m.output.weight.mul_(10)
        out = m(torch.randn(4, 16, 2))
    assert bool((out[:, 0] == 0).all()) and bool((out[:, 1:].abs() > 0).all())
    m.after_optimizer_step()
    m.requires_grad_(False)
    for mod in m.modules():
        if isinstance(mod, torch.nn.Linear):
            assert float(torch.linalg.vector_norm(mod.weight, dim=1).max()) <= 1 + 1e-5


def test_global_node_outputs_and_clusters():
    m = build_model("global-node", aux="cluster", num_clusters=4, hidden=32, num_blocks=1)
    x, y = _data(B=6)
    with pytest.raises(PosegraphError):
        m.loss(m(x), y)  # K-means not run yet
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((4, 16, 3))
    centres[:, 0] = 0
    train = np.concatenate([c + 0.01 * rng.standard_normal((10, 16, 3)) for c in centres])
    train[:, 0] = 0
    m.prepare(train, np.zeros((40, 16, 2)))
    assert bool(m.clusters_fitted)
    labels = m.cluster_labels(torch.tensor(centres + 1.0, dtype=torch.float32))  # root moved: labels unchanged
    fitted = m.centroids.numpy().reshape(4, 16, 3)
    nearest = [int(np.argmin(((fitted - c) ** 2).sum((1, 2)))) for c in centres]
    assert labels.tolist() == nearest and len(set(nearest)) == 4
    out = m(x)
    assert out["global"].shape == (6, 32) and out["cluster_logits"].shape == (6, 4)
    _, logs = m.loss(out, y)
    assert "cluster_ce" in logs
    e = build_model("global-node", aux="embedding", embed_dim=10, hidden=32, num_blocks=1)
    out = e(x)
    assert out["embedding"].shape == (6, 10) and out["decoded"].shape == (6, 16, 3)
    # standardised targets: K-means runs in metres, and the CE is rescaled to the pose loss's units
    std = np.full((16, 3), 0.2)
    mean = rng.standard_normal((16, 3)) * 0.01
    m3 = build_model("global-node", aux="cluster", num_clusters=4, hidden=32, num_blocks=1)
    m3.prepare((train - mean) / std, None, target_mean=mean, target_std=std)
    assert float(m3.aux_scale) == pytest.approx(25.0)  # 1 / mean(std^2)
    np.testing.assert_allclose(np.sort(m3.centroids.numpy(), 0), np.sort(m.centroids.numpy(), 0), atol=1e-4)
    norm_centres = torch.tensor((centres + 1.0 - mean) / std, dtype=torch.float32)
    assert m3.cluster_labels(norm_centres).tolist() == [
        int(np.argmin(((m3.centroids.numpy().reshape(4, 16, 3) - c) ** 2).sum((1, 2)))) for c in centres]
    _, logs3 = m3.loss(m3(x), torch.as_tensor((y.numpy() - mean) / std, dtype=torch.float32))
    loss3, _ = m3.loss(m3(x), torch.as_tensor((y.numpy() - mean) / std, dtype=torch.float32))
    assert float(loss3) == pytest.approx(float(logs3["mse"]) + 1e-3 * 25.0 * float(logs3["cluster_ce"]), rel=1e-4)
    # state dict round trip keeps the centroids
    m2 = build_model("global-node", aux="cluster", num_clusters=4, hidden=32, num_blocks=1)
    m2.load_state_dict(m.state_dict())
    assert bool(m2.clusters_fitted) and torch.equal(m2.centroids, m.centroids)


@pytest.mark.parametrize("name,kw", [("global-node", {}), ("resgcn", {"conv": "decoupled"})])
def test_joint_embedding_starts_as_the_papers_model_and_learns(name, kw):
    torch.manual_seed(0)
    plain = build_model(name, hidden=32, num_blocks=1, **kw)
    torch.manual_seed(0)
    emb = build_model(name, hidden=32, num_blocks=1, joint_embedding=True, **kw)
    assert set(plain.state_dict()) == set(emb.state_dict()) - {k for k in emb.state_dict() if "joint_embedding" in k}
    x, y = _data(B=8)
    plain.eval(), emb.eval()
    with torch.no_grad():
        assert torch.equal(pose_of(plain(x)), pose_of(emb(x)))  # zero at start: the paper's model
    emb.train()
    loss, _ = emb.loss(emb(x), y)
    loss.backward()
    e = next(p for n, p in emb.named_parameters() if "joint_embedding" in n)
    g = e.grad
    assert g is not None and g.shape == (16, 1, 32) and float(g.abs().sum()) > 0
    # per joint: different joints get different gradients (it can learn who is who)
    assert not torch.allclose(g[1], g[2])


@pytest.mark.parametrize("level", ["node", "pose"])
def test_graphmdn_outputs(level):
    m = build_model("graphmdn", level=level, num_kernels=3, **SMALL).eval()
    with torch.no_grad():
        out = m(torch.randn(4, 16, 2))
    assert out["hypotheses"].shape == (4, 3, 16, 3)
    assert out["weights"].shape == out["sigma"].shape == (4, 16, 3)
    torch.testing.assert_close(out["pose"], torch.einsum("bjm,bmjd->bjd", out["weights"], out["hypotheses"]))
    if level == "pose":
        torch.testing.assert_close(out["weights"], out["weights"][:, :1].expand_as(out["weights"]))
        k = out["weights"][:, 0].argmax(-1)
        torch.testing.assert_close(out["pose_highest"], out["hypotheses"][torch.arange(4), k])


# ----------------------------------------------------------------------------- ONNX

def _export_and_compare(m, tmp_path, dynamo: bool):
    import onnxruntime as ort

    m.eval()
    x = torch.randn(2, m.num_joints, 2)
    with torch.no_grad():
        ref = m(x)
    names = list(ref) if isinstance(ref, dict) else ["pose"]
    path = str(tmp_path / "model.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            prog = torch.onnx.export(m, (x,), dynamo=True, input_names=["x"], output_names=names,
                                     dynamic_shapes=({0: torch.export.Dim("batch")},))
            prog.save(path)
        else:
            torch.onnx.export(m, (x,), path, dynamo=False, input_names=["x"], output_names=names,
                              dynamic_axes={"x": {0: "batch"}, **{k: {0: "batch"} for k in names}})
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for B in (1, 5):
        xb = torch.randn(B, m.num_joints, 2)
        with torch.no_grad():
            want = m(xb)
        want = [want[k] for k in names] if isinstance(want, dict) else [want]
        got = sess.run(names, {"x": xb.numpy()})
        for n, g, w in zip(names, got, want):
            np.testing.assert_allclose(g, w.numpy(), atol=1e-4, rtol=1e-4, err_msg=n)


ONNX_CONFIGS = [
    ("baseline", {}),
    ("resgcn", {"conv": "decoupled"}),
    ("resgcn", {"conv": "semantic_cw", "hidden": 64, "num_blocks": 2}),
    ("semgcn", {}),
    ("global-node", {"aux": "cluster", "num_clusters": 5}),
    ("global-node", {"aux": "embedding"}),
    ("graphmdn", {"level": "node"}),
    ("graphmdn", {"level": "pose", "hidden": 64, "num_blocks": 2}),
    ("modulated-gcn", {}),
]


@pytest.mark.parametrize("name,kw", ONNX_CONFIGS, ids=_ids(ONNX_CONFIGS))
def test_onnx_export_dynamic_batch(name, kw, tmp_path):
    torch.manual_seed(0)
    _export_and_compare(_build(name, kw), tmp_path, dynamo=False)


def test_onnx_export_dynamo(tmp_path):
    """The torch.export-based exporter works too (slower, so one model only)."""
    pytest.importorskip("onnxscript")
    torch.manual_seed(0)
    _export_and_compare(build_model("graphmdn", hidden=32, num_blocks=1), tmp_path, dynamo=True)


def test_global_node_files_from_before_the_loss_rescaling_still_load(tmp_path):
    """Model files written before ``target_mean``/``target_std``/``aux_scale`` existed trained in
    standardised units without rescaling: they load with the identity values filled in."""
    from posegraph.pipeline import Pipeline, load_model_file, save_model_file

    torch.manual_seed(0)
    pipe = Pipeline("global-node", {"aux": "cluster", "num_clusters": 4, "hidden": 16, "num_blocks": 1})
    path = save_model_file(tmp_path / "old.pt", pipe)
    blob = torch.load(path, weights_only=False)
    for k in ("model.target_mean", "model.target_std", "model.aux_scale"):
        del blob["state_dict"][k]
    torch.save(blob, path)
    loaded = load_model_file(path)
    assert float(loaded.model.aux_scale) == 1.0 and torch.all(loaded.model.target_std == 1)
    x = torch.randn(3, 16, 2)
    with torch.no_grad():
        torch.testing.assert_close(loaded.eval()(x)["pose"], pipe.eval()(x)["pose"])
