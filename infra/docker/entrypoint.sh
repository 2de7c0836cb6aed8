#!/bin/sh
# The image's entry point. `web`, `lane`, `worker`, `beat`, `drain`: the Procfile's command of that
# name (uvicorn reads WEB_CONCURRENCY for its worker count, FORWARDED_ALLOW_IPS for the proxies
# it trusts). `release`: prepare the database before a deploy (run once, not per process), on
# DATABASE_DIRECT_URL when it is set (the processes' DATABASE_URL may be a pooler's).
# Anything else runs as given, e.g. `python manage.py shell`.
set -eu
cd /app
case "${1:-web}" in
    web | lane | worker | beat | drain)
        # Prometheus multiprocess mode (core.metrics): uvicorn's workers and Celery's pool share
        # one directory per process type, emptied at start (a dead process's files would count).
        export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/prometheus/$1}"
        mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
        find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -type f -delete
        command=$(sed -n "s/^$1: //p" Procfile)
        exec /bin/sh -c "exec $command"
        ;;
    release)
        # Migrations go straight to PostgreSQL, never through a transaction pooler: where the
        # processes' DATABASE_URL is PgBouncer's (ECS), DATABASE_DIRECT_URL is the server's.
        if [ -n "${DATABASE_DIRECT_URL:-}" ]; then
            export DATABASE_URL="$DATABASE_DIRECT_URL"
            export DATABASE_POOLER=""
        fi
        python manage.py migrate_schemas --shared
        python manage.py platform_init
        python manage.py migrate_schemas --tenant --executor=multiprocessing
        exec python manage.py tracking_warm
        ;;
    *)
        exec "$@"
        ;;
esac
