# Stands in for python:3.13-slim: Debian's CPython 3.13 and pip, with the interpreter at
# /usr/local/bin/python3 where the official image has its own build.
ARG BASE=standin/debian:trixie
FROM ${BASE}
# Versions are those of the Debian release the base was made from.
# hadolint ignore=DL3008
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends python3.13 python3-pip >/dev/null \
    && rm -rf /var/lib/apt/lists/* /usr/lib/python3.13/EXTERNALLY-MANAGED \
    && for name in python python3 python3.13; do ln -s /usr/bin/python3.13 /usr/local/bin/$name; done \
    && ln -s /usr/bin/pip3 /usr/local/bin/pip
CMD ["python3"]
