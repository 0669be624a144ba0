"""Person-disjoint validation (data.validation_subjects) on the real benchmarks."""

import numpy as np
import pytest

from posegraph.config import load_config
from posegraph.data.build import load_benchmark_file
from posegraph.data.forecast import load_forecast
from posegraph.data.lift import load_lift, validation_takes
from posegraph.errors import PosegraphError

PEOPLE = ["cmu/05", "cmu/64"]


def test_validation_takes_are_every_training_take_of_the_people_named():
    b = load_benchmark_file("mocap_lift")
    m = validation_takes(b, PEOPLE)
    train = b.seq_split == "train"
    who = np.char.add(np.char.add(b.seq_source.astype(str), "/"), b.seq_subject.astype(str))
    assert np.array_equal(m, train & np.isin(who, PEOPLE))
    assert m.sum() >= 20  # tens of takes
    # the default stays the hash of take names: nearly all validation people are training people
    d = validation_takes(b)
    assert np.isin(who[d & train], who[train & ~d]).mean() > 0.9


def test_lift_validation_people_are_never_trained_on():
    tr = load_lift("train", "gt", validation="exclude", validation_subjects=PEOPLE)
    va = load_lift("train", "gt", validation="only", validation_subjects=PEOPLE)
    people = lambda s: set(np.char.add(np.char.add(s.source.astype(str), "/"), s.subject.astype(str)))  # noqa: E731
    assert people(va) == set(PEOPLE)
    assert not people(tr) & set(PEOPLE)
    assert len(tr) + len(va) == len(load_lift("train", "gt"))


def test_forecast_validation_people_too():
    tr = load_forecast("train", validation="exclude", validation_subjects=PEOPLE)
    va = load_forecast("train", validation="only", validation_subjects=PEOPLE)
    b = tr.bench
    who = lambda w: set(f"{b.seq_source[i]}/{b.seq_subject[i]}" for i in np.unique(w.seq_index))  # noqa: E731
    assert who(va) == set(PEOPLE) and not who(tr) & set(PEOPLE)


def test_unknown_person_is_a_one_line_error_naming_the_option():
    with pytest.raises(PosegraphError, match=r"data.validation_subjects: 'cmu/999' is no person.*cmu/05"):
        load_lift("train", "gt", validation="only", validation_subjects=["cmu/999"])
    with pytest.raises(PosegraphError, match="data.validation_subjects: 'cmu/131' is no person"):  # a test person
        load_lift("train", "gt", validation="only", validation_subjects=["cmu/131"])


def test_config_carries_the_people_to_training_data():
    from posegraph.skeleton import H36M16
    from posegraph.tasks import get_task

    cfg = load_config("configs/lift/person_val/semgcn_9000.yaml")
    assert cfg["data"]["validation_subjects"] == PEOPLE
    tr, va = get_task("lift").training_data(H36M16, cfg["data"])
    assert len(va) == len(load_lift("train", "gt", validation="only", validation_subjects=PEOPLE))
    assert len(tr) + len(va) == len(load_lift("train", "gt"))
