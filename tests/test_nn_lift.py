"""Graph layers of posegraph.nn against slow edge-by-edge references (float64)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from posegraph.nn.decoupled_conv import DecoupledGraphConv
from posegraph.nn.global_node_conv import GlobalNodeConv
from posegraph.nn.graph_conv import GraphConv, as_adjacency
from posegraph.nn.layers import GRAPH_CONVS, GraphLayer, make_graph_conv
from posegraph.nn.mdn_head import (MDNHead, mdn_nll, sample_poses, select_highest, select_mean,
                                   select_oracle)
from posegraph.nn.modulated_conv import ModulatedGraphConv
from posegraph.nn.non_local import NonLocalBlock, default_joint_groups
from posegraph.nn.semantic_conv import SemGraphConv
from posegraph.skeleton import get_skeleton


def chain(n: int = 5) -> np.ndarray:
    A = np.zeros((n, n))
    for i in range(n - 1):
        A[i, i + 1] = A[i + 1, i] = 1
    return A


H16 = get_skeleton("h36m16").adjacency()
GRAPHS = {"chain5": chain(5), "h36m16": H16}


def neighbours(A: np.ndarray, i: int) -> list[int]:
    return [j for j in range(A.shape[0]) if A[i, j] != 0 and j != i]


def degrees(A: np.ndarray) -> np.ndarray:
    return (A != 0).sum(1) + 1.0  # degree of A + I


def randomize(layer: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Give every parameter (incl. the edge logits, Q, M, BN affine) random values."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.5)
    return layer


def make(kind: str, A: np.ndarray, cin: int = 3, cout: int = 4, seed: int = 0):
    torch.manual_seed(seed)
    return randomize(LAYERS[kind](cin, cout, A).double(), seed)


LAYERS = {**GRAPH_CONVS, "global": GlobalNodeConv}
KINDS = list(LAYERS)


# ----------------------------------------------------------------------------- references

def ref_vanilla(layer, A, x):
    d = degrees(A)
    B, J, _ = x.shape
    out = torch.zeros(B, J, layer.out_features, dtype=x.dtype)
    for i in range(J):
        for j in [i] + neighbours(A, i):
            out[:, i] += (x[:, j] @ layer.weight) / math.sqrt(d[i] * d[j])
    return out + layer.bias


def ref_decoupled(layer, A, x):
    d = degrees(A)
    B, J, _ = x.shape
    out = torch.zeros(B, J, layer.out_features, dtype=x.dtype)
    for i in range(J):
        out[:, i] += (x[:, i] @ layer.Q) / d[i]
        for j in neighbours(A, i):
            out[:, i] += (x[:, j] @ layer.W) / math.sqrt(d[i] * d[j])
    return out + layer.bias


def _edge_logit(layer, i, j):
    ei = layer.edge_index
    k = [n for n in range(ei.shape[1]) if int(ei[0, n]) == i and int(ei[1, n]) == j]
    assert len(k) == 1
    return layer.e[..., k[0]]


def ref_semantic(layer, A, x):
    B, J, _ = x.shape
    C = layer.out_features
    out = torch.zeros(B, J, C, dtype=x.dtype)
    for i in range(J):
        nb = [i] + neighbours(A, i)
        logits = torch.stack([_edge_logit(layer, i, j) for j in nb])  # (n,) or (n, C)
        w = torch.exp(logits) / torch.exp(logits).sum(0)
        for n, j in enumerate(nb):
            W = layer.W[0] if j == i else layer.W[1]
            out[:, i] += w[n] * (x[:, j] @ W)
    return out + layer.bias


def ref_modulated(layer, A, x):
    d = degrees(A)
    J = A.shape[0]
    base = np.zeros((J, J))
    for i in range(J):
        for j in [i] + neighbours(A, i):
            base[i, j] = 1.0 / d[i]  # row normalisation of A + I
    B = x.shape[0]
    out = torch.zeros(B, J, layer.out_features, dtype=x.dtype)
    for i in range(J):
        for j in range(J):
            a = 0.5 * (base[i, j] + layer.Q[i, j] + base[j, i] + layer.Q[j, i])
            W = layer.W[0] if j == i else layer.W[1]
            out[:, i] += a * (layer.M[j] * (x[:, j] @ W))
    return out + layer.bias


def ref_global(layer, A, x, u):
    d = degrees(A)
    B, J, _ = x.shape
    out = torch.zeros(B, J, layer.out_features, dtype=x.dtype)
    for i in range(J):
        out[:, i] += (x[:, i] @ layer.Q) / d[i] + u @ layer.T
        for j in neighbours(A, i):
            out[:, i] += (x[:, j] @ layer.W) / math.sqrt(d[i] * d[j])
    glob = sum(x[:, j] @ layer.R for j in range(J)) / J + u @ layer.S
    return out + layer.bias, glob + layer.bias_global


def ref_non_local(block, x, groups):
    B, J, C = x.shape
    ci = block.inter_channels
    theta, phi, g = block.theta(x), block.phi(x), block.g(x)
    if groups is not None:
        phi = torch.stack([phi[:, grp].max(dim=1).values for grp in groups], 1)
        g = torch.stack([g[:, grp].max(dim=1).values for grp in groups], 1)
    N = phi.shape[1]
    w = block.concat_project
    y = torch.zeros(B, J, ci, dtype=x.dtype)
    for i in range(J):
        for j in range(N):
            f = torch.relu(torch.cat([theta[:, i], phi[:, j]], -1) @ w) / N  # (B,)
            y[:, i] += f[:, None] * g[:, j]
    z = block.out(y)
    bn = block.bn
    z = (z - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias
    return z + x


REFERENCES = {"vanilla": ref_vanilla, "decoupled": ref_decoupled, "semantic": ref_semantic,
              "semantic_cw": ref_semantic, "modulated": ref_modulated}
"""The edge-by-edge reference of every layer of the name table (a new layer needs one)."""


# ----------------------------------------------------------------------------- tests

def test_layer_table_keeps_the_graph_layer_contract():
    assert set(REFERENCES) == set(GRAPH_CONVS)
    for kind in GRAPH_CONVS:
        layer = make_graph_conv(kind, 3, 4, H16)
        assert isinstance(layer, GraphLayer), kind
        x = torch.randn(2, 16, 3)
        torch.testing.assert_close(layer(x), layer.forward_jm(x.transpose(0, 1)).transpose(0, 1))
    with pytest.raises(ValueError, match="conv must be one of"):
        make_graph_conv("nope", 3, 4, H16)


@pytest.mark.parametrize("graph", list(GRAPHS))
@pytest.mark.parametrize("kind", KINDS)
def test_layer_matches_edge_reference(kind, graph):
    A = GRAPHS[graph]
    layer = make(kind, A)
    x = torch.randn(2, A.shape[0], 3, dtype=torch.float64)
    with torch.no_grad():
        if kind == "global":
            u = torch.randn(2, 3, dtype=torch.float64)
            got, got_u = layer(x, u)
            want, want_u = ref_global(layer, A, x, u)
            torch.testing.assert_close(got_u, want_u)
            got0, got0_u = layer(x)  # the global node starts at zero
            want0, want0_u = ref_global(layer, A, x, torch.zeros(2, 3, dtype=torch.float64))
            torch.testing.assert_close(got0, want0)
            torch.testing.assert_close(got0_u, want0_u)
        else:
            got = layer(x)
            want = REFERENCES[kind](layer, A, x)
    torch.testing.assert_close(got, want)


@pytest.mark.parametrize("grouped", [False, True])
def test_non_local_matches_reference_and_starts_as_identity(grouped):
    groups = default_joint_groups("h36m16") if grouped else None
    torch.manual_seed(0)
    block = NonLocalBlock(8, groups).double().eval()
    x = torch.randn(3, 16, 8, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(block(x), x)  # BN scale/shift start at 0
        randomize(block)
        block.bn.running_mean.uniform_(-0.5, 0.5)
        block.bn.running_var.uniform_(0.5, 2.0)
        torch.testing.assert_close(block(x), ref_non_local(block, x, groups))


def test_default_groups_cover_skeletons():
    for name, n in (("h36m16", 8), ("h36m17", 8)):
        g = default_joint_groups(name)
        assert len(g) == n
        assert sorted(i for grp in g for i in grp) == list(range(get_skeleton(name).num_joints))


# -- permutation equivariance

def _permuted_copy(kind, layer, A, perm):
    Ap = A[perm][:, perm]
    new = make(kind, Ap, seed=1)
    sd = {k: v.clone() for k, v in layer.state_dict().items() if k in dict(new.named_parameters())}
    if kind.startswith("semantic"):
        ei = layer.edge_index.numpy()
        lookup = {(int(r), int(c)): k for k, (r, c) in enumerate(ei.T)}
        idx = [lookup[(perm[r], perm[c])] for r, c in new.edge_index.numpy().T]
        sd["e"] = layer.e[..., idx].clone()
    if kind == "modulated":
        sd["Q"] = layer.Q[perm][:, perm].clone()
        sd["M"] = layer.M[perm].clone()
    new.load_state_dict(sd, strict=False)
    return new


@pytest.mark.parametrize("kind", KINDS)
def test_permutation_equivariance(kind):
    A = H16
    perm = np.random.default_rng(3).permutation(A.shape[0])
    layer = make(kind, A)
    new = _permuted_copy(kind, layer, A, perm)
    x = torch.randn(2, A.shape[0], 3, dtype=torch.float64)
    with torch.no_grad():
        if kind == "global":
            (y, u), (yp, up) = layer(x), new(x[:, perm])
            torch.testing.assert_close(up, u)
        else:
            y, yp = layer(x), new(x[:, perm])
    torch.testing.assert_close(yp, y[:, perm])


def test_non_local_permutation_equivariance():
    groups = default_joint_groups("h36m16")
    perm = np.random.default_rng(4).permutation(16)
    inv = np.argsort(perm)
    torch.manual_seed(0)
    block = randomize(NonLocalBlock(8, groups).double().eval())
    new = NonLocalBlock(8, [[int(inv[j]) for j in g] for g in groups]).double().eval()
    new.load_state_dict(block.state_dict())
    x = torch.randn(2, 16, 8, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(new(x[:, perm]), block(x)[:, perm])


# -- masking

@pytest.mark.parametrize("cw", [False, True])
def test_semantic_softmax_zero_off_support(cw):
    layer = make("semantic_cw" if cw else "semantic", H16)
    att = layer.attention()
    support = torch.tensor(H16 + np.eye(16) > 0)
    off = att[..., ~support]
    assert off.numel() > 0 and bool((off == 0).all())
    assert bool((att[..., support] > 0).all())
    torch.testing.assert_close(att.sum(-1), torch.ones_like(att.sum(-1)))


@pytest.mark.parametrize("kind", ["vanilla", "decoupled", "semantic", "semantic_cw"])
def test_non_neighbour_does_not_change_output(kind):
    A = H16
    layer = make(kind, A)
    x = torch.randn(2, 16, 3, dtype=torch.float64)
    i = get_skeleton("h36m16").index("l_wrist")
    far = [j for j in range(16) if j != i and A[i, j] == 0]
    x2 = x.clone()
    x2[:, far] += torch.randn(2, len(far), 3, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(layer(x)[:, i], layer(x2)[:, i])
        assert not torch.allclose(layer(x)[:, far], layer(x2)[:, far])


def test_as_adjacency_accepts_names_and_arrays():
    A = as_adjacency("h36m16")
    assert A.shape == (16, 16) and np.all(np.diag(A) == 0) and np.allclose(A, A.T)
    np.testing.assert_array_equal(as_adjacency(torch.tensor(H16)), A)


# -- gradients

def test_gradcheck_semantic_and_modulated():
    A = chain(4)
    for kind in ("semantic_cw", "modulated"):
        layer = make(kind, A, cin=2, cout=2)
        x = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
        params = tuple(layer.parameters())

        def f(x, *ps):
            return torch.func.functional_call(layer, dict(zip([n for n, _ in layer.named_parameters()], ps)), (x,))

        assert torch.autograd.gradcheck(f, (x,) + params)


@pytest.mark.parametrize("kind", KINDS + ["non_local", "mdn"])
def test_gradients_reach_every_parameter(kind):
    if kind == "non_local":
        layer = randomize(NonLocalBlock(8, default_joint_groups("h36m16")).double())
        x = torch.randn(4, 16, 8, dtype=torch.float64)
    elif kind == "mdn":
        layer = MDNHead(8, 3, adjacency="h36m16").double()
        x = torch.randn(4, 16, 8, dtype=torch.float64)
    else:
        layer = make(kind, H16)
        x = torch.randn(4, 16, 3, dtype=torch.float64)
    out = layer(x, torch.randn(4, 3, dtype=torch.float64)) if kind == "global" else layer(x)
    if kind == "mdn":
        loss = mdn_nll(out["means"], out["sigma"], out["log_weights"], 0.3 * torch.randn(4, 16, 3, dtype=torch.float64))
    elif kind == "global":
        loss = (out[0] ** 2).sum() + (out[1] ** 2).sum()
    else:
        loss = (out ** 2).sum()
    loss.backward()
    for name, p in layer.named_parameters():
        assert p.grad is not None and float(p.grad.abs().sum()) > 0, name


# ----------------------------------------------------------------------------- mixture density

def _random_mixture(B=3, M=4, J=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    means = 0.5 * torch.randn(B, M, J, 3, generator=g, dtype=torch.float64)
    sigma = 0.4 + torch.rand(B, J, M, generator=g, dtype=torch.float64)
    logits = torch.randn(B, J, M, generator=g, dtype=torch.float64)
    target = 0.5 * torch.randn(B, J, 3, generator=g, dtype=torch.float64)
    return means, sigma, logits, target


def _density(y, mu, s):
    return torch.exp(-((y - mu) ** 2).sum(-1) / (2 * s ** 2)) / (2 * math.pi * s ** 2) ** 1.5


def test_node_level_nll_matches_direct():
    means, sigma, logits, target = _random_mixture()
    B, M, J, _ = means.shape
    pi = torch.softmax(logits, -1)
    want = torch.zeros(B, dtype=torch.float64)
    for b in range(B):
        for i in range(J):
            p = sum(pi[b, i, k] * _density(target[b, i], means[b, k, i], sigma[b, i, k]) for k in range(M))
            want[b] -= torch.log(p)
    got = mdn_nll(means, sigma, torch.log_softmax(logits, -1), target, "node")
    torch.testing.assert_close(got, want.mean())


def test_pose_level_nll_matches_direct():
    means, sigma, logits, target = _random_mixture()
    B, M, J, _ = means.shape
    sigma = sigma[:, :1].expand(B, J, M)  # one sigma per kernel
    pi = torch.softmax(logits.mean(1), -1)  # (B, M)
    want = torch.zeros(B, dtype=torch.float64)
    for b in range(B):
        p = 0.0
        for k in range(M):
            prod = 1.0
            for i in range(J):
                prod = prod * _density(target[b, i], means[b, k, i], sigma[b, i, k])
            p = p + pi[b, k] * prod
        want[b] = -torch.log(p)
    logw = torch.log(pi)[:, None].expand(B, J, M)
    got = mdn_nll(means, sigma, logw, target, "pose")
    torch.testing.assert_close(got, want.mean())


@pytest.mark.parametrize("level", ["node", "pose"])
def test_mdn_head_outputs(level):
    torch.manual_seed(0)
    head = MDNHead(6, 4, level, adjacency="h36m16", sigma_floor=0.01)
    out = head(5 * torch.randn(2, 16, 6))
    assert out["means"].shape == (2, 4, 16, 3) and out["sigma"].shape == (2, 16, 4)
    assert bool((out["means"].abs() < 1).all()) and bool((out["sigma"] >= 0.01).all())
    torch.testing.assert_close(out["weights"].sum(-1), torch.ones(2, 16))
    if level == "pose":  # one weight and one sigma per kernel, shared by all joints
        torch.testing.assert_close(out["weights"], out["weights"][:, :1].expand_as(out["weights"]))
        torch.testing.assert_close(out["sigma"], out["sigma"][:, :1].expand_as(out["sigma"]))


def test_hypothesis_selection():
    means, sigma, logits, target = _random_mixture(B=2, M=4, J=5)
    w = torch.softmax(logits, -1)
    # oracle: plant a hypothesis next to the target
    means[0, 2] = target[0] + 0.01
    means[1, 1] = target[1] - 0.01
    oracle = select_oracle(means, target)
    torch.testing.assert_close(oracle[0], means[0, 2])
    torch.testing.assert_close(oracle[1], means[1, 1])
    err = torch.linalg.vector_norm(means - target[:, None], dim=-1).mean(-1)  # (B, M)
    for b in range(2):
        k = int(err[b].argmin())
        torch.testing.assert_close(oracle[b], means[b, k])
    per_joint = select_oracle(means, target, per_joint=True)
    e_pj = torch.linalg.vector_norm(per_joint - target, dim=-1)
    assert bool((e_pj[:, None] <= torch.linalg.vector_norm(means - target[:, None], dim=-1) + 1e-12).all())
    hi = select_highest(means, w)
    for b in range(2):
        for i in range(5):
            torch.testing.assert_close(hi[b, i], means[b, int(w[b, i].argmax()), i])
    mean = select_mean(means, w)
    torch.testing.assert_close(mean[1, 3], sum(w[1, 3, k] * means[1, k, 3] for k in range(4)))


def test_sampling_picks_kernels():
    means, sigma, logits, _ = _random_mixture(B=2, M=3, J=4)
    sigma = torch.full_like(sigma, 1e-9)
    w = torch.softmax(logits, -1)
    g = torch.Generator().manual_seed(0)
    s = sample_poses(means, sigma, w, num_samples=6, level="node", generator=g)
    assert s.shape == (2, 6, 4, 3)
    d = torch.linalg.vector_norm(s[:, :, None] - means[:, None], dim=-1)  # (B, S, M, J)
    assert bool((d.min(dim=2).values < 1e-6).all())
    wp = w[:, :1].expand_as(w)
    s = sample_poses(means, sigma, wp, num_samples=6, level="pose", generator=g)
    d = torch.linalg.vector_norm(s[:, :, None] - means[:, None], dim=-1).amax(-1)  # whole pose
    assert bool((d.min(dim=2).values < 1e-6).all())


def test_semantic_conv_inference_cache_follows_the_weights():
    """The cached adjacency (gradients off) is recomputed after an update or a state_dict load."""
    from posegraph.nn.semantic_conv import SemGraphConv

    conv = SemGraphConv(4, 5, "h36m16").eval()
    x = torch.randn(3, 16, 4)
    with torch.no_grad():
        a = conv(x)
        assert torch.equal(conv(x), a)
    with torch.no_grad():
        conv.e.add_(torch.randn_like(conv.e))  # like an optimizer step
        b = conv(x)
    ref = conv(x)  # grad on: recomputed from scratch
    assert torch.allclose(b, ref, atol=1e-6) and not torch.allclose(a, b)
    other = SemGraphConv(4, 5, "h36m16")
    other.load_state_dict(conv.state_dict())
    with torch.no_grad():
        assert torch.allclose(other.eval()(x), ref, atol=1e-6)
    ref.sum().backward()
    assert conv.e.grad is not None and conv.e.grad.abs().sum() > 0


# ---------------------------------------------------------------------------------------
# initialisation: each layer's initial weights as its paper's reference code draws them


def _uniform_std(bound: float) -> float:
    return bound / math.sqrt(3.0)


def _xavier_bound(fan_in: int, fan_out: int, gain: float = 1.414) -> float:
    return gain * math.sqrt(6.0 / (fan_in + fan_out))


@pytest.mark.parametrize("cin,cout", [(2, 128), (128, 128), (128, 3), (128, 25)])
def test_stacked_weights_use_torch_xavier_fans(cin, cout):
    """SemGCN's and the modulated GCN's ``(2, C_in, C_out)`` weight: the reference code calls
    ``xavier_uniform_`` on the 3-D tensor, whose fans are ``C_in * C_out`` and ``2 * C_out``
    (not the 2-D slice's ``C_in`` and ``C_out``, which drew weights ~8x too large)."""
    torch.manual_seed(0)
    bound = _xavier_bound(cin * cout, 2 * cout)
    for layer in (SemGraphConv(cin, cout, H16), ModulatedGraphConv(cin, cout, H16)):
        w = layer.W.detach()
        assert w.shape == (2, cin, cout)
        assert w.abs().max() <= bound + 1e-7
        n = w.numel()
        assert abs(float(w.std()) - _uniform_std(bound)) < 4 * _uniform_std(bound) / math.sqrt(n) + 1e-3
        b = layer.bias.detach()  # U(-1/sqrt(C_out), 1/sqrt(C_out)) as in the reference code
        assert b.abs().max() <= 1 / math.sqrt(cout)
    if (cin, cout) == (128, 128):  # the measurement: 0.0155 (reference) vs 0.125 (old posegraph)
        assert float(SemGraphConv(128, 128, H16).W.std()) == pytest.approx(0.0155, abs=5e-4)


def test_modulation_and_matrix_weights_init():
    """The modulated GCN's ``M`` (J x C_out) is Xavier-uniform (gain 1.414) as in the authors'
    code, its adjacency offset ``Q`` starts at 1e-6; the vanilla convolution's single 2-D weight
    uses the 2-D Xavier bound."""
    torch.manual_seed(0)
    m = ModulatedGraphConv(128, 128, H16)
    bound = _xavier_bound(16, 128)  # torch's fans of a 2-D (16, 128) tensor
    assert m.M.abs().max() <= bound + 1e-7 and float(m.M.std()) == pytest.approx(_uniform_std(bound), rel=0.1)
    assert torch.all(m.Q == 1e-6)
    b2 = _xavier_bound(128, 64)
    w = GraphConv(128, 64, H16).weight
    assert w.shape == (128, 64) and w.abs().max() <= b2 + 1e-7
    assert float(w.std()) == pytest.approx(_uniform_std(b2), rel=0.05)


@pytest.mark.parametrize("cin,cout", [(2, 128), (128, 128), (128, 3)])
def test_separate_matrices_drawn_as_one_stack(cin, cout):
    """Layers that keep their weight matrices separate (decoupled: Q, W; global node: Q, W, T,
    R, S, or Q, W, T without the global update) draw them as the slices of one stacked
    ``(K, C_in, C_out)`` Xavier tensor, the scale of SemGCN's ``(2, C_in, C_out)`` weight
    (2-D bounds made the global node learn several times slower)."""
    torch.manual_seed(0)
    cases = [(DecoupledGraphConv(cin, cout, H16), ("Q", "W")),
             (GlobalNodeConv(cin, cout, H16), ("Q", "W", "T", "R", "S")),
             (GlobalNodeConv(cin, cout, H16, update_global=False), ("Q", "W", "T"))]
    for layer, names in cases:
        k = len(names)
        bound = _xavier_bound(cin * cout, k * cout)
        ws = torch.stack([getattr(layer, n).detach() for n in names])
        assert ws.shape == (k, cin, cout) and ws.abs().max() <= bound + 1e-7
        assert abs(float(ws.std()) - _uniform_std(bound)) < 4 * _uniform_std(bound) / math.sqrt(ws.numel()) + 1e-3
        assert len({getattr(layer, n).data_ptr() for n in names}) == k  # separate parameters
    if (cin, cout) == (128, 128):
        assert float(GlobalNodeConv(128, 128, H16).Q.std()) == pytest.approx(0.0153, abs=5e-4)