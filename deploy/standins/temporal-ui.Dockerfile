# Stands in for temporalio/ui: the UI server of github.com/temporalio/ui-server/v2 (web assets
# embedded) with the module's config/docker.yaml, which it fills from TEMPORAL_* variables.
ARG BASE=standin/alpine:3
FROM ${BASE}
RUN groupadd --gid 1000 temporal && useradd --uid 1000 --gid temporal --create-home temporal
WORKDIR /home/ui-server
COPY ui-server ./
COPY docker.yaml ./config/docker.yaml
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["./ui-server", "--env", "docker", "start"]
