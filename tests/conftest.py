"""Shared fixtures.

Tests that need the real motion capture in ``../shared/data`` use the ``shared_data``
fixture: it skips (with a reason) where the folder is absent, e.g. in a user's own clone,
but fails under CI (``CI=true``), where the folder is always there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POSEGRAPH_SHARED", REPO.parent / "shared"))


def _need(path: Path) -> Path:
    if not path.exists():
        msg = f"{path} is absent (set POSEGRAPH_SHARED to the folder holding data/ and media/)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg + " -- under CI it must be there")
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``shared/data`` (the raw mocap)."""
    return _need(SHARED / "data")


@pytest.fixture(scope="session")
def shared_media() -> Path:
    """Path to ``shared/media`` (the demo video)."""
    return _need(SHARED / "media")


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """The tests' tensors are small: one intra-op thread is as fast, and several threads stall
    badly when the two cores are shared with other work."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
