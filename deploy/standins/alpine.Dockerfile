# Stands in for alpine: a shell, wget and the other tools from busybox, as Alpine has them;
# ca-certificates and tzdata, which Temporal's images add to it. Debian's glibc underneath,
# so getent answers as musl's does in the Temporal server's entrypoint.
ARG BASE=standin/debian:trixie
FROM ${BASE}
# Versions are those of the Debian release the base was made from; /bin/sh becomes busybox's ash.
# hadolint ignore=DL3008,DL4005
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends busybox tzdata >/dev/null \
    && rm -rf /var/lib/apt/lists/* \
    && busybox --install -s /usr/local/bin \
    && ln -sf /usr/bin/busybox /bin/sh
CMD ["/bin/sh"]
