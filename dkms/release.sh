#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# release.sh of the pscsi-vpd DKMS tree (/usr/src/pscsi-vpd-<version>/),
# used by its Makefile and dkms.conf:
#
#   release.sh line KVER       the kernel line of release KVER (6.1 for
#                              6.1.0-56-amd64, 6.12 for 6.12.117+deb12-amd64)
#   release.sh check KVER KDIR exit 0 when the headers at KDIR are of the
#                              release the line's sources are from and
#                              the kernel builds the three as modules;
#                              else print why on one line and exit 1 (2:
#                              no sources for that line)
#
# Each line's sources are one Debian release of it (the line's BASE file:
# "6.1.192 (Debian linux-source-6.1 6.1.192-2, series <commit>)"). Headers
# installed from a package must be of that package version (a Debian
# upload may fix these files without a new upstream release); headers
# without a package must at least be of that upstream version.
set -u
here=$(dirname "$0")

line_of() {
	printf '%s\n' "$1" | sed -n 's/^\([0-9][0-9]*\.[0-9][0-9]*\)\([^0-9].*\)\{0,1\}$/\1/p'
}

case "${1:-}" in
line)
	line_of "${2:?release.sh line KVER}"
	;;
check)
	kver=${2:?release.sh check KVER KDIR}
	kdir=${3:?release.sh check KVER KDIR}
	line=$(line_of "$kver")
	[ -n "$line" ] && [ -f "$here/$line/BASE" ] || {
		echo "no sources for the line of kernel $kver"
		exit 2
	}
	read -r up _ _ deb _ <"$here/$line/BASE"
	deb=${deb%,}
	# A kernel flavour without the three as modules has nothing to replace.
	for opt in CONFIG_TARGET_CORE CONFIG_TCM_PSCSI CONFIG_VHOST_SCSI; do
		[ ! -f "$kdir/.config" ] || grep -q "^$opt=m" "$kdir/.config" || {
			echo "kernel $kver does not build $opt as a module"
			exit 1
		}
	done
	# The headers' package, if its files are there: the second letter of
	# its status is dpkg's state (i installed, U unpacked and F
	# half-configured while its own postinst runs dkms, W and t while
	# triggers wait), the first only what is wanted (h when held); the
	# first one, were several architectures' installed.
	hdeb=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}\n' "linux-headers-$kver" 2>/dev/null |
		sed -n 's/^.[iUFWt][^ ]* *//p' | head -n1)
	if [ -n "$hdeb" ]; then
		[ "$hdeb" = "$deb" ] && exit 0
		echo "kernel $kver has the headers of Debian's $hdeb, the package's $line sources are of $deb"
		exit 1
	fi
	hup=$(env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
		make -s --no-print-directory -C "$kdir" kernelversion 2>/dev/null | tail -n1)
	[ "$hup" = "$up" ] && exit 0
	echo "kernel $kver is Linux ${hup:-of an unknown version}, the package's $line sources are of $up"
	exit 1
	;;
*)
	echo "usage: release.sh line KVER | release.sh check KVER KDIR" >&2
	exit 2
	;;
esac
