"""Sample counts of the committed benchmarks, per split and source."""

from __future__ import annotations

import numpy as np

from .build import load_benchmark_file
from .forecast import FUTURE, PAST, TEST_STRIDE
from .lift import validation_mask

CAMERAS = 4


def benchmark_counts() -> dict:
    """``{benchmark: {split: {source: {sequences, frames, samples}}}}`` (train split also as train/val)."""
    out = {}
    for name in ("mocap_lift", "mocap_forecast"):
        b = load_benchmark_file(name)
        lengths = np.diff(b.seq_offsets)
        val = validation_mask(b.seq_name)
        table = {}
        for split in ("train", "test"):
            rows = {}
            for src in list(np.unique(b.seq_source)) + ["all"]:
                m = (b.seq_split == split) & ((b.seq_source == src) if src != "all" else True)
                if name == "mocap_lift":
                    samples = int(lengths[m].sum()) * CAMERAS
                else:
                    L = PAST + FUTURE
                    stride = 1 if split == "train" else TEST_STRIDE
                    samples = int(np.maximum((lengths[m] - L) // stride + 1, 0).sum())
                rows[str(src)] = {"sequences": int(m.sum()), "frames": int(lengths[m].sum()), "samples": samples,
                                  "validation_sequences": int((m & val).sum()) if split == "train" else 0}
            table[split] = rows
        out[name.replace("_", "-")] = {"fps": b.fps, "splits": table}
    return out


def counts_markdown(counts: dict) -> str:
    lines = []
    for bench, info in counts.items():
        unit = "samples (frames x 4 cameras)" if bench == "mocap-lift" else "windows (10 in + 25 out)"
        lines += [f"### {bench} ({info['fps']:g} fps)", "",
                  f"| split | source | takes | frames | {unit} | validation takes |", "|---|---|---:|---:|---:|---:|"]
        for split, rows in info["splits"].items():
            for src, r in rows.items():
                lines.append(f"| {split} | {src} | {r['sequences']} | {r['frames']} | {r['samples']} | "
                             f"{r['validation_sequences'] if split == 'train' else '-'} |")
        lines.append("")
    return "\n".join(lines)
