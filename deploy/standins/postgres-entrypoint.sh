#!/bin/sh
# The official postgres image's start-up, in short: on an empty PGDATA, initdb with
# POSTGRES_USER as superuser and POSTGRES_PASSWORD, create POSTGRES_DB, run the init scripts;
# then the server, listening on every interface with password authentication.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
    user="${POSTGRES_USER:-postgres}"
    password_file="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" >"$password_file"
    initdb --username="$user" --pwfile="$password_file" --auth-local=trust --auth-host=scram-sha-256
    rm -f "$password_file"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
    db="${POSTGRES_DB:-$user}"
    [ "$db" = postgres ] || psql -v ON_ERROR_STOP=1 -U "$user" -d postgres -c "CREATE DATABASE \"$db\""
    for script in /docker-entrypoint-initdb.d/*; do
        case "$script" in
        *.sh)
            # shellcheck source=/dev/null
            . "$script"
            ;;
        *.sql) psql -v ON_ERROR_STOP=1 -U "$user" -d "$db" -f "$script" ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop
fi
if [ "${1:-}" = postgres ]; then
    shift
    exec postgres -c listen_addresses='*' "$@"
fi
exec "$@"
