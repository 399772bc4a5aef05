#!/usr/bin/env bash
# Sets up podman on a Debian bookworm host (as root) to run docker-compose.yml without a Docker engine:
# the README's podman route and `npm run test:compose` (.ci/run calls this). Idempotent.
#
# - packages: podman, podman-compose (1.0.3 in bookworm), runc, netavark + aardvark-dns (container
#   networking whose DNS lets services reach each other by name: /dns4/node-1/tcp/9000; Debian's
#   podman otherwise falls back to CNI without a name server), iptables, and debootstrap for
#   deploy/podman/base-image.sh.
# - /etc/containers/containers.conf.d/50-gossipchain.conf (read after containers.conf, so an admin's
#   own settings stay where they are): the runc runtime, the netavark backend and the container
#   ulimits the nodes need (file descriptors for sockets and LevelDB, processes for miner threads).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

[ "$(id -u)" = 0 ] || { echo "setup-host: run as root (apt-get, /etc/containers)" >&2; exit 1; }

packages=(podman podman-compose runc netavark aardvark-dns iptables debootstrap)
need=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-host: installing ${need[*]}"
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

conf=/etc/containers/containers.conf.d/50-gossipchain.conf
mkdir -p "$(dirname "$conf")"
cat > "$conf.tmp" <<'CONF'
# Written by gossipchain's deploy/podman/setup-host.sh.
[containers]
default_ulimits = ["nofile=16384:16384", "nproc=4096:4096"]

[network]
network_backend = "netavark"

[engine]
runtime = "runc"
CONF
mv "$conf.tmp" "$conf"

backend=$(podman info --format '{{.Host.NetworkBackend}}')
runtime=$(podman info --format '{{.Host.OCIRuntime.Name}}')
if [ "$backend" != netavark ] || [ "$runtime" != runc ]; then
  echo "setup-host: podman uses network backend '$backend' and runtime '$runtime', expected netavark and runc." >&2
  echo "  Containers made with another backend keep it: remove them (podman system reset) and rerun." >&2
  exit 1
fi
echo "setup-host: podman $(podman --version | awk '{print $3}'), podman-compose $(dpkg-query -W -f='${Version}' podman-compose), network $backend, runtime $runtime"
