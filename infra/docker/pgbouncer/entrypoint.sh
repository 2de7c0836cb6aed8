#!/bin/sh
# Writes pgbouncer.ini and its userlist from the environment, then runs PgBouncer in the
# foreground (logs on standard error). The upstream server and its credentials:
#   PGBOUNCER_DB_HOST, PGBOUNCER_DB_PORT (5432), PGBOUNCER_DB_NAME, PGBOUNCER_DB_USER,
#   PGBOUNCER_DB_PASSWORD (a secret: compose's environment, ECS's Secrets Manager reference).
# Clients log in with the same user and password (SCRAM); PgBouncer logs in to PostgreSQL with
# them too. Tuning: PGBOUNCER_LISTEN_ADDR (0.0.0.0; 127.0.0.1 as an ECS sidecar, where only the
# task's containers share the address), PGBOUNCER_PORT (6432), PGBOUNCER_POOL_SIZE (server
# connections per database and user, 10), PGBOUNCER_MAX_CLIENT_CONN (200),
# PGBOUNCER_SERVER_TLS_SSLMODE (prefer; require in front of RDS, whose rds.force_ssl refuses
# plain connections). The files go to PGBOUNCER_CONFIG_DIR (/tmp/pgbouncer: the root filesystem
# is read-only on ECS).
set -eu

: "${PGBOUNCER_DB_HOST:?set PGBOUNCER_DB_HOST}"
: "${PGBOUNCER_DB_NAME:?set PGBOUNCER_DB_NAME}"
: "${PGBOUNCER_DB_USER:?set PGBOUNCER_DB_USER}"
: "${PGBOUNCER_DB_PASSWORD:?set PGBOUNCER_DB_PASSWORD}"
directory="${PGBOUNCER_CONFIG_DIR:-/tmp/pgbouncer}"

# The userlist quotes with double quotes, doubled inside; libpq values with single quotes.
quote_userlist() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
quote_libpq() { printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"; }

umask 077
mkdir -p "$directory"
printf '%s %s\n' "$(quote_userlist "$PGBOUNCER_DB_USER")" "$(quote_userlist "$PGBOUNCER_DB_PASSWORD")" \
    >"$directory/userlist.txt"
cat >"$directory/pgbouncer.ini" <<INI
[databases]
$PGBOUNCER_DB_NAME = host=$(quote_libpq "$PGBOUNCER_DB_HOST") port=${PGBOUNCER_DB_PORT:-5432} dbname=$(quote_libpq "$PGBOUNCER_DB_NAME")

[pgbouncer]
listen_addr = ${PGBOUNCER_LISTEN_ADDR:-0.0.0.0}
listen_port = ${PGBOUNCER_PORT:-6432}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $directory/userlist.txt
admin_users = $PGBOUNCER_DB_USER
stats_users = $PGBOUNCER_DB_USER
; A server connection belongs to a client for one transaction: the platform sets its brand's
; search path per transaction (DATABASE_POOLER=transaction, core.pooled_postgresql).
pool_mode = transaction
default_pool_size = ${PGBOUNCER_POOL_SIZE:-10}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = ${PGBOUNCER_MAX_CLIENT_CONN:-200}
server_tls_sslmode = ${PGBOUNCER_SERVER_TLS_SSLMODE:-prefer}
server_tls_ca_file = /etc/ssl/certs/ca-certificates.crt
; A client waiting longer than this for a server connection gets an error, not a hang.
query_wait_timeout = 30
server_idle_timeout = 300
ignore_startup_parameters = extra_float_digits,options
log_connections = 0
log_disconnections = 0
logfile =
pidfile =
INI

exec pgbouncer "$directory/pgbouncer.ini"
