// SPDX-License-Identifier: MIT
/*
 * The exporting devices vramshared owns: opened through vfio, each with
 * an allocator over its VRAM BAR and one eventfd that every dma-buf
 * exported from it signals on a state change.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"

#define VRS_DRIVER_DIR "/sys/bus/pci/drivers/vfio-pci-dmabuf"

/* The largest BAR: a GPU's VRAM BAR dwarfs its register BARs. */
static int vrs_largest_bar(struct vrs_device *dev, unsigned int *bar)
{
	uint64_t size, best = 0;

	for (unsigned int i = 0; i <= 5; i++) {
		if (vrs_device_bar_size(dev, i, &size) == 0 && size > best) {
			best = size;
			*bar = i;
		}
	}
	return best ? 0 : -ENODEV;
}

static int vrs_device_setup(struct vrs_broker *b, const char *name,
			    const char *address, int bar)
{
	struct vrs_bdev *d = &b->devs[b->nr_devs];
	struct epoll_event ev = { .events = EPOLLIN };
	long page = sysconf(_SC_PAGESIZE);
	int ret;

	memset(d, 0, sizeof(*d));
	d->eventfd = -1;
	snprintf(d->name, sizeof(d->name), "%s", name);
	ret = vrs_device_open(address, &d->dev);
	if (ret) {
		vrs_log(VRS_LOG_ERROR, "device %s (%s): cannot open: %s", name,
			address, strerror(-ret));
		return ret;
	}
	ret = vrs_export_supported(d->dev);
	if (ret <= 0) {
		ret = ret ? ret : -EOPNOTSUPP;
		vrs_log(VRS_LOG_ERROR, "device %s (%s): exports no dma-bufs",
			name, address);
		goto err_close;
	}
	ret = 0;
	if (bar < 0)
		ret = vrs_largest_bar(d->dev, &d->bar);
	else
		d->bar = (unsigned int)bar;
	if (!ret)
		ret = vrs_device_bar_size(d->dev, d->bar, &d->bar_size);
	if (!ret && d->bar_size < (uint64_t)page)
		ret = -ENODEV;
	d->pool_size = d->bar_size & ~((uint64_t)page - 1);
	if (!ret)
		ret = vrs_range_alloc_create(d->pool_size, (uint64_t)page, &d->ra);
	/* Whatever the BAR holds now was someone's: all of it to clear. */
	if (!ret) {
		ret = vrs_scrub_create(d->pool_size, (uint64_t)page, &d->scrub);
		if (ret)
			vrs_range_alloc_destroy(d->ra);
	}
	if (ret) {
		vrs_log(VRS_LOG_ERROR, "device %s (%s): no usable BAR: %s",
			name, address, strerror(-ret));
		goto err_close;
	}
	d->revoke = vrs_dmabuf_ctl_supported(d->dev) == 1;
	d->eventfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->eventfd < 0) {
		ret = -errno;
		goto err_ra;
	}
	ev.data.ptr = d;
	if (epoll_ctl(b->epoll, EPOLL_CTL_ADD, d->eventfd, &ev)) {
		ret = -errno;
		goto err_ra;
	}
	b->nr_devs++;
	vrs_log(VRS_LOG_INFO,
		"device %s (%s): BAR %u, %llu MiB%s", name, address, d->bar,
		(unsigned long long)(d->bar_size >> 20),
		d->revoke ? "" :
		"; no per-buffer revoke: freed ranges are not reused");
	return 0;

err_ra:
	if (d->eventfd >= 0)
		close(d->eventfd);
	vrs_scrub_destroy(d->scrub);
	vrs_range_alloc_destroy(d->ra);
err_close:
	vrs_device_close(d->dev);
	return ret;
}

static int vrs_device_known(struct vrs_broker *b, const char *address)
{
	for (unsigned int i = 0; i < b->nr_devs; i++) {
		if (!strcmp(vrs_device_address(b->devs[i].dev), address))
			return 1;
	}
	return 0;
}

