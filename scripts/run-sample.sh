#!/usr/bin/env bash
# The README's main job: installs what a fresh machine lacks, builds the mlnetvideo CLI, generates the built-in
# sample set (synthetic moving-shape videos whose class depends on the direction of motion), trains S3D-G on 75 % of
# it, evaluates on the rest, and writes out/model.zip, out/metrics.json, out/confusion-matrix.png and
# out/training-curves.png; then reloads the zip and classifies two videos.
# Extra arguments pass to `mlnetvideo train` (for example --epochs 20, --model movinet-a0, or --data DIR for your own
# folder-per-class videos, which then replaces the sample set).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build src/Cli/MLNetVideo.Cli.csproj -c Release --nologo -v q -clp:ErrorsOnly
mlnetvideo() { dotnet src/Cli/bin/Release/net10.0/mlnetvideo.dll "$@"; }

mlnetvideo sample-data --output out/sample-data
mlnetvideo train --data out/sample-data --model s3dg --output out/model.zip "$@"
mlnetvideo predict --model out/model.zip out/sample-data/left/000.mp4 out/sample-data/up/000.mp4
