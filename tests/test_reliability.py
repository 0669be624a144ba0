"""Nothing is lost: a training killed with SIGKILL at random points resumes to the same final
step count and a loadable model (``test_engine.py`` does one kill; this does several, at
random delays after checkpoints, with a fixed seed).

:func:`posegraph.testing.processes.kill_and_resume` is also used by ``benchmarks/reliability.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from posegraph.testing.processes import kill_and_resume

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_three_random_sigkills_resume_to_the_same_step_count(tmp_path):
    from posegraph.pipeline import load_model_file

    max_steps = 150
    res = kill_and_resume(tmp_path / "run", max_steps=max_steps, val_every=10, kills=3, seed=1,
                          config=REPO / "configs/lift/baseline.yaml")
    assert res["final_returncode"] == 0, res["final_stderr_tail"]
    killed = [t for t in res["trials"] if not t["finished_before_kill"]]
    assert len(killed) >= 2, res["trials"]  # the random delays are short: most kills land mid-run
    steps = [t["resume_from_step"] for t in killed]
    assert all(0 < s < max_steps for s in steps), steps
    assert steps == sorted(steps), steps  # every resume made progress from the last checkpoint
    assert not any(t["model_pt_exists"] for t in killed)  # no model.pt before the run finished
    assert res["metrics"]["steps"] == max_steps
    pipe = load_model_file(tmp_path / "run" / "model.pt")
    assert pipe.model_name == "baseline"
    assert all(bool(torch.isfinite(p).all()) for p in pipe.state_dict().values() if p.is_floating_point())
