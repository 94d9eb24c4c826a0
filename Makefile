# Two commands for a newcomer: `make demo` and `make test` (see README.md).
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

$(VENV)/.installed: pyproject.toml package-lock.json
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	npm ci --omit=dev --no-audit --no-fund
	touch $@

.PHONY: install demo serve test test-postgres test-sqlite lint bench messages

install: $(VENV)/.installed

# Build, migrate SQLite, seed the demo through the services, serve on http://127.0.0.1:$(PORT)/
demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 0.0.0.0:$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	env -u DATABASE_URL DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.production BASE_URL=https://training.example.cn SECRET_KEY=check-deploy-$$(date +%s)-0123456789abcdefghijklmnopqrstuvwxyz \
		$(PY) manage.py check --deploy --fail-level WARNING

# The whole suite on PostgreSQL + Redis, then the same suite on SQLite (the embedded default).
test: lint test-postgres test-sqlite

# One test database per xdist worker (pytest-django suffixes its name); see tests/conftest.py for
# the tests that must share a worker.
XDIST ?= -n auto --dist loadgroup

test-postgres: install
	$(VENV)/bin/pytest $(XDIST)

test-sqlite: install
	TEST_DATABASE=sqlite $(VENV)/bin/pytest $(XDIST) -m "not celery_worker and not browser and not bench" -p no:cacheprovider

bench: install
	@echo "wrk gives steadier HTTP figures: apt-get install -y wrk (optional)"
	$(PY) -m bench

# Recompile the translations after editing locale/*/LC_MESSAGES/django.po
messages: install
	$(PY) manage.py compilemessages --ignore '.venv/*'
