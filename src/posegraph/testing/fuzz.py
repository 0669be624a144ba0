"""Generators of malformed inputs for the readers of posegraph (property tests and benchmarks).

Needs the ``dev`` extra (hypothesis); nothing in the library imports it. Used by
``tests/test_fuzz_inputs.py``, ``tests/test_io_fuzz.py`` and ``benchmarks/reliability.py``.

Each *bad-input class* is a ``(strategy, run)`` pair in :data:`CLASSES`; ``run(bases, case)``
writes the damaged input (starting from the valid inputs of :func:`make_bases`), calls the reader
and checks the result, returning ``"ok"`` (a valid result) or ``"error"`` (the library's own
error); anything else (another exception, a hang over :data:`TIME_LIMIT_S`, a NaN) escapes.

Why over 500 lines: it is a catalogue, one generator and one checker per input format, that
reads best in one place; each section below stands alone.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import signal
import zipfile
from pathlib import Path

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from posegraph.errors import PosegraphError  # absolute: benchmarks/reliability.py loads this file by path

TIME_LIMIT_S = 20  # a reader that takes longer on these tiny inputs counts as a hang


# ---------------------------------------------------------------------------------------
# Generic mutations
# ---------------------------------------------------------------------------------------

def mutate_bytes(data: bytes, muts) -> bytes:
    """Truncate, flip a byte, insert bytes, delete or duplicate a line."""
    for m in muts:
        if m[0] == "insert":
            i = int(m[1] * len(data))
            data = data[:i] + m[2] + data[i:]
            continue
        if not data:
            break
        if m[0] == "truncate":
            data = data[:int(m[1] * len(data))]
        elif m[0] == "flip":
            i = min(int(m[1] * len(data)), len(data) - 1)
            data = data[:i] + bytes([m[2]]) + data[i + 1:]
        else:
            lines = data.split(b"\n")
            i = min(int(m[1] * len(lines)), len(lines) - 1)
            if m[0] == "delete_line":
                del lines[i]
            else:
                lines.insert(i, lines[i])
            data = b"\n".join(lines)
    return data


def byte_mutation(insert: bool = True):
    """Hypothesis strategy of one mutation for :func:`mutate_bytes`."""
    kinds = [st.tuples(st.just("truncate"), st.floats(0.0, 1.0)),
             st.tuples(st.just("flip"), st.floats(0.0, 1.0), st.integers(0, 255)),
             st.tuples(st.just("delete_line"), st.floats(0.0, 1.0)),
             st.tuples(st.just("duplicate_line"), st.floats(0.0, 1.0))]
    if insert:
        kinds.append(st.tuples(st.just("insert"), st.floats(0.0, 1.0), st.binary(min_size=1, max_size=6)))
    return st.one_of(*kinds)


BYTE_MUTATIONS = st.lists(byte_mutation(insert=True), min_size=1, max_size=3)


SPECIAL = [math.nan, math.inf, -math.inf, 0.0, -1.0, 1e30, 1e300, 2.0 ** 40, 1e-30]
DTYPES = ["<f4", "<f8", "<f2", "<i8", "<i4", "|u1", "|b1", "<U5", "|S3", "<c8"]


def _array():
    return st.sampled_from(DTYPES).flatmap(
        lambda dt: hnp.arrays(np.dtype(dt), hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)))


def _array_op():
    return st.one_of(
        st.tuples(st.just("drop"), st.integers(0, 99)),
        st.tuples(st.just("replace"), st.integers(0, 99), _array()),
        st.tuples(st.just("poke"), st.integers(0, 99), st.floats(0, 1), st.sampled_from(SPECIAL)),
        st.tuples(st.just("cast"), st.integers(0, 99), st.sampled_from(DTYPES)),
        st.tuples(st.just("reshape"), st.integers(0, 99), st.sampled_from(["flatten", "add_axis", "drop_row",
                                                                         "transpose", "empty", "scalar"])),
        st.tuples(st.just("add"), st.text("abcxyz_", min_size=1, max_size=6), _array()),
        st.tuples(st.just("zero_frame"), st.integers(0, 99), st.floats(0, 1)),
    )


ARRAY_OPS = st.lists(_array_op(), min_size=1, max_size=3)


def mutate_arrays(arrays: dict, ops) -> dict:
    """Drop, replace, recast, reshape arrays; poke special values; add unknown keys."""
    a = {k: np.array(v) for k, v in arrays.items()}
    for op in ops:
        keys = sorted(a)
        if op[0] == "add":
            a[op[1]] = op[2]
            continue
        if not keys:
            break
        k = keys[op[1] % len(keys)]
        v = a[k]
        if op[0] == "drop":
            del a[k]
        elif op[0] == "replace":
            a[k] = op[2]
        elif op[0] == "poke":
            if v.size and v.dtype.kind in "fc":
                flat = v.reshape(-1).copy()
                flat[min(int(op[2] * v.size), v.size - 1)] = op[3]
                a[k] = flat.reshape(v.shape)
            elif v.size and v.dtype.kind in "iu" and math.isfinite(op[3]) and abs(op[3]) < 2 ** 31:
                flat = v.reshape(-1).copy()
                flat[min(int(op[2] * v.size), v.size - 1)] = int(op[3]) if v.dtype.kind == "i" else abs(int(op[3]))
                a[k] = flat.reshape(v.shape)
        elif op[0] == "cast":
            try:
                a[k] = v.astype(op[2])
            except (ValueError, TypeError, OverflowError):
                pass
        elif op[0] == "reshape":
            how = op[2]
            if how == "flatten":
                a[k] = v.reshape(-1)
            elif how == "add_axis":
                a[k] = v[None]
            elif how == "drop_row" and v.ndim:
                a[k] = v[1:]
            elif how == "transpose":
                a[k] = v.T
            elif how == "empty":
                a[k] = v.reshape(-1)[:0]
            elif how == "scalar" and v.size:
                a[k] = v.reshape(-1)[0]
        elif op[0] == "zero_frame" and v.ndim >= 2 and v.dtype.kind == "f" and len(v):
            v = v.copy()
            v[min(int(op[2] * len(v)), len(v) - 1)] = 0
            a[k] = v
    return a


def npz_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def damage_npz_member(data: bytes, which: int, muts) -> bytes:
    """Damage the bytes of one ``.npy`` member inside an intact zip archive."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    name = sorted(members)[which % len(members)]
    members[name] = mutate_bytes(members[name], muts)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    return buf.getvalue()


