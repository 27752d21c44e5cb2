#!/usr/bin/env bash
# Make a stand-in for the official python:3.11-slim image from Debian packages, for machines that
# have podman but no container registry (docs/deploy.md, "Without a registry").
#
#   scripts/container-base.sh [--force] [NAME]     (default NAME: localhost/bpp-python:3.11-bookworm)
#
# Debian bookworm (minbase) with python3, python3-venv, ca-certificates and passwd, made by
# mmdebstrap and imported with `podman import`. A virtual environment at /usr/local gives it the
# official image's layout: /usr/local/bin/python and pip first on PATH, and pip may install into
# /usr/local (no PEP 668 refusal). Build on it with
#   podman build --build-arg PYTHON_IMAGE=NAME ...
# An image of that name that already exists is kept (the script only prints the name) unless
# --force is given. Needs root, podman and mmdebstrap (apt-get install podman runc mmdebstrap),
# and Debian's package mirrors (mmdebstrap's default, with bookworm-updates and security).
set -euo pipefail

force=0
if [[ "${1:-}" == "--force" ]]; then
    force=1
    shift
fi
name="${1:-localhost/bpp-python:3.11-bookworm}"

for tool in podman mmdebstrap; do
    command -v "$tool" >/dev/null || { echo "container-base: $tool is not installed" >&2; exit 2; }
done

if [[ $force == 0 ]] && podman image exists "$name"; then
    echo "$name"
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "container-base: building $name with mmdebstrap (a minute or two)" >&2
# Documentation, manual pages and translations stay out (licences stay in); the venv at
# /usr/local is made inside the new root by its own python3.
mmdebstrap --variant=minbase \
    --include=python3,python3-venv,ca-certificates,passwd \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='chroot "$1" python3 -m venv /usr/local' \
    --customize-hook='rm -f "$1"/usr/local/bin/activate* "$1"/usr/local/bin/Activate.ps1' \
    bookworm "$work/rootfs.tar" </dev/null >&2

podman import \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'LABEL org.opencontainers.image.description="Debian bookworm with python3 in a venv at /usr/local (a python:3.11-slim stand-in, scripts/container-base.sh)"' \
    --change 'CMD ["python3"]' \
    "$work/rootfs.tar" "$name" >&2
echo "$name"
