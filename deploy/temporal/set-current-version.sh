#!/bin/sh
# Makes calculation.<BUILD_ID> the current version of the Worker Deployment, so that new
# calculations go to the workers of this release; workflows pinned to an older version finish
# there. Runs in temporalio/admin-tools (compose) once the release's workers poll, and by hand
# against any cluster (docs/releases.md). The server refuses a version none of whose
# workers it has seen poll, so the call is retried for a while.
set -eu

address="${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS names the Temporal frontend, host:port}"
namespace="${TEMPORAL_NAMESPACE:-default}"
deployment="${TEMPORAL_DEPLOYMENT_NAME:-calculation}"
build_id="${BUILD_ID:?BUILD_ID names the release to make current}"
attempts="${SET_VERSION_ATTEMPTS:-60}"
cli="${TEMPORAL_CLI:-temporal}"

i=0
until "$cli" worker deployment set-current-version --address "$address" --namespace "$namespace" \
    --deployment-name "$deployment" --build-id "$build_id" --yes >/dev/null; do
    i=$((i + 1))
    if [ "$i" -ge "$attempts" ]; then
        echo "worker-deployment: $deployment.$build_id was not accepted after $attempts attempts" >&2
        exit 1
    fi
    sleep 2
done
echo "worker-deployment: $deployment.$build_id is the current version"
