# Stands in for golang:1.26-bookworm: the Go toolchain as the Go module proxy serves it
# (golang.org/toolchain), at /usr/local/go with GOPATH=/go, as the official image lays it out.
ARG BASE=standin/debian:trixie
FROM ${BASE}
COPY . /usr/local/go
# The module zip keeps no file modes; the `go` command sets these when it switches toolchains.
RUN chmod a+x /usr/local/go/bin/* /usr/local/go/pkg/tool/*/*
ENV GOPATH=/go \
    PATH=/go/bin:/usr/local/go/bin:$PATH
WORKDIR /go
