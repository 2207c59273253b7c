# The two commands: `make demo` builds the seed content into build/, `make test` runs the tests.
# Both set up what they need first (Debian packages, .venv), see scripts/bootstrap.sh.
VENV := .venv
TWINPRINT := $(VENV)/bin/twinprint

.PHONY: demo gallery test setup bench clean

setup:
	@./scripts/bootstrap.sh

demo: setup
	$(TWINPRINT) build --lang all

gallery: demo
	$(VENV)/bin/python scripts/gallery.py

test: setup
	$(VENV)/bin/python -m pytest

bench: setup
	$(VENV)/bin/python benchmarks/bench_render.py

clean:
	rm -rf build
