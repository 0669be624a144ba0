"""Property tests: every non-mocap reader, fed malformed input, gives a correct result or a
:class:`PosegraphError` -- never an unrelated exception, a hang, or a NaN in the output.

The mocap readers (ASF/AMC, BVH, exp-map, H3.6M npz) are fuzzed in ``test_io_fuzz.py``; this
file covers the keypoint readers (COCO JSON, OpenPose folder, npz, CSV), the sample files
(:meth:`LiftSamples.from_npz`, :meth:`ForecastSamples.from_npz`), benchmark files
(:func:`load_benchmark_file`), forecasting inputs (:func:`posegraph.io.read.read_positions`)
and model files (:func:`posegraph.pipeline.load_model_file`).

The bad-input classes (generators and checkers) are :data:`posegraph.testing.fuzz.CLASSES`;
``benchmarks/reliability.py`` runs the same classes with more examples.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings

from posegraph.errors import PosegraphError
from posegraph.testing.fuzz import (CLASSES, check_pipeline, make_bases, mutate_blob, npz_bytes, run_coco_json,
                                    run_openpose_dir)

torch.set_num_threads(1)

EXAMPLES = 25
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bases(tmp_path_factory):
    return make_bases(tmp_path_factory.mktemp("fuzz_inputs"))


def test_bases_are_valid(bases):
    """Undamaged inputs read fine (so the fuzzing starts from valid files)."""
    from posegraph.data.build import load_benchmark_file
    from posegraph.data.forecast import ForecastSamples
    from posegraph.data.lift import LiftSamples
    from posegraph.io.read import read_positions
    from posegraph.io.keypoints import read_keypoints
    from posegraph.pipeline import load_model_file

    d = bases["dir"]
    assert run_coco_json(bases, ("json", [("set", [0.5, 0.0], 1)])) == "ok"  # image_id change only
    assert run_openpose_dir(bases, ("missing", 1, None)) == "ok"
    (d / "v.npz").write_bytes(npz_bytes(bases["kp_npz"]))
    assert read_keypoints(d / "v.npz").num_frames == 4
    (d / "v.csv").write_bytes(bases["csv"])
    assert read_keypoints(d / "v.csv").num_frames == 4
    for key, reader in (("lift", LiftSamples.from_npz), ("forecast", ForecastSamples.from_npz),
                        ("bench", load_benchmark_file), ("positions", read_positions)):
        (d / f"{key}_ok.npz").write_bytes(npz_bytes(bases[key]))
        assert reader(d / f"{key}_ok.npz") is not None
    check_pipeline(load_model_file(d / "base_model.pt"))


def _make_test(name):
    strategy, run = CLASSES[name]

    @SETTINGS
    @given(case=strategy)
    def test(bases, case):
        assert run(bases, case) in ("ok", "error")
    test.__doc__ = f"Fuzz: {name}."
    return test


test_fuzz_coco_json = _make_test("keypoints COCO JSON (structure edits, byte damage)")
test_fuzz_openpose_dir = _make_test("keypoints OpenPose folder (one frame edited/damaged/missing/misnamed)")
test_fuzz_keypoints_npz = _make_test("keypoints npz (arrays, bytes, member damage)")
test_fuzz_keypoints_csv = _make_test("keypoints CSV (cells, bytes)")
test_fuzz_lift_samples = _make_test("LiftSamples.from_npz")
test_fuzz_forecast_samples = _make_test("ForecastSamples.from_npz")
test_fuzz_benchmark_file = _make_test("load_benchmark_file")
test_fuzz_forecast_positions = _make_test("forecast.read_positions (npz)")
test_fuzz_model_bytes = _make_test("model file bytes (truncation, flips, zip member damage)")
test_fuzz_model_struct = _make_test("model file contents (keys, versions, config, skeleton, weights, Lightning wrapper)")


@pytest.mark.parametrize("make,expect", [
    (lambda: np.zeros((3, 17, 2)), "ok-all-missing"),
    (lambda: np.full((3, 17, 2), np.nan), "error"),
    (lambda: np.zeros((3, 12, 2)), "error"),
])
def test_keypoint_npz_zero_nan_and_joint_count(tmp_path, make, expect):
    """All-zero frames read as missing (not a pose in the corner); NaN without confidence and
    an unknown joint count are clear errors."""
    from posegraph.io.keypoints import read_keypoints_npz

    f = tmp_path / "k.npz"
    np.savez(f, keypoints=make())
    if expect == "error":
        with pytest.raises(PosegraphError):
            read_keypoints_npz(f)
    else:
        k = read_keypoints_npz(f)
        assert (k.confidence == 0).all() and np.isnan(k.xy).all()


def test_model_file_from_another_skeleton_or_task(bases, tmp_path):
    from posegraph.errors import CheckpointError
    from posegraph.pipeline import load_model_file

    blob = mutate_blob(bases["model_blob"], [("skeleton", "h36m17")])
    torch.save(blob, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match="skeleton"):
        load_model_file(tmp_path / "m.pt")
    blob = mutate_blob(bases["model_blob"], [("kwarg", "linear_size", 10 ** 9)])  # must not allocate 4 GB
    torch.save(blob, tmp_path / "big.pt")
    with pytest.raises(CheckpointError, match="do not fit"):
        load_model_file(tmp_path / "big.pt")


def test_stature_warning_on_centimetres(shared_data, tmp_path):
    """A BVH in centimetres (scale=1 instead of the CMU default) is warned about, with the file
    name and the measured stature; the default scale reads silently."""
    import warnings

    from posegraph.errors import PosegraphWarning
    from posegraph.io import read_bvh

    lines = (shared_data / "cmu/subjects/131/131_01.bvh").read_bytes().split(b"\n")
    k = next(i for i, s in enumerate(lines) if s.startswith(b"Frame Time"))
    lines[k - 1] = b"Frames: 4\r"
    f = tmp_path / "short.bvh"
    f.write_bytes(b"\n".join(lines[:k + 5]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", PosegraphWarning)
        read_bvh(f)
    with pytest.warns(PosegraphWarning, match=r"short\.bvh: measured stature .* m .*units"):
        read_bvh(f, scale=1.0)
