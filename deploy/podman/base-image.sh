#!/usr/bin/env bash
# Builds the Dockerfile's base image, node:20-bookworm-slim, locally for podman, on a machine that
# cannot pull images (no registry but Debian's and npm's is reachable). Docker users never need this:
# `docker compose up` pulls the official image.
#
#   bash deploy/podman/base-image.sh          # build unless an up-to-date image is there
#   bash deploy/podman/base-image.sh --force  # build again
#
# What it makes, and how close it is to the official image:
# - Debian bookworm, `debootstrap --variant=minbase` from the mirror apt already uses (or
#   $GOSSIPCHAIN_DEBIAN_MIRROR), with docs, man pages and apt lists left out (the official -slim
#   image is also minbase-sized bookworm).
# - this machine's Node.js 20 (>= 20.19, package.json engines) and npm, copied in: Debian bookworm's own
#   `nodejs` is 18, too old, and no other Node can be fetched here. The binary needs only glibc,
#   libstdc++ and libgcc, which minbase has.
# - the CA certificates this machine trusts (/etc/ssl/certs/ca-certificates.crt, when there is one), for
#   Node via NODE_EXTRA_CA_CERTS: on a machine whose traffic to the npm registry goes through a
#   TLS-intercepting proxy, `npm ci` inside `podman build` needs them as much as the host's npm does.
# - the user `node` (uid/gid 1000, home /home/node) that the Dockerfile's `USER node` expects, and
#   CMD ["node"], as in the official image.
# - imported with `podman import` as docker.io/library/node:20-bookworm-slim, so `FROM
#   node:20-bookworm-slim` resolves to it without a pull. A label records the Node version and a hash
#   of this script: a later run with the same both keeps the image (seconds instead of minutes).
#
# Needs root, debootstrap and podman. Prints the time each step took.
set -euo pipefail

IMAGE=docker.io/library/node:20-bookworm-slim
force=0
case "${1:-}" in
  --force) force=1 ;;
  '') ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

fail () { echo "base-image: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (debootstrap and chroot)"
command -v debootstrap >/dev/null || fail "debootstrap is not installed (apt-get install debootstrap)"
command -v podman >/dev/null || fail "podman is not installed (apt-get install podman)"

node_bin=$(command -v node) || fail "no node on PATH to copy into the image"
node_bin=$(readlink -f "$node_bin")
node_version=$("$node_bin" --version)
case "$node_version" in
  v20.*) ;;
  *) fail "the image is Node 20 (node:20-bookworm-slim); this machine has $node_version" ;;
esac
minor=$(echo "$node_version" | cut -d. -f2)
[ "$minor" -ge 19 ] || fail "package.json wants Node >= 20.19; this machine has $node_version"
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")   # .../node_modules/npm
[ -f "$npm_dir/package.json" ] || fail "cannot find npm's directory next to $(command -v npm)"
npm_version=$(node -p "require('$npm_dir/package.json').version")

script_hash=$(sha256sum "$0" | cut -c1-16)
ca_bundle=/etc/ssl/certs/ca-certificates.crt
ca_hash=none
[ -f "$ca_bundle" ] && ca_hash=$(sha256sum "$ca_bundle" | cut -c1-16)
stamp="node=$node_version npm=$npm_version ca=$ca_hash script=$script_hash"
if [ "$force" = 0 ] && have=$(podman image inspect --format '{{ index .Labels "org.gossipchain.base" }}' "$IMAGE" 2>/dev/null); then
  if [ "$have" = "$stamp" ]; then
    echo "base-image: $IMAGE is up to date ($stamp)"
    exit 0
  fi
  echo "base-image: rebuilding $IMAGE (have: ${have:-a foreign image}, want: $stamp)"
fi

mirror=${GOSSIPCHAIN_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null | awk '$2 == "bookworm" { print $1; exit }')
  mirror=${mirror:-http://deb.debian.org/debian/}
fi

work=$(mktemp -d /var/tmp/gossipchain-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
t0=$SECONDS

echo "base-image: debootstrap --variant=minbase bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" > "$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; fail "debootstrap failed (log above)"; }
t1=$SECONDS

# Node and npm, laid out as the nodesource package does (/usr/bin/node, npm under /usr/lib/node_modules).
install -m 0755 "$node_bin" "$root/usr/bin/node"
mkdir -p "$root/usr/lib/node_modules"
cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"

ca_env=()
if [ "$ca_hash" != none ]; then
  mkdir -p "$root/etc/ssl/certs"
  install -m 0644 "$ca_bundle" "$root/etc/ssl/certs/ca-certificates.crt"
  ca_env=(--change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt")
fi

# The official image's user: uid/gid 1000, home /home/node.
echo 'node:x:1000:' >> "$root/etc/group"
echo 'node:x:1000:1000::/home/node:/bin/bash' >> "$root/etc/passwd"
echo 'node:*:19000:0:99999:7:::' >> "$root/etc/shadow"
mkdir -p "$root/home/node"
chown 1000:1000 "$root/home/node"

# Slim: what a container never reads.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log \
  "$root"/etc/hostname
# The image must run what it was built for.
env -i "$(command -v chroot)" "$root" /usr/bin/node -e 'process.exit(process.versions.node.startsWith("20.") ? 0 : 1)' \
  || fail "node does not run inside the new root file system"
env -i PATH=/usr/bin:/bin "$(command -v chroot)" "$root" /usr/bin/npm --version >/dev/null || fail "npm does not run inside the new root file system"

tar -C "$root" --numeric-owner -cf "$work/rootfs.tar" .
podman import \
  --change 'CMD ["node"]' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  "${ca_env[@]}" \
  --change "LABEL org.gossipchain.base=\"$stamp\"" \
  --message "debootstrap minbase bookworm + Node $node_version (deploy/podman/base-image.sh)" \
  "$work/rootfs.tar" "$IMAGE" >/dev/null
t2=$SECONDS

size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
echo "base-image: $IMAGE built: debootstrap $((t1 - t0)) s, node + import $((t2 - t1)) s, $((size / 1048576)) MiB ($stamp)"
