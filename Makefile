# The two commands of README: `make lab` runs the course, `make test` passes the tests.
# Both need only python3: they create .venv and install the project into it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOK_DIRS := $(wildcard notebooks solutions exercises)

# The course's matrices are small: one BLAS thread is several times faster than many fighting over 2 cores.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: install lab test unit notebooks browser-deps bench lint exercises clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(STAMP)

lab: install
	$(BIN)/jupyter lab notebooks/00-start-here.ipynb

# Debian's Chromium for the real-browser widget tests; without it those tests skip with a message.
browser-deps:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	else echo "chromium not found: browser tests will skip (install it with: sudo apt-get install chromium)"; fi

test: install browser-deps
	$(BIN)/python -m pytest -n auto --dist loadscope tests $(NOTEBOOK_DIRS) --nbval-lax

unit: install
	$(BIN)/python -m pytest -n auto --dist loadscope tests --ignore=tests/browser

notebooks: install
	$(BIN)/python -m pytest -n auto --dist loadscope $(NOTEBOOK_DIRS) --nbval-lax

exercises: install
	$(BIN)/bplab exercises build

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m pip install --quiet 'torch==2.13.0' || echo "PyTorch not installable here: its benchmark rows will say skipped"
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
