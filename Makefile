# Two commands for a fresh clone:  make run   (start the playground)   make test   (lint + all tests)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-quick test-container lint typecheck check bench vendor clean

# `make run` installs what the server needs and nothing else; `make test` adds the test extras.
$(BIN)/backprop-playground: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	@touch $@

TEST_EXTRAS := $(VENV)/.test-extras
$(TEST_EXTRAS): $(BIN)/backprop-playground pyproject.toml
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

# node-oidc-provider, pinned, for the sign-on test (tests/browser/test_sso_node_provider.py):
# installed here so that `make test` runs it rather than skipping it (Node.js 20+ with npm).
OIDC_NODE := tests/support/oidc_node
$(OIDC_NODE)/node_modules/.package-lock.json: $(OIDC_NODE)/package-lock.json
	@command -v npm >/dev/null || { echo "make test needs Node.js 20+ with npm (node-oidc-provider)"; exit 1; }
	cd $(OIDC_NODE) && npm ci --no-audit --no-fund

lint: $(TEST_EXTRAS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy with pyproject's [tool.mypy]: strict on the seam (app/seam, commands, pools, hub).
typecheck: $(TEST_EXTRAS)
	$(BIN)/mypy

# The whole suite with trainer processes (the default), then everything that talks to a server
# again with training in the web process (BPP_TRAINERS=0): both modes must behave alike. The
# third mode, trainers on a Redis bus, has tests of its own in the suite (test_bus.py,
# test_limits_at_once.py) and runs the API's tests again (BUS_TESTS).
# Two workers, a test file each at a time (its module's server is started once, as alone):
# every server a test starts takes a free port and a temporary folder of its own.
# --no-loadscope-reorder: the files in collection order, which tests/conftest.py makes longest
# first (tests/support/durations.py), not xdist's order by number of tests (that put the longest
# file last, one worker alone for its last minutes).
PARALLEL ?= -n 2 --dist loadfile --no-loadscope-reorder
# (Only what BPP_TRAINERS reaches: apps of tests/conftest.py's make_client that do not set
# `trainers` themselves, and the browser tests' servers; test_stream_frames.py trains nothing and
# test_e2e_server.py's servers never inherit BPP_* variables.)
SERVER_TESTS := tests/test_api_sessions.py tests/test_api_errors.py tests/test_api_backprop.py \
	tests/test_stream_ws.py tests/test_trainer_processes.py tests/browser/test_playground.py \
	tests/browser/test_classroom_page.py
SET_THEIR_OWN_TRAINERS := not test_sessions_are_spread_over_the_trainer_processes \
	and not test_trainer_processes_answer_exactly_what_in_process_training_answers \
	and not test_a_killed_trainer_is_restarted_and_its_sessions_come_back_from_their_checkpoints

# ... and the REST API once more with trainers on a Redis bus (tests/conftest.py). (The socket's
# tests, tests/test_stream_ws.py, pass there too but for a frame that may arrive late over
# pub/sub in test_oversized_message_is_an_error_naming_the_limit: issue 20.)
BUS_TESTS := tests/test_api_sessions.py

# mypy (`make typecheck`) runs beside the first pass, not before it: one process, about 25 s of
# CPU on a fresh clone (no cache), much of it while the workers wait on pages and servers.
test: $(TEST_EXTRAS) /usr/bin/chromium /usr/bin/firefox-esr /usr/bin/redis-server \
		$(PG_INITDB) /usr/bin/podman /usr/bin/mmdebstrap $(OIDC_NODE)/node_modules/.package-lock.json \
		lint
	typecheck_log=$$(mktemp); \
	$(BIN)/mypy >$$typecheck_log 2>&1 & typecheck=$$!; \
	$(BIN)/pytest -q $(PARALLEL); first=$$?; \
	wait $$typecheck; typed=$$?; \
	echo "mypy:"; cat $$typecheck_log; rm -f $$typecheck_log; \
	test $$first -eq 0 && test $$typed -eq 0
	@# the second and third passes side by side (the third is one file, so one process: with
	@# -n 2 its second worker idled while the second pass's two had their longest files to go)
	bus_log=$$(mktemp); \
	BPP_TEST_BUS=1 $(BIN)/pytest -q -p no:cacheprovider $(BUS_TESTS) >$$bus_log 2>&1 & bus=$$!; \
	BPP_TRAINERS=0 $(BIN)/pytest -q $(PARALLEL) $(SERVER_TESTS) -k "$(SET_THEIR_OWN_TRAINERS)"; \
	second=$$?; wait $$bus; third=$$?; \
	echo "BPP_TEST_BUS=1 pytest $(BUS_TESTS):"; cat $$bus_log; rm -f $$bus_log; \
	test $$second -eq 0 && test $$third -eq 0

# The inner loop: no browsers, no image, no wheel, notebook or schemathesis run, nothing slow.
QUICK := not browser and not container and not wheel and not notebook and not schemathesis \
	and not slow
test-quick: $(TEST_EXTRAS)
	$(BIN)/pytest -q $(PARALLEL) -m "$(QUICK)"

test-container: $(TEST_EXTRAS) /usr/bin/podman /usr/bin/mmdebstrap
	$(BIN)/pytest -q -m container

# bench_stream: cases b (50), b2 (200) and f (a 200-student classroom) against today's design and
# the new one in the same run (issue 21); bench_page: one student alone in headless Chromium.
bench: $(TEST_EXTRAS) /usr/bin/chromium
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_frames.py
	$(BIN)/python benchmarks/bench_trainer.py
	$(BIN)/python benchmarks/bench_stream.py
	$(BIN)/python benchmarks/bench_stream.py --cases f
	$(BIN)/python benchmarks/bench_stream.py --cases fa
	$(BIN)/python benchmarks/bench_page.py

vendor:
	bash scripts/vendor.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