def _npz_case():
    """A damaged npz: array-level edits, raw byte damage, or damage to one member."""
    return st.one_of(
        st.tuples(st.just("arrays"), ARRAY_OPS),
        st.tuples(st.just("bytes"), BYTE_MUTATIONS),
        st.tuples(st.just("member"), st.integers(0, 9), BYTE_MUTATIONS),
    )


def write_npz_case(path: Path, base: dict, case) -> Path:
    if case[0] == "arrays":
        path.write_bytes(npz_bytes(mutate_arrays(base, case[1])))
    elif case[0] == "bytes":
        path.write_bytes(mutate_bytes(npz_bytes(base), case[1]))
    else:
        path.write_bytes(damage_npz_member(npz_bytes(base), case[1], case[2]))
    return path


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10 ** 30, 10 ** 30) | st.floats() | st.text(max_size=5),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=8)


def _json_op():
    return st.one_of(
        st.tuples(st.just("set"), st.lists(st.floats(0, 1), min_size=0, max_size=5), JSON_VALUES),
        st.tuples(st.just("delete"), st.lists(st.floats(0, 1), min_size=1, max_size=5)),
    )


JSON_OPS = st.lists(_json_op(), min_size=1, max_size=3)


def mutate_json(obj, ops):
    """Replace (or delete) the node at a random path with a random JSON value."""
    obj = json.loads(json.dumps(obj))
    for op in ops:
        path = op[1]
        if op[0] == "set" and not path:
            obj = op[2]
            continue
        parent, key = None, None
        node = obj
        for frac in path:
            if isinstance(node, list) and node:
                key = min(int(frac * len(node)), len(node) - 1)
            elif isinstance(node, dict) and node:
                ks = sorted(node)
                key = ks[min(int(frac * len(ks)), len(ks) - 1)]
            else:
                break
            parent, node = node, node[key]
        if parent is None:
            continue
        if op[0] == "set":
            parent[key] = op[2]
        else:
            del parent[key]
    return obj


