# The two commands a newcomer needs: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := $(VENV)/sam
STAMP := $(VENV)/.installed
SAM_STAMP := $(SAM_VENV)/.installed
LAYER_DIR := layers/deps/build
# `make run PORT=3411 DATA_DIR=/tmp/w`: where the local stack listens and keeps its database and token.
PORT ?= 3000
DATA_DIR ?= data

export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: install run test lint layer bench clean openapi browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements-dev.txt layers/deps/requirements.txt shared/pyproject.toml
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt -e shared
	touch $@

# SAM CLI pins its own versions of shared libraries, so it lives in a venv of its own.
$(SAM_STAMP): requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --disable-pip-version-check -q -r requirements-sam.txt
	touch $@

install: $(STAMP) $(SAM_STAMP)

run: $(STAMP)
	$(BIN)/watcharr local run --port $(PORT) --data-dir $(DATA_DIR)

lint: $(STAMP)
	$(BIN)/ruff check .

# The browser tests drive Debian's Chromium (Playwright's own download needs the internet).
APT := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get
browser:
	command -v chromium >/dev/null 2>&1 || ($(APT) update && $(APT) install -y chromium)

test: install lint browser
	PATH="$(CURDIR)/$(BIN):$(CURDIR)/$(SAM_VENV)/bin:$$PATH" $(BIN)/pytest

# The dependency layer for the Lambda runtime (python3.13, x86_64), built without that interpreter.
layer: $(STAMP)
	rm -rf $(LAYER_DIR)
	$(BIN)/pip install --disable-pip-version-check -q -r layers/deps/requirements.txt \
		--target $(LAYER_DIR)/python --platform manylinux2014_x86_64 --implementation cp \
		--python-version 3.13 --only-binary=:all: --upgrade
	@du -sh $(LAYER_DIR)

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(LAYER_DIR) .aws-sam .pytest_cache .ruff_cache .hypothesis

# The committed copy of the OpenAPI document; a test fails when it drifts from the code.
openapi: $(STAMP)
	$(BIN)/python -c "from watcharr.local.functions import load_function; print(load_function('api').openapi_json())" > docs/openapi.json
