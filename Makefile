# The two commands: `make demo` builds the seed content into build/, `make test` runs the tests.
# Both set up what they need first (Debian packages, .venv), see scripts/bootstrap.sh.
VENV := .venv
TWINPRINT := $(VENV)/bin/twinprint

.PHONY: demo gallery test setup bench clean

setup:
	@./scripts/bootstrap.sh

# What it builds is declared in twinprint.toml; a second run rebuilds only what changed.
demo: setup
	$(TWINPRINT) build
	$(TWINPRINT) personalise content/nanjing-florence --recipients content/delegates.csv --merge
	@echo "Live preview while you edit: $(TWINPRINT) studio --open   (http://127.0.0.1:8000/, Ctrl-C to stop)"

gallery: demo
	$(VENV)/bin/python scripts/gallery.py

test: setup
	$(VENV)/bin/python -m pytest -n auto --dist loadfile

bench: setup
	$(VENV)/bin/python benchmarks/bench_render.py
	$(VENV)/bin/python benchmarks/bench_profiles.py
	$(VENV)/bin/python benchmarks/bench_batch.py
	$(VENV)/bin/python benchmarks/bench_personalise.py
	$(VENV)/bin/python benchmarks/bench_studio.py
	$(VENV)/bin/python benchmarks/bench_images.py
	$(VENV)/bin/python benchmarks/bench_stitch.py
	$(VENV)/bin/python benchmarks/bench_chunks.py

clean:
	rm -rf build
