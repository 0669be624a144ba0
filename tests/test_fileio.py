import json
import os

import numpy as np
import pytest

from posegraph.fileio import atomic_path, save_json_stream, save_npz


def test_streamed_json_round_trip(tmp_path):
    items = ({"frame": i, "xy": np.arange(3) * i, "v": np.float32(i / 2)} for i in range(5))
    save_json_stream(tmp_path / "a.json", {"n": 5, "name": "x"}, "frames", items)
    d = json.loads((tmp_path / "a.json").read_text())
    assert d["n"] == 5 and d["name"] == "x" and [f["frame"] for f in d["frames"]] == list(range(5))
    assert d["frames"][2]["xy"] == [0, 2, 4] and d["frames"][3]["v"] == 1.5
    save_json_stream(tmp_path / "b.json", {}, "frames", iter(()))
    assert json.loads((tmp_path / "b.json").read_text()) == {"frames": []}


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    f = save_npz(tmp_path / "x.npz", a=np.ones(3))
    with pytest.raises(RuntimeError):
        with atomic_path(f) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("killed mid-write")
    with np.load(f) as z:
        assert np.array_equal(z["a"], np.ones(3))
    assert sorted(os.listdir(tmp_path)) == ["x.npz"]
    assert (os.stat(f).st_mode & 0o777) == 0o666 & ~_umask()


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m
