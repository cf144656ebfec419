# Stands in for postgres: Debian's PostgreSQL server, started by an entrypoint that honours
# the official image's POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGDATA and
# /docker-entrypoint-initdb.d; it runs as the `postgres` user.
ARG BASE=standin/debian:trixie
FROM ${BASE}
ARG PG_MAJOR=17
# The official image's uid and gid, made before the package would pick others.
# Versions are those of the Debian release the base was made from.
# hadolint ignore=DL3008
RUN groupadd --system --gid 999 postgres \
    && useradd --system --uid 999 --gid postgres --home-dir /var/lib/postgresql postgres \
    && apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends postgresql-${PG_MAJOR} >/dev/null \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql /docker-entrypoint-initdb.d \
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \
    && chmod 700 /var/lib/postgresql/data
ENV PATH=/usr/lib/postgresql/${PG_MAJOR}/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
USER 999:999
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
