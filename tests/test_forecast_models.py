"""STS-GCN and SeS-GCN forecasters and their layers.

Layers are checked against slow references written with explicit Python loops over joints and
frames in float64; the models for shapes, masks, parameter counts, a short fit on synthetic
smooth motion and ONNX export.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from posegraph.errors import ShapeError
from posegraph.models import build_model, list_models
from posegraph.models.ses_gcn import SeSGCN
from posegraph.models.sts_gcn import STSGCN
from posegraph.nn.separable_conv import DepthwiseSeparableConv, PointwiseConv
from posegraph.nn.space_time_conv import SpaceTimeAdjacency, SpaceTimeGraphConv
from posegraph.nn.temporal_decoder import TemporalConvDecoder

T_IN, T_OUT, V = 10, 25, 17



# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


def _randomise_bn(module: torch.nn.Module, gen: torch.Generator) -> None:
    """Non-trivial running statistics and affine parameters for every batch norm."""
    for m in module.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen, dtype=m.running_mean.dtype))
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen, dtype=m.running_var.dtype) + 0.5)
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen, dtype=m.weight.dtype))
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen, dtype=m.bias.dtype))
        if isinstance(m, torch.nn.PReLU):
            with torch.no_grad():
                m.weight.fill_(0.3)


def _bn_ref(bn, x):  # x: (C,) one position, eval mode
    return (x - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias


def _prelu_ref(a, x):
    return torch.clamp(x, min=0) + a * torch.clamp(x, max=0)


def ref_adjacency(x, at, as_):
    """Temporal (per joint) then spatial (per frame), explicit loops. x: (N, C, T, V)."""
    n_, c_, t_, v_ = x.shape
    z = torch.zeros_like(x)
    for n in range(n_):
        for c in range(c_):
            for q in range(t_):
                for v in range(v_):
                    s = 0.0
                    for t in range(t_):
                        s = s + x[n, c, t, v] * at[v, t, q]
                    z[n, c, q, v] = s
    y = torch.zeros_like(x)
    for n in range(n_):
        for c in range(c_):
            for q in range(t_):
                for w in range(v_):
                    s = 0.0
                    for v in range(v_):
                        s = s + z[n, c, q, v] * as_[q, v, w]
                    y[n, c, q, w] = s
    return y


def ref_adjacency_spatial_first(x, at, as_):
    """The other order (spatial per input frame, then temporal per joint), for contrast."""
    n_, c_, t_, v_ = x.shape
    z = torch.zeros_like(x)
    for t in range(t_):
        for w in range(v_):
            for v in range(v_):
                z[:, :, t, w] += x[:, :, t, v] * as_[t, v, w]
    y = torch.zeros_like(x)
    for v in range(v_):
        for q in range(t_):
            for t in range(t_):
                y[:, :, q, v] += z[:, :, t, v] * at[v, t, q]
    return y


def ref_layer(layer: SpaceTimeGraphConv, x):
    """Eval-mode STS/SeS layer with loops over batch, frames and joints (channels as vectors)."""
    at, as_ = layer.adjacency.effective()
    z = ref_adjacency(x, at, as_)
    n_, _, t_, v_ = x.shape
    out = torch.zeros(n_, layer.out_channels, t_, v_, dtype=x.dtype)
    for n in range(n_):
        for t in range(t_):
            for v in range(v_):
                h = z[n, :, t, v]
                if isinstance(layer.mix, DepthwiseSeparableConv):
                    dw = layer.mix.depthwise
                    h = h.repeat_interleave(dw.multiplier) * dw.weight[:, 0] + dw.bias[:, 0]
                    h = torch.clamp(_bn_ref(layer.mix.bn, h), 0.0, 6.0)
                    h = layer.mix.pointwise.weight @ h + layer.mix.pointwise.bias
                    # the authors' SeS layer: no batch norm after the separable convolution
                else:
                    h = layer.mix.weight @ h + layer.mix.bias
                    h = _bn_ref(layer.bn, h)
                if isinstance(layer.residual, torch.nn.Identity):
                    r = x[n, :, t, v]
                else:
                    conv, bn = layer.residual
                    r = _bn_ref(bn, conv.weight @ x[n, :, t, v] + conv.bias)
                out[n, :, t, v] = _prelu_ref(layer.act.weight, h + r)
    return out


def ref_decoder(dec: TemporalConvDecoder, x):
    """Eval-mode TCN, loops over output/input frames and kernel taps. x: (N, T_in, C, V)."""
    h = x
    for i, (seq, act) in enumerate(zip(dec.convs, dec.acts)):
        conv, bn = seq[0], seq[1]
        k = conv.kernel_size[0]
        p = k // 2
        n_, ti_, c_, v_ = h.shape
        hp = torch.zeros(n_, ti_, c_ + 2 * p, v_ + 2 * p, dtype=h.dtype)
        hp[:, :, p:p + c_, p:p + v_] = h
        y = torch.zeros(n_, conv.out_channels, c_, v_, dtype=h.dtype)
        for to in range(conv.out_channels):
            y[:, to] += conv.bias[to]
            for ti in range(ti_):
                for dy in range(k):
                    for dx in range(k):
                        y[:, to] += conv.weight[to, ti, dy, dx] * hp[:, ti, dy:dy + c_, dx:dx + v_]
        sc = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        y = (y - bn.running_mean.view(1, -1, 1, 1)) * sc.view(1, -1, 1, 1) + bn.bias.view(1, -1, 1, 1)
        y = _prelu_ref(act.weight, y)
        h = y if i == 0 else y + h
    return h


STANDING = np.array([  # h36m17, metres, +y up, pelvis at the origin
    [0, 0, 0], [-0.13, 0, 0], [-0.13, -0.45, 0.02], [-0.13, -0.88, 0], [0.13, 0, 0],
    [0.13, -0.45, 0.02], [0.13, -0.88, 0], [0, 0.23, 0], [0, 0.48, 0], [0, 0.58, 0.02],
    [0, 0.70, 0.03], [0.17, 0.45, 0], [0.20, 0.18, 0], [0.21, -0.07, 0.02],
    [-0.17, 0.45, 0], [-0.20, 0.18, 0], [-0.21, -0.07, 0.02],
], dtype=np.float64)


def synthetic_motion(batch: int, frames: int = T_IN + T_OUT, seed: int = 0) -> torch.Tensor:
    """Smooth motion: a standing pose turning about +y with swinging arms, 25 fps."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / 25.0
    out = np.empty((batch, frames, V, 3))
    arms = [11, 12, 13], [14, 15, 16]
    for b in range(batch):
        omega, phase = rng.uniform(-1.5, 1.5), rng.uniform(0, 2 * np.pi)
        f, amp, ph2 = rng.uniform(0.5, 1.2), rng.uniform(0.2, 0.6), rng.uniform(0, 2 * np.pi)
        for i, ti in enumerate(t):
            pose = STANDING.copy()
            for side, sign in zip(arms, (1.0, -1.0)):  # swing arms about the shoulder's x axis
                a = sign * amp * np.sin(2 * np.pi * f * ti + ph2)
                rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
                sh = pose[side[0]]
                pose[side[1:]] = (pose[side[1:]] - sh) @ rx.T + sh
            th = phase + omega * ti
            ry = np.array([[np.cos(th), 0, np.sin(th)], [0, 1, 0], [-np.sin(th), 0, np.cos(th)]])
            out[b, i] = pose @ ry.T
    return torch.as_tensor(out, dtype=torch.float32)


