"""The committed benchmarks: rebuild identity, sample layout, cameras, windows, export."""

import subprocess
import sys

import numpy as np
import pytest

from posegraph.data.build import benchmark_dir, build_benchmarks, load_benchmark_file
from posegraph.io.motion import resample_linear
from posegraph.data.forecast import ForecastSamples, load_forecast
from posegraph.data.lift import LiftSamples, add_noise, load_lift, validation_mask
from posegraph.errors import FormatError, PosegraphError
from posegraph.geometry import mocap_lift_cameras, unnormalize_screen


@pytest.mark.slow
def test_rebuild_from_raw_gives_identical_arrays(shared_data, tmp_path):
    build_benchmarks(shared_data, tmp_path, progress=False)
    for name in ("mocap_lift", "mocap_forecast"):
        with np.load(benchmark_dir() / f"{name}.npz") as a, np.load(tmp_path / f"{name}.npz") as b:
            assert sorted(a.files) == sorted(b.files)
            for k in a.files:
                assert np.array_equal(a[k], b[k]), (name, k)


def test_committed_benchmarks_are_small_and_float32():
    total = sum((benchmark_dir() / f"{n}.npz").stat().st_size for n in ("mocap_lift", "mocap_forecast"))
    assert total < 40e6
    b = load_benchmark_file("mocap_lift")
    assert b.positions.dtype == np.float32 and b.fps == 30.0 and b.stride == 4
    assert set(np.unique(b.seq_source)) == {"cmu8", "cmu", "hdm05"}
    # the person-disjoint split of the issue
    test_subjects = set(np.unique(b.seq_subject[b.seq_split == "test"]))
    assert test_subjects == {"cmu8", "17", "18", "131", "135", "tr"}
    assert "131_01" in set(b.seq_name)  # BVH takes included
    assert not set(b.seq_subject[b.seq_split == "train"]) & (test_subjects - {"cmu8"})


def test_resample_linear_times():
    x = np.arange(121, dtype=np.float64)[:, None, None] * np.ones((1, 2, 3))  # 1 s at 120 Hz, value = frame
    y = resample_linear(x, 120.0, 25.0)
    assert len(y) == 26  # frames at 0, 40, ..., 1000 ms
    assert np.allclose(y[:, 0, 0], np.arange(26) * 4.8)


