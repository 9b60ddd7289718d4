#!/usr/bin/env bash
# Installs the system packages Noether needs when they are missing (Debian/Ubuntu), or says
# exactly what to run when this user cannot install them.
set -euo pipefail

packages=()
pkg-config --version >/dev/null 2>&1 || packages+=(pkg-config)
pkg-config --exists openblas 2>/dev/null || packages+=(libopenblas-dev)
pkg-config --exists zlib 2>/dev/null || packages+=(zlib1g-dev)
[ -d /usr/share/datasets/fashion-mnist ] || packages+=(dataset-fashion-mnist)

[ ${#packages[@]} -eq 0 ] && exit 0

echo "Noether needs: ${packages[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
else
    echo "Install them first:  sudo apt-get install ${packages[*]}" >&2
    exit 1
fi
