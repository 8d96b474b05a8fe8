# The README's two commands: `make demo` and `make test`; `make lint` is
# the style check CI runs before the tests (ruff.toml).
PYTHON ?= python3
.PHONY: install demo test lint

install:
	bash tools/install.sh

demo: install
	$(PYTHON) tools/demo.py

test: install
	$(PYTHON) -m pytest tests -q -rs

lint: install
	$(PYTHON) -m ruff check .
