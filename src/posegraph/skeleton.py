"""Joint sets, their graphs, and mappings between keypoint layouts.

Every adjacency matrix in posegraph is derived here from a skeleton's ``parents`` table, so
that an edge list is typed exactly once.

Skeletons (kinematic trees, used by the models):

* ``h36m17``: the Human3.6M 17-joint set in the order used by VideoPose3D and SemGCN.
* ``h36m16``: the 16-joint set of SemGCN (the 17 without ``neck``; ``head`` hangs from ``thorax``).

Keypoint layouts (what 2D detectors and tools emit; mapped to ``h36m17`` by a fixed linear
combination, see :func:`map_keypoints`):

* ``coco17`` (COCO keypoints), ``body25`` (OpenPose BODY_25), ``coco18`` (OpenPose COCO-18),
  ``blazepose33`` (MediaPipe BlazePose).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .errors import PosegraphError, ShapeError

__all__ = [
    "Skeleton",
    "topological_order",
    "KeypointLayout",
    "H36M17",
    "H36M16",
    "get_skeleton",
    "get_layout",
    "map_keypoints",
    "SKELETONS",
    "LAYOUTS",
    "layouts_by_count",
]


@dataclass(frozen=True)
class Skeleton:
    """A kinematic tree of named joints.

    Attributes:
        name: registry name (``"h36m17"``).
        joints: joint names in storage order.
        parents: index of each joint's parent, ``-1`` for the root.
        symmetry: names of left/right pairs, used for flipping.
    """

    name: str
    joints: tuple[str, ...]
    parents: tuple[int, ...]
    symmetry: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self):
        if len(self.joints) != len(self.parents):
            raise ValueError("joints and parents differ in length")
        if sum(p < 0 for p in self.parents) != 1:
            raise ValueError("a skeleton needs exactly one root")

    def __len__(self) -> int:
        return len(self.joints)

    @property
    def num_joints(self) -> int:
        return len(self.joints)

    def index(self, joint: str) -> int:
        try:
            return self.joints.index(joint)
        except ValueError:
            raise PosegraphError(f"skeleton {self.name!r} has no joint {joint!r}; joints: {', '.join(self.joints)}") from None

    @cached_property
    def edges(self) -> tuple[tuple[int, int], ...]:
        """(parent, child) index pairs, one per bone."""
        return tuple((p, c) for c, p in enumerate(self.parents) if p >= 0)

    @cached_property
    def flip_permutation(self) -> np.ndarray:
        """Index array that swaps left and right joints (apply it with ``x[..., perm, :]``)."""
        perm = np.arange(self.num_joints)
        for a, b in self.symmetry:
            i, j = self.index(a), self.index(b)
            perm[i], perm[j] = j, i
        return perm

    @property
    def left(self) -> list[int]:
        return [self.index(a) for a, _ in self.symmetry]

    @property
    def right(self) -> list[int]:
        return [self.index(b) for _, b in self.symmetry]

    def adjacency(self, self_loops: bool = False, normalize: str | None = None) -> np.ndarray:
        """The skeleton's adjacency matrix, float32, ``J x J``.

        Args:
            self_loops: add the identity (``A + I``).
            normalize: ``None`` (binary), ``"sym"`` (``D^-1/2 A D^-1/2``, Kipf & Welling) or
                ``"row"`` (``D^-1 A``), the degree ``D`` counted on the matrix after self loops.
        """
        J = self.num_joints
        A = np.zeros((J, J), dtype=np.float64)
        for p, c in self.edges:
            A[p, c] = A[c, p] = 1.0
        if self_loops:
            A += np.eye(J)
        if normalize is None:
            pass
        elif normalize == "sym":
            d = A.sum(1)
            inv = np.where(d > 0, d ** -0.5, 0.0)
            A = inv[:, None] * A * inv[None, :]
        elif normalize == "row":
            d = A.sum(1)
            A = A / np.where(d > 0, d, 1.0)[:, None]
        else:
            raise ValueError(f"normalize must be None, 'sym' or 'row', not {normalize!r}")
        return A.astype(np.float32)

    def bone_lengths(self, positions: np.ndarray) -> np.ndarray:
        """Lengths of every bone, ``(..., num_edges)``, from positions ``(..., J, 3)``."""
        p = np.asarray(positions)
        par = np.array([e[0] for e in self.edges])
        chi = np.array([e[1] for e in self.edges])
        return np.linalg.norm(p[..., chi, :] - p[..., par, :], axis=-1)

    def subset_indices(self, other: "Skeleton") -> np.ndarray:
        """Indices into this skeleton's joints of each joint of ``other`` (a subset)."""
        return np.array([self.index(j) for j in other.joints])

    def to_dict(self) -> dict:
        return {"name": self.name, "joints": list(self.joints), "parents": list(self.parents),
                "symmetry": [list(s) for s in self.symmetry]}

    @classmethod
    def from_dict(cls, d: dict) -> "Skeleton":
        return cls(d["name"], tuple(d["joints"]), tuple(int(p) for p in d["parents"]),
                   tuple(tuple(s) for s in d.get("symmetry", ())))


