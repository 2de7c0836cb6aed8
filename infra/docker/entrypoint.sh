#!/bin/sh
# The image's entry point. `web`, `lane`, `worker`, `beat`, `drain`: the Procfile's command of that
# name (uvicorn reads WEB_CONCURRENCY for its worker count, FORWARDED_ALLOW_IPS for the proxies
# it trusts). `release`: prepare the database before a deploy (run once, not per process).
# Anything else runs as given, e.g. `python manage.py shell`.
set -eu
cd /app
case "${1:-web}" in
    web | lane | worker | beat | drain)
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
