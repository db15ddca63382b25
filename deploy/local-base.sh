#!/usr/bin/env bash
# A base image made from Debian's own packages, for a machine that reaches Debian's mirror
# but no container registry: debootstrap a minimal bookworm with python3 and python3-venv,
# add the host's extra CA certificates (an intercepting egress proxy), import it into podman.
#   deploy/local-base.sh            -> localhost/debian-bookworm-python:12
# then: podman build --build-arg BASE_IMAGE=localhost/debian-bookworm-python:12 -t commerce-hub:0.1.0 .
set -euo pipefail
IMAGE=${IMAGE:-localhost/debian-bookworm-python:12}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || { echo "local-base: installing Debian's debootstrap..." >&2; apt-get install -y -qq debootstrap >/dev/null; }
root=$(mktemp -d /tmp/hub-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "local-base: debootstrap bookworm into $root (a few minutes)..." >&2
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root/fs" "$MIRROR" >/dev/null
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  cp /usr/local/share/ca-certificates/*.crt "$root/fs/usr/local/share/ca-certificates/"
  chroot "$root/fs" update-ca-certificates >/dev/null
fi
rm -rf "$root/fs/var/cache/apt/archives/"*.deb "$root/fs/var/lib/apt/lists/"*
tar -C "$root/fs" -c . | podman import - "$IMAGE" >/dev/null
echo "local-base: $IMAGE" >&2
