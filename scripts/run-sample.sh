#!/usr/bin/env bash
# The README's main job: installs what a fresh machine lacks, generates the built-in sample set
# (synthetic moving-shape videos whose class depends on the direction of motion), trains S3D-G on it,
# evaluates on held-out videos, saves model.zip, reloads it and classifies single videos.
# Output goes to out/action-recognition (override with --out DIR); extra arguments pass through
# (for example --epochs 20 or --data DIR for your own folder-per-class videos).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build examples/ActionRecognition/ActionRecognition.csproj -c Release --nologo -v q -clp:ErrorsOnly
dotnet run --project examples/ActionRecognition/ActionRecognition.csproj -c Release --no-build -- "$@"
