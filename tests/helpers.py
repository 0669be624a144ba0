"""Shared test helpers: a hand-made pose and checks used by several test files."""

import numpy as np
from hypothesis import strategies as st

# A standing person in H36M17 joint order, world metres, +y up, facing +z
# (so the person's left is +x).
STANDING = np.array([
    [0.00, 0.95, 0.00],   # pelvis
    [-0.13, 0.93, 0.00],  # r_hip
    [-0.14, 0.50, 0.02],  # r_knee
    [-0.15, 0.08, -0.02],  # r_ankle
    [0.13, 0.93, 0.00],   # l_hip
    [0.14, 0.50, 0.02],   # l_knee
    [0.15, 0.08, -0.02],  # l_ankle
    [0.00, 1.18, -0.01],  # spine
    [0.00, 1.43, 0.00],   # thorax
    [0.00, 1.52, 0.02],   # neck
    [0.00, 1.65, 0.03],   # head
    [0.18, 1.40, 0.00],   # l_shoulder
    [0.22, 1.12, 0.00],   # l_elbow
    [0.24, 0.86, 0.03],   # l_wrist
    [-0.18, 1.40, 0.00],  # r_shoulder
    [-0.22, 1.12, 0.00],  # r_elbow
    [-0.24, 0.86, 0.03],  # r_wrist
])


def facing_cosine(positions: np.ndarray) -> float:
    """cos between the body's forward direction, cross(l_hip - r_hip, up), and the horizontal travel."""
    p = positions.astype(np.float64)
    travel = p[-1, 0] - p[0, 0]
    travel[1] = 0.0
    fwd = np.cross((p[:, 4] - p[:, 1]).mean(0), [0.0, 1.0, 0.0])
    fwd[1] = 0.0
    return float(fwd @ travel / np.linalg.norm(fwd) / np.linalg.norm(travel))


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
