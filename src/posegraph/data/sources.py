"""The raw motion-capture sources of the project's benchmarks and their person-disjoint split.

Sources (see ``shared/data/README.md``):

* ``cmu8``: the CMU 8-action exp-map files (``cmu/8action/{train,test}/<action>/<action>_<n>.txt``);
  its test folder is *not* person-disjoint from training (same CMU takes appear in both).
* ``cmu``: CMU subjects with their own ASF skeletons (``cmu/subjects/<id>/``); subject 131 has
  BVH takes 1-3 and an AMC take 4. Action label ``cmu<id>``.
* ``hdm05``: HDM05 actors (``hdm05/<actor>/``); the action is the class in the file name.

Split by person: train = ``cmu8`` train, CMU subjects 01 05 07 08 09 10 16 55 64 90 118, HDM05
bd bk dg; test = ``cmu8`` test, CMU subjects 17 18 131 135, HDM05 tr.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import PosegraphError

CMU_TRAIN = ("01", "05", "07", "08", "09", "10", "16", "55", "64", "90", "118")
CMU_TEST = ("17", "18", "131", "135")
HDM05_TRAIN = ("bd", "bk", "dg")
HDM05_TEST = ("tr",)
SOURCES = ("cmu8", "cmu", "hdm05")

_HDM_RE = re.compile(r"HDM_(?P<actor>[a-z]+)_(?P<cls>.+)_(?P<num>\d+)_120$")


@dataclass(frozen=True)
class SequenceSpec:
    """One raw take: where it is and how it is labelled."""

    path: Path
    source: str
    subject: str
    action: str
    name: str
    split: str

    def read(self):
        """Read the take as a 120 Hz :class:`~posegraph.io.Motion` of the 17 joints."""
        from ..io.read import read_motion

        return read_motion(self.path)


def default_data_root() -> Path:
    """``$POSEGRAPH_DATA``, else ``../shared/data`` beside the repository checkout."""
    env = os.environ.get("POSEGRAPH_DATA")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[3]
    return repo.parent / "shared" / "data"


def list_sequences(root: str | os.PathLike | None = None) -> list[SequenceSpec]:
    """Every take of the benchmarks, in a fixed order (source, subject, name)."""
    root = Path(root) if root is not None else default_data_root()
    if not root.is_dir():
        raise PosegraphError(f"{root}: raw mocap folder not found (set POSEGRAPH_DATA or pass --raw)")
    seqs: list[SequenceSpec] = []
    for split in ("train", "test"):
        for p in sorted((root / "cmu" / "8action" / split).glob("*/*.txt")):
            seqs.append(SequenceSpec(p, "cmu8", "cmu8", p.parent.name, p.stem, split))
    for subj in CMU_TRAIN + CMU_TEST:
        split = "train" if subj in CMU_TRAIN else "test"
        folder = root / "cmu" / "subjects" / subj
        files = sorted(folder.glob("*.amc")) + sorted(folder.glob("*.bvh"))
        if not files:
            raise PosegraphError(f"{folder}: no takes found")
        for p in sorted(files, key=lambda q: q.stem):
            seqs.append(SequenceSpec(p, "cmu", subj, f"cmu{subj}", p.stem, split))
    for actor in HDM05_TRAIN + HDM05_TEST:
        split = "train" if actor in HDM05_TRAIN else "test"
        folder = root / "hdm05" / actor
        files = sorted(folder.glob("*.amc"))
        if not files:
            raise PosegraphError(f"{folder}: no takes found")
        for p in files:
            m = _HDM_RE.match(p.stem)
            if not m:
                raise PosegraphError(f"{p}: unexpected HDM05 file name")
            seqs.append(SequenceSpec(p, "hdm05", actor, m["cls"], p.stem, split))
    return seqs
