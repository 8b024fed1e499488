// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-scsi-bind: open /dev/vhost-scsi, become its owner, give it a memory
 * table (one region, guest address = user address), bind the endpoint of a
 * vhost target (VHOST_SCSI_SET_ENDPOINT) and clear it again. Used by
 * the rig's smoke scenario to prove that the fabric side is wired; the full
 * guest driver lives in tools/testing/selftests/vhost_scsi.
 *
 * usage: vhost-scsi-bind WWPN [TPGT]
 * exit:  0 bound and cleared, 1 an ioctl failed (the message names it)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vhost.h>

static int fail(const char *what)
{
	fprintf(stderr, "vhost-scsi-bind: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct vhost_scsi_target t;
	struct {
		struct vhost_memory mem;
		struct vhost_memory_region region;
	} table;
	const size_t size = 1 << 20;
	__u64 features;
	void *area;
	int fd, abi;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s WWPN [TPGT]\n", argv[0]);
		return 2;
	}
	memset(&t, 0, sizeof(t));
	if (strlen(argv[1]) >= sizeof(t.vhost_wwpn)) {
		fprintf(stderr, "vhost-scsi-bind: WWPN too long\n");
		return 2;
	}
	strcpy(t.vhost_wwpn, argv[1]);
	t.vhost_tpgt = argc == 3 ? atoi(argv[2]) : 1;

	fd = open("/dev/vhost-scsi", O_RDWR);
	if (fd < 0)
		return fail("open /dev/vhost-scsi");
	if (ioctl(fd, VHOST_SET_OWNER) < 0)
		return fail("VHOST_SET_OWNER");
	if (ioctl(fd, VHOST_GET_FEATURES, &features) < 0)
		return fail("VHOST_GET_FEATURES");
	if (ioctl(fd, VHOST_SET_FEATURES, &features) < 0)
		return fail("VHOST_SET_FEATURES");
	area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return fail("mmap");
	memset(&table, 0, sizeof(table));
	table.mem.nregions = 1;
	table.region.guest_phys_addr = (unsigned long)area;
	table.region.userspace_addr = (unsigned long)area;
	table.region.memory_size = size;
	if (ioctl(fd, VHOST_SET_MEM_TABLE, &table) < 0)
		return fail("VHOST_SET_MEM_TABLE");
	if (ioctl(fd, VHOST_SCSI_GET_ABI_VERSION, &abi) < 0)
		return fail("VHOST_SCSI_GET_ABI_VERSION");
	t.abi_version = abi;
	if (ioctl(fd, VHOST_SCSI_SET_ENDPOINT, &t) < 0)
		return fail("VHOST_SCSI_SET_ENDPOINT");
	printf("bound %s tpgt %u (abi %d)\n", t.vhost_wwpn, t.vhost_tpgt, abi);
	if (ioctl(fd, VHOST_SCSI_CLEAR_ENDPOINT, &t) < 0)
		return fail("VHOST_SCSI_CLEAR_ENDPOINT");
	printf("cleared %s\n", t.vhost_wwpn);
	close(fd);
	return 0;
}
