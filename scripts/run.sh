#!/usr/bin/env bash
# Sets up this machine, builds, and starts the platform's services on the embedded defaults (loopback ports
# below), checks that each is ready, then keeps serving until Ctrl-C. `--check` stops after the readiness check.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

bash scripts/setup.sh
echo "run: building"
dotnet build S3RouterServices.sln -c Release --nologo -v quiet -warnaserror >/dev/null

LOGS=.artifacts/run; mkdir -p "$LOGS"
SERVICES=("Gateway:50051" "InferenceService:50052" "MaskRegistry:50053" "TrainingService:50054")
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

for entry in "${SERVICES[@]}"; do
  name=${entry%%:*}
  dotnet "src/$name/bin/Release/net10.0/S3Router.$name.dll" --Service:ListenAddress=127.0.0.1 >"$LOGS/$name.log" 2>&1 &
  pids+=($!)
done

s3r() { dotnet src/Cli/bin/Release/net10.0/s3r.dll "$@"; }
for entry in "${SERVICES[@]}"; do
  name=${entry%%:*}; port=${entry##*:}
  printf '%-18s http://127.0.0.1:%s  ' "$name" "$port"
  s3r health --target "http://127.0.0.1:$port" --wait-seconds 30 || { echo "run: $name is not ready; see $LOGS/$name.log"; exit 1; }
done

if [ "${1:-}" = "--check" ]; then exit 0; fi
echo "run: serving; logs in $LOGS. Ctrl-C stops."
wait
