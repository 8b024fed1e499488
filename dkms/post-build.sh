#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# POST_BUILD of pscsi-vpd (dkms.conf), run in the build folder: when the
# Makefile built nothing for this kernel (headers of another release than
# the sources, or a kernel without the three as modules), say so where
# the administrator sees it, not only in make.log.
# stdout is dkms's build log on dpkg -i (common.postinst): stderr.
[ ! -f built/NOTICE ] || cat built/NOTICE >&2