def test_lift_samples_are_consistent_with_cameras():
    s = load_lift("test", "gt")
    b = load_benchmark_file("mocap_lift")
    test_frames = sum(len(b.sequence(i)) for i in range(b.num_sequences) if b.seq_split[i] == "test")
    assert len(s) == 4 * test_frames
    assert s.p2d.shape[1:] == (17, 2) and s.p3d.shape[1:] == (17, 3)
    assert np.abs(s.p3d[:, 0]).max() == 0.0  # pelvis-relative
    assert set(np.unique(s.cam)) == {0, 1, 2, 3}
    # reproject one sample: camera-frame joints + pelvis depth -> pixels match p2d
    i = int(np.flatnonzero((b.seq_name == "walking_1") & (b.seq_split == "test"))[0])  # cmu8 has one per split
    world = b.sequence(i).astype(np.float64)
    cams = mocap_lift_cameras(world[:, 0])
    k = np.flatnonzero((s.seq == "walking_1") & (s.cam == 2))[5]
    xc = cams[2].world_to_camera(world[s.frame[k] // 4])
    assert np.allclose(unnormalize_screen(s.p2d[k].astype(np.float64), 1000, 1000), cams[2].project(xc), atol=1e-3)
    # camera looks at the subject: pelvis near the image centre band, in front of the camera
    assert (xc[:, 2] > 3.0).all()
    assert np.abs(s.p2d).max() < 1.0


def test_noisy_setting_is_4px_gaussian_and_fixed():
    gt = load_lift("test", "gt")
    n1, n2 = add_noise(gt), load_lift("test", "noisy")
    d = (n1.p2d - gt.p2d) * 500.0  # normalised units -> pixels (w = 1000)
    assert d.std() == pytest.approx(4.0, rel=0.02)
    assert np.array_equal(n1.p2d, n2.p2d)
    assert np.array_equal(n1.p3d, gt.p3d)


def test_validation_is_whole_training_takes():
    tr = load_lift("train", "gt", validation="exclude")
    va = load_lift("train", "gt", validation="only")
    assert len(va) > 0 and not set(tr.seq) & set(va.seq)
    assert 0.03 < len(va) / (len(va) + len(tr)) < 0.25
    m = validation_mask(np.array(["a", "b", "a"]))
    assert m[0] == m[2]


def test_forecast_windows():
    w = load_forecast("test")
    assert 450 <= len(w) <= 550  # "about 500"
    past, fut = w.gather(slice(0, 8))
    assert past.shape == (8, 10, 17, 3) and fut.shape == (8, 25, 17, 3)
    assert np.abs(past[:, :, 0]).max() == 0 and np.abs(fut[:, :, 0]).max() == 0  # pelvis subtracted
    lab = w.labels()
    assert (lab["start"] % 10 == 0).all()
    # consecutive frames of a window are consecutive frames of its take
    b = w.bench
    i = w.seq_index[3]
    seq = b.sequence(i)
    s = lab["start"][3]
    assert np.array_equal(np.concatenate([past[3], fut[3]]), seq[s:s + 35])
    tr = load_forecast("train", validation="exclude")
    assert len(tr) > 20000


def test_export_round_trip_and_bad_files(tmp_path):
    s = load_lift("test", "noisy").subset(slice(0, 500))
    s.to_npz(tmp_path / "l.npz")
    r = LiftSamples.from_npz(tmp_path / "l.npz")
    assert np.array_equal(r.p2d, s.p2d) and np.array_equal(r.action, s.action)
    np.savez(tmp_path / "bad.npz", p2d=s.p2d)
    with pytest.raises(FormatError, match=r"bad.npz\[p3d\]"):
        LiftSamples.from_npz(tmp_path / "bad.npz")
    p2d = s.p2d.copy()
    p2d[3, 4, 0] = np.nan
    np.savez(tmp_path / "nan.npz", p2d=p2d, p3d=s.p3d)
    with pytest.raises(FormatError, match="non-finite"):
        LiftSamples.from_npz(tmp_path / "nan.npz")
    (tmp_path / "trunc.npz").write_bytes((tmp_path / "l.npz").read_bytes()[:1000])
    with pytest.raises(FormatError, match="trunc.npz"):
        LiftSamples.from_npz(tmp_path / "trunc.npz")
    f = load_forecast("test").to_samples().subset(slice(0, 20))
    f.to_npz(tmp_path / "f.npz")
    g = ForecastSamples.from_npz(tmp_path / "f.npz")
    assert np.array_equal(g.future, f.future) and np.array_equal(g.start, f.start)


def test_benchmark_file_errors(tmp_path):
    with pytest.raises(PosegraphError, match="not found"):
        load_benchmark_file(tmp_path / "none.npz")
    np.savez(tmp_path / "x.npz", positions=np.zeros((3, 17, 3), np.float32))
    with pytest.raises(FormatError, match=r"x.npz\[seq_offsets\]"):
        load_benchmark_file(tmp_path / "x.npz")


def test_cli_data_export(tmp_path):
    out = tmp_path / "e.npz"
    r = subprocess.run([sys.executable, "-m", "posegraph.cli", "data", "export", "mocap-forecast", "--split", "test",
                        "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with np.load(out) as z:
        assert z["past"].shape[1:] == (10, 17, 3) and z["future"].shape[1:] == (25, 17, 3)
        assert set(z.files) >= {"source", "subject", "action", "seq", "start"}
    r = subprocess.run([sys.executable, "-m", "posegraph.cli", "data", "export", "mocap-lift", "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "exists" in r.stderr and "Traceback" not in r.stderr
