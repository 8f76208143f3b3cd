# The two commands of README: `make lab` runs the course, `make test` passes the tests.
# Both need only python3. `make lab` installs the course alone into .venv (a learner's install: no test or
# instructor tools); `make test` installs the course with its test and instructor tools into .venv-dev.

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
DEV := .venv-dev
BIN := $(DEV)/bin
DEV_STAMP := $(DEV)/.installed
BENCH := .venv-bench
HUB_USERS := .venv-hub
ARGS ?=
NOTEBOOK_DIRS := $(wildcard notebooks solutions exercises)
GUIDE_CHECK := tests/course/test_instructor_guide.py::test_the_numbers_file_still_agrees_with_the_last_rehearsal_run_here

# The course's matrices are small: one BLAS thread is several times faster than many fighting over 2 cores.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: install dev lab test workshop-rehearsal unit notebooks browser-deps grader-deps hub-deps bench lint exercises clean site

$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[lab]'
	@touch $@

$(DEV_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(DEV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

# The JupyterHub rehearsal's learners: a learner's install (.[lab]) plus the workshop extra (single-user server, nbgitpuller),
# without rfc3987-syntax, as docs/instructors.md advises for a hub (building its grammar costs every server start 1.3 CPU-s).
$(HUB_USERS)/.installed: pyproject.toml
	@test -x $(HUB_USERS)/bin/python || $(PYTHON) -m venv $(HUB_USERS)
	$(HUB_USERS)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[lab,workshop]'
	$(HUB_USERS)/bin/python -m pip uninstall --quiet --disable-pip-version-check -y rfc3987-syntax
	@touch $@

install: $(STAMP)
dev: $(DEV_STAMP)

# Prints the address to open (with its token) first; as root it adds --allow-root.
# Pass JupyterLab options with ARGS, e.g. make lab ARGS="--port 8890 --no-browser" (or "--ip 0.0.0.0" in a container).
lab: install
	@$(VENV)/bin/python -m bplab.course.lab $(ARGS)

# Debian's Chromium for the real-browser widget tests; without it those tests skip with a message.
browser-deps:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	else echo "chromium not found: browser tests will skip (install it with: sudo apt-get install chromium)"; fi

# Debian's bubblewrap: the sandbox of `bplab grade`; without it the sandbox tests skip with a message.
grader-deps:
	@if command -v bwrap >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's bubblewrap for bplab grade's sandbox"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null; \
	else echo "bwrap not found: sandbox tests will skip (install it with: sudo apt-get install bubblewrap)"; fi

# Node.js and npm for the JupyterHub rehearsal's configurable-http-proxy (installed from npm into build/hub-node).
hub-deps:
	@if command -v npm >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's nodejs and npm for the JupyterHub rehearsal"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; \
	else echo "npm not found: the JupyterHub rehearsal will skip (install it with: sudo apt-get install nodejs npm)"; fi

# Three pytest processes, one after the other: everything else on both cores; the real-browser tests; the JupyterHub
# workshop rehearsal (21 learners' servers and kernels at once, so it gets the machine to itself), then the check of
# the instructor guide's numbers against that rehearsal's results (in the first process it has no results yet).
test: dev browser-deps grader-deps hub-deps $(HUB_USERS)/.installed
	$(BIN)/python -m pytest -n auto --dist loadscope tests $(NOTEBOOK_DIRS) --nbval-lax --ignore=tests/browser --ignore=tests/hub
	$(BIN)/python -m pytest tests/browser
	BPLAB_HUB_USERS_PYTHON=$(CURDIR)/$(HUB_USERS)/bin/python $(BIN)/python -m pytest tests/hub $(GUIDE_CHECK)

workshop-rehearsal: dev browser-deps hub-deps $(HUB_USERS)/.installed
	BPLAB_HUB_USERS_PYTHON=$(CURDIR)/$(HUB_USERS)/bin/python $(BIN)/python -m pytest tests/hub $(GUIDE_CHECK)

unit: dev
	$(BIN)/python -m pytest -n auto --dist loadscope tests --ignore=tests/browser --ignore=tests/site --ignore=tests/hub

notebooks: dev
	$(BIN)/python -m pytest -n auto --dist loadscope $(NOTEBOOK_DIRS) --nbval-lax

exercises: dev
	$(BIN)/bplab exercises build

# The course website, offline: every lesson executed (MyST-NB caches by code in build/site/jupyter_cache), the
# exercise sets, the instructor guide, benchmarks and errata. Open build/site/html/index.html.
# tests/site/ builds it too (under make test) and opens every page in headless Chromium.
site: dev
	$(BIN)/python docs/site/build.py

lint: dev
	$(BIN)/ruff check .

# The benchmarks' peers (PyTorch CPU, scikit-learn, micrograd) get an environment of their own.
bench: browser-deps
	@test -x $(BENCH)/bin/python || $(PYTHON) -m venv $(BENCH)
	$(BENCH)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BENCH)/bin/python -m pip install --quiet --disable-pip-version-check 'torch==2.13.0' \
		|| echo "PyTorch not installable here: its benchmark rows will say skipped"
	$(BENCH)/bin/python -m bench

clean:
	rm -rf $(VENV) $(DEV) $(BENCH) $(HUB_USERS) test-artifacts .pytest_cache
