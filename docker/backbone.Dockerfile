# syntax=docker/dockerfile:1
# A backbone as an image: config.json + model.safetensors under /model, copied into the pod by the
# fetch-backbone init container (k8s/base/inference/deployment.yaml). Build with the backbone folder as context:
#   docker build -f docker/backbone.Dockerfile -t ghcr.io/s3router/backbone-wav2vec2-base:0.1.0 path/to/wav2vec2-base
# Tag it by content (e.g. the first 12 hex digits of the backbone digest) so a tag never changes its model.
ARG BASE_IMAGE=busybox:1.36.1
FROM ${BASE_IMAGE}
COPY config.json model.safetensors /model/
USER 10001:10001
CMD ["ls", "-l", "/model"]