def _json_case():
    return st.one_of(st.tuples(st.just("json"), JSON_OPS), st.tuples(st.just("bytes"), BYTE_MUTATIONS))


def json_text(obj) -> str:
    return json.dumps(obj, indent=1)  # one value per line, so line edits hit single values


# ---------------------------------------------------------------------------------------
# Base (valid) inputs
# ---------------------------------------------------------------------------------------

def make_bases(d: Path) -> dict:
    """Small valid inputs for every reader, and a folder to write damaged copies into."""
    from posegraph.pipeline import Pipeline, save_model_file

    d = Path(d)
    rng = np.random.default_rng(0)
    F, K = 4, 17
    people = [np.concatenate([rng.uniform(50, 950, (2, K, 2)), rng.uniform(0.3, 1, (2, K, 1))], -1)
              for _ in range(F)]
    people[1][0, 3] = 0.0  # an undetected joint, OpenPose/COCO style
    coco = [{"image_id": f, "category_id": 1, "keypoints": [float(v) for v in p.reshape(-1)], "score": 0.9}
            for f in range(F) for p in people[f]]
    openpose = [{"version": 1.3, "people": [{"pose_keypoints_2d": [float(v) for v in p.reshape(-1)]}
                                            for p in people[f]]} for f in range(F)]
    xy = np.stack([p[0, :, :2] for p in people]).astype(np.float32)
    conf = np.stack([p[0, :, 2] for p in people]).astype(np.float32)
    kp_npz = {"keypoints": xy, "confidence": conf, "layout": np.array("coco17"),
              "image_size": np.array([1000, 1000], dtype=np.int64), "frame_ids": np.arange(F, dtype=np.int64)}
    rows = ["# layout=coco17 width=1000 height=1000",
            ",".join(["frame"] + [f"{c}{k}" for k in range(K) for c in "xyc"])]
    for f in range(F):
        rows.append(",".join([str(f)] + [format(float(v), ".6g") for k in range(K)
                                          for v in (xy[f, k, 0], xy[f, k, 1], conf[f, k])]))
    csv = ("\n".join(rows) + "\n").encode()
    N = 6
    lift = {"p2d": rng.normal(0, 0.3, (N, 17, 2)).astype(np.float32),
            "p3d": rng.normal(0, 0.3, (N, 17, 3)).astype(np.float32),
            "source": np.array(["cmu"] * N), "subject": np.array(["01"] * N), "action": np.array(["walk"] * N),
            "seq": np.array(["a", "a", "a", "b", "b", "b"]), "cam": np.arange(N) % 4, "frame": np.arange(N)}
    fc = {"past": rng.normal(0, 0.3, (N, 3, 17, 3)).astype(np.float32),
          "future": rng.normal(0, 0.3, (N, 4, 17, 3)).astype(np.float32),
          "source": np.array(["cmu"] * N), "subject": np.array(["01"] * N), "action": np.array(["walk"] * N),
          "seq": np.array(["a"] * N), "start": np.arange(N)}
    bench = {"positions": rng.normal(0, 0.3, (10, 17, 3)).astype(np.float32),
             "seq_offsets": np.array([0, 4, 10], dtype=np.int64), "format_version": np.int64(1),
             "source_fps": np.float64(120), "fps": np.float64(30), "stride": np.int64(4),
             "seq_source": np.array(["cmu", "hdm05"]), "seq_subject": np.array(["01", "bd"]),
             "seq_action": np.array(["walk", "run"]), "seq_name": np.array(["a", "b"]),
             "seq_split": np.array(["train", "test"])}
    positions = {"positions": rng.normal(0, 0.3, (12, 17, 3)), "fps": np.float64(30)}
    torch.manual_seed(0)
    pipe = Pipeline("baseline", {"skeleton": "h36m16", "linear_size": 16, "num_stages": 1})
    model = save_model_file(d / "base_model.pt", pipe, metrics={"mpjpe": 50.0}, config={"seed": 0})
    return {"dir": d, "coco": coco, "openpose": openpose, "kp_npz": kp_npz, "csv": csv, "lift": lift,
            "forecast": fc, "bench": bench, "positions": positions,
            "model_bytes": model.read_bytes(), "model_blob": torch.load(model, weights_only=False)}


