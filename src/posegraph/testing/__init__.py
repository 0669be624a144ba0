"""Test support shipped with the package (needs the ``dev`` extra): :mod:`posegraph.testing.fuzz`
(malformed inputs), :mod:`posegraph.testing.processes` (killing and resuming trainings)."""
