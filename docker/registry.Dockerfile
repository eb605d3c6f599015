# syntax=docker/dockerfile:1
# The MaskRegistry (mask versions, aliases, blobs; SQLite or PostgreSQL). Build from the repository root:
#   docker build -f docker/registry.Dockerfile -t ghcr.io/s3router/registry:0.1.0 .
# Base images are pinned to the .NET release the project is built and tested with (SDK 10.0.401, runtime 10.0.12).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0.401-noble
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0.12-noble-chiseled

FROM ${SDK_IMAGE} AS build
WORKDIR /src
# Restore first, from the project files only, so source edits reuse the restored layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY protos/ protos/
COPY src/Core/S3Router.Core.csproj src/Core/
COPY src/MaskRegistry/S3Router.MaskRegistry.csproj src/MaskRegistry/
RUN dotnet restore src/MaskRegistry/S3Router.MaskRegistry.csproj
COPY src/Core/ src/Core/
COPY src/MaskRegistry/ src/MaskRegistry/
RUN dotnet publish src/MaskRegistry/S3Router.MaskRegistry.csproj -c Release --no-restore -o /app -p:UseAppHost=false

# Chiseled: no shell, no package manager. The app runs as uid 10001 (the manifests also enforce it).
FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_ENVIRONMENT=Production \
    HOME=/tmp
USER 10001:10001
EXPOSE 50053 9453
ENTRYPOINT ["dotnet", "S3Router.MaskRegistry.dll"]
