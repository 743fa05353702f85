#!/usr/bin/env bash
# Installs everything ggi needs on a fresh Debian 12 machine, as root: the routers and tools the lab and the tests
# run for real (FRR, nftables, OpenSSH, radsecproxy, FreeRADIUS, eapol_test, Kea DHCP and ISC dhclient, Capirca, nfdump for
# the SOC collector's files; GNU time for the benchmarks), then the npm dependencies (npm ci also builds).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
# --no-install-recommends below, so what the lab needs from a recommended package is named here: frr-pythontools
# (frr-reload.py, how FRR config is activated) and freeradius-utils (radclient, for the govroam lab tests).
packages=(frr frr-pythontools nftables openssh-server openssh-client radsecproxy freeradius freeradius-utils kea-dhcp4-server kea-dhcp6-server kea-ctrl-agent isc-dhcp-client eapoltest python3-capirca iproute2 iputils-ping socat ncat procps openssl graphviz nfdump time pmacct ulogd2 ulogd2-json)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "install.sh: run as root to install: ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The distribution starts these as system services on install; ggi runs its own instances per lab namespace.
for s in frr freeradius radsecproxy kea-dhcp4-server kea-dhcp6-server kea-ctrl-agent nfdump pmacctd ulogd2; do (command -v systemctl >/dev/null && systemctl stop "$s" 2>/dev/null) || true; done
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm run build --silent
fi
