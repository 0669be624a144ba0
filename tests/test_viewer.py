"""``posegraph view``: the self-contained HTML viewer, on a lift result from real benchmark 2D, a
forecast of real mocap and a flat benchmark file: the figure's frames, the HTML for being
self-contained, and the page in a real headless browser (Chromium's headless shell, ``make
browser``): two frames' screenshots, whose skeleton pixels must differ, and no page errors.
Without the browser that test skips, except under CI (``CI=true``), where it fails."""

from __future__ import annotations

import os

import numpy as np
import pytest

from posegraph.cli import main
from posegraph.io.keypoints import write_keypoints_npz
from posegraph.apps.viewer import browser_screenshot, build_figure, find_browser, load_view_data, write_view


@pytest.fixture(scope="module")
def lift_result(tmp_path_factory):
    from posegraph.data.lift import load_lift
    from posegraph.geometry import unnormalize_screen
    from posegraph.apps.lift import lift_input

    s = load_lift("test")
    idx = np.flatnonzero((s.seq == s.seq[0]) & (s.cam == s.cam[0]))[:40]
    px = unnormalize_screen(s.p2d[idx], 1000, 1000).astype(np.float32)
    conf = np.ones(px.shape[:2], np.float32)
    conf[20] = 0
    px[20] = np.nan
    d = tmp_path_factory.mktemp("view")
    src = write_keypoints_npz(d / "kp.npz", px, conf, layout="h36m17", image_size=(1000, 1000))
    lift_input(src, "semgcn", d / "out", progress=False)
    return d / "out"


def _xyz(fr, k):
    return np.array([v for v in fr.data[k].x if v is not None], dtype=float)


def test_lift_view(lift_result, tmp_path):
    v = load_view_data(lift_result)
    fig = build_figure(v)
    assert len(fig.frames) == 40 and len(fig.layout.sliders[0].steps) == 40
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["play", "pause"]
    kinds = {t.type for t in fig.data}
    assert kinds == {"scatter3d", "scatter"}  # 3D and the 2D input beside it
    assert fig.data[0].name.startswith("ground grid")
    # the skeleton moves between two frames; the frame without a detection draws nothing
    assert not np.allclose(_xyz(fig.frames[0], 0), _xyz(fig.frames[15], 0))
    assert all(len(d.x) == 0 for d in fig.frames[20].data)
    assert "no detection" in fig.frames[20].layout.title.text and "no detection" not in fig.frames[19].layout.title.text
    assert main(["view", str(lift_result), "-o", str(tmp_path / "v.html")]) == 0
    html = (tmp_path / "v.html").read_text()
    assert "<script src=\"http" not in html and "Plotly.newPlot" in html  # plotly.js inside the file


def test_forecast_and_flat_views(shared_data, tmp_path):
    from posegraph.apps.forecast import forecast_input

    forecast_input(shared_data / "cmu/subjects/17/17_10.amc", "sts-gcn", tmp_path / "fc", frame=100)
    fig = build_figure(load_view_data(tmp_path / "fc"))
    names = {t.name for t in fig.data}
    assert {"observed", "predicted", "ground truth"} <= names and len(fig.frames) == 35
    assert "(observed)" in fig.frames[9].layout.title.text and "+40 ms" in fig.frames[10].layout.title.text
    assert main(["data", "export", "mocap-lift", "--split", "test", "--out", str(tmp_path / "t.npz")]) == 0
    v = load_view_data(tmp_path / "t.npz", max_frames=10)
    assert v["kind"] == "samples" and len(build_figure(v).frames) == 10


def test_view_errors(tmp_path, capsys):
    bad = tmp_path / "x.npz"
    np.savez(bad, foo=np.zeros(3))
    assert main(["view", str(bad), "-o", str(tmp_path / "v.html")]) == 2
    assert main(["view", str(tmp_path / "none"), "-o", str(tmp_path / "v.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(e.startswith("error: ") for e in err) and "x.npz" in err[0]
    assert not (tmp_path / "v.html").exists()


def _skeleton_pixels(png, panel: float = 0.4) -> np.ndarray:
    """Mask of the pixels in the left ``panel`` of the shot (the 3D scene) with the colour of a
    left or right limb of the skeleton (the legend and the 2D panel are to the right)."""
    from PIL import Image

    from posegraph.apps.viewer import COLORS

    a = np.asarray(Image.open(png).convert("RGB"), dtype=np.int16)
    a = a[:, : int(a.shape[1] * panel)]
    m = np.zeros(a.shape[:2], dtype=bool)
    for side in ("left", "right"):
        rgb = np.array([int(COLORS[side][i:i + 2], 16) for i in (1, 3, 5)])
        m |= np.abs(a - rgb).max(-1) <= 40
    return m


@pytest.mark.slow
def test_view_in_headless_browser(lift_result, tmp_path):
    if find_browser() is None:
        msg = "chromium-headless-shell is absent (`make browser` installs it, as root)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg + " -- under CI it must be there")
        pytest.skip(msg)
    # the error check sees console errors and uncaught exceptions (a page made to have both)
    bad = tmp_path / "bad.html"
    bad.write_text("<html><head></head><body><script>console.error('pg-test-error');"
                   "setTimeout(function () { noSuchFunction(); }, 10);</script></body></html>")
    errs = browser_screenshot(bad, tmp_path / "bad.png", size=(200, 100), budget_ms=500, timeout=120)
    assert any("pg-test-error" in e for e in errs) and any("noSuchFunction" in e for e in errs), errs

    html = write_view(lift_result, tmp_path / "view.html")
    masks = []
    for f in (5, 30):
        png = tmp_path / f"frame{f}.png"
        errs = browser_screenshot(html, png, frame=f, size=(800, 450), timeout=600)
        assert errs == [], errs
        masks.append(_skeleton_pixels(png))
    a, b = masks
    assert a.sum() > 100 and b.sum() > 100, (a.sum(), b.sum())  # WebGL drew the skeleton in both
    assert (a ^ b).sum() > 0.2 * min(a.sum(), b.sum()), ((a ^ b).sum(), a.sum(), b.sum())  # and it moved
