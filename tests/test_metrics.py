"""Tests of posegraph.metrics on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from posegraph.errors import ShapeError
from posegraph.metrics import (
    auc,
    forecast_report,
    group_means,
    horizon_index,
    lift_report,
    mpjpe,
    n_mpjpe,
    p_mpjpe,
    pck,
    report_to_markdown,
)

from helpers import STANDING  # noqa: E402


def random_rotation(rng):
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] *= -1
    return q



def poses(n=8, seed=0):
    rng = np.random.default_rng(seed)
    base = STANDING - STANDING[0]
    return base + rng.normal(scale=0.03, size=(n, 17, 3))


# ---------------------------------------------------------------------------------------
# per-sample metrics
# ---------------------------------------------------------------------------------------


def test_mpjpe_shift_10mm():
    gt = poses()
    shift = np.array([0.006, -0.008, 0.0])  # |shift| = 10 mm
    e = mpjpe(gt + shift, gt)
    assert e.shape == (8,)
    np.testing.assert_allclose(e, 0.010, atol=1e-12)


def test_mpjpe_by_hand():
    gt = np.zeros((1, 3, 3))
    pred = np.array([[[0.03, 0.04, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.12]]])
    np.testing.assert_allclose(mpjpe(pred, gt), [(0.05 + 0.0 + 0.12) / 3])


def test_mpjpe_sequence_shape():
    gt = np.zeros((2, 5, 17, 3))
    pred = gt.copy()
    pred[1, 3, :, 0] = 0.02
    e = mpjpe(pred, gt)
    assert e.shape == (2, 5)
    assert e[1, 3] == pytest.approx(0.02) and e.sum() == pytest.approx(0.02)


def test_p_mpjpe_similarity_copy_is_zero():
    gt = poses(5)
    rng = np.random.default_rng(1)
    pred = np.stack([1.3 * g @ random_rotation(rng).T + rng.normal(size=3) for g in gt])
    np.testing.assert_allclose(p_mpjpe(pred, gt), 0.0, atol=1e-10)
    assert np.all(mpjpe(pred, gt) > 0.1)


def test_p_mpjpe_reflected_copy_is_not_zero():
    gt = poses(3)
    mirrored = gt * np.array([-1.0, 1.0, 1.0])
    assert np.all(p_mpjpe(mirrored, gt) > 0.01)


def test_p_mpjpe_never_exceeds_mpjpe():
    gt = poses(10)
    pred = gt + np.random.default_rng(2).normal(scale=0.05, size=gt.shape)
    assert np.all(p_mpjpe(pred, gt) <= mpjpe(pred, gt) + 1e-12)


def test_n_mpjpe_scaled_copy_is_zero():
    gt = poses(4)
    scales = np.array([0.5, 0.9, 1.1, 2.0])
    pred = gt * scales[:, None, None]
    np.testing.assert_allclose(n_mpjpe(pred, gt), 0.0, atol=1e-12)
    # but a shift is not removed (no centring)
    assert np.all(n_mpjpe(gt + 0.05, gt) > 0)


def test_n_mpjpe_by_hand():
    # gt = (1,0,0), (0,1,0); pred = (2,0,0), (0,0,0): s = <p,g>/<p,p> = 2/4 = 0.5
    gt = np.array([[[1.0, 0, 0], [0, 1.0, 0]]])
    pred = np.array([[[2.0, 0, 0], [0, 0, 0]]])
    np.testing.assert_allclose(n_mpjpe(pred, gt), [0.5])  # errors 0 and 1


def test_pck_and_auc_constant_error():
    gt = poses(2)
    pred = gt + np.array([0.0, 0.102, 0.0])  # every joint 102 mm off
    np.testing.assert_allclose(pck(pred, gt), 1.0)
    np.testing.assert_allclose(pck(pred, gt, threshold=0.1), 0.0)
    # thresholds 0, 5, ..., 150 mm: 105..150 (10 of 31) are passed
    np.testing.assert_allclose(auc(pred, gt), 10 / 31)


def test_pck_and_auc_mixed_errors():
    gt = np.zeros((1, 4, 3))
    pred = np.zeros((1, 4, 3))
    pred[0, :, 2] = [0.0, 0.012, 0.071, 0.2]  # errors 0, 12, 71, 200 mm
    np.testing.assert_allclose(pck(pred, gt), [0.75])
    np.testing.assert_allclose(pck(pred, gt, threshold=0.05), [0.5])
    # per-joint count of thresholds >= error: 31, 28 (15..150), 16 (75..150), 0
    np.testing.assert_allclose(auc(pred, gt), [(31 + 28 + 16 + 0) / (4 * 31)])
    np.testing.assert_allclose(auc(pred, gt, thresholds=[0.05, 0.1]), [(2 + 2 + 1 + 0) / 8])


@pytest.mark.parametrize("f", [mpjpe, p_mpjpe, n_mpjpe, pck, auc])
def test_validation(f):
    a = np.zeros((2, 17, 3))
    with pytest.raises(ShapeError, match="differ in shape"):
        f(a, np.zeros((2, 16, 3)))
    with pytest.raises(ShapeError, match=r"\(N, J, 3\)"):
        f(np.zeros((2, 17, 2)), np.zeros((2, 17, 2)))
    with pytest.raises(ShapeError, match=r"\(N, J, 3\)"):
        f(np.zeros((17, 3)), np.zeros((17, 3)))
    b = a.copy()
    b[1, 3, 0] = np.nan
    with pytest.raises(ShapeError, match="pred has non-finite"):
        f(b, a)
    with pytest.raises(ShapeError, match="gt has non-finite"):
        f(a, b)


# ---------------------------------------------------------------------------------------
# lift report and grouping
# ---------------------------------------------------------------------------------------


def test_lift_report_overall_and_units():
    gt = poses(6)
    pred = gt + np.array([0.0, 0.0, 0.012])
    r = lift_report(pred, gt)
    assert r["n"] == 6
    assert r["mpjpe"] == pytest.approx(12.0)
    assert r["p_mpjpe"] == pytest.approx(0.0, abs=1e-9)
    assert r["pck"] == pytest.approx(100.0)
    # 12 mm error: thresholds 15..150 mm pass (28 of 31)
    assert r["auc"] == pytest.approx(100 * 28 / 31)
    assert set(r) == {"n", "mpjpe", "p_mpjpe", "n_mpjpe", "pck", "auc"}


def _slow_groups(vals, labels):
    out = {}
    for lab in sorted(set(labels.tolist())):
        idx = [i for i in range(len(labels)) if labels[i] == lab]
        out[lab] = {"n": len(idx), **{k: float(np.mean([v[i] for i in idx])) for k, v in vals.items()}}
    return out


def test_lift_report_groups_match_slow_loop():
    rng = np.random.default_rng(4)
    gt = poses(40, seed=3)
    pred = gt + rng.normal(scale=0.08, size=gt.shape)
    source = rng.choice(["h36m", "cmu", "amass"], size=40)
    action = rng.integers(0, 5, size=40)
    r = lift_report(pred, gt, groups={"source": source, "action": action})
    vals = {
        "mpjpe": mpjpe(pred, gt) * 1000, "p_mpjpe": p_mpjpe(pred, gt) * 1000,
        "n_mpjpe": n_mpjpe(pred, gt) * 1000, "pck": pck(pred, gt) * 100, "auc": auc(pred, gt) * 100,
    }
    for name, labels in (("source", source), ("action", action)):
        slow = _slow_groups(vals, labels)
        assert list(r[name]) == list(slow)
        for lab, d in slow.items():
            assert r[name][lab]["n"] == d["n"]
            for k in vals:
                assert r[name][lab][k] == pytest.approx(d[k], rel=1e-12, abs=1e-9)
    assert all(isinstance(k, str) for k in r["source"])
    assert all(isinstance(k, int) for k in r["action"])
    # the overall number is the sample mean, i.e. the count-weighted mean of group means
    wsum = sum(d["n"] * d["mpjpe"] for d in r["source"].values())
    assert r["mpjpe"] == pytest.approx(wsum / 40)


def test_lift_report_bad_groups():
    gt = poses(4)
    with pytest.raises(ShapeError, match="source"):
        lift_report(gt, gt, groups={"source": ["a", "b"]})


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=30))
def test_group_means_property(labels):
    labels = np.array(labels)
    x = np.arange(len(labels), dtype=float) ** 1.5
    got = group_means({"x": x}, labels)
    slow = _slow_groups({"x": x}, labels)
    assert list(got) == list(slow)
    for lab, d in slow.items():
        assert got[lab]["n"] == d["n"]
        assert got[lab]["x"] == pytest.approx(d["x"])


# ---------------------------------------------------------------------------------------
# forecasting
# ---------------------------------------------------------------------------------------


def test_horizon_index():
    assert [horizon_index(h) for h in (80, 160, 320, 400, 560, 1000)] == [1, 3, 7, 9, 13, 24]
    assert horizon_index(40) == 0
    assert horizon_index(1000, fps=50) == 49
    assert horizon_index(100, fps=30) == 2  # 3 frames -> index 2
    with pytest.raises(ValueError):
        horizon_index(10)


def test_forecast_report_by_hand():
    N, T, J = 3, 25, 17
    gt = np.zeros((N, T, J, 3))
    pred = gt.copy()
    # frame k (0-based) is off by (k + 1) mm in x for every joint and sample
    pred[..., 0] = (np.arange(T) + 1)[None, :, None] * 0.001
    r = forecast_report(pred, gt)
    assert r["n"] == 3
    assert list(r["mpjpe_at"]) == ["80", "160", "320", "400", "560", "1000"]
    assert r["mpjpe_at"]["80"] == pytest.approx(2.0)
    assert r["mpjpe_at"]["400"] == pytest.approx(10.0)
    assert r["mpjpe_at"]["1000"] == pytest.approx(25.0)
    assert r["mpjpe_upto"]["80"] == pytest.approx(1.5)
    assert r["mpjpe_upto"]["400"] == pytest.approx(5.5)
    assert r["mpjpe_upto"]["1000"] == pytest.approx(13.0)
    assert r["mpjpe_mean"] == pytest.approx(13.0)


def test_forecast_report_drops_unreachable_horizons():
    gt = np.zeros((2, 10, 17, 3))
    r = forecast_report(gt + np.array([0.001, 0.0, 0.0]), gt)
    assert list(r["mpjpe_at"]) == ["80", "160", "320", "400"]
    assert r["mpjpe_at"]["400"] == pytest.approx(1.0)


def test_forecast_report_groups_match_slow_loop():
    rng = np.random.default_rng(8)
    gt = rng.normal(size=(12, 25, 17, 3))
    pred = gt + rng.normal(scale=0.02, size=gt.shape)
    action = rng.choice(["walk", "eat", "sit"], size=12)
    r = forecast_report(pred, gt, groups={"action": action})
    e = mpjpe(pred, gt) * 1000  # (N, T)
    for lab in set(action):
        m = action == lab
        d = r["action"][lab]
        assert d["n"] == m.sum()
        assert d["mpjpe_at"]["160"] == pytest.approx(e[m, 3].mean())
        assert d["mpjpe_upto"]["560"] == pytest.approx(e[m, :14].mean())
        assert d["mpjpe_mean"] == pytest.approx(e[m].mean())


def test_forecast_report_needs_sequences():
    with pytest.raises(ShapeError, match=r"\(N, T, J, 3\)"):
        forecast_report(np.zeros((2, 17, 3)), np.zeros((2, 17, 3)))


# ---------------------------------------------------------------------------------------
# markdown
# ---------------------------------------------------------------------------------------


def test_markdown_lift():
    gt = poses(4)
    pred = gt + np.array([0.0, 0.0, 0.01])
    r = lift_report(pred, gt, groups={"source": np.array(["a", "b", "a", "b"]), "action": np.array([1, 1, 2, 2])})
    md = report_to_markdown(r, title="Lift")
    assert md.startswith("## Lift")
    for col in ("n", "MPJPE", "P-MPJPE", "N-MPJPE", "PCK", "AUC"):
        assert f" {col} |" in md
    assert "| all | 4 | 10.0 | 0.0 |" in md
    assert "| a | 2 | 10.0 |" in md and "| b | 2 | 10.0 |" in md
    assert md.index("| a |") < md.index("| 1 | 2 |")  # source before action
    assert "| 100.0 |" in md


def test_markdown_forecast():
    gt = np.zeros((2, 25, 17, 3))
    r = forecast_report(gt + np.array([0.001, 0.0, 0.0]), gt, groups={"source": ["x", "y"]})
    md = report_to_markdown(r)
    assert "| subset | n | 80 ms | 160 ms | 320 ms | 400 ms | 560 ms | 1000 ms | mean |" in md
    assert "| all | 2 | 1.0 | 1.0 | 1.0 | 1.0 | 1.0 | 1.0 | 1.0 |" in md
    assert "| x | 1 |" in md
    both = report_to_markdown(r, forecast_columns="both")
    assert "<=400 ms" in both
