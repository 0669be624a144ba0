"""The container every motion reader returns, and resampling a sequence in time."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import PosegraphError
from ..skeleton import H36M17, Skeleton


@dataclass
class Motion:
    """A sequence of 3D joint positions.

    Attributes:
        positions: ``(frames, joints, 3)`` float32, metres, world frame with +y up.
        fps: frame rate of ``positions`` (the source's).
        skeleton: the joint set of ``positions`` (``H36M17`` for every reader's default).
        path: the file it was read from.
        all_positions: optional ``(frames, source_joints, 3)`` positions of every joint of the
            source skeleton (same units and axes), before the mapping to ``skeleton``.
        all_joint_names: names of the source skeleton's joints, matching ``all_positions``.
    """

    positions: np.ndarray
    fps: float
    skeleton: Skeleton = H36M17
    path: str | None = None
    all_positions: np.ndarray | None = None
    all_joint_names: tuple[str, ...] | None = None
    meta: dict = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.positions.shape[0])

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps

    def __repr__(self) -> str:
        return (f"Motion({self.path!r}, frames={self.num_frames}, fps={self.fps:g}, "
                f"skeleton={self.skeleton.name})")


def resample_linear(positions: np.ndarray, src_fps: float, dst_fps: float) -> np.ndarray:
    """Resample ``(T, J, 3)`` by linear interpolation: frame k at time k / dst_fps.

    The source's frame 0 is at time 0; as many frames as fit before the last source frame.
    """
    T = positions.shape[0]
    if T < 1:
        raise PosegraphError("cannot resample an empty sequence")
    n = int(np.floor((T - 1) * dst_fps / src_fps + 1e-9)) + 1
    f = np.arange(n) * (src_fps / dst_fps)
    i0 = np.minimum(np.floor(f + 1e-9).astype(np.int64), T - 1)
    i1 = np.minimum(i0 + 1, T - 1)
    w = (f - i0).astype(np.float64)[:, None, None]
    p = positions.astype(np.float64)
    return ((1.0 - w) * p[i0] + w * p[i1]).astype(np.float32)
