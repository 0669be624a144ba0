"""``posegraph view``: the self-contained HTML viewer, on a lift result from real benchmark 2D, a
forecast of real mocap and a flat benchmark file. (No browser here: the figure's frames are
checked, and the HTML for being self-contained.)"""

from __future__ import annotations

import numpy as np
import pytest

from posegraph.cli import main
from posegraph.io.keypoints import write_keypoints_npz
from posegraph.viewer import build_figure, load_view_data


@pytest.fixture(scope="module")
def lift_result(tmp_path_factory):
    from posegraph.data.lift import load_lift
    from posegraph.geometry import unnormalize_screen
    from posegraph.lift import lift_input

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
    from posegraph.forecast import forecast_input

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
