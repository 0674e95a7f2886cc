// SPDX-License-Identifier: MIT
/* Helpers shared by the vramshare igt tests: see vramshare_igt.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>
#include <linux/vfio.h>
#include <linux/vramshare_vfio.h>

#include "igt.h"
#include "vramshare_igt.h"

unsigned int vs_vram_bar(void)
{
	const char *text = getenv("VRAMSHARE_VRAM_BAR");
	char *end;
	unsigned long bar;

	if (!text)
		return 0;
	bar = strtoul(text, &end, 10);
	igt_assert_f(*text && !*end && bar <= 5,
		     "VRAMSHARE_VRAM_BAR=%s: not a BAR index (0-5)\n", text);
	return bar;
}

void vs_open_exporter(struct vs_gpus *g)
{
	const char *forced = getenv("VRAMSHARE_EXPORTER");
	int ret;

	if (forced)
		snprintf(g->a_address, sizeof(g->a_address), "%s", forced);
	else
		igt_require_f(vrs_find_exporter(g->a_address,
						sizeof(g->a_address)) == 0,
			      "no device bound to vfio-pci-dmabuf\n");
	ret = vrs_device_open(g->a_address, &g->a);
	igt_assert_f(ret == 0, "opening %s through vfio: %s\n", g->a_address,
		     strerror(-ret));
	g->vram_bar = vs_vram_bar();
	ret = vrs_device_map_bar(g->a, g->vram_bar, (void **)&g->vram,
				 &g->vram_size);
	igt_assert_f(ret == 0, "mapping BAR%u of %s: %s\n", g->vram_bar,
		     g->a_address, strerror(-ret));
}

void vs_open_importer(struct vs_gpus *g)
{
	const char *forced = getenv("VRAMSHARE_IMPORTER");
	int ret;

	if (forced)
		snprintf(g->b_node, sizeof(g->b_node), "%s", forced);
	else
		igt_require_f(vrs_find_importer(g->b_node,
						sizeof(g->b_node)) == 0,
			      "no drm-import render node\n");
	ret = vrs_importer_open(g->b_node, &g->b);
	igt_assert_f(ret == 0, "opening %s: %s\n", g->b_node, strerror(-ret));
}

void vs_close_exporter(struct vs_gpus *g)
{
	if (g->vram)
		vrs_device_unmap_bar(g->a, g->vram, g->vram_size);
	g->vram = NULL;
	vrs_device_close(g->a);
	g->a = NULL;
}

void vs_close(struct vs_gpus *g)
{
	if (g->vram)
		vrs_device_unmap_bar(g->a, g->vram, g->vram_size);
	vrs_device_close(g->a);
	vrs_importer_close(g->b);
	memset(g, 0, sizeof(*g));
}

int vs_export_raw(int device_fd, uint32_t feature_flags, uint32_t region,
		  uint32_t open_flags, uint32_t flags, uint32_t nr_ranges,
		  const struct vrs_range *ranges, uint32_t argsz_cut)
{
	struct vfio_device_feature_dma_buf *req;
	struct vfio_device_feature *feature;
	size_t size;
	int ret;

	size = sizeof(*feature) + sizeof(*req) +
	       (size_t)nr_ranges * sizeof(req->dma_ranges[0]);
	feature = calloc(1, size);
	igt_assert(feature);
	feature->argsz = size - argsz_cut;
	feature->flags = feature_flags;
	req = (struct vfio_device_feature_dma_buf *)feature->data;
	req->region_index = region;
	req->open_flags = open_flags;
	req->flags = flags;
	req->nr_ranges = nr_ranges;
	if (ranges)
		memcpy(req->dma_ranges, ranges,
		       (size_t)nr_ranges * sizeof(req->dma_ranges[0]));
	ret = ioctl(device_fd, VFIO_DEVICE_FEATURE, feature);
	if (ret < 0)
		ret = -errno;
	free(feature);
	return ret;
}

static uint32_t vs_export_import_fd(struct vs_gpus *g, unsigned int bar,
				    uint64_t offset, uint64_t len,
				    int *dmabuf_fd)
{
	struct vrs_range range = { offset, len };
	uint32_t handle;
	int fd, ret;

	ret = vrs_export(g->a, bar, &range, 1, O_CLOEXEC | O_RDWR, &fd);
	igt_assert_f(ret == 0, "export: %s\n", strerror(-ret));
	ret = vrs_import(g->b, fd, &handle);
	igt_assert_f(ret == 0, "import: %s\n", strerror(-ret));
	if (dmabuf_fd)
		*dmabuf_fd = fd;
	else
		close(fd);
	return handle;
}

uint32_t vs_export_import(struct vs_gpus *g, uint64_t offset, uint64_t len,
			  int *dmabuf_fd)
{
	return vs_export_import_fd(g, g->vram_bar, offset, len, dmabuf_fd);
}

uint32_t vs_export_import_bar(struct vs_gpus *g, unsigned int bar,
			      uint64_t offset, uint64_t len)
{
	return vs_export_import_fd(g, bar, offset, len, NULL);
}

int vs_find_by_class(unsigned int class, char *address, size_t len)
{
	const char *dir_path = "/sys/bus/pci/drivers/vfio-pci-dmabuf";
	struct dirent *e;
	int ret = -ENODEV;
	DIR *dir;

	dir = opendir(dir_path);
	if (!dir)
		return -errno;
	while (ret && (e = readdir(dir))) {
		char path[PATH_MAX];
		unsigned int value;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s/class", dir_path, e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%x", &value) == 1 && value >> 8 == class)
			ret = snprintf(address, len, "%s", e->d_name) < (int)len ?
			      0 : -ENOSPC;
		fclose(f);
	}
	closedir(dir);
	return ret;
}

static uint8_t vs_pattern_byte(size_t i, uint32_t seed)
{
	uint32_t x = (uint32_t)i * 2654435761u ^ seed;

	x ^= x >> 13;
	return (uint8_t)(x * 0x5bd1e995u >> 24);
}

void vs_fill(volatile uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = vs_pattern_byte(i, seed);
}

long vs_check(const volatile uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != vs_pattern_byte(i, seed))
			return (long)i;
	return -1;
}

void vs_set(volatile uint8_t *p, uint8_t value, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = value;
}

long vs_check_value(const volatile uint8_t *p, uint8_t value, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != value)
			return (long)i;
	return -1;
}

/* The sysfs path of a PCI function or of a DRM node's parent device. */
static int vs_device_path(const char *link, char *out)
{
	return realpath(link, out) ? 0 : -errno;
}

