"""The container every motion reader returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
