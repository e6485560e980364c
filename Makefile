# Arrears: every task a developer or CI runs. `make run` is the main job, `make test` the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: venv run sample screenshots demo-people test lint typecheck check format clean messages access-doc

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

# What `make run` needs: the package with its scoring extra (the demo trains the cure model), not
# the development tools nor Spark (a much longer install); `make test` adds them. Installed by uv
# (from PyPI into the venv, then `uv pip install`: some 10 s from a cold cache, where pip takes
# 35 s from a warm one, see docs/web.md); by pip when uv cannot be installed.
RUN_STAMP := $(VENV)/.installed-run
$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	if $(BIN)/pip install --quiet uv; then \
		$(BIN)/uv pip install --quiet --python $(BIN)/python -e ".[scoring]"; \
	else \
		$(BIN)/pip install --quiet --upgrade pip && $(BIN)/pip install --quiet -e ".[scoring]"; \
	fi
	touch $(RUN_STAMP)

# The sample portfolio's business date, and the start of the 90 days the main job backfills.
SAMPLE_AS_OF := 2026-11-21
SAMPLE_FROM := 2026-08-24
# The backfill starts 60 days earlier, so that the first observation dates have a history.
SAMPLE_HISTORY_FROM := 2026-06-25
# The cure model's observation dates: the backfill's first 60 days, each with a 30-day outcome.
SAMPLE_TRAIN_TO := 2026-10-22

## The main job, the live demo (SQLite and DuckDB, no server needed): the database, then
## `arrears demo` builds a demo bank from nothing (a generated portfolio of 20,000 customers as of
## yesterday, 90 nightly batches, the cure model, the demo queues, one user per role and a history
## of the collectors' work, see docs/web.md for its measures) and serves it on
## http://127.0.0.1:8000 (ARREARS_PORT).
## A second `make run` finds the demo built and serves at once. `make clean` starts afresh.
run: $(RUN_STAMP)
	$(BIN)/arrears db upgrade
	$(BIN)/arrears demo

## The pictures of the README (docs/img/): the demo served on a free port, signed in with
## Playwright driving Debian's Chromium (/usr/bin/chromium), in zh-CN and en.
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

## The committed sample, step by step on the command line: database, sample portfolio import and
## summary, the nightly batch backfilled over the sample's last 150 days, the roll-rate matrix
## of the last 90,
## a cure model trained on that history and activated, the batch rerun for the last date to
## score the open cases, and their score bands with reasons in zh-CN and en.
sample: $(STAMP)
	$(BIN)/arrears db upgrade
	$(BIN)/arrears import examples/feeds/
	$(BIN)/arrears portfolio summary
	-printf '%s' "$(DEMO_PASSWORD)" | $(BIN)/arrears users create demo-compliance --role compliance_officer --password-stdin
	$(BIN)/arrears templates load examples/templates --approve-as demo-compliance
	$(BIN)/arrears batch run --from $(SAMPLE_HISTORY_FROM) --to $(SAMPLE_AS_OF)
	$(BIN)/arrears report roll-rates --from $(SAMPLE_FROM) --to $(SAMPLE_AS_OF)
	$(BIN)/arrears model train --purpose cure --kind scorecard \
		--from $(SAMPLE_FROM) --to $(SAMPLE_TRAIN_TO) --horizon 30 --activate
	-$(MAKE) --no-print-directory demo-people
	$(BIN)/arrears queues draft examples/queues.yaml --note "demo queues" --activate
	$(BIN)/arrears batch run --as-of $(SAMPLE_AS_OF)
	$(BIN)/arrears queues list
	$(BIN)/arrears model scores --purpose cure --as-of $(SAMPLE_AS_OF)
	$(BIN)/arrears outbox status
	$(BIN)/arrears outbox work --once
	$(BIN)/arrears outbox status

## The demo's teams and people for the queues (examples/queues.yaml): two teams led by one
## supervisor, two collectors in each (languages and capacity on one). A second run finds them
## there already (`make sample` goes on). `make sample` also creates demo-compliance, the compliance
## officer who approves the example message templates (examples/templates/) loaded as drafts.
DEMO_PASSWORD := demo password only 2026
demo-people: $(STAMP)
	$(BIN)/arrears teams create DEMO-EARLY --name "Early collections 前期催收"
	$(BIN)/arrears teams create DEMO-LATE --name "Late collections 后期催收"
	printf '%s' "$(DEMO_PASSWORD)" | $(BIN)/arrears users create demo-lead --role supervisor --password-stdin
	$(BIN)/arrears teams add-leader DEMO-EARLY demo-lead
	$(BIN)/arrears teams add-leader DEMO-LATE demo-lead
	printf '%s' "$(DEMO_PASSWORD)" | $(BIN)/arrears users create demo-early-zh --role collector --team DEMO-EARLY --password-stdin
	printf '%s' "$(DEMO_PASSWORD)" | $(BIN)/arrears users create demo-early-en --role collector --team DEMO-EARLY --password-stdin
	$(BIN)/arrears queues profile demo-early-en --languages en --capacity 100
	printf '%s' "$(DEMO_PASSWORD)" | $(BIN)/arrears users create demo-late-1 --role collector --team DEMO-LATE --password-stdin
	printf '%s' "$(DEMO_PASSWORD)" | $(BIN)/arrears users create demo-late-2 --role collector --team DEMO-LATE --password-stdin

## The whole test suite (PostgreSQL variants run when ARREARS_TEST_POSTGRES_URL is set).
test: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup --durations=30

# Lint and format checks cover the Python code (ruff would also reformat code blocks in docs/).
lint: $(STAMP)
	$(BIN)/ruff check arrears tests benchmarks tools
	$(BIN)/ruff format --check arrears tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

format: $(STAMP)
	$(BIN)/ruff format arrears tests benchmarks tools
	$(BIN)/ruff check --fix arrears tests benchmarks tools

# The text catalogue: extract every marked message, then merge it into the zh-CN translations
# (new messages arrive empty; tests/test_i18n.py fails until each is translated).
messages: $(STAMP)
	$(BIN)/pybabel --quiet extract --mapping babel.cfg --keywords N_ --keywords translate --keywords gettext \
		--no-location --sort-output --omit-header --output-file arrears/locale/arrears.pot .
	$(BIN)/pybabel --quiet update --input-file arrears/locale/arrears.pot --output-dir arrears/locale \
		--domain arrears --locale zh_CN --no-fuzzy-matching --ignore-obsolete

# docs/access.md from the code (roles, permissions, personal fields, every route and its access);
# tests/api/test_route_matrix.py fails while the committed page differs.
access-doc: $(STAMP)
	$(BIN)/python -m arrears.api.accessdoc > docs/access.md

clean:
	rm -rf $(VENV) outbox arrears.db arrears.db.batch.lock arrears.db-wal arrears.db-shm arrears.db.batch.* .pytest_cache .mypy_cache .ruff_cache
