// SPDX-License-Identifier: MIT
/*
 * vramshare_revoke: every path that makes GPU A's BAR unusable revokes
 * its dma-bufs — importers' mappings and CPU mappings — and restores them
 * when the BAR is usable again; plus vfio-pci-dmabuf's extensions: state,
 * generation, eventfd, revoke for good, CPU mmap, debugfs.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <limits.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>
#include <linux/vfio.h>
#include <linux/vramshare_vfio.h>

#include "igt.h"
#include "vramshare_igt.h"

#define PAGE		4096ull
#define LEN		(2 * PAGE)
#define OFFSET		(4ull << 20)	/* in GPU A's VRAM */

static struct vs_gpus gpus;

/* One dma-buf of GPU A at OFFSET, imported on GPU B, and a local buffer. */
static void shared_open(struct vs_shared *s)
{
	vs_shared_open(&gpus, s, OFFSET, LEN);
}

static void shared_close(struct vs_shared *s)
{
	vs_shared_close(&gpus, s);
}

static struct vrs_dmabuf_state state_of(int fd)
{
	struct vrs_dmabuf_state st = { .struct_size = sizeof(st) };

	igt_assert_eq(vrs_dmabuf_query(gpus.a, fd, &st), 0);
	return st;
}

static struct vrs_bo_info info_of(uint32_t handle)
{
	struct vrs_bo_info info = { .struct_size = sizeof(info) };

	igt_assert_eq(vrs_bo_info(gpus.b, handle, &info), 0);
	return info;
}

/* Copies the dma-buf into the local buffer and checks every byte. */
static void copy_and_check(struct vs_shared *s, uint32_t seed)
{
	vs_shared_copy_check(&gpus, s, seed);
}

static uint64_t eventfd_count(int efd)
{
	uint64_t n = 0;

	if (read(efd, &n, sizeof(n)) != sizeof(n))
		return 0;	/* EAGAIN: no event */
	return n;
}

/* A dma-buf revoked for good: CPU touches fault, the importer is unmapped
 * and copies fail. */
static void check_gone(struct vs_shared *s, volatile uint8_t *cpu)
{
	igt_assert_eq(vs_touch_in_child(cpu), SIGBUS);
	igt_assert(!info_of(s->handle).mapped);
	igt_assert_eq(vrs_copy(gpus.b, s->local, 0, s->handle, 0, LEN), -ENODEV);
}

/*
 * A revocation that lasts until restore() is called: while it lasts the
 * importer is unmapped, copies fail with ENODEV, CPU mappings get SIGBUS
 * and exactly one event fires; afterwards everything works again.
 */
static void check_revoke_window(void (*revoke)(void), void (*restore)(void))
{
	struct vrs_dmabuf_state st0, st;
	struct vs_shared s;
	uint8_t *cpu;
	int efd;

	shared_open(&s);
	copy_and_check(&s, 3);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	igt_assert(efd >= 0);
	igt_assert_eq(vrs_dmabuf_set_eventfd(gpus.a, s.fd, efd), 0);
	cpu = vs_mmap_dmabuf(s.fd, LEN);
	igt_assert_eq(vs_touch_in_child(cpu), 0);
	st0 = state_of(s.fd);
	igt_assert_eq(st0.state, VRS_DMABUF_LIVE);

	revoke();
	st = state_of(s.fd);
	igt_assert_eq(st.state, VRS_DMABUF_REVOKED);
	igt_assert_eq(st.generation, st0.generation + 1);
	igt_assert_eq(eventfd_count(efd), 1);
	igt_assert(!info_of(s.handle).mapped);
	igt_assert_eq(vrs_copy(gpus.b, s.local, 0, s.handle, 0, LEN), -ENODEV);
	igt_assert_eq(vs_touch_in_child(cpu), SIGBUS);

	restore();
	st = state_of(s.fd);
	igt_assert_eq(st.state, VRS_DMABUF_LIVE);
	igt_assert_eq(st.generation, st0.generation + 2);
	igt_assert_eq(eventfd_count(efd), 1);
	copy_and_check(&s, 4);
	igt_assert_eq(vs_touch_in_child(cpu), 0);
	igt_assert_eq(cpu[17], gpus.vram[OFFSET + 17]);

	munmap(cpu, LEN);
	close(efd);
	shared_close(&s);
}

static void decode_off(void)
{
	igt_assert_eq(vrs_device_set_memory_decode(gpus.a, 0), 0);
}

static void decode_on(void)
{
	igt_assert_eq(vrs_device_set_memory_decode(gpus.a, 1), 0);
}

static int low_power(uint32_t feature)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_SET | feature,
	};

	return ioctl(vrs_device_fd(gpus.a), VFIO_DEVICE_FEATURE, &f) ? -errno : 0;
}

static void low_power_entry(void)
{
	igt_assert_eq(low_power(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY), 0);
}

