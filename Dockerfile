# syntax=docker/dockerfile:1
#
# One image per function, all from this file:
#
#   docker build --build-arg FUNCTION=purchase -t seckill-purchase .
#
# FUNCTION is the name of a directory under functions/ that has a cmd/ (the
# names are listed in functions/all/all.go); FUNCTION=all builds the
# all-in-one image that serves every function on one port. Nothing here lists
# the functions, so a new one needs no change to this file.

# GO_VERSION is the go directive of go.mod (a test keeps them equal).
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION} AS build
ARG FUNCTION
ENV GOTOOLCHAIN=local
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY functions ./functions
COPY redislib ./redislib
RUN if [ -z "$FUNCTION" ]; then \
      echo "set --build-arg FUNCTION=<name>: a directory under functions/ with a cmd/, or all" >&2; exit 1; \
    fi; \
    if [ ! -d "functions/$FUNCTION/cmd" ]; then \
      echo "no function $FUNCTION: functions/$FUNCTION/cmd does not exist" >&2; exit 1; \
    fi
# Static (no cgo), without local paths (-trimpath), stripped (-s -w).
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/seckill ./functions/$FUNCTION/cmd

# distroless/static: CA certificates, tzdata and a nonroot user; no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/seckill /seckill
EXPOSE 8080
USER nonroot
# The binary handles SIGTERM itself (graceful shutdown), so it runs as PID 1.
# Health checks run it again with -healthcheck: the image has no curl.
ENTRYPOINT ["/seckill"]
