#!/usr/bin/env bash
# Installs what the build, the tests and the platform need on a fresh Debian 12 machine with the .NET 10 SDK.
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  espeak-ng sox                                   # speech synthesis and the resampler reference
  flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts  # more voices, so models don't learn one synthesizer
  festvox-italp16k festvox-itapc16k festvox-czech-dita festvox-czech-machac festvox-czech-krb festvox-czech-ph festvox-ru
  fortunes-min fortunes fortunes-de fortunes-es fortunes-it fortunes-pl fortunes-ru fortunes-cs fortunes-br  # real sentences
  ffmpeg                                          # decodes the Asterisk prompts (G.722) for `s3r data asterisk`
  asterisk-core-sounds-en asterisk-core-sounds-es asterisk-core-sounds-fr asterisk-core-sounds-it asterisk-core-sounds-ru  # real speech: transcripts
  asterisk-core-sounds-en-g722 asterisk-core-sounds-es-g722 asterisk-core-sounds-fr-g722 asterisk-core-sounds-it-g722 asterisk-core-sounds-ru-g722  # real speech: audio
  python3-torch python3-torchaudio python3-numpy  # the independent wav2vec2 reference (torchaudio)
  libopenblas0-pthread                            # fast BLAS for the PyTorch baseline
  python3-onnx                                    # onnx.checker for the graphs we build
  python3-grpcio python3-grpc-tools               # the second independent client of the end-to-end tests
  postgresql-15                                   # the registry's production database, started by tests
  prometheus                                      # promtool: checks and unit-tests the alert rules
)
BUF_VERSION=1.75.0

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$(.tools/node_modules/.bin/buf --version 2>/dev/null)" != "$BUF_VERSION" ]; then
  echo "setup: installing buf $BUF_VERSION"
  mkdir -p .tools
  npm install --silent --no-audit --no-fund --prefix .tools "@bufbuild/buf@$BUF_VERSION" >/dev/null
fi