static void low_power_exit(void)
{
	igt_assert_eq(low_power(VFIO_DEVICE_FEATURE_LOW_POWER_EXIT), 0);
}

static int ctl_raw(uint32_t flags, struct vramshare_dma_buf_ctl *ctl)
{
	struct {
		struct vfio_device_feature feature;
		struct vramshare_dma_buf_ctl ctl;
	} req = {
		.feature = {
			.argsz = sizeof(req),
			.flags = flags | VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_CTL,
		},
		.ctl = *ctl,
	};

	return ioctl(vrs_device_fd(gpus.a), VFIO_DEVICE_FEATURE, &req) ?
	       -errno : 0;
}

#define PAT_LIST "/sys/kernel/debug/x86/pat_memtype_list"

/* Physical start of GPU A's BAR @bar, from sysfs. */
static uint64_t bar_start(int bar)
{
	char path[PATH_MAX], line[128];
	unsigned long long start = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource",
		 gpus.a_address);
	f = fopen(path, "re");
	igt_assert(f);
	for (i = 0; i <= bar && fgets(line, sizeof(line), f); i++)
		igt_assert_eq(sscanf(line, "%llx", &start), 1);
	fclose(f);
	return start;
}

/* Does the kernel's memory-type list give the page at @phys type @type? */
static bool pat_type_is(uint64_t phys, const char *type)
{
	char line[256];
	bool found = false;
	FILE *f = fopen(PAT_LIST, "re");

	igt_assert(f);
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long start, end;

		if (sscanf(line, "PAT: [mem 0x%llx-0x%llx]", &start, &end) == 2 &&
		    start <= phys && phys < end && strstr(line, type))
			found = true;
	}
	fclose(f);
	return found;
}

/* References on the vfio_pci_dmabuf module (each dma-buf holds one). */
static long module_refcnt(void)
{
	char text[32];

	vs_read_text("/sys/module/vfio_pci_dmabuf/refcnt", text, sizeof(text));
	return strtol(text, NULL, 10);
}

static int access_device(const char *address)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", address);
	return access(path, F_OK);
}

#define BIG	(8 * PAGE)	/* ~16 edu transfer pairs: a copy of seconds */

/* The dma-buf of the copy in flight, for triggers that act on it. */
static int in_flight_fd = -1;

/* A copy run by a thread, and when it started and ended (CLOCK_MONOTONIC ns). */
struct in_flight {
	uint32_t src, dst;
	volatile uint64_t started, done;
	int ret;
};

/*
 * A thread, not a child process: a child would hold its own references to
 * the vfio files, and closing the device in the test would not close it.
 */
static void *copy_thread(void *arg)
{
	struct in_flight *f = arg;

	f->started = vs_now_ns();
	f->ret = vrs_copy(gpus.b, f->dst, 0, f->src, 0, BIG);
	f->done = vs_now_ns();
	return NULL;
}

/*
 * Starts a copy of BIG bytes and returns once it is running; the
 * revocation @trigger then happens while the engine works. The importer
 * cancels the copy between two engine transfers, so the revocation does
 * not wait for it: the copy fails with -ECANCELED, its destination holds
 * whole transfers of right bytes followed by untouched ones, and the
 * importer stays unmapped for as long as the revocation lasts.
 */
static void check_revoke_during_copy(void (*trigger)(void),
				     void (*undo)(void), int copy_after)
{
	struct in_flight f = { 0 };
	uint8_t *local_map;
	pthread_t thread;
	long bad, whole;
	int fd;

	f.src = vs_export_import(&gpus, OFFSET, BIG, &fd);
	in_flight_fd = fd;
	igt_assert_eq(vrs_bo_create(gpus.b, BIG, &f.dst), 0);
	igt_assert_eq(vrs_bo_mmap(gpus.b, f.dst, BIG, (void **)&local_map), 0);
	vs_fill(gpus.vram + OFFSET, BIG, 77);
	vs_set(local_map, 0, BIG);

	igt_assert_eq(pthread_create(&thread, NULL, copy_thread, &f), 0);
	while (!f.started)
		usleep(1000);
	usleep(300 * 1000);	/* the copy is on the engine now */
	trigger();
	igt_assert_eq(pthread_join(thread, NULL), 0);

	igt_assert_f(f.ret == -ECANCELED, "copy in flight: %s\n",
		     strerror(-f.ret));
	bad = vs_check(local_map, BIG, 77);
	igt_assert(bad >= 0);
	whole = bad - bad % VS_ENGINE_TRANSFER;
	igt_assert_eq(vs_check(local_map, whole, 77), -1);
	igt_assert_eq(vs_check_value(local_map + whole, 0, BIG - whole), -1);

	/* Still revoked: unmapped; restored already: mapped again eagerly */
	if (copy_after)
		igt_assert(vs_wait_mapped(gpus.b, f.src));
	else
		igt_assert(!info_of(f.src).mapped);
	igt_assert_eq(vrs_copy(gpus.b, f.dst, 0, f.src, 0, PAGE),
		      copy_after ? 0 : -ENODEV);
	if (undo)
		undo();

	munmap(local_map, BIG);
	vrs_bo_close(gpus.b, f.dst);
	vrs_bo_close(gpus.b, f.src);
	close(fd);
	in_flight_fd = -1;
}

