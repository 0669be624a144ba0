"""Test support shipped with the package (needs the ``dev`` extra): :mod:`posegraph.testing.fuzz`."""
