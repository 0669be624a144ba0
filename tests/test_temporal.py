"""Temporal post-processing (posegraph.temporal) on real mocap: the mocap-lift test takes.

A test take seen by one camera is lifted frame by frame by the shipped ``semgcn`` from the
noisy 2D (sigma = 4 px) and post-processed; the ground-truth 3D and root of the same take
check the result. Also: track cuts, gaps and the committed ``benchmarks/results/video.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from posegraph import temporal
from posegraph.errors import PosegraphError
from posegraph.pipeline import run_batched
from posegraph.geometry import MOCAP_LIFT, unnormalize_screen
from posegraph.skeleton import H36M17

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def take():
    """One test take x camera (frame order) from the noisy setting, lifted by the shipped semgcn:
    ``(pred, gt, px, root_gt, parents, idx)``."""
    import sys

    from posegraph.data.lift import load_lift
    from posegraph.pipeline import pretrained

    sys.path.insert(0, str(REPO / "benchmarks"))
    from video import groups, root_positions

    s = load_lift("test", "noisy")
    s0, e0 = groups(s)[5]
    sub = s.subset(slice(s0, e0))
    pipe = pretrained("semgcn")
    idx = H36M17.subset_indices(pipe.skeleton)
    pred = run_batched(pipe, sub.p2d[:, idx])["pose"].astype(np.float64)
    pred -= pred[:, :1]
    gt = sub.p3d[:, idx].astype(np.float64)
    px = unnormalize_screen(sub.p2d[:, idx].astype(np.float64), 1000, 1000)
    return pred, gt, px, root_positions("test")[s0:e0], list(pipe.skeleton.parents), idx


def _mpjpe(a, b):
    return float(np.linalg.norm(a - b, axis=-1).mean())


def test_postprocess_cuts_acceleration_without_worse_mpjpe(take):
    pred, gt, _, _, parents, _ = take
    assert len(pred) > 100
    out, lengths = temporal.postprocess_track(pred, parents)
    assert _mpjpe(out, gt) <= _mpjpe(pred, gt)
    assert temporal.accel_error(out, gt) <= 0.5 * temporal.accel_error(pred, gt)
    # one length per bone over the whole take, the predicted directions kept
    par = np.array(parents)
    j = np.flatnonzero(par >= 0)
    L = np.linalg.norm(out[:, j] - out[:, par[j]], axis=-1)
    np.testing.assert_allclose(L, np.broadcast_to(lengths[j], L.shape), atol=1e-9)
    assert np.abs(out[:, 0]).max() == 0  # still pelvis-relative


def test_bone_lengths_keep_directions(take):
    pred, _, _, _, parents, _ = take
    L = temporal.robust_bone_lengths(pred, parents)
    fixed = temporal.apply_bone_lengths(pred, parents, L)
    for c, p in enumerate(parents):
        if p < 0:
            continue
        a, b = pred[:, c] - pred[:, p], fixed[:, c] - fixed[:, p]
        cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
        assert cos.min() > 1 - 1e-9
        np.testing.assert_allclose(np.linalg.norm(b, axis=-1), L[c], atol=1e-9)
        assert L[c] == pytest.approx(np.median(np.linalg.norm(a, axis=-1)))


def test_solve_root(take):
    _, gt, px, root_gt, _, _ = take
    f, c = MOCAP_LIFT["focal"], (500.0, 500.0)
    # ground-truth pose and exact projections: the root comes back exactly
    gt_px = (gt + root_gt[:, None]) @ np.diag([f, f, 1.0]).T
    gt_px = gt_px[..., :2] / gt_px[..., 2:] + c
    np.testing.assert_allclose(temporal.solve_root(gt, gt_px, f, c), root_gt, atol=1e-9)
    # noisy 2D: within a few percent of the depth, better after smoothing
    t = temporal.solve_root(gt, px, f, c)
    err = np.abs(t[:, 2] - root_gt[:, 2])
    ts = temporal.smooth_segments(t, None, "savgol", temporal.ROOT_WINDOW, 2)
    assert err.mean() < 0.03 * root_gt[:, 2].mean()
    assert np.abs(ts[:, 2] - root_gt[:, 2]).mean() < err.mean()
    # NaN in, NaN out; weights of zero drop joints
    bad = px.copy()
    bad[3] = np.nan
    assert np.isnan(temporal.solve_root(gt, bad, f, c)[3]).all()
    w = np.ones(px.shape[:2])
    w[:, 5] = 0
    moved = px.copy()
    moved[:, 5] += 300
    np.testing.assert_allclose(temporal.solve_root(gt, moved, f, c, w), temporal.solve_root(gt, px, f, c, w), atol=1e-9)


def test_tracks_cut_at_jumps_not_at_gaps(take):
    _, _, px, _, _, _ = take
    F = len(px)
    xy = px.copy()
    det = np.ones(F, bool)
    det[40:44] = False                       # a gap: the same person on both sides
    xy[det == 0] = np.nan
    assert (temporal.split_tracks(xy, det)[det] == 0).all()
    jumped = xy.copy()
    jumped[80:] += [400.0, 0.0]             # someone else, as far away as their height
    tid = temporal.split_tracks(jumped, det)
    assert tid[79] == 0 and tid[80] == 1 and (tid[80:] == 1).all() and (tid[40:44] == -1).all()
    small = xy.copy()
    c = np.nanmean(xy[100:], axis=1, keepdims=True)
    small[100:] = c + (xy[100:] - c) * 0.4   # a smaller person at the same place
    tid = temporal.split_tracks(small, det)
    assert tid[99] == 0 and tid[100] == 1


def test_gaps_nan_or_flagged_interpolation(take):
    pred, _, px, _, parents, _ = take
    F = len(pred)
    det = np.ones(F, bool)
    det[[10, 11, 50, 51, 52, 53, 54, 55]] = False
    raw = pred.copy()
    raw[~det] = np.nan
    r = temporal.postprocess(raw, px, parents, detected=det, focal=1145.0, principal_point=(500, 500))
    assert np.isnan(r["pose"][~det]).all() and np.isfinite(r["pose"][det]).all()
    assert np.isnan(r["root_cam"][~det]).all() and not r["interpolated"].any()
    assert (r["track_id"][~det] == -1).all() and len(r["bone_lengths"]) == 1
    r2 = temporal.postprocess(raw, px, parents, detected=det, focal=1145.0, principal_point=(500, 500), max_gap=3)
    np.testing.assert_array_equal(r2["interpolated"], np.isin(np.arange(F), [10, 11]))
    assert np.isfinite(r2["pose"][[10, 11]]).all() and np.isnan(r2["pose"][50:56]).all()
    assert np.isfinite(r2["root_cam"][[10, 11]]).all()
    # the smoothing never reads across a gap: each run is filtered on its own
    np.testing.assert_allclose(
        temporal.smooth_segments(raw, det)[12:50], temporal.smooth_segments(raw[12:50]), atol=1e-12)


def test_savgol_keeps_polynomials_and_short_runs():
    t = np.arange(40, dtype=np.float64)
    x = np.stack([0.01 * t ** 2, 2 * t, np.ones_like(t)], -1)[:, None]
    np.testing.assert_allclose(temporal.smooth_segments(x), x, atol=1e-9)
    np.testing.assert_allclose(temporal.smooth_segments(x[:4]), x[:4], atol=1e-9)  # shorter than the window
    np.testing.assert_array_equal(temporal.smooth_segments(x, method="none"), x)
    for bad in (dict(window=4), dict(window=1), dict(method="kalman"), dict(window=5, order=5)):
        with pytest.raises(PosegraphError):
            temporal.smooth_segments(x, **bad)


def test_robust_smoothing_ignores_single_frame_outliers(take):
    pred, gt, _, _, parents, _ = take
    t = np.arange(60, dtype=np.float64)
    rng = np.random.default_rng(0)
    x = np.stack([0.01 * t ** 2, np.sin(t / 5), np.ones_like(t)], -1)[:, None] + 0.005 * rng.standard_normal((60, 1, 3))
    plain = temporal.smooth_segments(x)
    y, hit = temporal.smooth_segments(x, robust=5.0, return_outliers=True)
    assert hit.sum() <= 1 and np.abs(y - plain).max() < 0.005  # mild noise: about the plain smoother
    spiky = x.copy()
    spiky[30, 0, 1] += 0.4  # a limb flipped for one frame (0.4 m)
    spiky[0, 0, 0] -= 0.4  # and at the very start of the run
    y, hit = temporal.smooth_segments(spiky, robust=5.0, return_outliers=True)
    assert hit[30, 0, 1] and hit[0, 0, 0] and hit.sum() <= 6
    linear = temporal.smooth_segments(spiky)
    assert np.abs(y - plain)[15:45].max() < 0.01 < 0.05 < np.abs(linear - plain)[15:45].max()
    # at a run's end the polynomial leans on the outlier itself: it is only cut (a known limit)
    assert np.abs(y - plain)[0].max() < np.abs(linear - plain)[0].max()
    # on a lifted take, two joints thrown 0.4 m off for one frame: the robust default all but ignores
    # them, the plain smoother spreads them over its window
    bad = pred.copy()
    bad[50, -1, 1] += 0.4
    bad[50, -4, 0] -= 0.4
    clean, clean_linear = temporal.postprocess_track(pred, parents)[0], temporal.postprocess_track(pred, parents, robust=None)[0]
    robust = temporal.postprocess_track(bad, parents)[0]
    linear = temporal.postprocess_track(bad, parents, robust=None)[0]
    assert np.abs(robust - clean).max() < 0.01 < 0.03 < np.abs(linear - clean_linear).max()
    # --smooth none is frame by frame
    np.testing.assert_array_equal(temporal.postprocess_track(bad, parents, smooth="none", bones=False)[0], bad)
    for k in (0.0, -1.0, float("nan")):
        with pytest.raises(PosegraphError):
            temporal.smooth_segments(x, robust=k)


def test_committed_video_benchmark():
    r = json.loads((REPO / "benchmarks/results/video.json").read_text())
    assert r["defaults"]["window"] == temporal.SAVGOL_WINDOW and r["validation"]["default_matches_choice"]
    assert r["defaults"]["robust"] == temporal.ROBUST_K
    rows = r["test"]["noisy"]["pose"]
    raw, post = rows["frame by frame (raw)"], rows["smoothing + bone lengths (default)"]
    assert post["mpjpe_mm"] <= raw["mpjpe_mm"]
    assert post["accel_mm_per_frame2"] <= 0.5 * raw["accel_mm_per_frame2"]
    assert post["bone_cv"] < 1e-6 < raw["bone_cv"]
    md = (REPO / "benchmarks/results/video.md").read_text()
    assert f"| {raw['mpjpe_mm']:.1f} | {raw['accel_mm_per_frame2']:.2f} |" in md
