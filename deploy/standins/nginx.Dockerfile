# Stands in for nginx (Alpine flavour): Debian's nginx over the alpine stand-in, whose busybox
# wget the health check uses; it logs to the container's output as the official image does.
ARG BASE=standin/alpine
FROM ${BASE}
# Versions are those of the Debian release the base was made from.
# hadolint ignore=DL3008
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends nginx >/dev/null \
    && rm -rf /var/lib/apt/lists/* \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
