"""Every shipped model reproduces the result stored in its own file when it was shipped."""

from __future__ import annotations

import pytest

from posegraph.evaluate import shipped_check
from posegraph.pipeline import list_pretrained, pretrained, pretrained_dir, read_model_file


@pytest.mark.parametrize("name", list_pretrained())
def test_shipped_weights_reproduce_their_stored_result(name):
    stored = read_model_file(pretrained_dir() / f"{name}.pt").get("metrics", {}).get("shipped_check")
    assert stored is not None, f"{name}.pt was shipped without a check result (ship with posegraph.pipeline.ship_model)"
    got = shipped_check(pretrained(name))
    assert got["n"] == stored["n"] and got["slice"] == stored["slice"]
    assert got["mpjpe"] == pytest.approx(stored["mpjpe"], abs=0.1)
