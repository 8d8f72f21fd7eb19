# Developer entry points. Each target builds or reuses the local virtualenvs, so on a fresh machine with
# Python 3.11+ and Java 17, `make demo` and `make test` are the whole set-up.

PYTHON ?= python3
VENV := .venv
ZVENV := .venv-zhmcclient
BIN := $(VENV)/bin
COLLECTION_DIR := build/ansible_collections/zhmc/notifications
PYTEST_ARGS ?=
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := dist/zhmc-notifications-$(VERSION).tar.gz
# galaxy-importer pins its own dependencies (an older attrs among them), so it gets a virtualenv of its own.
IVENV := .venv-importer

.PHONY: venv test ruff unit integration sanity lint demo bench clean build importer de matrix

venv: $(VENV)/.stamp $(ZVENV)/.stamp

$(VENV)/.stamp: requirements.txt requirements-dev.txt requirements-openstack.txt tools/hmcsim/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -e tools/hmcsim
	touch $@

# zhmcclient (the reference client, used only to check hmcsim's faithfulness and as a benchmark baseline)
# pins an older stomp-py, so it lives in a virtualenv of its own.
$(ZVENV)/.stamp: tools/hmcsim/pyproject.toml
	$(PYTHON) -m venv $(ZVENV)
	$(ZVENV)/bin/pip install --quiet --upgrade pip
	$(ZVENV)/bin/pip install --quiet zhmcclient -e tools/hmcsim
	touch $@

test: venv
	@status=0; \
	$(MAKE) --no-print-directory ruff || status=1; \
	$(MAKE) --no-print-directory unit || status=1; \
	$(MAKE) --no-print-directory integration || status=1; \
	$(MAKE) --no-print-directory sanity || status=1; \
	$(MAKE) --no-print-directory lint || status=1; \
	$(MAKE) --no-print-directory importer || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED (see above)"; fi; exit $$status

ruff: $(VENV)/.stamp
	$(BIN)/ruff check .

unit: $(VENV)/.stamp
	$(BIN)/python -m pytest -q tests/unit $(PYTEST_ARGS)

integration: venv
	PATH=$(CURDIR)/$(BIN):$$PATH ZHMCCLIENT_PYTHON=$(CURDIR)/$(ZVENV)/bin/python \
		$(BIN)/python -m pytest -q tests/hmcsim tests/integration $(PYTEST_ARGS)

# ansible-test needs the checkout at .../ansible_collections/zhmc/notifications; it gets a copy of the files
# git knows (tools/, its tests and benchmarks/ are dev-only and not shipped, so they are left to ruff and pytest).
sanity: $(VENV)/.stamp
	rm -rf build/ansible_collections
	mkdir -p $(COLLECTION_DIR)
	git ls-files --cached --others --exclude-standard | grep -vE '^(tools|benchmarks|tests/hmcsim)/' \
		| tar -cf - -T - | tar -xf - -C $(COLLECTION_DIR)
	$(BIN)/python tests/sanity/install_get_pip.py
	cd $(COLLECTION_DIR) && git init -q && git add -A && \
		PATH=$(CURDIR)/$(BIN):$$PATH $(CURDIR)/$(BIN)/ansible-test sanity --venv --python 3.11 --color no

# ansible-lint resolves zhmc.notifications.* (modules, roles) through a collections path that holds this checkout.
lint: $(VENV)/.stamp
	mkdir -p build/lint/ansible_collections/zhmc
	ln -sfn $(CURDIR) build/lint/ansible_collections/zhmc/notifications
	PATH=$(CURDIR)/$(BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/lint \
		$(BIN)/ansible-lint --offline --profile production
	$(BIN)/antsibull-changelog lint

build: $(VENV)/.stamp
	mkdir -p dist
	$(BIN)/ansible-galaxy collection build --force --output-path dist .

$(IVENV)/.stamp:
	$(PYTHON) -m venv $(IVENV)
	$(IVENV)/bin/pip install --quiet --upgrade pip
	$(IVENV)/bin/pip install --quiet galaxy-importer
	touch $@

# galaxy-importer over the built tarball, as Galaxy and Automation Hub run it on upload (offline, no container:
# settings in .config/galaxy-importer.cfg; it writes importer_result.json beside build/importer.log). It exits
# 0 on warnings, so any WARNING or ERROR line fails here.
importer: build $(IVENV)/.stamp
	@mkdir -p build
	@cd build && PATH=$(CURDIR)/$(IVENV)/bin:$$PATH GALAXY_IMPORTER_CONFIG=$(CURDIR)/.config/galaxy-importer.cfg \
		$(CURDIR)/$(IVENV)/bin/python -m galaxy_importer.main $(CURDIR)/$(TARBALL) > importer.log 2>&1; status=$$?; \
		cat importer.log; \
		if [ $$status -ne 0 ] || grep -qE 'WARNING|ERROR' importer.log; then \
			echo "galaxy-importer: not clean (see above)"; exit 1; fi

# The decision environment definition through ansible-builder's own validation: `create` writes the build
# context (Dockerfile and _build/) without pulling the base image, which needs a registry this machine cannot
# reach; tests/unit/test_decision_environment.py checks what it wrote.
de: $(VENV)/.stamp
	rm -rf build/de
	$(BIN)/ansible-builder create -f extensions/eda/decision-environment.yml -c build/de --output-filename Containerfile

# ansible-test sanity and a smoke of the integration tests with the older ansible-core and ansible-rulebook
# releases of tests/version-matrix.txt, each in a small virtualenv of its own under .venv-matrix/ (the newest
# releases are the ones in .venv, tested by `make sanity` and `make integration`).
matrix: $(VENV)/.stamp
	PYTHON=$(PYTHON) $(BIN)/python tools/version_matrix.py $(MATRIX_ARGS)

demo: $(VENV)/.stamp
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python tools/demo.py $(DEMO_ARGS)

# The demo rulebook against a real console: make demo-real VARS=my-console.yml (see docs/rulebooks.md).
.PHONY: demo-real
demo-real: $(VENV)/.stamp
	@test -n "$(VARS)" || { echo "usage: make demo-real VARS=my-console.yml [DEMO_ARGS=--duration 600]"; exit 2; }
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python tools/demo.py --vars $(VARS) $(DEMO_ARGS)

bench: venv
	PATH=$(CURDIR)/$(BIN):$$PATH ZHMCCLIENT_PYTHON=$(CURDIR)/$(ZVENV)/bin/python \
		$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf build dist .tmp .pytest_cache .ruff_cache .venv-matrix
