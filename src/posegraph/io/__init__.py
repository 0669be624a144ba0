"""Readers and writers of motion-capture and keypoint files.

Readers return :class:`Motion` (positions in metres, +y up, ``h36m17`` joints by default).
:func:`read_motion` picks the reader from the file's extension.
"""

from .asf_amc import AsfSkeleton, read_amc, read_asf
from .bvh import read_bvh
from .expmap import load_expmap_skeleton, read_expmap
from .h36m_npz import (h36m32_to_h36m17, read_h36m_2d, read_h36m_3d, write_h36m_2d,
                       write_h36m_3d, zup_to_yup)
from .motion import Motion
from .read import read_motion

__all__ = [
    "Motion", "read_motion", "read_asf", "read_amc", "AsfSkeleton", "read_bvh", "read_expmap",
    "load_expmap_skeleton", "read_h36m_3d", "write_h36m_3d", "read_h36m_2d", "write_h36m_2d",
    "h36m32_to_h36m17", "zup_to_yup",
]
