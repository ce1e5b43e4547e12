/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * throwawayctl setup-disk [SIZE]: the file system that caps what copies
 * write to disk (quota.h), fresh once and mounted at every boot. Root.
 * Never formats an image that exists, and never mounts over a directory
 * that holds what the mount would hide.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "ctl.h"
#include "quota.h"
#include "util.h"

#define DISK_CMD_TIMEOUT_MS 120000
#define CONTAINERS_DIR "containers"

/* Run a program of the host's; say what it said when it failed. */
static int run(char *const argv[])
{
	char out[1024];
	int st = ctl_run(argv, NULL, DISK_CMD_TIMEOUT_MS, out, sizeof(out));
	if (st == 0)
		return 0;
	fprintf(stderr, "throwawayctl: %s failed: %s\n", argv[0], out[0] ? out : strerror(-st));
	return -EIO;
}

/* True when name beneath dfd is an empty directory. */
static bool empty_dir(int dfd, const char *name)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	if (fd < 0 || util_list_dir(fd, &d) < 0)
		return false;
	while ((de = readdir(d)))
		if (!util_dot_or_dotdot(de->d_name))
			return false;
	return true;
}

/* Would the mount hide anything? An empty copies' directory (make install's) is all it may. */
static int check_nothing_hidden(void)
{
	_cleanup_close_ int fd = open(QUOTA_MOUNT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	if (fd < 0)
		return errno == ENOENT ? mkdir(QUOTA_MOUNT, 0711) : -errno;
	int r = util_list_dir(fd, &d);
	while (r == 0 && (de = readdir(d))) {
		if (util_dot_or_dotdot(de->d_name) ||
		    (strcmp(de->d_name, CONTAINERS_DIR) == 0 && empty_dir(fd, de->d_name)))
			continue;
		fprintf(stderr,
			"throwawayctl: %s/%s is there: the disk would hide it; "
			"remove it first (copies: throwawayctl kill, kept data: "
			"throwawayctl kept rm)\n",
			QUOTA_MOUNT, de->d_name);
		return -EEXIST;
	}
	return r;
}

/* QUOTA_IMAGE, its blocks taken from the host's file system now, and a btrfs in it. */
static int make_image(uint64_t size)
{
	char *mkfs[] = { "/sbin/mkfs.btrfs", "-q", "-f", QUOTA_IMAGE, NULL };
	_cleanup_close_ int fd =
		open(QUOTA_IMAGE, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int r = posix_fallocate(fd, 0, (off_t)size);
	if (r == 0)
		r = run(mkfs);
	if (r > 0)
		fprintf(stderr, "throwawayctl: cannot allocate %s: %s\n", QUOTA_IMAGE, strerror(r));
	if (r != 0)
		unlink(QUOTA_IMAGE);
	return r > 0 ? -r : r;
}

/* Mount the image on QUOTA_MOUNT, quotas on, and the copies' directory in it as make install makes it. */
static int mount_image(void)
{
	char *mnt[] = { "/bin/mount", "-t", "btrfs", "-o", "loop", QUOTA_IMAGE, QUOTA_MOUNT, NULL };
	int r = check_nothing_hidden();
	if (r == 0)
		r = run(mnt);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = open(QUOTA_MOUNT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0711) < 0)
		return -errno;
	if (quota_ready(fd) < 0 && (r = quota_enable(fd)) < 0)
		return r;
	if (mkdirat(fd, CONTAINERS_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	return quota_ready(fd);
}

static bool disk_ready(void)
{
	_cleanup_close_ int fd = open(QUOTA_MOUNT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd >= 0 && quota_ready(fd) == 0;
}

int disk_cmd(int argc, char **argv)
{
	uint64_t size = 0;
	struct stat st;
	if (argc > 1 || (argc == 1 && config_parse_size(argv[0], &size) < 0)) {
		fprintf(stderr, "usage: throwawayctl setup-disk [SIZE] (e.g. 20G)\n");
		return 2;
	}
	if (disk_ready()) {
		printf("setup-disk: %s has its disk cap already\n", QUOTA_MOUNT);
		return 0;
	}
	bool fresh = lstat(QUOTA_IMAGE, &st) < 0;
	if (fresh && size == 0) {
		printf("setup-disk: no %s: nothing to mount\n", QUOTA_IMAGE);
		return 0;
	}
	int r = fresh ? check_nothing_hidden() : 0;
	if (r == 0 && fresh)
		r = make_image(size);
	if (r == 0)
		r = mount_image();
	if (r < 0) {
		fprintf(stderr, "throwawayctl: cannot set up the disk of %s: %s\n", QUOTA_MOUNT,
			strerror(-r));
		return 1;
	}
	printf("setup-disk: %s %s on %s, each copy's disk capped there\n", QUOTA_IMAGE,
	       fresh ? "fresh and mounted" : "mounted", QUOTA_MOUNT);
	return 0;
}
