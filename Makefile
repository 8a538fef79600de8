# masterbox: the two commands in README.md's quick start are `make demo` and `make test`.
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-long fuzz bench check-arm64 clean install uninstall profiles

$(STAMP): pyproject.toml scripts/setup.sh
	./scripts/setup.sh

setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/masterbox demo --out-dir out

# under ~10 minutes: everything but the checks marked long
test: $(STAMP)
	$(VENV)/bin/python -m pytest -q -m "not long"

# the checks of 10 s or more each (~5 minutes): the demo as a console script, a
# cold numba compile, the longest JACK streams, the JACK loop check, the OSC
# surface on a running laptop box, two hundred power cuts, every assistant word
# on the demo programme and on noise (make test asks them on a drum loop), and
# every item of the assistant's page (make test asks each kind and every fourth word)
test-long: $(STAMP)
	$(VENV)/bin/python -m pytest -q -m long

# the command line against many more generated hostile inputs than make test runs
fuzz: $(STAMP)
	FUZZ_EXAMPLES=2000 $(VENV)/bin/python -m pytest -q tests/test_fuzz_cli.py

# the Pi path under qemu: the real installer in a bookworm arm64 root, the demo
# against this machine's render (as root; ~13 min, ~10 with the cached root)
check-arm64: $(STAMP)
	./scripts/check-arm64.sh

bench: $(STAMP)
	$(VENV)/bin/python bench/chain.py

# the assistant's built-in profiles from a copy of phaselimiter's analysis data
# (docs/assistant.md): make profiles DATA=/tmp/phaselimiter/resource/analysis_data
profiles: $(STAMP)
	$(VENV)/bin/python scripts/derive_profiles.py $(DATA)

clean:
	rm -rf $(VENV) out .pytest_cache

install:
	./scripts/install.sh

uninstall:
	./scripts/install.sh --uninstall
