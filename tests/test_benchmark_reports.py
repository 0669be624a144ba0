"""The benchmark pages are generated from their stored results (no narrated numbers)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench_modules():
    sys.path.insert(0, str(BENCH))
    try:
        import catalogue
        import speed_report

        yield catalogue, speed_report
    finally:
        sys.path.remove(str(BENCH))


def test_speed_page_is_the_report_of_its_json(bench_modules):
    _, speed_report = bench_modules
    report = json.loads((BENCH / "results" / "speed.json").read_text())
    assert speed_report.markdown(report) == (BENCH / "results" / "speed.md").read_text()


def test_catalogue_entries_point_at_real_configs(bench_modules):
    catalogue, _ = bench_modules
    from posegraph.models import list_models

    assert len({m.row for m in catalogue.LIFTERS}) == len(catalogue.LIFTERS)
    for m in catalogue.LIFTERS:
        assert (catalogue.REPO / m.config).is_file(), m.config
        assert catalogue.architecture(m) in list_models("lift")
    assert catalogue.GRAPH_LIFTERS <= set(list_models("lift"))


def _bench_module(name):
    import importlib

    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCH))


def _json(name):
    return json.loads((BENCH / "results" / name).read_text())


def test_time_to_target_page_is_the_report_of_its_json():
    if not (BENCH / "results" / "time_to_56.json").exists():
        pytest.skip("time_to_56.json not measured yet")
    tt = _bench_module("time_to_target")
    assert tt.markdown(_json("time_to_56.json")) == (BENCH / "results" / "time_to_56.md").read_text()


def test_lift_page_is_the_report_of_its_json():
    lift = _bench_module("lift")
    assert lift.markdown(_json("lift.json")) == (BENCH / "results" / "lift.md").read_text()


def test_forecast_page_is_the_report_of_its_json():
    forecast = _bench_module("forecast")
    md = forecast.markdown(_json("forecast.json"), _json("forecast_before.json"))
    assert md == (BENCH / "results" / "forecast.md").read_text()


def test_video_page_is_the_report_of_its_json():
    video = _bench_module("video")
    assert video.report(_json("video.json")) == (BENCH / "results" / "video.md").read_text()


def _lift_row(mpjpe, steps, **train):
    cfg = {"train": {"batch_size": 256, "optimizer": "adam", "weight_decay": 0.0, **train},
           "data": {"noise_px": 4.0, "noise_prob": 0.5}}
    return {"gt": {"mpjpe": mpjpe}, "noisy": {"mpjpe": mpjpe + 10}, "steps": steps, "on_protocol": True, "config": cfg,
            "best_val_mpjpe": mpjpe - 10, "params": 1}


def test_lift_orderings_compare_rows_of_one_recipe_only():
    """A table-1 row trained with options its rival lacks (the global node's batch 1024 and AdamW)
    is not compared with it; its previous recipe at the rival's length (table 5) is."""
    lift = _bench_module("lift")
    results = {"global-node": _lift_row(50.0, 9000, batch_size=1024, optimizer="adamw", weight_decay=0.05),
               "decoupled-wide": _lift_row(65.0, 18000)}
    schedule = {"global_node_18000": _lift_row(62.0, 18000), "global_node_36000": _lift_row(61.0, 36000)}
    text = "\n".join(lift.findings(results, schedule=schedule))
    assert "in table 1 (global-node" not in text
    assert "at one schedule length (18000 steps, table 5 beside table 1): reproduces (global-node 62.0 mm vs decoupled-wide 65.0 mm)" in text
    # same recipe, same length: compared in table 1 directly
    results["global-node"] = _lift_row(60.0, 18000)
    assert "in table 1 (global-node 60.0 mm vs decoupled-wide 65.0 mm)" in "\n".join(lift.findings(results, schedule=schedule))


def test_global_search_choices_are_read_against_the_seed_spread():
    lift = _bench_module("lift")
    device = {"gs/base": _lift_row(103.4, 9000), "gs/seed1": _lift_row(102.5, 9000),
              "gs/cameras": _lift_row(101.5, 9000), "gs/adamw": _lift_row(102.9, 9000)}
    for r, val in zip(device.values(), (103.4, 102.5, 101.5, 102.9)):
        r["best_val_mpjpe"] = val
    text = "\n".join(lift.global_search_table(device, {}))
    assert "## 8." in text and "largest spread 0.9 mm" in text
    assert "  - random virtual cameras: validation 101.5 mm with it against 103.4 without, so it is kept" in text
    assert "  - AdamW with weight decay 0.05: validation 102.9 mm with it against 103.4 without, so it is not kept" in text


def test_global_node_alternatives_are_taken_only_beyond_the_seed_spread():
    """Table 8b: an option tried on the whole training split against table 1's `global-node` is
    taken only when it lowers the validation error by more than table 8's seed spread."""
    lift = _bench_module("lift")
    shipped = _lift_row(57.7, 9000, batch_size=1024)
    shipped["best_val_mpjpe"] = 39.6
    alt = {"global_node_bone": _lift_row(57.0, 9000), "global_node_b512": _lift_row(56.0, 18000)}
    alt["global_node_bone"]["best_val_mpjpe"], alt["global_node_b512"]["best_val_mpjpe"] = 39.0, 38.0
    text = "\n".join(lift.global_alternatives(shipped, alt, 0.9))
    assert "### 8b." in text and "seed spread (0.9 mm)" in text
    assert "- other people's proportions (bone_scale 0.1): validation 39.0 mm with it against 39.6 without, so it is not kept" in text
    assert "18000 steps of batch 512 (peak learning rate 2.8e-3): validation 38.0 mm with it against 39.6 without, so it is kept" in text
    assert lift.global_alternatives(None, alt, 0.9) == [] and lift.global_alternatives(shipped, {}, 0.9) == []
    # once an option is taken, the rows are read against the config before it, and table 1's row is that option
    before = _lift_row(57.7, 9000, batch_size=1024)
    before["best_val_mpjpe"] = 39.6
    shipped = _lift_row(50.0, 9000, batch_size=1024)
    shipped["best_val_mpjpe"] = 33.0
    text = "\n".join(lift.global_alternatives(shipped, {**alt, lift.GLOBAL_REFERENCE: before}, 0.9))
    assert "| table 1's `global-node` before this step" in text.splitlines()[7]
    assert "other people's proportions (bone_scale 0.1): validation 39.0 mm with it against 39.6 without" in text
    assert "- a learned vector per joint after the input layer (not in the paper; table 8c): validation 33.0 mm with it " \
           "against 39.6 without, so it is kept; test gt 50.0 against 57.7" in text
    assert "(`configs/lift/global_node.yaml`): table 1's `global-node` |" in text


def test_joint_embedding_pairs_are_read_on_one_protocol_each():
    lift = _bench_module("lift")
    rows = {"trial/global_node_trial_joint_embedding": _lift_row(61.0, 1500), "trial/global_node_trial_raw": _lift_row(87.2, 1500),
            "gs/joint_embedding": _lift_row(103.0, 9000), "gs/base": _lift_row(103.4, 9000)}
    text = "\n".join(lift.joint_embedding_lines(rows, 0.9))
    assert "### 8c." in text and "seed spread (0.9 mm)" in text
    assert "- table 4's 1500-step trial (`trial/global_node_trial_joint_embedding` against `trial/global_node_trial_raw`): " \
           "a vector per joint: validation 51.0 mm with it against 77.2 without, so it is kept" in text
    assert "against `gs/base`): a vector per joint: validation 93.0 mm with it against 93.4 without, so it is not kept" in text
    assert "table 2's protocol" not in text  # that pair is missing
    assert lift.joint_embedding_lines({}, 0.9) == []


def test_time_to_target_knows_every_shipped_lifter_without_runs(tmp_path, monkeypatch):
    """A fresh checkout has no runs/: table 1b's shipped rows come from lift.json's record."""
    tt = _bench_module("time_to_target")
    lift = _bench_module("lift")
    monkeypatch.setattr(lift, "REPO", tmp_path)  # no runs/exact2d there
    rows = tt.rows()
    from posegraph.pipeline import list_pretrained

    assert {"semgcn-gt", "global-node-gt", "global-node", "semgcn"} <= set(rows)
    assert set(rows) <= set(list_pretrained())
    assert rows["global-node-gt"][1].startswith("configs/lift/exact2d/global_node")


def test_time_to_target_reads_a_full_trainings_curve(tmp_path):
    """--from-run: the first validation at or below the target, from the run's own test curve."""
    tt = _bench_module("time_to_target")
    run = tmp_path / "run"
    run.mkdir()
    (run / "test_curve.csv").write_text("step,train_seconds,test_mpjpe\n1000,300.0,70.2\n2000,610.5,55.9\n3000,900.0,53.0\n")
    r = tt.from_run(run, 56.0)
    assert (r["step"], r["seconds"], r["test_mpjpe"]) == (2000, 610.5, 55.9) and r["run"] == str(run)
    assert "seconds" not in tt.from_run(run, 50.0)
    page = tt.markdown({"rows": {"x": {"label": "X", "config": "c.yaml", **r}}, "cpu_count": 2})
    assert "| X | 10.2 min (610 s) | 2000 | 55.9 | `c.yaml` (read from the curve of its full training" in page
    with pytest.raises(SystemExit, match="no test_curve.csv"):
        tt.from_run(tmp_path, 56.0)
