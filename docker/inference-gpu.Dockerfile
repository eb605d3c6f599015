# syntax=docker/dockerfile:1
# The InferenceService, GPU build: Microsoft.ML.OnnxRuntime.Gpu (CUDA 12, cuDNN 9) with the CUDA execution provider.
# Build from the repository root:
#   docker build -f docker/inference-gpu.Dockerfile -t ghcr.io/s3router/inference:0.1.0-gpu .
# Needs the NVIDIA container runtime on the node (device plugin / GPU operator in Kubernetes).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0.401-noble
ARG ASPNET_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0.12-noble
# ONNX Runtime's CUDA 12 build works with any CUDA 12.x runtime and needs cuDNN 9.
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

FROM ${SDK_IMAGE} AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY protos/ protos/
COPY src/Core/S3Router.Core.csproj src/Core/
COPY src/InferenceService/S3Router.InferenceService.csproj src/InferenceService/
RUN dotnet restore src/InferenceService/S3Router.InferenceService.csproj -p:S3RouterGpu=true
COPY src/Core/ src/Core/
COPY src/InferenceService/ src/InferenceService/
RUN dotnet publish src/InferenceService/S3Router.InferenceService.csproj -c Release --no-restore -o /app \
      -p:S3RouterGpu=true -p:UseAppHost=false

# The ASP.NET Core runtime, taken from the official image of the same release.
FROM ${ASPNET_IMAGE} AS aspnet

FROM ${CUDA_IMAGE}
COPY --from=aspnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
    && apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3t64 zlib1g \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 s3router \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin s3router
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_ENVIRONMENT=Production \
    DOTNET_RUNNING_IN_CONTAINER=true \
    HOME=/tmp \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
USER 10001:10001
EXPOSE 50052 9452
ENTRYPOINT ["dotnet", "S3Router.InferenceService.dll"]