_H36M17_JOINTS = (
    "pelvis", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "spine", "thorax",
    "neck", "head", "l_shoulder", "l_elbow", "l_wrist", "r_shoulder", "r_elbow", "r_wrist",
)
_H36M17_PARENTS = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
_LR = (("l_hip", "r_hip"), ("l_knee", "r_knee"), ("l_ankle", "r_ankle"),
       ("l_shoulder", "r_shoulder"), ("l_elbow", "r_elbow"), ("l_wrist", "r_wrist"))

H36M17 = Skeleton("h36m17", _H36M17_JOINTS, _H36M17_PARENTS, _LR)


def _drop_joint(sk: Skeleton, joint: str, name: str) -> Skeleton:
    """The skeleton without ``joint``; its children hang from its parent."""
    k = sk.index(joint)
    joints = tuple(j for i, j in enumerate(sk.joints) if i != k)
    old_to_new = {old: new for new, old in enumerate(i for i in range(len(sk)) if i != k)}
    parents = []
    for i, p in enumerate(sk.parents):
        if i == k:
            continue
        if p == k:
            p = sk.parents[k]
        parents.append(-1 if p < 0 else old_to_new[p])
    return Skeleton(name, joints, tuple(parents), sk.symmetry)


H36M16 = _drop_joint(H36M17, "neck", "h36m16")

SKELETONS: dict[str, Skeleton] = {s.name: s for s in (H36M17, H36M16)}


def get_skeleton(name: str | Skeleton) -> Skeleton:
    """Look up a skeleton by name (``h36m17``, ``h36m16``)."""
    if isinstance(name, Skeleton):
        return name
    try:
        return SKELETONS[name]
    except KeyError:
        raise PosegraphError(f"unknown skeleton {name!r}; known: {', '.join(SKELETONS)}") from None


# ---------------------------------------------------------------------------------------
# Keypoint layouts of 2D detectors and their mapping to h36m17
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeypointLayout:
    """A detector's keypoint list and its linear map to the 17 Human3.6M joints.

    ``recipe`` gives, for every h36m17 joint, a list of ``(keypoint name, weight)``; the
    joint is the weighted sum of those keypoints (weights sum to 1). ``approximate`` names
    the h36m17 joints that such a sum only approximates (different anatomical definition).
    """

    name: str
    keypoints: tuple[str, ...]
    recipe: dict
    approximate: tuple[str, ...]

    @property
    def num_keypoints(self) -> int:
        return len(self.keypoints)

    @cached_property
    def weights(self) -> np.ndarray:
        """``17 x K`` matrix ``W`` with ``h36m17 = W @ keypoints``."""
        W = np.zeros((H36M17.num_joints, len(self.keypoints)), dtype=np.float64)
        for joint, terms in self.recipe.items():
            for kp, w in terms:
                W[H36M17.index(joint), self.keypoints.index(kp)] += w
        assert np.allclose(W.sum(1), 1.0), self.name
        return W


def _mid(a: str, b: str) -> list:
    return [(a, 0.5), (b, 0.5)]


def _head_terms(thorax: list, left_ear: str, right_ear: str) -> tuple[list, list]:
    """neck = (thorax + ear midpoint) / 2; head top = 1.5 ear midpoint - 0.5 thorax."""
    neck = [(k, 0.5 * w) for k, w in thorax] + [(left_ear, 0.25), (right_ear, 0.25)]
    head = [(k, -0.5 * w) for k, w in thorax] + [(left_ear, 0.75), (right_ear, 0.75)]
    return neck, head


def _limbs(prefix_l: str, prefix_r: str, names: dict) -> dict:
    out = {}
    for side, pre in (("l", prefix_l), ("r", prefix_r)):
        for j in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist"):
            out[f"{side}_{j}"] = [(names[j].format(pre), 1.0)]
    return out


def _make_layout(name: str, keypoints: tuple[str, ...], fmt: dict, left: str, right: str,
                 thorax: list | None = None) -> KeypointLayout:
    recipe = _limbs(left, right, fmt)
    lh, rh = fmt["hip"].format(left), fmt["hip"].format(right)
    ls, rs = fmt["shoulder"].format(left), fmt["shoulder"].format(right)
    pelvis = _mid(lh, rh)
    thorax = thorax or _mid(ls, rs)
    recipe["pelvis"] = pelvis
    recipe["thorax"] = thorax
    recipe["spine"] = [(k, 0.5 * w) for k, w in pelvis + thorax]
    recipe["neck"], recipe["head"] = _head_terms(thorax, fmt["ear"].format(left), fmt["ear"].format(right))
    approx = ("pelvis", "l_hip", "r_hip", "spine", "thorax", "neck", "head")
    return KeypointLayout(name, keypoints, recipe, approx)


