#!/usr/bin/env bash
# Trains the three demo routes of the shipped backbone (asr/en, speaker/und, intent/en) from freshly synthesized
# speech and writes their bundles to models/tiny-ssl/routes/. Deterministic for the seeds in models/tiny-ssl/routes/jobs/
# and the libtorch thread count (part of the reproducibility contract, docs/formats.md), pinned per job to the runs
# that made the shipped bundles, so a rerun on a machine of the same CPU type gives the same tensors and metrics
# (another CPU's libtorch kernels round differently: models/tiny-ssl/MODEL_CARD.md).
#   bash scripts/train-demo-routes.sh [WORK_DIR]      (default .artifacts/demo-routes)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-.artifacts/demo-routes}
ROUTES=models/tiny-ssl/routes
s3r() { dotnet src/Cli/bin/Release/net10.0/s3r.dll "$@"; }
[ -f src/Cli/bin/Release/net10.0/s3r.dll ] || dotnet build src/Cli -c Release --nologo -v quiet -warnaserror >/dev/null

mkdir -p "$WORK"
echo "demo routes: synthesizing speech into $WORK/corpus"
s3r data synth --output "$WORK/corpus" --seed 7 --tasks asr speaker --languages en --engines espeak flite \
  --asr-train-minutes 20 --asr-small-train-minutes 10 --asr-valid-minutes 2 --asr-test-minutes 2 --speakers 12
# Intent adds one speed copy (voices beyond the synthesizers' own; bench/README.md, "Intent: speed copies of the
# training voices") and one copy in a simulated room ("Intent: copies in simulated rooms") of each training utterance;
# the other tasks' items are the same as without them.
s3r data synth --output "$WORK/corpus" --seed 7 --tasks intent --engines espeak flite --speed-copies 1 --room-copies 1
for job in asr-en speaker-und intent-en; do
  echo "demo routes: training $job"
  sed "s#@CORPUS@#$WORK/corpus#g" "$ROUTES/jobs/$job.json" >"$WORK/$job.json"
  # A retrain starts each job afresh: a finished job's checkpoint in the work directory would otherwise be resumed
  # with nothing left to train, returning the earlier run's route.
  rm -rf "$WORK/jobs/$job"
  threads=2
  [ "$job" = speaker-und ] && threads=1
  S3R_TRAINING_THREADS=$threads s3r train run --config "$WORK/$job.json" --work-dir "$WORK/jobs/$job"
  cp "$WORK/jobs/$job/bundle.safetensors" "$ROUTES/$job.safetensors"
done
echo "demo routes: bundles in $ROUTES"
