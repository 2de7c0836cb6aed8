# syntax=docker/dockerfile:1
# One image for the five process types (Procfile: web, lane, worker, beat, drain), chosen at run
# time: `docker run IMAGE web`. `docker run IMAGE release` migrates before a deploy.
# The development tools (tools/: devstack, the Stripe fake, the screenshot runner) are a source root
# of their own, never copied and kept out of the build context by .dockerignore; the build fails if
# one slips in.

# --- 1. the web app and the offline GraphiQL playground ------------------------------------------
FROM node:20.19-bookworm-slim AS frontend
WORKDIR /build/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
RUN npm run --silent build && npm run --silent build:playground

# --- 2. the Python dependencies (pyproject, without the dev extras), built where a compiler is ----
FROM python:3.11.14-slim-bookworm AS python-deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
WORKDIR /build
COPY pyproject.toml ./
RUN pip install --no-cache-dir .

# --- 3. the runtime -----------------------------------------------------------------------------
FROM python:3.11.14-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    PORT=8000
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=python-deps /opt/venv /opt/venv
COPY pyproject.toml manage.py Procfile ./
COPY platform/ platform/
COPY tenants/ tenants/
COPY graphql_schema/ graphql_schema/
COPY themes/ themes/
COPY infra/docker/ infra/docker/
COPY --from=frontend /build/frontend/dist/ frontend/dist/
# The tools never ship (.dockerignore keeps tools/ out; this proves it: no tools/ here, and no
# development tool importable from the product's source roots). Static files are collected once,
# at build time, with placeholder settings (nothing connects to them).
RUN test ! -e tools \
    && PYTHONPATH=platform:. python -c 'import importlib.util as u, sys; sys.exit(any(u.find_spec(m) for m in ("devstack", "stripe_fake", "paypal_fake")))' \
    && SECRET_KEY=collectstatic-only DATABASE_URL=postgresql://build@localhost/build \
       REDIS_URL=redis://localhost:6379/0 python manage.py collectstatic --noinput -v 0 \
    && mkdir -p var/media var/clicks-fallback \
    && chown -R app:app var
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/infra/docker/healthcheck.py"]
ENTRYPOINT ["/app/infra/docker/entrypoint.sh"]
CMD ["web"]
