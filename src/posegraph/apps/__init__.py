"""The applications built on the core library: what ``posegraph`` (the CLI) runs.

* :mod:`.lift` — video, images or a 2D keypoint file to 3D (``posegraph lift``), in stages;
  :mod:`.render` draws its video;
* :mod:`.forecast` — a motion file to its future (``posegraph forecast``);
* :mod:`.video` — reading and writing video frames (PyAV);
* :mod:`.detect` — the offline 2D detector, run in its own environment;
* :mod:`.viewer` — the interactive 3D viewer (``posegraph view``);
* :mod:`.demo` — the main job on the bundled default (``posegraph demo``, ``make demo``).

The core (``skeleton``, ``geometry``, ``io``, ``data``, ``nn``, ``models``, ``train``,
``metrics``, ``pipeline``) never imports from here.
"""