def layer_params(cin, cout, separable, t=T_IN, v=V, k=1):
    n = v * t * t + t * v * v  # temporal + spatial adjacency
    if separable:  # the authors' SeS layer: depthwise, its BN, pointwise; no outer BN
        n += 2 * cin * k + 2 * cin * k + cout * cin * k + cout
    else:
        n += cout * cin + cout + 2 * cout  # 1x1 conv, BN
    n += 1  # PReLU
    if cin != cout:
        n += cout * cin + cout + 2 * cout  # residual conv + BN
    return n


def expected_params(widths, separable, num_tcn=4, kernel=3, t_in=T_IN, t_out=T_OUT):
    n = sum(layer_params(a, b, separable) for a, b in zip(widths[:-1], widths[1:]))
    for i in range(num_tcn):
        ti = t_in if i == 0 else t_out
        n += t_out * ti * kernel * kernel + t_out + 2 * t_out + 1
    return n


def _fit(model, x, y, steps, lr=3e-3, weight_decay=0.0, decoupled=False):
    opt_cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    opt = opt_cls(model.parameters(), lr=lr, weight_decay=weight_decay)
    losses = []
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        loss, logs = model.loss(model(x), y)
        loss.backward()
        opt.step()
        if hasattr(model, "after_optimizer_step"):
            model.after_optimizer_step()
        losses.append(float(logs["mpjpe"]))
    return losses