static void reset_through_vfio(void)
{
	igt_assert_eq(vrs_device_reset(gpus.a), 0);
}

static void reset_through_sysfs(void)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", gpus.a_address);
	vs_write_file(dir, "reset", "1");
}

static void hot_reset(void)
{
	igt_assert_eq(vrs_device_hot_reset(gpus.a), 0);
}

static void close_exporter(void)
{
	vs_close_exporter(&gpus);
}

static void reopen_exporter(void)
{
	vs_open_exporter(&gpus);
}

static void revoke_for_good(void)
{
	igt_assert_eq(vrs_dmabuf_revoke(gpus.a, in_flight_fd), 0);
}

/*
 * QEMU removes GPU A as a hot-unplug button would. vfio asks its user to
 * let go through the request eventfd; the test, like a well-behaved user,
 * closes the device, and the removal completes.
 */
static void surprise_removal(void)
{
	const char *id = getenv("VRAMSHARE_HOTPLUG_ID");
	struct pollfd p = { .events = POLLIN };
	char command[64];
	int i;

	p.fd = vs_request_eventfd(gpus.a);
	snprintf(command, sizeof(command), "device_del %s", id);
	vs_qemu_monitor(command);
	igt_assert_f(poll(&p, 1, 10000) == 1 && eventfd_count(p.fd) >= 1,
		     "vfio did not ask to release the device\n");
	/* Revoked by the removal itself, before the user lets go */
	igt_assert_eq(state_of(in_flight_fd).state, VRS_DMABUF_REVOKED);
	vs_close_exporter(&gpus);
	close(p.fd);
	for (i = 0; i < 100 && access_device(gpus.a_address) == 0; i++)
		usleep(100 * 1000);
	igt_assert_f(access_device(gpus.a_address) != 0,
		     "%s is still there\n", gpus.a_address);
}

/* The revocations checked with a copy in flight. */
struct revoke_trigger {
	const char *name;
	const char *description;
	void (*revoke)(void);
	void (*undo)(void);
	int copy_after;		/* copies work again without undo */
};

static const struct revoke_trigger during_copy[] = {
	{ "reset-during-copy",
	  "A reset during a copy cancels it between transfers; copies work after",
	  reset_through_vfio, NULL, 1 },
	{ "sysfs-reset-during-copy",
	  "A sysfs reset during a copy cancels it between transfers",
	  reset_through_sysfs, NULL, 1 },
	{ "hot-reset-during-copy",
	  "A bus hot reset during a copy cancels it between transfers",
	  hot_reset, NULL, 1 },
	{ "low-power-during-copy",
	  "Low-power entry during a copy cancels it; later copies fail until exit",
	  low_power_entry, low_power_exit, 0 },
	{ "close-during-copy",
	  "Closing the device during a copy cancels it; the dma-buf is gone after",
	  close_exporter, reopen_exporter, 0 },
	{ "decode-off-during-copy",
	  "Memory decode turned off during a copy cancels it; later copies fail until it is on",
	  decode_off, decode_on, 0 },
	{ "revoke-during-copy",
	  "Revoking a dma-buf for good during a copy cancels the copy",
	  revoke_for_good, NULL, 0 },
	{ }
};