bool vs_share_switch(const struct vs_gpus *g)
{
	char link[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	const char *node = strrchr(g->b_node, '/');
	size_t common = 0, bridges = 0, i;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s", g->a_address);
	igt_assert(vs_device_path(link, a) == 0);
	snprintf(link, sizeof(link), "/sys/class/drm/%s/device",
		 node ? node + 1 : g->b_node);
	igt_assert(vs_device_path(link, b) == 0);

	/* Length of the common leading path components. */
	for (i = 0; a[i] && a[i] == b[i]; i++)
		if (a[i] == '/')
			common = i;
	if (!a[i] && b[i] == '/')
		common = i;
	/* Components below /sys/devices/pciDDDD:BB are bridges. */
	for (i = strlen("/sys/devices/"); i < common; i++)
		if (a[i] == '/')
			bridges++;
	return bridges >= 1;
}

/*
 * Calls @fn on every /dev/kmsg record after @mark ("pri,seq,ts,flags;text")
 * until it returns false; returns the last sequence number seen.
 */
static uint64_t vs_kmsg_walk(uint64_t mark, bool (*fn)(const char *, void *),
			     void *data)
{
	char record[2048];
	uint64_t seq = mark;
	ssize_t n;
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	igt_assert(fd >= 0);
	for (;;) {
		unsigned long long s;

		n = read(fd, record, sizeof(record) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: skip on */
		if (n <= 0)
			break;
		record[n] = '\0';
		if (sscanf(record, "%*u,%llu,", &s) != 1 || s <= mark)
			continue;
		seq = s;
		if (!fn(record, data))
			break;
	}
	close(fd);
	return seq;
}

static bool vs_kmsg_nothing(const char *record, void *data)
{
	(void)record;
	(void)data;
	return true;
}

uint64_t vs_kmsg_mark(void)
{
	return vs_kmsg_walk(0, vs_kmsg_nothing, NULL);
}

struct vs_kmsg_match {
	const char *a, *b;
	int count;
};

static bool vs_kmsg_match(const char *record, void *data)
{
	struct vs_kmsg_match *m = data;

	if (strstr(record, m->a) && strstr(record, m->b))
		m->count++;
	return true;
}

int vs_kmsg_count(uint64_t mark, const char *a, const char *b)
{
	struct vs_kmsg_match m = { a, b, 0 };

	vs_kmsg_walk(mark, vs_kmsg_match, &m);
	return m.count;
}

bool vs_kmsg_contains(uint64_t mark, const char *a, const char *b)
{
	return vs_kmsg_count(mark, a, b) > 0;
}

char *vs_read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	igt_assert_f(fd >= 0, "%s: %s\n", path, strerror(errno));
	n = read(fd, buf, len - 1);
	igt_assert(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

const char *vs_expected_route(const struct vs_gpus *g)
{
	const char *route = getenv("VRAMSHARE_EXPECT_ROUTE");

	if (route)
		return route;
	return vs_share_switch(g) ? "bus-address" : "refused";
}

bool vs_p2p_possible(const struct vs_gpus *g)
{
	return strcmp(vs_expected_route(g), "refused") != 0;
}

static int open_drm_node(const char *name, const char *kind, int first,
			 int last)
{
	char path[64];
	int minor;

	for (minor = first; minor <= last; minor++) {
		drmVersionPtr version;
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/%s%d", kind, minor);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		version = drmGetVersion(fd);
		if (version && !strcmp(version->name, name)) {
			drmFreeVersion(version);
			return fd;
		}
		drmFreeVersion(version);
		close(fd);
	}
	return -ENODEV;
}

int vs_open_drm_driver(const char *name)
{
	return open_drm_node(name, "renderD", 128, 191);
}

int vs_open_drm_primary(const char *name)
{
	return open_drm_node(name, "card", 0, 63);
}

int vs_open_vgem(bool primary)
{
	int (*open_node)(const char *name) =
		primary ? vs_open_drm_primary : vs_open_drm_driver;
	int fd = open_node("vgem");

	if (fd < 0) {	/* vgem is a module on distribution kernels */
		igt_require_f(system("modprobe vgem") == 0,
			      "vgem cannot be loaded\n");
		fd = open_node("vgem");
	}
	igt_assert_f(fd >= 0, "no vgem node\n");
	return fd;
}

void vs_write_file(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	igt_assert_f(fd >= 0, "%s: %s\n", path, strerror(errno));
	igt_assert_f(write(fd, value, strlen(value)) == (ssize_t)strlen(value),
		     "writing %s to %s: %s\n", value, path, strerror(errno));
	close(fd);
}

void vs_importer_debugfs(const struct vs_gpus *g, const char *file,
			 char *path, size_t len)
{
	const char *minor = strrchr(g->b_node, 'D');

	igt_assert(minor);
	snprintf(path, len, "/sys/kernel/debug/dri/%s/%s", minor + 1, file);
}

long long vs_job_counter(const struct vs_gpus *g, const char *name)
{
	char path[128], text[16384], key[64];
	const char *at;
	long long value;

	vs_importer_debugfs(g, "drm_import", path, sizeof(path));
	vs_read_text(path, text, sizeof(text));
	at = strstr(text, "\njobs ");
	snprintf(key, sizeof(key), " %s ", name);
	igt_assert_f(at, "no job counters in:\n%s", text);
	at = strstr(at, key);
	igt_assert_f(at && sscanf(at + strlen(key), "%lld", &value) == 1,
		     "no counter \"%s\" in:\n%s", name, text);
	return value;
}

bool vs_wait_mapped(struct vrs_importer *imp, uint32_t handle)
{
	struct vrs_bo_info info = { .struct_size = sizeof(info) };
	int i;

	for (i = 0; i < 500; i++) {
		igt_assert_eq(vrs_bo_info(imp, handle, &info), 0);
		if (info.mapped)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

uint64_t vs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int vs_touch_in_child(volatile uint8_t *p)
{
	int status;
	pid_t pid = fork();

	igt_assert(pid >= 0);
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL);	/* not igt's handler */
		(void)*p;
		_exit(0);
	}
	igt_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
}

uint8_t *vs_mmap_dmabuf(int fd, uint64_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	igt_assert_f(p != MAP_FAILED, "mmap of the dma-buf: %s\n",
		     strerror(errno));
	return p;
}

void vs_qemu_monitor(const char *command)
{
	const char *run = getenv("RIG_RUN");
	char tmp[PATH_MAX], path[PATH_MAX];
	int fd, i;

	igt_require_f(run, "not in the rig: no QEMU monitor\n");
	snprintf(tmp, sizeof(tmp), "%s/monitor.request.tmp", run);
	snprintf(path, sizeof(path), "%s/monitor.request", run);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	igt_assert_f(fd >= 0, "%s: %s\n", tmp, strerror(errno));
	igt_assert_eq(write(fd, command, strlen(command)),
		      (ssize_t)strlen(command));
	close(fd);
	igt_assert_eq(rename(tmp, path), 0);
	for (i = 0; i < 100 && access(path, F_OK) == 0; i++)
		usleep(100 * 1000);
	igt_assert_f(i < 100, "the rig did not pass \"%s\" to QEMU\n", command);
}

int vs_request_eventfd(struct vrs_device *dev)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} req = {
		.set = {
			.argsz = sizeof(req),
			.flags = VFIO_IRQ_SET_DATA_EVENTFD |
				 VFIO_IRQ_SET_ACTION_TRIGGER,
			.index = VFIO_PCI_REQ_IRQ_INDEX,
			.count = 1,
		},
	};

	req.fd = eventfd(0, EFD_CLOEXEC);
	igt_assert(req.fd >= 0);
	igt_assert_eq(ioctl(vrs_device_fd(dev), VFIO_DEVICE_SET_IRQS, &req), 0);
	return req.fd;
}

void vs_shared_open(struct vs_gpus *g, struct vs_shared *s, uint64_t offset,
		    uint64_t len)
{
	s->offset = offset;
	s->len = len;
	s->handle = vs_export_import(g, offset, len, &s->fd);
	igt_assert_eq(vrs_bo_create(g->b, len, &s->local), 0);
	igt_assert_eq(vrs_bo_mmap(g->b, s->local, len, (void **)&s->local_map),
		      0);
}

void vs_shared_close(struct vs_gpus *g, struct vs_shared *s)
{
	munmap(s->local_map, s->len);
	vrs_bo_close(g->b, s->local);
	vrs_bo_close(g->b, s->handle);
	close(s->fd);
}

void vs_shared_copy_check(struct vs_gpus *g, struct vs_shared *s,
			  uint32_t seed)
{
	int ret;

	vs_fill(g->vram + s->offset, s->len, seed);
	vs_set(s->local_map, 0, s->len);
	ret = vrs_copy(g->b, s->local, 0, s->handle, 0, s->len);
	igt_assert_f(ret == 0, "copy: %s\n", strerror(-ret));
	igt_assert_eq(vs_check(s->local_map, s->len, seed), -1);
}
