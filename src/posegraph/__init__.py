"""posegraph: graph neural networks on the human skeleton.

>>> import posegraph
>>> pipe = posegraph.pretrained("semgcn")        # a shipped model (lifting)
>>> pose3d = pipe(torch.as_tensor(p2d))          # (B, 16, 2) normalised screen coords -> (B, 16, 3) metres

Modules: :mod:`posegraph.skeleton`, :mod:`posegraph.io`, :mod:`posegraph.geometry`,
:mod:`posegraph.data`, :mod:`posegraph.nn`, :mod:`posegraph.models`, :mod:`posegraph.metrics`,
:mod:`posegraph.train`, :mod:`posegraph.viz`.
"""

from ._version import __version__


def pretrained(name: str, map_location="cpu"):
    """Load a model shipped with posegraph by name (``baseline``, ``semgcn``, ``sts-gcn``, ...)."""
    from .pipeline import pretrained as _pretrained

    return _pretrained(name, map_location=map_location)


def list_pretrained() -> list[str]:
    """Names of the models shipped with this installation."""
    from .pipeline import list_pretrained as _list

    return _list()


__all__ = ["__version__", "pretrained", "list_pretrained"]