/* Every device bound to vfio-pci-dmabuf that no section names: gpuN. */
static void vrs_devices_auto(struct vrs_broker *b)
{
	struct dirent *de;
	char name[VRS_PROTO_NAME_LEN];
	char address[16];
	unsigned int n = 0;
	DIR *dir;

	dir = opendir(VRS_DRIVER_DIR);
	if (!dir)
		return;
	while ((de = readdir(dir)) && b->nr_devs < VRS_CONFIG_MAX_DEVICES) {
		if (vrs_pci_address_parse(de->d_name, address,
					  sizeof(address)) < 0 ||
		    vrs_device_known(b, address))
			continue;
		do {
			snprintf(name, sizeof(name), "gpu%u", n++);
		} while (vrs_device_by_name(b, name));
		vrs_device_setup(b, name, address, -1);
	}
	closedir(dir);
}

int vrs_devices_open(struct vrs_broker *b)
{
	const struct vrs_config *cfg = b->cfg;

	/* A device the configuration names must be there: no half broker. */
	for (unsigned int i = 0; i < cfg->nr_devices; i++) {
		const struct vrs_config_device *cd = &cfg->devices[i];
		int ret = vrs_device_setup(b, cd->name, cd->address, cd->bar);

		if (ret)
			return ret;
	}
	if (cfg->auto_devices)
		vrs_devices_auto(b);
	if (!b->nr_devs)
		vrs_log(VRS_LOG_WARNING, "no device to share");
	return 0;
}

void vrs_devices_close(struct vrs_broker *b)
{
	for (unsigned int i = 0; i < b->nr_devs; i++) {
		struct vrs_bdev *d = &b->devs[i];

		close(d->eventfd);
		vrs_scrub_destroy(d->scrub);
		vrs_range_alloc_destroy(d->ra);
		/* Closing the vfio device revokes its remaining dma-bufs. */
		vrs_device_close(d->dev);
	}
	b->nr_devs = 0;
}

struct vrs_bdev *vrs_device_by_name(struct vrs_broker *b, const char *name)
{
	for (unsigned int i = 0; i < b->nr_devs; i++) {
		if (!strcmp(b->devs[i].name, name))
			return &b->devs[i];
	}
	return NULL;
}

/* Zeroes [offset, +size) through vfio, in pieces of the zero page. */
static int vrs_device_zero(struct vrs_bdev *d, uint64_t offset, uint64_t size)
{
	static const unsigned char zeroes[65536];
	uint64_t done = 0;
	int ret;

	while (done < size) {
		size_t chunk = size - done < sizeof(zeroes) ?
			       (size_t)(size - done) : sizeof(zeroes);

		ret = vrs_device_bar_write(d->dev, d->bar, offset + done,
					   zeroes, chunk);
		if (ret)
			return ret;
		done += chunk;
	}
	return 0;
}

/* Fails closed: a range the map cannot answer for is not handed out. */
int vrs_device_clear(struct vrs_bdev *d, uint64_t offset, uint64_t size)
{
	uint64_t from = offset, run, len;
	int ret;

	while (!(ret = vrs_scrub_find(d->scrub, from, offset + size, size,
				      &run, &len))) {
		ret = vrs_device_zero(d, run, len);
		if (ret)
			return ret;
		ret = vrs_scrub_mark_clean(d->scrub, run, len);
		if (ret)
			return ret;
		from = run + len;
	}
	return ret == -ENOENT ? 0 : ret;
}

int vrs_device_range_freed(struct vrs_bdev *d, uint64_t offset,
			   uint64_t size)
{
	int ret = vrs_scrub_mark_dirty(d->scrub, offset, size);

	if (ret)
		vrs_log(VRS_LOG_ERROR,
			"device %s: [%#llx, +%#llx) cannot be marked to clear: not reused",
			d->name, (unsigned long long)offset,
			(unsigned long long)size);
	return ret;
}

/*
 * A step clears at most this much: a request that arrives meanwhile waits
 * for it (a few milliseconds through vfio's pwrite in the rig).
 */
#define VRS_SCRUB_STEP		(256u << 10)
/*
 * After a failed clear (the BAR is off: a reset, low power; the device
 * gone) the next try waits, twice as long after each failure up to the
 * maximum.
 */