igt_main
{
	igt_fixture {
		vs_open_exporter(&gpus);
		vs_open_importer(&gpus);
		igt_require(vs_p2p_possible(&gpus));
	}

	igt_describe("The extension is discoverable: PROBE, and QUERY reports version 1 and a live dma-buf");
	igt_subtest("ext-probe") {
		struct vs_shared s;

		igt_assert_eq(vrs_dmabuf_ctl_supported(gpus.a), 1);
		shared_open(&s);
		igt_assert_eq(state_of(s.fd).version, VRAMSHARE_UAPI_VERSION);
		igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_LIVE);
		igt_assert_eq(state_of(s.fd).generation, 0);
		shared_close(&s);
	}

	igt_describe("Malformed extension requests are refused and change nothing");
	igt_subtest("ext-invalid") {
		struct vramshare_dma_buf_ctl ctl;
		struct vs_shared s;
		int other, devnull;

		shared_open(&s);
		memset(&ctl, 0, sizeof(ctl));
		ctl.dmabuf_fd = s.fd;
		ctl.op = 99;
		igt_assert_eq(ctl_raw(VFIO_DEVICE_FEATURE_SET, &ctl), -EINVAL);
		ctl.op = VRAMSHARE_DMA_BUF_CTL_QUERY;
		igt_assert_eq(ctl_raw(VFIO_DEVICE_FEATURE_SET, &ctl), -EINVAL);
		ctl.op = VRAMSHARE_DMA_BUF_CTL_REVOKE;
		igt_assert_eq(ctl_raw(VFIO_DEVICE_FEATURE_GET, &ctl), -EINVAL);
		ctl.reserved = 1;
		igt_assert_eq(ctl_raw(VFIO_DEVICE_FEATURE_SET, &ctl), -EINVAL);
		ctl.reserved = 0;
		ctl.attr = 1;
		igt_assert_eq(ctl_raw(VFIO_DEVICE_FEATURE_SET, &ctl), -EINVAL);
		ctl.attr = 0;
		ctl.op = VRAMSHARE_DMA_BUF_CTL_SET_MMAP_ATTR;
		ctl.attr = 7;
		igt_assert_eq(ctl_raw(VFIO_DEVICE_FEATURE_SET, &ctl), -EINVAL);
		ctl.attr = 0;
		ctl.op = VRAMSHARE_DMA_BUF_CTL_SET_EVENTFD;
		ctl.eventfd = s.fd;	/* not an eventfd */
		igt_assert_eq(ctl_raw(VFIO_DEVICE_FEATURE_SET, &ctl), -EINVAL);

		igt_assert_eq(vrs_dmabuf_revoke(gpus.a, -1), -EBADF);
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		igt_assert_eq(vrs_dmabuf_revoke(gpus.a, devnull), -EINVAL);
		close(devnull);
		/* A dma-buf of another exporter: GPU B's own local buffer */
		igt_assert_eq(drmPrimeHandleToFD(vrs_importer_fd(gpus.b), s.local,
						 O_CLOEXEC, &other), 0);
		igt_assert_eq(vrs_dmabuf_revoke(gpus.a, other), -EINVAL);
		close(other);

		igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_LIVE);
		igt_assert_eq(state_of(s.fd).generation, 0);
		copy_and_check(&s, 1);
		shared_close(&s);
	}

	igt_describe("A CPU mapping of the dma-buf reaches the same VRAM as the BAR, across ranges");
	igt_subtest("mmap-basic") {
		struct vrs_range r[2] = { { OFFSET + LEN, PAGE }, { OFFSET, PAGE } };
		uint8_t *cpu;
		int fd;

		igt_assert_eq(vrs_export(gpus.a, gpus.vram_bar, r, 2, O_CLOEXEC | O_RDWR, &fd), 0);
		cpu = vs_mmap_dmabuf(fd, 2 * PAGE);
		vs_fill(cpu, 2 * PAGE, 5);
		/* dma-buf page 0 is BAR page OFFSET+LEN, page 1 is OFFSET */
		igt_assert_eq(vs_check(gpus.vram + OFFSET + LEN, PAGE, 5), -1);
		igt_assert_eq(gpus.vram[OFFSET + 100], cpu[PAGE + 100]);
		munmap(cpu, 2 * PAGE);

		igt_assert(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0) ==
			   MAP_FAILED);
		igt_assert(mmap(NULL, 3 * PAGE, PROT_READ, MAP_SHARED, fd, 0) ==
			   MAP_FAILED);
		close(fd);
	}

	igt_describe("Write-combined CPU mappings are recorded as such by the kernel's memory-type tracking, as long as no uncached mapping of the BAR exists");
	igt_subtest("mmap-write-combine") {
		struct vrs_range r[2] = { { OFFSET + LEN, PAGE }, { OFFSET, PAGE } };
		uint64_t bar0 = bar_start(gpus.vram_bar);
		uint8_t *cpu;
		int fd;

		igt_require_f(access(PAT_LIST, R_OK) == 0, "no %s\n", PAT_LIST);
		igt_assert_eq(vrs_export(gpus.a, gpus.vram_bar, r, 2, O_CLOEXEC | O_RDWR, &fd), 0);
		igt_assert_eq(vrs_dmabuf_set_write_combine(gpus.a, fd, 1), 0);

		/* vfio's mmap of the BAR keeps it uncached while it is open */
		gpus.vram[0] = gpus.vram[0];
		cpu = vs_mmap_dmabuf(fd, 2 * PAGE);
		igt_assert(!pat_type_is(bar0 + OFFSET, "write-combining"));
		igt_assert(pat_type_is(bar0 + OFFSET, "uncached-minus"));
		munmap(cpu, 2 * PAGE);
		close(fd);

		/* Opened again, the BAR never mapped through vfio */
		vs_close_exporter(&gpus);
		igt_assert_eq(vrs_device_open(gpus.a_address, &gpus.a), 0);
		igt_assert_eq(vrs_export(gpus.a, gpus.vram_bar, r, 2, O_CLOEXEC | O_RDWR, &fd), 0);
		igt_assert_eq(vrs_dmabuf_set_write_combine(gpus.a, fd, 1), 0);
		cpu = vs_mmap_dmabuf(fd, 2 * PAGE);
		igt_assert(pat_type_is(bar0 + OFFSET + LEN, "write-combining"));
		igt_assert(pat_type_is(bar0 + OFFSET, "write-combining"));
		vs_fill(cpu, 2 * PAGE, 6);
		igt_assert_eq(vs_check(cpu, 2 * PAGE, 6), -1);
		munmap(cpu, 2 * PAGE);
		/* The last WC mapping gone, so is the reservation */
		igt_assert(!pat_type_is(bar0 + OFFSET + LEN, "write-combining"));
		close(fd);

		vs_close_exporter(&gpus);
		vs_open_exporter(&gpus);
		/* dma-buf page 0 was BAR page OFFSET+LEN */
		igt_assert_eq(vs_check(gpus.vram + OFFSET + LEN, PAGE, 6), -1);
	}

	igt_describe("The importer's mmap of an imported object is the exporter's, revoked with it");
	igt_subtest("importer-mmap-forwarded") {
		struct vs_shared s;
		uint8_t *cpu;
		int ret;

		shared_open(&s);
		ret = vrs_bo_mmap(gpus.b, s.handle, LEN, (void **)&cpu);
		igt_assert_f(ret == 0, "mmap of the import: %s\n", strerror(-ret));
		vs_fill(cpu, LEN, 23);
		igt_assert_eq(vs_check(gpus.vram + OFFSET, LEN, 23), -1);
		decode_off();
		igt_assert_eq(vs_touch_in_child(cpu), SIGBUS);
		decode_on();
		igt_assert_eq(vs_touch_in_child(cpu), 0);
		igt_assert_eq(vs_check(cpu, LEN, 23), -1);
		munmap(cpu, LEN);
		shared_close(&s);
	}

	igt_describe("Clearing memory decode through config space revokes; setting it restores");
	igt_subtest("decode-revoke-restore")
		check_revoke_window(decode_off, decode_on);

	igt_describe("Low-power entry revokes; low-power exit restores");
	igt_subtest("low-power-revoke-restore")
		check_revoke_window(low_power_entry, low_power_exit);

	igt_describe("A reset gives exactly two events (revoke, restore) and CPU mappings fault back in");
	igt_subtest("reset-events") {
		struct vrs_dmabuf_state st0;
		struct vs_shared s;
		uint8_t *cpu;
		int efd;

		shared_open(&s);
		efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		igt_assert(efd >= 0);
		igt_assert_eq(vrs_dmabuf_set_eventfd(gpus.a, s.fd, efd), 0);
		cpu = vs_mmap_dmabuf(s.fd, LEN);
		cpu[0] = 0x5a;
		st0 = state_of(s.fd);

		igt_assert_eq(vrs_device_reset(gpus.a), 0);
		igt_assert_eq(eventfd_count(efd), 2);
		igt_assert_eq(state_of(s.fd).generation, st0.generation + 2);
		igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_LIVE);
		cpu[1] = 0xa5;
		igt_assert_eq(gpus.vram[OFFSET + 1], 0xa5);
		copy_and_check(&s, 8);

		/* Removing the eventfd: no more events */
		igt_assert_eq(vrs_dmabuf_set_eventfd(gpus.a, s.fd, -1), 0);
		igt_assert_eq(vrs_device_reset(gpus.a), 0);
		igt_assert_eq(eventfd_count(efd), 0);
		munmap(cpu, LEN);
		close(efd);
		shared_close(&s);
	}

	igt_describe("A bus reset through VFIO_DEVICE_PCI_HOT_RESET revokes and restores");
	igt_subtest("hot-reset-revoke-restore") {
		struct vrs_dmabuf_state st0;
		struct vs_shared s;
		int ret;

		shared_open(&s);
		copy_and_check(&s, 16);
		st0 = state_of(s.fd);
		ret = vrs_device_hot_reset(gpus.a);
		igt_assert_f(ret == 0, "hot reset: %s\n", strerror(-ret));
		igt_assert_eq(state_of(s.fd).generation, st0.generation + 2);
		igt_assert_eq(info_of(s.handle).invalidations, 2);
		igt_assert(vs_wait_mapped(gpus.b, s.handle));	/* at restore */
		copy_and_check(&s, 17);
		shared_close(&s);
	}

	for (const struct revoke_trigger *t = during_copy; t->name; t++) {
		igt_describe(t->description);
		igt_subtest(t->name)
			check_revoke_during_copy(t->revoke, t->undo,
						 t->copy_after);
	}

	igt_describe("A CPU touching a mapping when the BAR goes away gets SIGBUS, not a hang");
	igt_subtest("decode-off-while-cpu-touching") {
		volatile uint8_t *cpu;
		struct vs_shared s;
		int status;
		pid_t pid;

		shared_open(&s);
		cpu = vs_mmap_dmabuf(s.fd, LEN);
		pid = fork();
		igt_assert(pid >= 0);
		if (pid == 0) {
			signal(SIGBUS, SIG_DFL);
			for (;;)
				cpu[PAGE] = cpu[0] + 1;
		}
		usleep(200 * 1000);
		decode_off();
		igt_assert_eq(waitpid(pid, &status, 0), pid);
		igt_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS);
		decode_on();
		igt_assert_eq(vs_touch_in_child(cpu), 0);
		munmap((void *)cpu, LEN);
		shared_close(&s);
	}

	igt_describe("One dma-buf revoked for good: gone, ENODEV, SIGBUS; resets no longer touch it; others unaffected");
	igt_subtest("revoke-one-for-good") {
		struct vs_shared s, other;
		uint8_t *cpu;
		int efd;

		shared_open(&s);
		shared_open(&other);
		copy_and_check(&s, 9);
		cpu = vs_mmap_dmabuf(s.fd, LEN);
		efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		igt_assert_eq(vrs_dmabuf_set_eventfd(gpus.a, s.fd, efd), 0);

		igt_assert_eq(vrs_dmabuf_revoke(gpus.a, s.fd), 0);
		igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_GONE);
		igt_assert_eq(eventfd_count(efd), 1);
		check_gone(&s, cpu);

		igt_assert_eq(vrs_device_reset(gpus.a), 0);
		igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_GONE);
		igt_assert_eq(state_of(s.fd).generation, 1);
		igt_assert_eq(eventfd_count(efd), 0);
		igt_assert_eq(vrs_copy(gpus.b, s.local, 0, s.handle, 0, LEN), -ENODEV);
		/* Revoking again is harmless */
		igt_assert_eq(vrs_dmabuf_revoke(gpus.a, s.fd), 0);
		copy_and_check(&other, 10);

		munmap(cpu, LEN);
		close(efd);
		shared_close(&other);
		shared_close(&s);
	}

	igt_describe("An importer that keeps a fence pending and unmaps late is waited for, within the bound, and named");
	igt_subtest("lingering-importer-named") {
		struct { int32_t fd; uint32_t flags; } attach;
		uint64_t t0, idle, waited, mark;
		struct vs_shared s;
		int ti;

		ti = open("/dev/vrs_test_importer", O_RDWR | O_CLOEXEC);
		igt_require_f(ti >= 0, "no test importer module: %s\n",
			      strerror(errno));
		shared_open(&s);
		t0 = vs_now_ns();
		igt_assert_eq(vrs_device_reset(gpus.a), 0);
		idle = vs_now_ns() - t0;

		attach.fd = s.fd;
		attach.flags = 0x3;	/* a lingering fence and a late unmap */
		igt_assert_eq(ioctl(ti, _IOW('V', 0x40, typeof(attach)), &attach), 0);
		mark = vs_kmsg_mark();
		t0 = vs_now_ns();
		igt_assert_eq(vrs_device_reset(gpus.a), 0);
		waited = vs_now_ns() - t0;
		/* revoke_timeout_ms (1000) bounds the wait; the importer takes 2 s */
		igt_info("idle reset %.2f s, with the lingering importer %.2f s\n",
			 idle / 1e9, waited / 1e9);
		igt_assert_lt(idle + 900000000ull, waited);
		igt_assert_lt(waited, idle + 1900000000ull);
		igt_assert(vs_kmsg_contains(mark, "importers' fences still pending", gpus.a_address));
		igt_assert_eq(vs_kmsg_count(mark, "did not unmap", "importer 0000:"), 1);

		/* The well-behaved importer, never used yet, is still unmapped */
		igt_assert(!info_of(s.handle).mapped);
		copy_and_check(&s, 24);
		igt_assert_eq(ioctl(ti, _IO('V', 0x41)), 0);
		close(ti);
		shared_close(&s);
	}

	igt_describe("A per-buffer revoke tells whether an importer still maps the dma-buf after the bound: EBUSY while one lingers, 0 once it let go");
	igt_subtest("revoke-reports-lingering-mapping") {
		struct { int32_t fd; uint32_t flags; } attach;
		struct vs_shared s;
		char text[32];
		int ti;

		ti = open("/dev/vrs_test_importer", O_RDWR | O_CLOEXEC);
		igt_require_f(ti >= 0, "no test importer module: %s\n",
			      strerror(errno));
		/* The importer lingers 2 s: the bound must run out first. */
		vs_read_text("/sys/module/vfio_pci_dmabuf/parameters/revoke_timeout_ms",
			     text, sizeof(text));
		igt_require(strtoul(text, NULL, 10) <= 1000);
		shared_open(&s);
		attach.fd = s.fd;
		attach.flags = 0x1;	/* unmaps 2 s after move_notify */
		igt_assert_eq(ioctl(ti, _IOW('V', 0x40, typeof(attach)), &attach), 0);
		/* revoke_timeout_ms (1000) runs out first: still mapped. */
		igt_assert_eq(vrs_dmabuf_revoke(gpus.a, s.fd), -EBUSY);
		igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_GONE);
		/* The late unmap comes; the next revoke finds none. */
		usleep(1500 * 1000);
		igt_assert_eq(vrs_dmabuf_revoke(gpus.a, s.fd), 0);
		igt_assert_eq(ioctl(ti, _IO('V', 0x41)), 0);
		shared_close(&s);

		/* A fence left pending: DMA may be in flight, EBUSY too. */
		shared_open(&s);
		attach.fd = s.fd;
		attach.flags = 0x2;	/* a fence signalled 2 s later */
		igt_assert_eq(ioctl(ti, _IOW('V', 0x40, typeof(attach)), &attach), 0);
		igt_assert_eq(vrs_dmabuf_revoke(gpus.a, s.fd), -EBUSY);
		usleep(1500 * 1000);
		igt_assert_eq(vrs_dmabuf_revoke(gpus.a, s.fd), 0);
		igt_assert_eq(ioctl(ti, _IO('V', 0x41)), 0);
		close(ti);
		shared_close(&s);
	}

	igt_describe("drm-import reads through an import of a dma-buf exported read-only, maps it read-only and never writes into it");
	igt_subtest("read-only-dmabuf-import-never-written") {
		struct vrs_range range = { .offset = OFFSET, .length = LEN };
		uint32_t handle, local;
		uint8_t *lmap;
		int fd;

		igt_assert_eq(vrs_export(gpus.a, gpus.vram_bar, &range, 1,
					 O_RDONLY | O_CLOEXEC, &fd), 0);
		igt_assert_eq(vrs_import(gpus.b, fd, &handle), 0);
		igt_assert_eq(vrs_bo_create(gpus.b, LEN, &local), 0);
		igt_assert_eq(vrs_bo_mmap(gpus.b, local, LEN, (void **)&lmap), 0);
		vs_fill(gpus.vram + OFFSET, LEN, 31);
		igt_assert_eq(vrs_copy(gpus.b, local, 0, handle, 0, LEN), 0);
		igt_assert_eq(vs_check(lmap, LEN, 31), -1);
		igt_assert_eq(vrs_copy(gpus.b, handle, 0, local, 0, LEN), -EACCES);
		igt_assert_eq(vs_check(gpus.vram + OFFSET, LEN, 31), -1);
		munmap(lmap, LEN);
		vrs_bo_close(gpus.b, local);
		vrs_bo_close(gpus.b, handle);
		close(fd);
	}

	igt_describe("1024 dma-bufs with 3 importers each are revoked and restored together by one reset");
	igt_subtest("many-dmabufs-reset") {
		enum { N = 1024, IMPORTERS = 3 };
		static uint32_t handles[IMPORTERS][N];
		struct vrs_importer *imp[IMPORTERS];
		unsigned int i, j;

		for (j = 0; j < IMPORTERS; j++)
			igt_assert_eq(vrs_importer_open(gpus.b_node, &imp[j]), 0);
		for (i = 0; i < N; i++) {
			struct vrs_range r = { (uint64_t)i * PAGE, PAGE };
			int fd;

			igt_assert_eq(vrs_export(gpus.a, gpus.vram_bar, &r, 1, O_CLOEXEC, &fd), 0);
			for (j = 0; j < IMPORTERS; j++)
				igt_assert_eq(vrs_import(imp[j], fd, &handles[j][i]), 0);
			close(fd);	/* the imports keep the dma-buf */
		}

		igt_assert_eq(vrs_device_reset(gpus.a), 0);

		for (j = 0; j < IMPORTERS; j++) {
			for (i = 0; i < N; i++) {
				struct vrs_bo_info info = {
					.struct_size = sizeof(info),
				};

				igt_assert_eq(vrs_bo_info(imp[j], handles[j][i], &info), 0);
				igt_assert_eq(info.invalidations, 2);
			}
			vrs_importer_close(imp[j]);
		}
	}

	igt_describe("debugfs lists each dma-buf with its ranges, state and importers");
	igt_subtest("debugfs") {
		char path[128], text[16384], want[128];
		struct vs_shared s;
		struct stat st;

		shared_open(&s);
		copy_and_check(&s, 12);
		igt_assert_eq(fstat(s.fd, &st), 0);
		snprintf(path, sizeof(path),
			 "/sys/kernel/debug/vfio_pci_dmabuf/%s", gpus.a_address);
		vs_read_text(path, text, sizeof(text));
		snprintf(want, sizeof(want), "dma-buf %lu size %llu bar 0 state live",
			 (unsigned long)st.st_ino, LEN);
		igt_assert_f(strstr(text, want), "no \"%s\" in:\n%s", want, text);
		snprintf(want, sizeof(want), "range %#llx+%#llx", OFFSET, LEN);
		igt_assert_f(strstr(text, want), "no \"%s\" in:\n%s", want, text);
		snprintf(want, sizeof(want), "route %s mapped",
			 vs_expected_route(&gpus));
		igt_assert_f(strstr(text, want), "no \"%s\" in:\n%s", want, text);
		shared_close(&s);
	}

	igt_describe("The module cannot be unloaded while a dma-buf of it exists, even with the device closed");
	igt_subtest("module-unload-refused") {
		long before, with;
		struct vs_shared s;

		vs_close_exporter(&gpus);
		before = module_refcnt();
		vs_open_exporter(&gpus);
		shared_open(&s);
		vs_close_exporter(&gpus);
		/* This dma-buf holds the module, and only it */
		with = module_refcnt();
		igt_assert_eq(with, before + 1);
		igt_assert_eq(syscall(SYS_delete_module, "vfio_pci_dmabuf",
				      O_NONBLOCK), -1);
		igt_assert_eq(errno, EWOULDBLOCK);
		shared_close(&s);
		igt_assert_eq(module_refcnt(), before);
		vs_open_exporter(&gpus);
	}

	igt_describe("Closing the device with importers and CPU mappings live: all revoked for good");
	igt_subtest("close-with-live-mappings") {
		struct vs_shared s;
		uint8_t *cpu;

		shared_open(&s);
		copy_and_check(&s, 13);
		cpu = vs_mmap_dmabuf(s.fd, LEN);
		vs_close_exporter(&gpus);

		check_gone(&s, cpu);
		munmap(cpu, LEN);
		shared_close(&s);
		vs_open_exporter(&gpus);
	}

	igt_describe("Unbinding the exporter's driver with a dma-buf imported and mapped is safe");
	igt_subtest("unbind-with-live-importer") {
		char path[128];
		struct vs_shared s;

		shared_open(&s);
		copy_and_check(&s, 14);
		vs_close_exporter(&gpus);

		vs_write_file("/sys/bus/pci/drivers/vfio-pci-dmabuf", "unbind",
			    gpus.a_address);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver",
			 gpus.a_address);
		igt_assert(access(path, F_OK) != 0);

		igt_assert_eq(vrs_copy(gpus.b, s.local, 0, s.handle, 0, LEN), -ENODEV);
		shared_close(&s);	/* the last reference: released after unbind */

		vs_write_file("/sys/bus/pci", "drivers_probe", gpus.a_address);
		igt_assert(access(path, F_OK) == 0);
		vs_open_exporter(&gpus);
		shared_open(&s);
		copy_and_check(&s, 15);
		shared_close(&s);
	}

	igt_describe("Removing the exporter from the PCI bus with a live importer and CPU mapping, then rescanning");
	igt_subtest("hot-unplug-with-live-importer") {
		char dir[PATH_MAX];
		struct vs_shared s;
		uint8_t *cpu;

		shared_open(&s);
		copy_and_check(&s, 18);
		cpu = vs_mmap_dmabuf(s.fd, LEN);
		/* vfio waits for its users before a removal completes */
		vs_close_exporter(&gpus);

		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", gpus.a_address);
		vs_write_file(dir, "remove", "1");
		igt_assert(access_device(gpus.a_address) != 0);
		check_gone(&s, cpu);
		munmap(cpu, LEN);
		shared_close(&s);	/* frees what the removed device left */

		vs_write_file("/sys/bus/pci", "rescan", "1");
		igt_assert(access_device(gpus.a_address) == 0);
		vs_write_file(dir, "driver_override", "vfio-pci-dmabuf");
		vs_write_file("/sys/bus/pci", "drivers_probe", gpus.a_address);
		vs_open_exporter(&gpus);
		shared_open(&s);
		copy_and_check(&s, 19);
		shared_close(&s);
	}

	igt_describe("QEMU removes GPU A (device_del) during a copy, with an importer and a CPU mapping: the copy is canceled, the dma-bufs are gone for good");
	igt_subtest("surprise-removal") {
		struct vs_shared s;
		uint8_t *cpu;

		igt_require_f(getenv("VRAMSHARE_HOTPLUG_ID"),
			      "the topology cannot hot-remove GPU A\n");
		shared_open(&s);
		copy_and_check(&s, 20);
		cpu = vs_mmap_dmabuf(s.fd, LEN);
		check_revoke_during_copy(surprise_removal, NULL, 0);
		check_gone(&s, cpu);
		munmap(cpu, LEN);
		shared_close(&s);
	}

	igt_fixture
		vs_close(&gpus);
}
