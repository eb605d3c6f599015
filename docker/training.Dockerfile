# syntax=docker/dockerfile:1
# The training image: the `s3r` command line with the TorchSharp engine (CPU libtorch), run by the training Jobs
# (k8s/jobs) as `s3r train run --config /config/job.json`. Build from the repository root:
#   docker build -f docker/training.Dockerfile -t ghcr.io/s3router/training:0.1.0 .
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0.401-noble
# Not chiseled: libtorch's native libraries want a regular glibc userland, and a shell helps when a job fails.
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0.12-noble

FROM ${SDK_IMAGE} AS build
# build/TorchSharpGlibcFix.targets runs a small Python script on the native library after publish.
RUN apt-get update && apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY protos/ protos/
COPY build/ build/
COPY src/Core/S3Router.Core.csproj src/Core/
COPY src/TrainingService/S3Router.TrainingService.csproj src/TrainingService/
COPY src/Cli/S3Router.Cli.csproj src/Cli/
RUN dotnet restore src/Cli/S3Router.Cli.csproj && dotnet restore src/TrainingService/S3Router.TrainingService.csproj
COPY src/Core/ src/Core/
COPY src/TrainingService/ src/TrainingService/
COPY src/Cli/ src/Cli/
RUN dotnet publish src/Cli/S3Router.Cli.csproj -c Release --no-restore -o /app

FROM ${RUNTIME_IMAGE}
RUN groupadd --gid 10001 s3router \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin s3router
WORKDIR /app
COPY --from=build /app ./
RUN ln -s /app/s3r /usr/local/bin/s3r
ENV HOME=/tmp \
    S3R_DATA=/work
USER 10001:10001
ENTRYPOINT ["s3r"]
