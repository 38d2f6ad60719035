#!/usr/bin/env bash
# Installs the system packages MLNetVideo needs on Debian/Ubuntu, only those that are missing:
# ffmpeg/ffprobe (video decoding and the sample set), and g++ + patchelf (the build patches
# TorchSharp's native library on systems whose libstdc++ is older than TorchSharp's).
# Idempotent and quiet; does nothing when everything is present.
set -euo pipefail

need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v patchelf >/dev/null 2>&1 || need+=(patchelf)
[ ${#need[@]} -eq 0 ] && exit 0

mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
if ! command -v apt-get >/dev/null 2>&1; then
  echo "MLNetVideo needs: ${need[*]}. Install them with your system's package manager, then run this again." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "MLNetVideo needs: ${need[*]}. Run as root: apt-get update && apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi
echo "Installing system packages: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
