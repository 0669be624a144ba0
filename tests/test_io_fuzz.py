"""Property tests: damaged real files give a finite Motion or a FormatError, nothing else."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posegraph.errors import FormatError
from posegraph.io import Motion, read_amc, read_asf, read_bvh, read_expmap, read_h36m_2d, read_h36m_3d
from posegraph.io import write_h36m_2d, write_h36m_3d

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _mutation():
    from helpers import byte_mutation

    return byte_mutation(insert=False)


MUTATIONS = st.lists(_mutation(), min_size=1, max_size=3)


from helpers import mutate_bytes as mutate  # noqa: E402


def check(fn):
    try:
        m = fn()
    except FormatError as e:
        assert str(e)
        return
    assert isinstance(m, Motion)
    assert np.isfinite(m.positions).all()
    assert m.positions.ndim == 3 and m.positions.shape[1:] == (17, 3)
    if m.all_positions is not None:
        assert np.isfinite(m.all_positions).all()


@pytest.fixture(scope="module")
def base(shared_data, tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    asf = (shared_data / "cmu/subjects/09/09.asf").read_bytes()
    amc_lines = (shared_data / "cmu/subjects/09/09_06.amc").read_bytes().split(b"\n")
    starts = [i for i, s in enumerate(amc_lines) if s.strip().isdigit()]
    amc = b"\n".join(amc_lines[:starts[6]])
    hdm = (shared_data / "hdm05/bd/HDM_bd.asf").read_bytes()
    bvh_lines = (shared_data / "cmu/subjects/131/131_01.bvh").read_bytes().split(b"\n")
    k = next(i for i, s in enumerate(bvh_lines) if s.startswith(b"Frame Time"))
    bvh_lines[k - 1] = b"Frames: 4\r"
    bvh = b"\n".join(bvh_lines[:k + 5])
    exp = b"\n".join((shared_data / "cmu/8action/test/walking/walking_1.txt").read_bytes().split(b"\n")[:4])
    return {"dir": d, "asf": asf, "amc": amc, "hdm_asf": hdm, "bvh": bvh, "exp": exp}


def _put(d, name, data):
    f = d / name
    f.write_bytes(data)
    return f


def test_bases_are_valid(base):
    d = base["dir"]
    asf = read_asf(_put(d, "ok.asf", base["asf"]))
    assert read_amc(_put(d, "ok.amc", base["amc"]), asf).num_frames == 6
    assert read_bvh(_put(d, "ok.bvh", base["bvh"])).num_frames == 4
    assert read_expmap(_put(d, "ok.txt", base["exp"])).num_frames == 3
    assert len(read_asf(_put(d, "hdm.asf", base["hdm_asf"])).bones) > 20


@SETTINGS
@given(muts=MUTATIONS)
def test_fuzz_amc(base, muts):
    d = base["dir"]
    asf = _put(d, "a.asf", base["asf"])
    check(lambda: read_amc(_put(d, "f.amc", mutate(base["amc"], muts)), asf))


@SETTINGS
@given(muts=MUTATIONS, hdm=st.booleans())
def test_fuzz_asf(base, muts, hdm):
    d = base["dir"]
    amc = _put(d, "b.amc", base["amc"])
    check(lambda: read_amc(amc, _put(d, "f.asf", mutate(base["hdm_asf" if hdm else "asf"], muts))))


@SETTINGS
@given(muts=MUTATIONS)
def test_fuzz_bvh(base, muts):
    check(lambda: read_bvh(_put(base["dir"], "f.bvh", mutate(base["bvh"], muts))))


@SETTINGS
@given(muts=MUTATIONS, skip=st.booleans())
def test_fuzz_expmap(base, muts, skip):
    check(lambda: read_expmap(_put(base["dir"], "f.txt", mutate(base["exp"], muts)), skip_rest=skip))


@pytest.fixture(scope="module")
def npz_payloads(base):
    d = base["dir"]
    rng = np.random.default_rng(0)
    write_h36m_3d(d / "p3.npz", {"S1": {"Walking": rng.normal(size=(3, 32, 3))}})
    write_h36m_2d(d / "p2.npz", {"S1": {"Walking": [rng.normal(size=(3, 17, 2)) for _ in range(4)]}},
                  {"layout_name": "h36m", "num_joints": 17, "keypoints_symmetry": [[4, 5], [1, 2]]})
    out = {}
    for k in ("p3", "p2"):
        with zipfile.ZipFile(d / f"{k}.npz") as z:
            out[k] = {n: z.read(n) for n in z.namelist()}
        out[k + "_file"] = (d / f"{k}.npz").read_bytes()
    return out


def _reader(kind):
    return read_h36m_3d if kind == "p3" else (lambda f: read_h36m_2d(f)[0])


def _check_npz(fn):
    try:
        out = fn()
    except FormatError:
        return
    assert isinstance(out, dict)
    for acts in out.values():
        for v in acts.values():
            for a in (v if isinstance(v, list) else [v]):
                assert np.isfinite(a).all()


@SETTINGS
@given(muts=MUTATIONS, kind=st.sampled_from(["p3", "p2"]))
def test_fuzz_npz_archive(base, npz_payloads, muts, kind):
    f = _put(base["dir"], "f.npz", mutate(npz_payloads[kind + "_file"], muts))
    _check_npz(lambda: _reader(kind)(f))


@SETTINGS
@given(muts=MUTATIONS, kind=st.sampled_from(["p3", "p2"]), which=st.integers(0, 1))
def test_fuzz_npz_payload(base, npz_payloads, muts, kind, which):
    """Damage the .npy (pickle) payload inside an intact zip archive."""
    members = dict(npz_payloads[kind])
    name = sorted(members)[which % len(members)]
    members[name] = mutate(members[name], muts)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    f = _put(base["dir"], "g.npz", buf.getvalue())
    _check_npz(lambda: _reader(kind)(f))
