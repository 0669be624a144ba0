# posegraph: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
DETECT_VENV  ?= .venv-detect
DETECT_STAMP := $(DETECT_VENV)/.installed

.PHONY: install test test-fast demo data benchmarks clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch==2.13.0 is pinned: a CPU wheel on this machine's disk; a looser pin pulls CUDA.
	$(PIP) install -q -c requirements.lock -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The tests include the video path, so `make test` also sets up the detector's venv, and the
# viewer in a real browser, so it installs Chromium's headless shell (`make browser`); where that
# cannot be installed (no root) the browser test skips with the reason, except under CI=true.
test: $(STAMP) $(DETECT_STAMP)
	@$(MAKE) --no-print-directory browser || echo "warning: chromium-headless-shell not installed: the browser test will skip (under CI=true it fails)"
	$(PY) -m pytest -q -p no:cacheprovider --timeout=900 tests

test-fast: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -m "not slow" tests

demo: $(STAMP)
	$(VENV)/bin/posegraph demo

data: $(STAMP)
	$(VENV)/bin/posegraph data build

# Optional: the offline 2D detector (mediapipe 0.10.21 bundles its BlazePose models; it pins
# numpy<2 and protobuf<5, so it lives in its own venv). `posegraph lift VIDEO` runs
# $(DETECT_VENV)/bin/python -m posegraph.apps.detect.mediapipe_pose (or $$POSEGRAPH_DETECT_PYTHON).
$(DETECT_STAMP): pyproject.toml requirements-detect.lock
	$(PYTHON) -m venv $(DETECT_VENV)
	$(DETECT_VENV)/bin/pip install -q --upgrade pip
	$(DETECT_VENV)/bin/pip install -q -c requirements-detect.lock mediapipe==0.10.21 "numpy<2"
	$(DETECT_VENV)/bin/pip install -q --no-deps -e .
	touch $(DETECT_STAMP)

.PHONY: detect-env
detect-env: $(DETECT_STAMP)

# Chromium's headless shell (Debian package) for the viewer's browser test and
# benchmarks/viewer_stills.py, which open `posegraph view` pages in a real browser. Needs root
# (apt-get, or sudo without a password).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo "sudo -n")
.PHONY: browser
browser:
	@command -v chromium-headless-shell >/dev/null || $(SUDO) apt-get install -y --no-install-recommends chromium-headless-shell \
	  || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y --no-install-recommends chromium-headless-shell; }

clean:
	rm -rf $(VENV) $(DETECT_VENV) posegraph-demo .pytest_cache
