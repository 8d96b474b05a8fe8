# The README's two commands: `make demo` and `make test`.
PYTHON ?= python3
.PHONY: install demo test

install:
	bash tools/install.sh

demo: install
	$(PYTHON) tools/demo.py

test: install
	$(PYTHON) -m pytest tests -q -rs