# ---------------------------------------------------------------------------------------
# Result checks
# ---------------------------------------------------------------------------------------

def check_keypoints(k) -> None:
    from posegraph.io.keypoints import Keypoints2D

    assert isinstance(k, Keypoints2D)
    F, K = k.xy.shape[:2]
    assert k.xy.dtype == np.float32 and k.xy.shape == (F, K, 2) and F >= 1
    assert np.isfinite(k.confidence).all()
    present = k.confidence > 0
    assert np.isfinite(k.xy[present]).all(), "a present joint has a non-finite position"
    assert np.isnan(k.xy[~present]).all(), "a missing joint has a real-looking position"
    assert (np.abs(k.xy[present]) <= 1e6).all()
    assert not ((k.xy == 0).all(-1).all(-1) & present.any(-1)).any(), "an all-(0, 0) frame is present"
    if k.image_size is not None:
        assert min(k.image_size) >= 1
    xy17, c17 = k.to_h36m17()
    assert np.isfinite(xy17[c17 > 0]).all() and np.isfinite(c17).all()


def check_finite_arrays(*arrays) -> None:
    for a in arrays:
        assert np.issubdtype(a.dtype, np.floating) and a.size and np.isfinite(a).all()


@contextlib.contextmanager
def time_limit(seconds: int):
    """Fail (instead of hanging) if the body runs longer than ``seconds``."""
    def boom(signum, frame):
        raise TimeoutError(f"reader still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def outcome(fn, check) -> str:
    """``"ok"`` (valid result), ``"error"`` (a PosegraphError with a one-line message); any
    other exception propagates and fails the test."""
    with time_limit(TIME_LIMIT_S):
        try:
            out = fn()
        except PosegraphError as e:
            msg = str(e)
            assert msg and "\n" not in msg, f"error message is not one line: {msg!r}"
            return "error"
    check(out)
    return "ok"


# ---------------------------------------------------------------------------------------
# The bad-input classes
# ---------------------------------------------------------------------------------------

def run_coco_json(b, case) -> str:
    from posegraph.io.keypoints import read_coco_json, read_keypoints

    f = b["dir"] / "coco.json"
    text = json_text(b["coco"]).encode()
    f.write_bytes(json_text(mutate_json(b["coco"], case[1])).encode() if case[0] == "json"
                  else mutate_bytes(text, case[1]))
    return outcome(lambda: (read_keypoints if case[0] == "json" else read_coco_json)(f), check_keypoints)


def run_openpose_dir(b, case) -> str:
    from posegraph.io.keypoints import read_openpose_dir

    d = b["dir"] / "openpose"
    if d.exists():
        for q in d.iterdir():
            q.unlink()
    d.mkdir(exist_ok=True)
    kind, which, rest = case
    for i, frame in enumerate(b["openpose"]):
        data = json_text(frame).encode()
        if i == which % len(b["openpose"]):
            if kind == "json":
                data = json_text(mutate_json(frame, rest)).encode()
            elif kind == "bytes":
                data = mutate_bytes(data, rest)
            elif kind == "missing":
                continue
            elif kind == "name":
                (d / f"{rest}_keypoints.json").write_bytes(data)
                continue
        (d / f"clip_{i:012d}_keypoints.json").write_bytes(data)
    return outcome(lambda: read_openpose_dir(d), check_keypoints)


def run_keypoints_npz(b, case) -> str:
    from posegraph.io.keypoints import read_keypoints

    f = write_npz_case(b["dir"] / "kp.npz", b["kp_npz"], case)
    return outcome(lambda: read_keypoints(f), check_keypoints)


def run_keypoints_csv(b, case) -> str:
    from posegraph.io.keypoints import read_keypoints

    f = b["dir"] / "kp.csv"
    data = b["csv"]
    if case[0] == "bytes":
        data = mutate_bytes(data, case[1])
    else:  # replace cells
        lines = data.decode().split("\n")
        for lf, cf, text in case[1]:
            i = min(int(lf * len(lines)), len(lines) - 1)
            cells = lines[i].split(",")
            cells[min(int(cf * len(cells)), len(cells) - 1)] = text
            lines[i] = ",".join(cells)
        data = "\n".join(lines).encode()
    f.write_bytes(data)
    return outcome(lambda: read_keypoints(f), check_keypoints)


CELL_TEXT = st.one_of(st.sampled_from(["", "nan", "inf", "-inf", "0", "-1", "1e30", "1e999", "abc", "0x10",
                                       "99999999999999999999999", "1,2", "#", "layout=body25", "x0"]),
                      st.text(max_size=6))


def run_lift_samples(b, case) -> str:
    from posegraph.data.lift import LiftSamples

    f = write_npz_case(b["dir"] / "lift.npz", b["lift"], case)

    def check(s):
        assert isinstance(s, LiftSamples) and len(s) >= 1
        check_finite_arrays(s.p2d, s.p3d)
        assert s.p3d.shape == s.p2d.shape[:2] + (3,)
        for k in ("source", "subject", "action", "seq", "cam", "frame"):
            assert len(getattr(s, k)) == len(s)
    return outcome(lambda: LiftSamples.from_npz(f), check)


def run_forecast_samples(b, case) -> str:
    from posegraph.data.forecast import ForecastSamples

    f = write_npz_case(b["dir"] / "fc.npz", b["forecast"], case)

    def check(s):
        assert isinstance(s, ForecastSamples) and len(s) >= 1
        check_finite_arrays(s.past, s.future)
        assert s.past.shape[0] == s.future.shape[0] and s.past.shape[2:] == s.future.shape[2:]
        for k in ("source", "subject", "action", "seq", "start"):
            assert len(getattr(s, k)) == len(s)
    return outcome(lambda: ForecastSamples.from_npz(f), check)


def run_benchmark_file(b, case) -> str:
    from posegraph.data.build import load_benchmark_file

    f = write_npz_case(b["dir"] / "bench.npz", b["bench"], case)

    def check(bm):
        check_finite_arrays(bm.positions)
        assert bm.positions.shape[1:] == (17, 3)
        assert math.isfinite(bm.fps) and bm.fps > 0
        for i in range(bm.num_sequences):
            assert bm.sequence(i).shape[1:] == (17, 3)
        for k in ("seq_source", "seq_subject", "seq_action", "seq_name", "seq_split"):
            assert len(getattr(bm, k)) == bm.num_sequences
    return outcome(lambda: load_benchmark_file(f), check)


def run_forecast_positions(b, case) -> str:
    from posegraph.io.motion import resample_linear
    from posegraph.io.read import read_positions

    f = write_npz_case(b["dir"] / "positions.npz", b["positions"], case)

    def check(out):
        pos, fps = out
        check_finite_arrays(pos)
        assert pos.ndim == 3 and pos.shape[1:] == (17, 3)
        assert math.isfinite(fps) and fps > 0
        assert np.isfinite(resample_linear(pos, fps, 25.0)).all()
    return outcome(lambda: read_positions(f), check)


def check_pipeline(pipe) -> None:
    from posegraph.pipeline import Pipeline

    assert isinstance(pipe, Pipeline)
    J = pipe.skeleton.num_joints
    x = pipe.in_norm.mean[None].repeat(2, 1, 1) + 0.01 * torch.arange(2.0)[:, None, None]
    with torch.inference_mode():
        y = pipe.predict(x)
    assert y.shape == (2, J, 3) and bool(torch.isfinite(y).all()), "model output is not finite"


def run_model_bytes(b, case) -> str:
    from posegraph.pipeline import load_model_file

    f = b["dir"] / "model_b.pt"
    data = b["model_bytes"]
    data = mutate_bytes(data, case[1]) if case[0] == "bytes" else damage_npz_member(data, case[1], case[2])
    f.write_bytes(data)
    return outcome(lambda: load_model_file(f), check_pipeline)


def _blob_value():
    return st.one_of(st.none(), st.integers(-3, 10 ** 7), st.text(max_size=4), st.just([]), st.just({}),
                     st.just(torch.zeros(3)), st.just(float("nan")), st.just({"name": "h36m16"}))


def _blob_op():
    top = st.sampled_from(["format", "format_version", "task", "model", "skeleton", "state_dict", "metrics",
                           "config", "benchmark"])
    return st.one_of(
        st.tuples(st.just("drop"), top),
        st.tuples(st.just("set"), top, _blob_value()),
        st.tuples(st.just("version"), st.sampled_from([2, 99, -1, "1", 1.5, None, True])),
        st.tuples(st.just("model_name"), st.sampled_from(["semgcn", "sts-gcn", "nope", 3, None])),
        st.tuples(st.just("kwarg"), st.sampled_from(["linear_size", "num_stages", "skeleton", "dropout", "bogus"]),
                  st.one_of(st.integers(-2, 10 ** 9), st.sampled_from(["h36m17", "abc", None, 0.5, [1]]))),
        st.tuples(st.just("skeleton"), st.sampled_from(["drop_joints", "bad_parent", "h36m17", "name_int",
                                                        "parents_short", "parents_text"])),
        st.tuples(st.just("state"), st.integers(0, 99), st.sampled_from(["drop", "shape", "nan", "int", "text",
                                                                         "half", "zero", "negative", "extra"])),
        st.tuples(st.just("lightning"), st.sampled_from(["ok", "posegraph_list", "state_list", "no_prefix"])),
    )


def mutate_blob(blob: dict, ops) -> object:
    from posegraph.skeleton import get_skeleton

    blob = {k: (dict(v) if isinstance(v, dict) else v) for k, v in blob.items()}
    blob["model"] = {"name": blob["model"]["name"], "kwargs": dict(blob["model"]["kwargs"])}
    blob["state_dict"] = {k: v.clone() for k, v in blob["state_dict"].items()}
    out = blob
    for op in ops:
        if not isinstance(blob, dict):
            break
        kind = op[0]
        if kind == "drop":
            blob.pop(op[1], None)
        elif kind == "set":
            blob[op[1]] = op[2]
        elif kind == "version":
            blob["format_version"] = op[1]
        elif kind == "model_name" and isinstance(blob.get("model"), dict):
            blob["model"]["name"] = op[1]
        elif kind == "kwarg" and isinstance(blob.get("model"), dict) and isinstance(blob["model"].get("kwargs"), dict):
            blob["model"]["kwargs"][op[1]] = op[2]
        elif kind == "skeleton":
            sk = dict(blob["skeleton"]) if isinstance(blob.get("skeleton"), dict) else {}
            if op[1] == "drop_joints":
                sk.pop("joints", None)
            elif op[1] == "bad_parent" and "parents" in sk:
                sk["parents"] = [99] + list(sk["parents"])[1:]
            elif op[1] == "h36m17":
                sk = get_skeleton("h36m17").to_dict()
            elif op[1] == "name_int":
                sk["name"] = 5
            elif op[1] == "parents_short" and "parents" in sk:
                sk["parents"] = list(sk["parents"])[:-1]
            elif op[1] == "parents_text":
                sk["parents"] = "abc"
            blob["skeleton"] = sk
        elif kind == "state" and isinstance(blob.get("state_dict"), dict) and blob["state_dict"]:
            sd = blob["state_dict"]
            keys = sorted(sd)
            k = keys[op[1] % len(keys)]
            v = sd[k]
            how = op[2]
            if how == "drop":
                del sd[k]
            elif how == "shape":
                sd[k] = torch.zeros(tuple(v.shape) + (2,))
            elif how == "nan" and v.is_floating_point() and v.numel():
                v = v.clone()
                v.view(-1)[0] = float("nan")
                sd[k] = v
            elif how == "int":
                sd[k] = v.long()
            elif how == "text":
                sd[k] = "weights"
            elif how == "half":
                sd[k] = v.half() if v.is_floating_point() else v
            elif how in ("zero", "negative") and v.is_floating_point():
                sd[k] = torch.zeros_like(v) if how == "zero" else -v.abs() - 1
            elif how == "extra":
                sd["model.extra.weight"] = torch.ones(2)
        elif kind == "lightning":
            meta = {k: v for k, v in blob.items() if k != "state_dict"}
            sd = blob.get("state_dict", {})
            sd = {("pipeline." + k if op[1] != "no_prefix" else k): v for k, v in sd.items()} if isinstance(sd, dict) else sd
            out = {"state_dict": sd if op[1] != "state_list" else list(sd),
                   "posegraph": meta if op[1] != "posegraph_list" else [meta], "global_step": 3}
            blob = out
    return out


def run_model_struct(b, case) -> str:
    from posegraph.pipeline import load_model_file

    f = b["dir"] / "model_s.pt"
    torch.save(mutate_blob(b["model_blob"], case), f)
    return outcome(lambda: load_model_file(f), check_pipeline)


CLASSES = {
    "keypoints COCO JSON (structure edits, byte damage)": (_json_case(), run_coco_json),
    "keypoints OpenPose folder (one frame edited/damaged/missing/misnamed)": (
        st.one_of(st.tuples(st.just("json"), st.integers(0, 9), JSON_OPS),
                  st.tuples(st.just("bytes"), st.integers(0, 9), BYTE_MUTATIONS),
                  st.tuples(st.just("missing"), st.integers(0, 9), st.none()),
                  st.tuples(st.just("name"), st.integers(0, 9), st.sampled_from(["clip_000000000001", "x", "clip_a"]))),
        run_openpose_dir),
    "keypoints npz (arrays, bytes, member damage)": (_npz_case(), run_keypoints_npz),
    "keypoints CSV (cells, bytes)": (
        st.one_of(st.tuples(st.just("bytes"), BYTE_MUTATIONS),
                  st.tuples(st.just("cells"), st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), CELL_TEXT),
                                                       min_size=1, max_size=3))),
        run_keypoints_csv),
    "LiftSamples.from_npz": (_npz_case(), run_lift_samples),
    "ForecastSamples.from_npz": (_npz_case(), run_forecast_samples),
    "load_benchmark_file": (_npz_case(), run_benchmark_file),
    "forecast.read_positions (npz)": (_npz_case(), run_forecast_positions),
    "model file bytes (truncation, flips, zip member damage)": (
        st.one_of(st.tuples(st.just("bytes"), BYTE_MUTATIONS),
                  st.tuples(st.just("member"), st.integers(0, 99), BYTE_MUTATIONS)),
        run_model_bytes),
    "model file contents (keys, versions, config, skeleton, weights, Lightning wrapper)": (
        st.lists(_blob_op(), min_size=1, max_size=3), run_model_struct),
}