#define VRS_SCRUB_RETRY_MS	1000
#define VRS_SCRUB_RETRY_MAX_MS	60000
/* A busy broker still takes a step this often. */
#define VRS_SCRUB_OVERDUE_MS	100

static int64_t vrs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vrs_devices_scrub_timeout(struct vrs_broker *b)
{
	int64_t now = vrs_now_ms(), wait = -1;

	for (unsigned int i = 0; i < b->nr_devs; i++) {
		struct vrs_bdev *d = &b->devs[i];
		int64_t left;

		if (!vrs_scrub_dirty(d->scrub))
			continue;
		left = d->scrub_retry > now ? d->scrub_retry - now : 0;
		if (wait < 0 || left < wait)
			wait = left;
	}
	return (int)wait;
}

int vrs_devices_scrub_overdue(struct vrs_broker *b)
{
	return vrs_devices_scrub_timeout(b) == 0 &&
	       vrs_now_ms() - b->scrub_last >= VRS_SCRUB_OVERDUE_MS;
}

void vrs_devices_scrub_step(struct vrs_broker *b)
{
	int64_t now = vrs_now_ms();

	b->scrub_last = now;
	for (unsigned int i = 0; i < b->nr_devs; i++) {
		struct vrs_bdev *d = &b->devs[(b->scrub_turn + i) % b->nr_devs];
		uint64_t off, len;
		int ret;

		if (!vrs_scrub_dirty(d->scrub) || d->scrub_retry > now)
			continue;
		if (vrs_scrub_find(d->scrub, d->scrub_next, d->pool_size,
				   VRS_SCRUB_STEP, &off, &len) &&
		    vrs_scrub_find(d->scrub, 0, d->pool_size, VRS_SCRUB_STEP,
				   &off, &len))
			continue;
		ret = vrs_device_zero(d, off, len);
		if (ret) {
			/* EIO: the BAR is off for a while, as in a reset */
			vrs_log(d->scrub_backoff || ret == -EIO ?
				VRS_LOG_DEBUG : VRS_LOG_WARNING,
				"device %s: clearing free VRAM ahead paused: %s",
				d->name, strerror(-ret));
			d->scrub_backoff = d->scrub_backoff ?
				2 * d->scrub_backoff : VRS_SCRUB_RETRY_MS;
			if (d->scrub_backoff > VRS_SCRUB_RETRY_MAX_MS)
				d->scrub_backoff = VRS_SCRUB_RETRY_MAX_MS;
			d->scrub_retry = now + d->scrub_backoff;
			return;
		}
		d->scrub_backoff = 0;
		vrs_scrub_mark_clean(d->scrub, off, len);
		d->scrub_next = off + len;
		b->scrub_turn = (b->scrub_turn + i + 1) % b->nr_devs;
		if (!vrs_scrub_dirty(d->scrub))
			vrs_log(VRS_LOG_DEBUG, "device %s: all free VRAM is clear",
				d->name);
		return;
	}
}

/*
 * The exporter's eventfd counts transitions, not which dma-buf made
 * them: every export of the device is queried, and those whose
 * generation moved are forwarded. A holder told nothing since the last
 * event gets the transitions in between as a pair: a dma-buf that is
 * live again after two transitions was revoked and restored.
 */
void vrs_device_events(struct vrs_broker *b, struct vrs_bdev *d)
{
	uint64_t count, generation;
	uint32_t state;

	if (read(d->eventfd, &count, sizeof(count)) < 0)
		return;
	for (struct vrs_buffer *buf = b->buffers; buf; buf = buf->next) {
		if (buf->dev != d)
			continue;
		for (struct vrs_export *e = buf->exports; e; e = e->buf_next) {
			if (vrs_export_query(e, &state, &generation) ||
			    generation == e->generation)
				continue;
			if (state == e->state && state != VRS_STATE_GONE)
				vrs_export_notify(b, e, state == VRS_STATE_LIVE ?
						  VRS_STATE_REVOKED :
						  VRS_STATE_LIVE,
						  generation - 1);
			vrs_export_notify(b, e, state, generation);
		}
	}
}
