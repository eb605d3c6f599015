#!/usr/bin/env bash
# The whole test suite: setup, build with warnings as errors, proto checks, then the test projects,
# fastest first. Ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0; skipped=0
fail() { echo "FAILED: $1"; failed=$((failed + 1)); }

echo "== build"
build_log=$(mktemp)
if ! dotnet build S3RouterServices.sln -c Release --nologo -v quiet -warnaserror >"$build_log" 2>&1; then
  grep -E 'error|warning' "$build_log" | sort -u | head -40
  fail "build"; echo "$passed passed, $failed failed"; exit 1
fi
grep -E 'Warning\(s\)|Error\(s\)' "$build_log"; rm -f "$build_log"

echo "== protos"
BUF=.tools/node_modules/.bin/buf
if $BUF lint; then passed=$((passed + 1)); else fail "buf lint"; fi
# Breaking-change check against the last landed main: .ci/proto-baseline holds its commit. Bump it to the landed
# main's HEAD at the start of a new series of commits; changes within an unlanded series are not "breaking".
baseline=$(tr -d '[:space:]' < .ci/proto-baseline 2>/dev/null || true)
if [ -n "$baseline" ] && git cat-file -e "$baseline:protos" 2>/dev/null; then
  if $BUF breaking --against ".git#ref=$baseline"; then passed=$((passed + 1)); else fail "buf breaking against $baseline"; fi
else
  echo "buf breaking: no landed baseline with protos yet (.ci/proto-baseline)"
fi

# PostgreSQL 15 on loopback for the registry's repository tests; exports S3R_TEST_POSTGRES.
if pg_env=$(bash scripts/postgres.sh start); then eval "$pg_env"; else fail "postgres start"; fi
trap 'bash scripts/postgres.sh stop' EXIT

# Test projects, fastest first.
TEST_PROJECTS=(
  tests/S3Router.Core.Tests
  tests/S3Router.Gateway.Tests
  tests/S3Router.MaskRegistry.Tests
  tests/S3Router.Deployment.Tests
  tests/S3Router.Bench.Tests
  tests/S3Router.TrainingService.Tests
  tests/S3Router.InferenceService.Tests
  tests/S3Router.ModelParity.Tests
  tests/S3Router.Cli.Tests
  tests/S3Router.EndToEnd.Tests
)
for project in "${TEST_PROJECTS[@]}"; do
  echo "== $project"
  log=$(mktemp)
  # libtorch warns "Could not initialize NNPACK" per thread on CPUs it does not support: kept out of the tail, which
  # must show the failed tests' names.
  dotnet test --project "$project" -c Release --no-build 2>&1 | tee "$log" | grep -vE '^\s*$|NNPACK' | tail -40
  total=$(grep -oE '^\s*total: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  ok=$(grep -oE '^\s*succeeded: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  bad=$(grep -oE '^\s*failed: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  skip=$(grep -oE '^\s*skipped: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  if [ "${total:-0}" -eq 0 ]; then fail "$project ran no test"; fi
  passed=$((passed + ${ok:-0})); failed=$((failed + ${bad:-0})); skipped=$((skipped + ${skip:-0}))
  rm -f "$log"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
