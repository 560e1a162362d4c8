# govkit — developer entry points. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test test-fast lint typecheck pytest demo bench schemas pictures clean check-system

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(MAKE) --no-print-directory check-system
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# the distribution was called govkit before it became govkit-rai; drop the old name
	$(BIN)/python -m pip uninstall --quiet --yes govkit 2>/dev/null || true
	$(BIN)/python -m pip install --quiet -c constraints.txt torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# WeasyPrint renders PDFs through Pango; say what to install instead of failing later.
check-system:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libpango-1.0'; then \
	  echo "error: the system library Pango is missing; PDF packets need it." >&2; \
	  echo "  Debian/Ubuntu: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0" >&2; \
	  echo "  macOS:         brew install pango" >&2; \
	  exit 2; \
	fi

lint: venv
	$(BIN)/ruff check govkit tests bench examples
	$(BIN)/ruff format --check govkit tests bench examples

typecheck: venv
	$(BIN)/mypy

pytest: venv
	$(BIN)/pytest -q -p no:cacheprovider

test: venv lint typecheck pytest

# The edit loop: every test but the slow and GPU ones. `make test` (and CI) run them all.
test-fast: venv
	$(BIN)/pytest -q -p no:cacheprovider -m "not slow and not gpu"

schemas: venv
	$(BIN)/govkit schema --out schemas

demo: venv
	@bash examples/adult/demo.sh

# the README's pictures of the packet, from the real PDF and HTML of `make demo`
pictures: venv
	$(BIN)/python examples/adult/packet_pictures.py
	$(BIN)/python examples/adult/packet_screenshot.py

bench: venv
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit $$?; done

clean:
	rm -rf build .pytest_cache .mypy_cache examples/*/build
