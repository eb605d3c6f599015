# syntax=docker/dockerfile:1
# The InferenceService, CPU build (ONNX Runtime CPU execution provider). Build from the repository root:
#   docker build -f docker/inference.Dockerfile -t ghcr.io/s3router/inference:0.1.0 .
# Base images are pinned to the .NET release the project is built and tested with (SDK 10.0.401, runtime 10.0.12).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0.401-noble
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0.12-noble-chiseled

FROM ${SDK_IMAGE} AS build
WORKDIR /src
# Restore first, from the project files only, so source edits reuse the restored layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY protos/ protos/
COPY src/Core/S3Router.Core.csproj src/Core/
COPY src/InferenceService/S3Router.InferenceService.csproj src/InferenceService/
RUN dotnet restore src/InferenceService/S3Router.InferenceService.csproj
COPY src/Core/ src/Core/
COPY src/InferenceService/ src/InferenceService/
RUN dotnet publish src/InferenceService/S3Router.InferenceService.csproj -c Release --no-restore -o /app -p:UseAppHost=false

# Chiseled: no shell, no package manager. The app runs as uid 10001 (the manifests also enforce it).
FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_ENVIRONMENT=Production \
    HOME=/tmp
USER 10001:10001
EXPOSE 50052 9452
ENTRYPOINT ["dotnet", "S3Router.InferenceService.dll"]
