"""The lifting models of the benchmark tables, one entry each (shared by lift.py and speed.py).

Adding a lifting model to the benchmarks is one entry in :data:`LIFTERS`: its row of table 1 in
``benchmarks/lift.py`` (trained from ``config``, compared with the shipped file ``shipped``) and,
when ``graph`` is true, the graph-lifter speed target of ``benchmarks/speed.py`` (which picks
the model up by itself from the shipped files and configs).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple


REPO = Path(__file__).resolve().parents[1]


class Lifter(NamedTuple):
    row: str
    """Row id in the lifting tables (and the run folder)."""
    label: str
    config: str
    shipped: str | None
    """Name of the shipped model file, or None."""
    graph: bool
    """A graph lifter: held to the speed target of graph lifting models."""


LIFTERS = [
    Lifter("baseline", "Martinez et al. baseline (shipped `baseline`)", "configs/lift/baseline.yaml", "baseline", False),
    Lifter("semgcn", "SemGCN (shipped `semgcn`)", "configs/lift/semgcn.yaml", "semgcn", True),
    Lifter("graphmdn", "GraphMDN, pose level, M=5: mean (shipped `graphmdn`)", "configs/lift/graphmdn.yaml",
           "graphmdn", True),
    Lifter("modulated-gcn", "Modulated GCN (shipped `modulated-gcn`)", "configs/lift/modulated_gcn.yaml",
           "modulated-gcn", True),
    Lifter("decoupled-wide", "Decoupled GCN, 202 channels (the global node's size)", "configs/lift/decoupled_wide.yaml",
           None, True),
    Lifter("global-node", "Global node + action classification K=100, virtual cameras, AdamW, batch 1024, a learned "
           "vector per joint (not in the paper; shipped `global-node`)",
           "configs/lift/global_node.yaml", "global-node", True),
]


def architecture(lifter: Lifter) -> str:
    """The registry name of the model that ``lifter``'s config trains (after its ``base`` chain)."""
    from posegraph.config import load_config

    return load_config(REPO / lifter.config)["model"]["name"]


GRAPH_LIFTERS = {architecture(m) for m in LIFTERS if m.graph}
"""Architectures held to the graph-lifter speed target."""
SHIPPED_GRAPH_LIFTERS = [m.row for m in LIFTERS if m.graph and m.shipped]
"""Row ids of the shipped graph lifters, in table order."""


def flip_configured(config: str) -> bool:
    """Whether a config (a path relative to the repository) switches test-time mirroring on
    (``model.flip_test``, after its ``base`` chain): how the row's model is shipped."""
    from posegraph.config import load_config

    return bool(load_config(REPO / config)["model"].get("flip_test"))
