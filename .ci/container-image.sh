#!/usr/bin/env bash
# Builds a container image without a registry: `docker import` of a root file system holding only
# Debian's busybox-static (/bin/busybox and a link per applet, /bin/sh among them) and an empty
# /tmp. It has no Node and no crosstalk: whoever starts it bind-mounts the host's `node` (with the
# libraries `ldd` lists) and the repository at /repo, read-only (suites/launch/container.test.ts).
# Its command (harness/adapters/launch/serve-in-container.ts) serves the reference engine on
# CROSSTALK_PORT, on all interfaces, with CROSSTALK_SECRET, as the container launcher expects.
#
# Usage: .ci/container-image.sh [image-name]      (default: crosstalk-busybox:local)
set -euo pipefail

image="${1:-crosstalk-busybox:local}"
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "container-image: $busybox is missing (apt-get install busybox-static)" >&2; exit 1; }

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/repo"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done

tar -C "$root" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'WORKDIR /repo' \
  --change 'CMD ["node", "--import", "tsx", "harness/adapters/launch/serve-in-container.ts"]' \
  - "$image" >/dev/null
echo "container-image: built $image"