# ---------------------------------------------------------------------------------------
# layers
# ---------------------------------------------------------------------------------------


def test_adjacency_matches_loop_reference_temporal_then_spatial():
    torch.manual_seed(0)
    adj = SpaceTimeAdjacency(num_frames=3, num_joints=4).double()
    x = torch.randn(2, 2, 3, 4, dtype=torch.float64)
    at, as_ = adj.temporal.detach(), adj.spatial.detach()
    with torch.no_grad():
        y = adj(x)
        # the fused kernel is exactly the composition of the two einsums
        two_step = torch.einsum("nctv,tvw->nctw", torch.einsum("nctv,vtq->ncqv", x, at), as_)
    ref = ref_adjacency(x, at, as_)
    torch.testing.assert_close(y, ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(two_step, ref, rtol=1e-12, atol=1e-12)
    # and the order matters: spatial-first is a different operator
    other = ref_adjacency_spatial_first(x, at, as_)
    assert (other - ref).abs().max() > 1e-3
    # flattened input gives the same
    torch.testing.assert_close(adj(x.reshape(2, 2, 12)).view(2, 2, 3, 4), ref, rtol=1e-12, atol=1e-12)


def test_adjacency_init_is_small_uniform():
    torch.manual_seed(0)
    adj = SpaceTimeAdjacency(T_IN, V)
    assert adj.temporal.shape == (V, T_IN, T_IN) and adj.spatial.shape == (T_IN, V, V)
    assert adj.temporal.abs().max() <= 1 / math.sqrt(T_IN)
    assert adj.spatial.abs().max() <= 1 / math.sqrt(V)
    assert adj.temporal_mask is None and "temporal_mask" not in adj.state_dict()


@pytest.mark.parametrize("separable", [False, True])
@pytest.mark.parametrize("cin,cout", [(3, 5), (4, 4)])
def test_layer_matches_loop_reference(separable, cin, cout):
    gen = torch.Generator().manual_seed(1)
    torch.manual_seed(1)
    layer = SpaceTimeGraphConv(cin, cout, num_frames=3, num_joints=4, dropout=0.5,
                               separable=separable, depth_multiplier=2 if separable else 1).double()
    _randomise_bn(layer, gen)
    layer.eval()
    x = torch.randn(2, cin, 3, 4, dtype=torch.float64, generator=gen)
    with torch.no_grad():
        y = layer(x)
        ref = ref_layer(layer, x)
    assert y.shape == (2, cout, 3, 4)
    torch.testing.assert_close(y, ref, rtol=1e-10, atol=1e-10)


def test_residual_path():
    torch.manual_seed(2)
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(3, 4, 5, 6)
    # identity residual (C_in == C_out): silence the graph branch, output is PReLU(x)
    layer = SpaceTimeGraphConv(4, 4, 5, 6).eval()
    assert isinstance(layer.residual, torch.nn.Identity)
    with torch.no_grad():
        layer.bn.weight.zero_()
        layer.bn.bias.zero_()
        layer.act.weight.fill_(0.25)
    torch.testing.assert_close(layer(x), torch.nn.functional.prelu(x, torch.tensor([0.25])))
    # projected residual (C_in != C_out): 1x1 conv + BN
    layer = SpaceTimeGraphConv(4, 7, 5, 6).eval()
    _randomise_bn(layer, gen)
    with torch.no_grad():
        layer.bn.weight.zero_()
        layer.bn.bias.zero_()
        conv, bn = layer.residual
        r = torch.einsum("oc,nctv->notv", conv.weight, x) + conv.bias.view(1, -1, 1, 1)
        r = torch.nn.functional.batch_norm(r, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps)
    torch.testing.assert_close(layer(x), torch.nn.functional.prelu(r, layer.act.weight), rtol=1e-5, atol=1e-5)
    assert isinstance(layer.residual[0], PointwiseConv)


def test_decoder_matches_loop_reference():
    gen = torch.Generator().manual_seed(3)
    torch.manual_seed(3)
    dec = TemporalConvDecoder(in_frames=3, out_frames=4, num_layers=3, kernel_size=3, dropout=0.3).double()
    _randomise_bn(dec, gen)
    dec.eval()
    x = torch.randn(2, 3, 3, 5, dtype=torch.float64, generator=gen)
    with torch.no_grad():
        torch.testing.assert_close(dec(x), ref_decoder(dec, x), rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sts-gcn", "ses-gcn"])
def test_model_shapes_and_loss(name):
    assert name in list_models("forecast")
    torch.manual_seed(0)
    model = build_model(name)
    for b in (1, 3):
        y = model(torch.randn(b, T_IN, V, 3))
        assert y.shape == (b, T_OUT, V, 3)
    target = torch.randn(3, T_OUT, V, 3)
    loss, logs = model.loss(y, target)
    assert loss.dim() == 0 and "mpjpe" in logs
    torch.testing.assert_close(loss, (y - target).norm(dim=-1).mean())
    with pytest.raises(ShapeError):
        model(torch.randn(2, T_IN + 1, V, 3))
    model = build_model(name, input_frames=5, output_frames=7, channels=[8, 8], num_tcn_layers=2)
    assert model(torch.randn(2, 5, V, 3)).shape == (2, 7, V, 3)


def test_sts_model_equals_layer_composition():
    torch.manual_seed(0)
    model = STSGCN().eval()
    x = torch.randn(2, T_IN, V, 3)
    with torch.no_grad():
        h = x.permute(0, 3, 1, 2)
        for layer in model.encoder:
            h = layer(h)
        ref = model.decoder(h.permute(0, 2, 1, 3)).permute(0, 1, 3, 2)
        torch.testing.assert_close(model(x), ref)
    assert [(l.in_channels, l.out_channels) for l in model.encoder] == [(3, 64), (64, 32), (32, 64), (64, 3)]


def test_parameter_counts():
    torch.manual_seed(0)
    sts = STSGCN()
    teacher = SeSGCN()
    student = SeSGCN.make_student(teacher, threshold=0.03)
    n_sts = expected_params((3, 64, 32, 64, 3), separable=False)
    n_ses = expected_params((3, 66, 66, 66, 66, 3), separable=True)
    assert sts.num_parameters() == n_sts == 47731
    assert teacher.num_parameters() == n_ses == 57786
    assert student.num_parameters() == n_ses  # masks are buffers, not parameters
    masked = sum(int((a.temporal_mask == 0).sum() + (a.spatial_mask == 0).sum()) for a in student.adjacencies())
    assert student.num_parameters(effective=True) == n_ses - masked
    print(f"\nparameters: STS-GCN {n_sts}, SeS-GCN teacher {n_ses}, "
          f"student@0.03 {n_ses - masked} effective ({masked} masked adjacency entries)")


def _sparse_teacher(seed=0):
    """A teacher whose adjacencies have many small entries (as after training with decay)."""
    torch.manual_seed(seed)
    teacher = SeSGCN(dropout=0.0)
    with torch.no_grad():
        for adj in teacher.adjacencies():
            adj.temporal.mul_(0.3)
            adj.spatial.mul_(0.3)
    return teacher


@pytest.mark.parametrize("decoupled", [False, True])
def test_student_masks_stay_zero_through_training(decoupled):
    teacher = _sparse_teacher()
    student = SeSGCN.make_student(teacher, threshold=0.03)
    assert student.config["sparse"] is True and student.config["threshold"] == 0.03
    for t_adj, s_adj in zip(teacher.adjacencies(), student.adjacencies()):
        assert not s_adj.temporal_mask.requires_grad
        torch.testing.assert_close(s_adj.temporal_mask, (torch.tanh(t_adj.temporal).abs() > 0.03).float())
        torch.testing.assert_close(s_adj.spatial_mask, (torch.tanh(t_adj.spatial).abs() > 0.03).float())
    # fresh weights, not the teacher's
    assert not torch.equal(student.encoder[0].mix.pointwise.weight, teacher.encoder[0].mix.pointwise.weight)
    sp = student.sparsity()
    assert 0.2 < sp["overall"] < 0.9

    data = synthetic_motion(8, seed=1)
    _fit(student, data[:, :T_IN], data[:, T_IN:], steps=4, lr=1e-2, weight_decay=0.1, decoupled=decoupled)
    # one more backward to inspect the gradients
    student.zero_grad()
    student.loss(student(data[:, :T_IN]), data[:, T_IN:])[0].backward()
    zeros = total = 0
    for adj in student.adjacencies():
        for raw, mask, eff in ((adj.temporal, adj.temporal_mask, adj.effective()[0]),
                               (adj.spatial, adj.spatial_mask, adj.effective()[1])):
            off = mask == 0
            assert off.any() and (~off).any()
            assert torch.all(raw[off] == 0)
            assert torch.all(raw.grad[off] == 0)
            assert torch.all(eff[off] == 0)
            assert raw.grad[~off].abs().sum() > 0  # kept entries do learn
            zeros += int(off.sum())
            total += off.numel()
    sp = student.sparsity()
    assert sp["overall"] == pytest.approx(zeros / total)
    a0 = student.adjacencies()[0]
    assert sp["encoder.0.temporal"] == pytest.approx(float((a0.temporal_mask == 0).float().mean()))
    assert sp["encoder.0.spatial"] == pytest.approx(float((a0.spatial_mask == 0).float().mean()))


def test_student_forward_uses_masks_and_state_dict_round_trip():
    teacher = _sparse_teacher(seed=3)
    student = SeSGCN.make_student(teacher).eval()
    x = synthetic_motion(2, seed=2)[:, :T_IN]
    # the same network without masks, raw adjacencies already zero where masked -> same output
    with torch.no_grad():
        for adj in student.adjacencies():
            adj.temporal.add_(1.0 - adj.temporal_mask)  # garbage at masked entries
        y_masked = student(x)
        dense = SeSGCN(**dict(student.config, sparse=False)).eval()
        sd = {k: v for k, v in student.state_dict().items() if not k.endswith("_mask")}
        dense.load_state_dict(sd)
        for d_adj, s_adj in zip(dense.adjacencies(), student.adjacencies()):
            d_adj.temporal.mul_(s_adj.temporal_mask)
            d_adj.spatial.mul_(s_adj.spatial_mask)
        torch.testing.assert_close(dense(x), y_masked)
        student.after_optimizer_step()  # re-zeroes the raw entries
        for adj in student.adjacencies():
            assert torch.all(adj.temporal[adj.temporal_mask == 0] == 0)
    # rebuild from config + state_dict (masks included)
    sd = student.state_dict()
    assert any(k.endswith("temporal_mask") for k in sd)
    clone = build_model("ses-gcn", **student.config).eval()
    clone.load_state_dict(sd)
    with torch.no_grad():
        torch.testing.assert_close(clone(x), student(x))
    assert clone.sparsity() == student.sparsity()


@pytest.mark.parametrize("name", ["sts-gcn", "ses-gcn"])
def test_adam_reduces_mpjpe_on_smooth_motion(name):
    torch.manual_seed(0)
    data = synthetic_motion(16, seed=0)
    x, y = data[:, :T_IN], data[:, T_IN:]
    model = build_model(name, dropout=0.0)
    losses = _fit(model, x, y, steps=30, lr=3e-3)
    assert all(math.isfinite(v) for v in losses)
    assert np.mean(losses[-5:]) < 0.5 * losses[0], losses


# ---------------------------------------------------------------------------------------
# ONNX
# ---------------------------------------------------------------------------------------


def _export_and_compare(model, path, dynamo):
    ort = pytest.importorskip("onnxruntime")
    model.eval()
    x = synthetic_motion(2, seed=5)[:, :T_IN]
    if dynamo:
        torch.onnx.export(model, (x,), str(path), dynamo=True, input_names=["past"], output_names=["future"],
                          dynamic_shapes={"x": {0: torch.export.Dim("batch")}}, verbose=False)
    else:
        torch.onnx.export(model, (x,), str(path), dynamo=False, input_names=["past"], output_names=["future"],
                          dynamic_axes={"past": {0: "batch"}, "future": {0: "batch"}}, opset_version=17)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for b in (1, 5):
        xb = synthetic_motion(b, seed=10 + b)[:, :T_IN]
        with torch.no_grad():
            ref = model(xb).numpy()
        out = sess.run(None, {"past": xb.numpy()})[0]
        assert out.shape == (b, T_OUT, V, 3)
        np.testing.assert_allclose(out, ref, atol=1e-4, rtol=0)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name", ["sts-gcn", "ses-gcn", "ses-gcn-student"])
def test_onnx_export_dynamic_batch(name, tmp_path):
    torch.manual_seed(0)
    if name == "ses-gcn-student":
        model = SeSGCN.make_student(_sparse_teacher())
    else:
        model = build_model(name)
    _export_and_compare(model, tmp_path / "m.onnx", dynamo=False)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_onnx_export_dynamo_student(tmp_path):
    pytest.importorskip("onnxscript")
    model = SeSGCN.make_student(_sparse_teacher())
    _export_and_compare(model, tmp_path / "m.onnx", dynamo=True)


@pytest.mark.parametrize("name", ["sts-gcn", "ses-gcn"])
def test_residual_output_starts_from_the_last_observed_pose(name):
    """With residual=True the network predicts displacements: a zero decoder gives zero velocity."""
    from posegraph.models import build_model

    m = build_model(name, residual=True).eval()
    for p in m.decoder.parameters():
        torch.nn.init.zeros_(p)
    x = torch.randn(2, 10, 17, 3)
    with torch.no_grad():
        out = m(x)
    assert torch.allclose(out, x[:, -1:].expand_as(out), atol=1e-6)
    assert m.config["residual"] is True
    assert build_model(name).config["residual"] is False  # the papers' absolute output by default


# ---------------------------------------------------------------------------------------
# residual output and heading canonicalisation, on real windows of mocap-forecast

def _real_windows(n=32):
    from posegraph.data.forecast import load_forecast

    w = load_forecast("test")
    past, future = w.gather(np.linspace(0, len(w) - 1, n).astype(int))
    return torch.as_tensor(past, dtype=torch.float32), torch.as_tensor(future, dtype=torch.float32)


def _yaw(a: float) -> torch.Tensor:
    c, s = math.cos(a), math.sin(a)
    return torch.tensor([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


@pytest.mark.parametrize("cls", [STSGCN, SeSGCN])
def test_untrained_residual_forecast_starts_at_the_last_pose(cls):
    """In millimetre output units an untrained residual model forecasts (almost) the last
    observed pose; in metres it starts far from it (why the residual collapsed before)."""
    past, _ = _real_windows()
    torch.manual_seed(0)
    mm = cls(residual=True).eval()
    metres = cls(residual=True, output_scale=1.0).eval()
    with torch.no_grad():
        off_mm = (mm(past) - past[:, -1:]).norm(dim=-1).mean()
        off_m = (metres(past) - past[:, -1:]).norm(dim=-1).mean()
    assert mm.output_scale == 1e-3 and cls().output_scale == 1.0
    assert off_mm < 0.01 < 0.1 < off_m  # < 1 cm against > 10 cm


@pytest.mark.parametrize("residual", [False, True])
def test_canonical_heading_makes_the_forecast_turn_with_the_person(residual):
    past, _ = _real_windows()
    torch.manual_seed(0)
    m = STSGCN(residual=residual, canonical_heading=True).eval()
    R = _yaw(1.1)
    with torch.no_grad():
        y = m(past)
        y_rot = m(torch.einsum("ij,btvj->btvi", R, past))
        Rc = m.heading_rotation(past)
    torch.testing.assert_close(y_rot, torch.einsum("ij,btvj->btvi", R, y), rtol=1e-4, atol=1e-5)
    # the canonical frame puts the last hips along +x
    hips = torch.einsum("bij,bj->bi", Rc, past[:, -1, m.hips[0]] - past[:, -1, m.hips[1]])
    assert torch.all(hips[:, 0] > 0) and hips[:, 2].abs().max() < 1e-5
    assert STSGCN(**m.config).canonical_heading  # rebuilt from its config


def test_canonical_heading_exports_to_onnx(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    past, _ = _real_windows(4)
    torch.manual_seed(0)
    m = SeSGCN(residual=True, canonical_heading=True).eval()
    path = tmp_path / "m.onnx"
    torch.onnx.export(m, (past,), str(path), input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "b"}, "y": {0: "b"}}, dynamo=False)
    got = ort.InferenceSession(str(path)).run(None, {"x": past.numpy()})[0]
    with torch.no_grad():
        np.testing.assert_allclose(got, m(past).numpy(), rtol=1e-4, atol=1e-5)
