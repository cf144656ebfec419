#!/bin/sh
# Registers the namespace the services use, once the server answers. Safe to run again:
# an existing namespace is left as it is. Runs in the admin-tools image with the `temporal` CLI.
set -eu

address="${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS names the Temporal frontend, host:port}"
namespace="${TEMPORAL_NAMESPACE:-default}"
retention="${NAMESPACE_RETENTION:-72h}"
attempts="${NAMESPACE_ATTEMPTS:-60}"

# The frontend accepts connections before its history and matching services have joined;
# the cluster health call answers SERVING only once they have.
i=0
until temporal operator cluster health --address "$address" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -ge "$attempts" ]; then
        echo "namespace: Temporal at $address is not serving after $attempts attempts" >&2
        exit 1
    fi
    sleep 2
done

if temporal operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1; then
    echo "namespace: $namespace already exists"
else
    temporal operator namespace create --address "$address" --namespace "$namespace" --retention "$retention"
    echo "namespace: $namespace created (retention $retention)"
fi
