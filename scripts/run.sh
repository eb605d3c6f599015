#!/usr/bin/env bash
# The main job on the embedded defaults: set up this machine, build, start the whole platform in one process
# (registry, inference, gateway: `s3r serve`), register the shipped backbone, publish the demo routes, synthesize a
# new utterance with espeak-ng and print its transcript, speaker and intent. Then keeps serving until Ctrl-C.
#   --retrain   first retrain the three demo routes from freshly synthesized speech (progress bars; 8-9 min in all on 2 cores)
#   --check     stop after the recognition instead of serving on
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

retrain=false; check=false
for arg in "$@"; do
  case "$arg" in
    --retrain) retrain=true ;;
    --check) check=true ;;
    *) echo "usage: $0 [--retrain] [--check]" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh
echo "run: building"
dotnet build S3RouterServices.sln -c Release --nologo -v quiet -warnaserror >/dev/null
s3r() { dotnet src/Cli/bin/Release/net10.0/s3r.dll "$@"; }

BACKBONE=models/tiny-ssl
ROUTES=$BACKBONE/routes
WORK=.artifacts/platform
mkdir -p "$WORK"

if $retrain; then
  bash scripts/train-demo-routes.sh "$WORK/retrain"
fi

for port in 50051 50052 50053 50054; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "run: port $port is already in use (another platform running?); stop it first" >&2; exit 1
  fi
done
# Started directly (not through the s3r function) so that $! is the server itself and the trap stops it.
dotnet src/Cli/bin/Release/net10.0/s3r.dll serve --data-dir "$WORK" --backbone "$BACKBONE" >"$WORK/serve.log" 2>&1 &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null || true; wait $serve_pid 2>/dev/null || true' EXIT INT TERM
for port in 50053 50052 50051; do
  s3r health --target "http://127.0.0.1:$port" --wait-seconds 60 >/dev/null \
    || { echo "run: the service on port $port is not ready; see $WORK/serve.log"; exit 1; }
done
kill -0 "$serve_pid" 2>/dev/null || { echo "run: s3r serve exited; see $WORK/serve.log"; exit 1; }
echo "run: platform ready (gateway 127.0.0.1:50051, inference :50052, registry :50053)"

s3r backbones register "$BACKBONE" --name tiny-ssl
for bundle in "$ROUTES"/*.safetensors; do
  s3r masks publish "$bundle" --alias production
done

text="turn on the lights in the living room"
espeak-ng -v en-us+f3 -s 150 -w "$WORK/utterance.wav" "$text"
echo "run: recognizing a new utterance (\"$text\", espeak-ng en-us+f3)"
s3r recognize "$WORK/utterance.wav" --task asr --language en --route speaker/und --route intent/en

$check && exit 0
echo "run: serving; logs in $WORK/serve.log. Ctrl-C stops."
wait $serve_pid
