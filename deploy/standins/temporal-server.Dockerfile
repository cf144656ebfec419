# Stands in for temporalio/server: the server built from go.temporal.io/server, started by
# the entrypoint of the same module version (docker/scripts/sh/entrypoint.sh), which reads its
# configuration from the environment through the template embedded in the binary.
ARG BASE=standin/alpine:3
FROM ${BASE}
RUN groupadd --gid 1000 temporal && useradd --uid 1000 --gid temporal --create-home temporal
COPY temporal-server /usr/local/bin/
COPY entrypoint.sh /etc/temporal/entrypoint.sh
WORKDIR /etc/temporal
USER 1000:1000
CMD ["/etc/temporal/entrypoint.sh"]
