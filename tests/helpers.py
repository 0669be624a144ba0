"""Shared test helpers: a hand-made pose and checks used by several test files."""

import numpy as np

from posegraph.testing.fuzz import byte_mutation, mutate_bytes  # noqa: F401  (re-exported for the tests)

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
