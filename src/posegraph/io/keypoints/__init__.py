"""Readers and writers of 2D keypoint files written by other tools.

Every reader returns a :class:`Keypoints2D`: one person's track of pixel keypoints in the
file's own layout (``coco17``, ``body25``, ``coco18``, ``blazepose33`` or ``h36m17``), which
:meth:`Keypoints2D.to_h36m17` maps to the 17 Human3.6M joints the lifting models use.

Formats:

* **COCO keypoint results** (``.json``): a list of ``{"image_id", "category_id",
  "keypoints": [x1, y1, v1, ...], "score"}``, several people per image
  (:func:`read_coco_json`, :func:`write_coco_json`). A COCO ground-truth file (an object with
  ``"annotations"``) is read too; its visibility flags become confidence 1 (labelled) or 0.
* **OpenPose** (a folder of ``*_keypoints.json``, one per frame, :func:`read_openpose_dir`,
  :func:`write_openpose_dir`); BODY_25 (75 numbers) or COCO-18 (54 numbers) per person.
* **npz** (:func:`read_keypoints_npz`, :func:`write_keypoints_npz`) and **CSV**
  (:func:`read_keypoints_csv`, :func:`write_keypoints_csv`), posegraph's own plain formats. The
  flat benchmark layout of ``posegraph data export mocap-lift`` (``p2d``) is read as an npz too.

Missing joints. A joint whose confidence is 0 (or negative), or whose x/y is not finite, is
*missing*: readers return NaN for its position and 0 for its confidence, never a real-looking
(0, 0). OpenPose and COCO mark such joints ``(0, 0, 0)``; the writers do the same, so NaN
never reaches a JSON file. :func:`fill_missing` fills missing joints before a model sees them
and returns a mask of what it filled.

Garbage guards. A person (or a frame of the npz/CSV formats) whose every keypoint is exactly
``(0, 0)`` is what detectors write when they found nobody: it is read as missing (NaN,
confidence 0), not as a pose squeezed into the image corner. Coordinates or confidences of
magnitude above :data:`MAX_ABS_VALUE` (1e6), and image sizes that are not positive, are a
:class:`FormatError`.

Person tracking (COCO and OpenPose, several people per frame): in the first frame that has
anyone, the people are ranked by the area of the bounding box of their present keypoints
(largest first) and ``person`` picks one (``"largest"`` = rank 0, an ``int`` = that rank), or
``"centre"`` takes the person whose box centre is nearest the image centre (the middle of all
the people's keypoints there when the file does not give the image size).
In every later frame the track takes the person closest to the previous pick (mean distance
over the keypoints present in both; the distance of keypoint centroids when they share none).
Frames where nobody is present get NaN positions and confidence 0, and ``person_ids`` ``-1``.

The modules:

* :mod:`.container`: :class:`Keypoints2D` and :func:`fill_missing`;
* :mod:`.tracking`: following one person across frames (``_track``);
* :mod:`.checks`: checks and conversions the formats share (``_numbers``,
  ``_count_keypoints``, ``_resolve_layout``, ``_check_range``, ``_image_size``, ...);
* one module per format: :mod:`.coco_json`, :mod:`.openpose_dir`, :mod:`.npz_file` (with the
  flat benchmark layout), :mod:`.csv_file`;
* :mod:`.dispatch`: :func:`read_keypoints` and its table of readers, ``READERS``.

Adding a format:

1. Write ``posegraph/io/keypoints/<format>.py`` with ``read_<format>(path, ..., layout=None)``
   returning a :class:`Keypoints2D` (build it with the helpers of :mod:`.checks`, so missing
   joints, out-of-range values and layouts are handled as above) and ``write_<format>``; and
   a reader for the table, ``_read_<format>(path, content, layout, person)``.
2. Add one :class:`~.dispatch.Reader` row to ``READERS`` in :mod:`.dispatch`: its suffix
   (or ``FOLDER``), that reader and, when another format has the same suffix, a sniff of the
   content (with a loader in ``CONTENT`` if the suffix has none yet) placed before the row
   that takes any content.
3. Re-export the reader and writer here (and in ``__all__``).
4. Add the format's writer to ``WRITERS`` in ``tests/test_io_keypoints.py``: the test that
   every row of ``READERS`` reads what its writer wrote fails until then.
"""

from .checks import MAX_ABS_VALUE  # noqa: F401 (a constant of the package, as before)
from .coco_json import read_coco_json, write_coco_json
from .container import CHUNK_FRAMES, Keypoints2D, fill_missing  # noqa: F401
from .csv_file import read_keypoints_csv, write_keypoints_csv
from .dispatch import read_keypoints
from .npz_file import FLAT_IMAGE_SIZE, keypoints_from_npz, read_keypoints_npz, write_keypoints_npz  # noqa: F401
from .openpose_dir import read_openpose_dir, write_openpose_dir

__all__ = [
    "Keypoints2D",
    "read_keypoints",
    "read_coco_json",
    "write_coco_json",
    "read_openpose_dir",
    "write_openpose_dir",
    "read_keypoints_npz",
    "keypoints_from_npz",
    "write_keypoints_npz",
    "read_keypoints_csv",
    "write_keypoints_csv",
    "fill_missing",
]
