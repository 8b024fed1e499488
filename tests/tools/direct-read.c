// SPDX-License-Identifier: GPL-2.0
/*
 * direct-read: the host's own sequential reads of a block device, O_DIRECT,
 * the ceiling of make bench. DEPTH threads keep one read of BYTES each in
 * flight, at consecutive offsets taken in turn (wrapping at the end of the
 * device), for SECONDS. (fio would do, but it needs SysV shared memory,
 * which the test kernel lacks.)
 *
 * usage: direct-read DEVICE BYTES DEPTH SECONDS
 * prints: DEVICE, read BYTES bytes, depth DEPTH: N IOPS, M MB/s, C reads, F failed
 * exit:   0, 1 if a read failed or came back short, 2 on bad usage
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

static int fd;
static size_t bytes;
static uint64_t chunks;
static double end;
static atomic_uint_fast64_t next, done, failed;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *reader(void *arg)
{
	void *buf;

	(void)arg;
	if (posix_memalign(&buf, 4096, bytes)) {
		atomic_fetch_add(&failed, 1);
		return NULL;
	}
	while (now() < end) {
		uint64_t i = atomic_fetch_add(&next, 1) % chunks;

		if (pread(fd, buf, bytes, (off_t)(i * bytes)) != (ssize_t)bytes) {
			atomic_fetch_add(&failed, 1);
			break;
		}
		atomic_fetch_add(&done, 1);
	}
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned int depth, seconds, i;
	pthread_t *th;
	uint64_t size;
	double t0, t;

	if (argc != 5)
		goto usage;
	bytes = strtoul(argv[2], NULL, 0);
	depth = strtoul(argv[3], NULL, 0);
	seconds = strtoul(argv[4], NULL, 0);
	if (!bytes || bytes % 512 || !depth || depth > 256 || !seconds)
		goto usage;
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size)) {
		perror(argv[1]);
		return 1;
	}
	chunks = size / bytes;
	if (!chunks) {
		fprintf(stderr, "direct-read: %s holds less than %zu bytes\n", argv[1], bytes);
		return 1;
	}
	th = calloc(depth, sizeof(*th));
	if (!th)
		return 1;
	t0 = now();
	end = t0 + seconds;
	for (i = 0; i < depth; i++)
		if (pthread_create(&th[i], NULL, reader, NULL)) {
			fprintf(stderr, "direct-read: pthread_create failed\n");
			return 1;
		}
	for (i = 0; i < depth; i++)
		pthread_join(th[i], NULL);
	t = now() - t0;
	printf("%s, read %zu bytes, depth %u: %.0f IOPS, %.1f MB/s, %llu reads, %llu failed\n",
	       argv[1], bytes, depth, done / t, done * bytes / t / 1e6,
	       (unsigned long long)done, (unsigned long long)failed);
	return failed ? 1 : 0;
usage:
	fprintf(stderr, "usage: direct-read DEVICE BYTES DEPTH SECONDS\n");
	return 2;
}
