#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the host packages the rig needs and the apt source for the kernel.
# Idempotent: a second run with everything present does nothing but check.
# Arguments name further packages to install.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

HOST_PKGS=(gcc make flex bison bc libelf-dev libssl-dev cpio xz-utils rsync kmod python3-ply python3-git
	perl python3 qemu-system-x86 sg3-utils targetcli-fb python3-rtslib-fb dbus shellcheck
	busybox-static zstd open-iscsi)
# Extra packages a rig command needs only for itself (scripts/deps.sh PKG...).
HOST_PKGS+=("$@")

[ "$(id -u)" = 0 ] || die "run as root (apt-get install and /var/cache)"

# The archive address comes from the machine's own apt configuration.
archive_uri() {
	local f uri=
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk '/^URIs:/ && /debian/ && !/security/ {print $2; exit}' "$f")
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" && /debian/ && !/security/ {print $2; exit}' \
			/etc/apt/sources.list)
	fi
	[ -n "$uri" ] || die "no Debian archive found in /etc/apt: cannot add $KSUITE"
	# Security suites live in their own archive beside the main one.
	case "$KSUITE" in
	*-security) uri=${uri%/}-security ;;
	esac
	echo "$uri"
}

src=/etc/apt/sources.list.d/pscsi-vpd-$KSUITE.sources
changed=0
# Debian 12 lists bookworm-security already; add a suite only when no
# configured source offers the package.
if [ ! -f "$src" ] && [ -z "$(archive_versions)" ]; then
	uri=$(archive_uri)
	log "adding apt source $KSUITE from $uri"
	cat >"$src" <<EOF
# Added by pscsi-vpd's scripts/deps.sh: the suite that has $KPKG.
Types: deb
URIs: $uri
Suites: $KSUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	changed=1
fi

missing=()
for p in "${HOST_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ "$changed" = 1 ] || [ ${#missing[@]} -gt 0 ] ||
   ! archive_has_pin; then
	log "apt-get update"
	apt-get update -q >"$CACHE/apt-update.log" 2>&1 ||
		{ mkdir -p "$CACHE"; apt-get update -q; }
fi
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >"$CACHE/apt-install.log" 2>&1 ||
		{ tail -20 "$CACHE/apt-install.log"; die "apt-get install failed"; }
fi
log "host packages present"

# The VM mounts tmpfs on these folders of the (read-only) host root, so they
# must exist on the host; container images often lack them.
for d in /lib/modules /etc/target /etc/rtslib-fb-target /var/lib/target; do
	[ -d "$d" ] || { mkdir -p "$d" && log "created $d (mount point for the VM)"; }
done