_SIMPLE = {j: "{}_" + j for j in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist", "ear")}
COCO17 = _make_layout("coco17", (
    "nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow",
    "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle"), _SIMPLE, "l", "r")
BODY25 = _make_layout("body25", (
    "nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist",
    "mid_hip", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye",
    "r_ear", "l_ear", "l_big_toe", "l_small_toe", "l_heel", "r_big_toe", "r_small_toe", "r_heel"),
    _SIMPLE, "l", "r", thorax=[("neck", 1.0)])
COCO18 = _make_layout("coco18", (
    "nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist",
    "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear", "l_ear"),
    _SIMPLE, "l", "r", thorax=[("neck", 1.0)])
_BP = {j: "{}_" + j for j in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist", "ear")}
BLAZEPOSE33 = _make_layout("blazepose33", (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index"), _BP, "left", "right")
H36M17_LAYOUT = KeypointLayout("h36m17", H36M17.joints,
                               {j: [(j, 1.0)] for j in H36M17.joints}, ())

LAYOUTS: dict[str, KeypointLayout] = {
    l.name: l for l in (H36M17_LAYOUT, COCO17, BODY25, COCO18, BLAZEPOSE33)}


def get_layout(name: str | KeypointLayout) -> KeypointLayout:
    """Look up a keypoint layout by name (``coco17``, ``body25``, ``coco18``, ``blazepose33``, ``h36m17``)."""
    if isinstance(name, KeypointLayout):
        return name
    try:
        return LAYOUTS[name]
    except KeyError:
        raise PosegraphError(f"unknown keypoint layout {name!r}; known: {', '.join(LAYOUTS)}") from None


def layouts_by_count() -> dict[int, KeypointLayout]:
    """The layout :func:`guess_layout` takes for each keypoint count, in increasing count.

    Derived from :data:`LAYOUTS`: every detector layout, i.e. all but ``h36m17`` (the models'
    own joints), so 17 keypoints are COCO-17; of two layouts with one count, the first listed.
    """
    by_count: dict[int, KeypointLayout] = {}
    for lay in LAYOUTS.values():
        if lay is not H36M17_LAYOUT:
            by_count.setdefault(lay.num_keypoints, lay)
    return dict(sorted(by_count.items()))


def guess_layout(num_keypoints: int) -> KeypointLayout:
    """The layout with that many keypoints (17 is taken as COCO-17, the detectors' layout)."""
    by_count = layouts_by_count()
    if num_keypoints not in by_count:
        known = ", ".join(f"{n} ({lay.name})" for n, lay in by_count.items())
        raise ShapeError(f"cannot tell the keypoint layout of {num_keypoints} joints; known counts: {known}")
    return by_count[num_keypoints]


def map_keypoints(keypoints: np.ndarray, layout: str | KeypointLayout,
                  confidence: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Map keypoints of a detector layout to the 17 Human3.6M joints.

    Args:
        keypoints: ``(..., K, D)`` positions in the layout's order.
        layout: the layout (or its name).
        confidence: optional ``(..., K)`` scores; a derived joint gets the smallest score of
            the keypoints it is made from.

    Returns:
        ``(..., 17, D)`` positions and ``(..., 17)`` confidences (or ``None``).

    Approximations: ``pelvis`` and ``thorax`` are midpoints of the hips and shoulders (or the
    BODY_25/COCO-18 ``neck`` keypoint for the thorax), ``spine`` the midpoint of pelvis and
    thorax, ``neck`` halfway from the thorax to the ear midpoint, and ``head`` (top of the
    head) half that distance above the ears. Detector hips lie lower and wider than mocap
    hip joint centres, so ``l_hip``/``r_hip`` are approximations too.
    """
    lay = get_layout(layout)
    kp = np.asarray(keypoints, dtype=np.float64)
    if kp.ndim < 2 or kp.shape[-2] != lay.num_keypoints:
        raise ShapeError(f"layout {lay.name!r} has {lay.num_keypoints} keypoints, got array of shape {kp.shape}")
    W = lay.weights
    out = np.einsum("jk,...kd->...jd", W, kp)
    conf = None
    if confidence is not None:
        c = np.asarray(confidence, dtype=np.float64)
        if c.shape != kp.shape[:-1]:
            raise ShapeError(f"confidence shape {c.shape} does not match keypoints {kp.shape[:-1]}")
        used = W != 0
        big = np.where(used, c[..., None, :], np.inf)
        conf = big.min(-1)
    return out, conf


def topological_order(parents) -> list[int]:
    """Joint indices with every parent before its children (``parents``: ``-1`` for the root)."""
    parents = [int(p) for p in parents]
    order, seen = [], set()

    def visit(j):
        if j in seen:
            return
        if parents[j] >= 0:
            visit(parents[j])
        seen.add(j)
        order.append(j)

    for j in range(len(parents)):
        visit(j)
    return order
