#!/bin/sh
# Creates Temporal's two PostgreSQL databases and brings their schemas to the version the
# server expects. Safe to run on every start: `create` ignores a database that exists,
# `setup-schema -v 0.0` never lowers a recorded version, and `update-schema` applies only
# the steps not yet recorded. Runs in the admin-tools image: POSIX sh and temporal-sql-tool.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS names the PostgreSQL host}"
: "${POSTGRES_USER:?POSTGRES_USER names the PostgreSQL role}"
# temporal-sql-tool reads the password from SQL_PASSWORD.
export SQL_PASSWORD="${SQL_PASSWORD:-${POSTGRES_PWD:-}}"
port="${DB_PORT:-5432}"

sql() {
    temporal-sql-tool --plugin postgres12 --endpoint "$POSTGRES_SEEDS" --port "$port" \
        --user "$POSTGRES_USER" "$@"
}

for db in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
    name="${db%%:*}"
    schema="${db#*:}"
    echo "schema: database $name"
    sql --database "$name" create-database
    sql --database "$name" setup-schema --version 0.0
    # The versioned schema is embedded in the tool, so the tool and its schema always match.
    sql --database "$name" update-schema --schema-name "postgresql/v12/$schema"
done
echo "schema: up to date"
