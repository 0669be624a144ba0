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
