# Two commands for a fresh clone:  make run   (start the playground)   make test   (lint + all tests)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-container lint typecheck check bench vendor clean

$(BIN)/backprop-playground: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

run: $(BIN)/backprop-playground
	$(BIN)/backprop-playground --host $(HOST) --port $(PORT)

/usr/bin/chromium:
	@echo "Installing Debian's chromium for the browser tests (needs root)"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

/usr/bin/firefox-esr:
	@echo "Installing Debian's firefox-esr for the Firefox browser test (needs root)"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr

/usr/bin/redis-server:
	@echo "Installing Debian's redis-server for the tests that need Redis (needs root)"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server

# PostgreSQL's binaries live in a versioned folder: the stamp is the newest initdb, if any.
PG_INITDB := $(lastword $(sort $(wildcard /usr/lib/postgresql/*/bin/initdb)))
ifeq ($(PG_INITDB),)
PG_INITDB := /usr/lib/postgresql/.installed
$(PG_INITDB):
	@echo "Installing Debian's postgresql for the tests that need PostgreSQL (needs root)"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
	@touch $@
endif

# The container test builds the image with podman from Debian packages (no Docker daemon here).
/usr/bin/podman /usr/bin/mmdebstrap &:
	@echo "Installing Debian's podman, runc, slirp4netns and mmdebstrap for the container test (needs root)"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc slirp4netns mmdebstrap

lint: $(BIN)/backprop-playground
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy with pyproject's [tool.mypy]: strict on the seam (app/seam, commands, pools, hub).
typecheck: $(BIN)/backprop-playground
	$(BIN)/mypy

# The whole suite with trainer processes (the default), then everything that talks to a server
# again with training in the web process (BPP_TRAINERS=0): both modes must behave alike.
SERVER_TESTS := tests/test_api_sessions.py tests/test_api_errors.py tests/test_api_backprop.py \
	tests/test_stream_ws.py tests/test_stream_frames.py tests/test_e2e_server.py \
	tests/test_trainer_processes.py tests/browser/test_playground.py \
	tests/browser/test_classroom_page.py

test: $(BIN)/backprop-playground /usr/bin/chromium /usr/bin/firefox-esr /usr/bin/redis-server \
		$(PG_INITDB) /usr/bin/podman /usr/bin/mmdebstrap lint typecheck
	$(BIN)/pytest -q
	BPP_TRAINERS=0 $(BIN)/pytest -q $(SERVER_TESTS)

test-container: $(BIN)/backprop-playground /usr/bin/podman /usr/bin/mmdebstrap
	$(BIN)/pytest -q -m container

bench: $(BIN)/backprop-playground
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_stream.py
	$(BIN)/python benchmarks/bench_stream.py --cases f

vendor:
	bash scripts/vendor.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
