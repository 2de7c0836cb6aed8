#!/bin/sh
# The image's entry point. `web`, `lane`, `worker`, `beat`, `drain`: the Procfile's command of that
# name (uvicorn reads WEB_CONCURRENCY for its worker count, FORWARDED_ALLOW_IPS for the proxies
# it trusts). `release`: prepare the database before a deploy (run once, not per process).
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
        python manage.py migrate_schemas --shared
        python manage.py platform_init
        python manage.py migrate_schemas --tenant --executor=multiprocessing
        exec python manage.py tracking_warm
        ;;
    *)
        exec "$@"
        ;;
esac
