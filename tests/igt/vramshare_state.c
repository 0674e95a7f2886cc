// SPDX-License-Identifier: MIT
/*
 * vramshare_state: the dma-bufs' state follows the exporting device's own,
 * on every path and under races: concurrent config writes, power-state
 * writes, low-power requests, close and reopen, unbind and error
 * recovery with the device open, dma-bufs closed while revocations run,
 * and a revocation bounded as a whole however many importers linger.
 */
#define _GNU_SOURCE	/* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <linux/vramshare_vfio.h>

#include "igt.h"
#include "vramshare_igt.h"

#define PAGE		4096ull
#define LEN		(2 * PAGE)
#define OFFSET		(8ull << 20)	/* in GPU A's VRAM */
#define BIG		(8 * PAGE)	/* a copy of seconds on edu */

static struct vs_gpus gpus;

static struct vrs_dmabuf_state state_on(struct vrs_device *dev, int fd)
{
	struct vrs_dmabuf_state st = { .struct_size = sizeof(st) };

	igt_assert_eq(vrs_dmabuf_query(dev, fd, &st), 0);
	return st;
}

static struct vrs_dmabuf_state state_of(int fd)
{
	return state_on(gpus.a, fd);
}

/* Config space of a vfio device: where it starts in the device file. */
static off_t config_base(struct vrs_device *dev)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info),
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};

	igt_assert_eq(ioctl(vrs_device_fd(dev), VFIO_DEVICE_GET_REGION_INFO,
			    &info), 0);
	return (off_t)info.offset;
}

static uint16_t config_read16(struct vrs_device *dev, off_t base, int reg)
{
	uint16_t v;

	igt_assert_eq(pread(vrs_device_fd(dev), &v, 2, base + reg), 2);
	return v;
}

static void config_write16(struct vrs_device *dev, off_t base, int reg,
			   uint16_t v)
{
	igt_assert_eq(pwrite(vrs_device_fd(dev), &v, 2, base + reg), 2);
}

/* Offset of capability @id in the config space vfio shows, or 0. */
static int find_capability(struct vrs_device *dev, off_t base, uint8_t id)
{
	uint8_t pos, hdr[2];
	int n;

	igt_assert_eq(pread(vrs_device_fd(dev), &pos, 1,
			    base + PCI_CAPABILITY_LIST), 1);
	for (n = 0; pos && n < 48; n++) {
		igt_assert_eq(pread(vrs_device_fd(dev), hdr, 2, base + pos), 2);
		if (hdr[0] == id)
			return pos;
		pos = hdr[1];
	}
	return 0;
}

/* One dma-buf of GPU A imported on GPU B, and a local buffer. */
static void shared_open(struct vs_shared *s)
{
	vs_shared_open(&gpus, s, OFFSET, LEN);
}

static void shared_close(struct vs_shared *s)
{
	vs_shared_close(&gpus, s);
}

static void copy_and_check(struct vs_shared *s, uint32_t seed)
{
	vs_shared_copy_check(&gpus, s, seed);
}

static int low_power(uint32_t feature, int wake_fd)
{
	struct {
		struct vfio_device_feature feature;
		struct vfio_device_low_power_entry_with_wakeup wakeup;
	} req = {
		.feature = {
			.argsz = sizeof(req.feature),
			.flags = VFIO_DEVICE_FEATURE_SET | feature,
		},
	};

	if (wake_fd >= 0) {
		req.feature.argsz = sizeof(req);
		req.wakeup.wakeup_eventfd = wake_fd;
	}
	return ioctl(vrs_device_fd(gpus.a), VFIO_DEVICE_FEATURE, &req) ?
	       -errno : 0;
}

static void decode_on(void)
{
	igt_assert_eq(vrs_device_set_memory_decode(gpus.a, 1), 0);
}

static void decode_off(void)
{
	igt_assert_eq(vrs_device_set_memory_decode(gpus.a, 0), 0);
}

static void low_power_entry(void)
{
	igt_assert_eq(low_power(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, -1), 0);
}

/* The device is closed with its BAR off: nothing of that reaches the next open. */
static void check_reopen(void (*leave_bar_off)(void), uint32_t seed)
{
	struct vs_shared s;

	leave_bar_off();
	vs_close_exporter(&gpus);
	vs_open_exporter(&gpus);
	shared_open(&s);
	igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_LIVE);
	copy_and_check(&s, seed);
	shared_close(&s);
}

static void *low_power_loop(void *arg)
{
	int n;

	(void)arg;
	for (n = 0; n < 200; n++) {
		int r = low_power(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, -1);

		igt_assert(r == 0 || r == -EINVAL);
		igt_assert_eq(low_power(VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, -1),
			      0);
	}
	return NULL;
}

/* --- concurrent writers of PCI_COMMAND ----------------------------------- */

struct toggler {
	off_t base;
	uint16_t cmd;		/* the value this thread writes */
	volatile uint16_t *flip;	/* written from here, or NULL */
	int iterations;		/* at most this many writes */
	uint64_t end;		/* and none after this (CLOCK_MONOTONIC ns) */
	int written;
	volatile bool *stop;
	int fd;			/* the dma-buf */
	int violations;		/* decode off seen with the dma-buf live */
	int observed;
};

static void *toggle_writer(void *arg)
{
	struct toggler *t = arg;
	int i;

	for (i = 0; i < t->iterations && vs_now_ns() < t->end; i++) {
		const void *src = t->flip ? (const void *)t->flip : &t->cmd;

		igt_assert_eq(pwrite(vrs_device_fd(gpus.a), src, 2,
				     t->base + PCI_COMMAND), 2);
		t->written++;
		if (!t->flip)
			continue;
		/* Alone in writing: the state must match once it returns. */
		if (!(config_read16(gpus.a, t->base, PCI_COMMAND) &
		      PCI_COMMAND_MEMORY) &&
		    state_of(t->fd).state == VRS_DMABUF_LIVE)
			t->violations++;
	}
	return NULL;
}

static void *buffer_flipper(void *arg)
{
	struct toggler *t = arg;

	while (!*t->stop)
		*t->flip ^= PCI_COMMAND_MEMORY;
	return NULL;
}

/*
 * Live with one generation on both sides of a read of the command
 * register: decode must have been on in between.
 */
static void *state_observer(void *arg)
{
	struct toggler *t = arg;

	while (!*t->stop) {
		struct vrs_dmabuf_state a, b;
		uint16_t cmd;

		a = state_of(t->fd);
		cmd = config_read16(gpus.a, t->base, PCI_COMMAND);
		b = state_of(t->fd);
		t->observed++;
		if (a.state == VRS_DMABUF_LIVE && b.state == VRS_DMABUF_LIVE &&
		    a.generation == b.generation &&
		    !(cmd & PCI_COMMAND_MEMORY))
			t->violations++;
	}
	return NULL;
}

/*
 * Copies racing the writers: each is canceled or refused, or finishes
 * with VRAM's bytes (a transfer from a BAR that is off would not).
 */
struct copier {
	struct vs_shared *s;
	volatile bool *stop;
	int done, bad;
};

static void *copy_loop(void *arg)
{
	struct copier *c = arg;

	while (!*c->stop) {
		int ret;

		vs_set(c->s->local_map, 0, PAGE);
		ret = vrs_copy(gpus.b, c->s->local, 0, c->s->handle, 0, PAGE);
		if (ret == 0) {
			c->done++;
			if (vs_check(c->s->local_map, PAGE, 31) != -1)
				c->bad++;
		} else if (ret != -ENODEV && ret != -ECANCELED) {
			c->bad++;
		}
	}
	return NULL;
}

/* The state agrees with the command register when nothing runs. */
static void check_state_matches_decode(int fd, off_t base)
{
	bool decode = config_read16(gpus.a, base, PCI_COMMAND) &
		      PCI_COMMAND_MEMORY;

	igt_assert_eq(state_of(fd).state,
		      decode ? VRS_DMABUF_LIVE : VRS_DMABUF_REVOKED);
}

static void toggle_race(bool flipped)
{
	volatile bool stop = false;
	pthread_t on, off, obs, cp;
	struct toggler w_on, w_off, o;
	struct copier c = { 0 };
	volatile uint16_t flip;
	struct vs_shared s;
	off_t base = config_base(gpus.a);
	uint16_t cmd = config_read16(gpus.a, base, PCI_COMMAND);

	shared_open(&s);
	vs_fill(gpus.vram + OFFSET, PAGE, 31);
	/*
	 * Each write revokes, and waits for the engine's transfer in flight:
	 * bounded in time as well. A few hundred writes lose the race on a
	 * driver that restores outside vfio's lock or judges the bytes.
	 */
	w_on = (struct toggler){ .base = base, .iterations = 2000,
				 .end = vs_now_ns() + 30000000000ull,
				 .cmd = cmd | PCI_COMMAND_MEMORY,
				 .stop = &stop, .fd = s.fd };
	w_off = w_on;
	w_off.cmd = cmd & ~PCI_COMMAND_MEMORY;
	o = w_on;
	c.s = &s;
	c.stop = &stop;

	if (flipped) {
		flip = w_on.cmd;
		w_on.flip = &flip;
		igt_assert_eq(pthread_create(&on, NULL, toggle_writer, &w_on), 0);
		igt_assert_eq(pthread_create(&off, NULL, buffer_flipper, &w_on), 0);
	} else {
		igt_assert_eq(pthread_create(&on, NULL, toggle_writer, &w_on), 0);
		igt_assert_eq(pthread_create(&off, NULL, toggle_writer, &w_off), 0);
	}
	igt_assert_eq(pthread_create(&obs, NULL, state_observer, &o), 0);
	igt_assert_eq(pthread_create(&cp, NULL, copy_loop, &c), 0);

	igt_assert_eq(pthread_join(on, NULL), 0);
	if (!flipped)
		igt_assert_eq(pthread_join(off, NULL), 0);
	stop = true;
	if (flipped)
		igt_assert_eq(pthread_join(off, NULL), 0);
	igt_assert_eq(pthread_join(obs, NULL), 0);
	igt_assert_eq(pthread_join(cp, NULL), 0);

	igt_info("%d + %d writes, %d observations, %d copies completed\n",
		 w_on.written, w_off.written, o.observed, c.done);
	igt_assert_lt(100, w_on.written);
	igt_assert_eq(w_on.violations, 0);
	igt_assert_eq(o.violations, 0);
	igt_assert_eq(c.bad, 0);
	check_state_matches_decode(s.fd, base);

	decode_on();
	igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_LIVE);
	copy_and_check(&s, 32);
	shared_close(&s);
}

/* --- dma-bufs closed while revocations run ------------------------------- */

struct churn {
	volatile bool *stop;
	int rounds;
};

/*
 * Exports and closes dma-bufs. One of each round is kept only by an O_PATH
 * open of its /proc/self/fd link until the next round: its file is freed
 * while its dentry, and so the dma-buf, lives on.
 */
static void *export_close_loop(void *arg)
{
	struct churn *c = arg;
	int held = -1;

	while (!*c->stop) {
		char link[64];
		int fds[16], i, next;

		for (i = 0; i < 16; i++) {
			struct vrs_range r = { OFFSET + i * PAGE, PAGE };

			igt_assert_eq(vrs_export(gpus.a, gpus.vram_bar, &r, 1, O_CLOEXEC | O_RDWR,
						 &fds[i]), 0);
		}
		/* One with a CPU mapping: revocations zap it */
		munmap(vs_mmap_dmabuf(fds[0], PAGE), PAGE);
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fds[1]);
		next = open(link, O_PATH | O_CLOEXEC);
		igt_assert(next >= 0);
		for (i = 0; i < 16; i++)
			close(fds[i]);
		if (held >= 0)
			close(held);
		held = next;
		c->rounds++;
	}
	if (held >= 0)
		close(held);
	return NULL;
}

static void *debugfs_loop(void *arg)
{
	struct churn *c = arg;
	char path[128];
	static char text[1 << 16];

	snprintf(path, sizeof(path), "/sys/kernel/debug/vfio_pci_dmabuf/%s",
		 gpus.a_address);
	while (!*c->stop) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		igt_assert(fd >= 0);
		while (read(fd, text, sizeof(text)) > 0)
			;
		close(fd);
		c->rounds++;
	}
	return NULL;
}

/* --- many lingering importers -------------------------------------------- */

struct ti_attach {
	int32_t fd;
	uint32_t flags;
};

#define TI_ATTACH	_IOW('V', 0x40, struct ti_attach)
#define TI_DETACH	_IO('V', 0x41)
#define TI_LINGER	0x3	/* a lingering fence and a late unmap */
#define TI_DETACH_MAPPED 0x4	/* detach without unmapping */

static int open_test_importer(void)
{
	int fd = open("/dev/vrs_test_importer", O_RDWR | O_CLOEXEC);

	igt_require_f(fd >= 0, "no test importer module: %s\n",
		      strerror(errno));
	return fd;
}

/* --- removal and error recovery with the device open --------------------- */

static void *unbind_thread(void *arg)
{
	(void)arg;
	vs_write_file("/sys/bus/pci/drivers/vfio-pci-dmabuf", "unbind",
		      gpus.a_address);
	return NULL;
}

struct in_flight {
	uint32_t src, dst;
	uint64_t len;
	volatile uint64_t started;
	int ret;
};

static void *copy_thread(void *arg)
{
	struct in_flight *f = arg;

	f->started = vs_now_ns();
	f->ret = vrs_copy(gpus.b, f->dst, 0, f->src, 0, f->len);
	return NULL;
}

igt_main
{
	igt_fixture {
		vs_open_exporter(&gpus);
		vs_open_importer(&gpus);
		igt_require(vs_p2p_possible(&gpus));
	}

	igt_describe("Two threads write PCI_COMMAND with decode on and off while a third watches: decode off is never seen with the dma-buf live, and racing copies are canceled or refused, or carry VRAM's bytes");
	igt_subtest("decode-writers-race")
		toggle_race(false);

	igt_describe("The written buffer flips decode while vfio reads it: the dma-buf is never left live with decode off");
	igt_subtest("decode-write-buffer-flipped")
		toggle_race(true);

	igt_describe("D3hot written to the PM control register revokes; D0 restores (NVMe, which has the capability)");
	igt_subtest("pm-d3hot-revokes") {
		struct vrs_range r = { 0, PAGE };
		struct vrs_device *nvme;
		char address[16];
		uint64_t gen;
		uint8_t *cpu;
		off_t base;
		int pm, fd;

		igt_require(vs_find_by_class(0x0108, address, sizeof(address)) == 0);
		igt_assert_eq(vrs_device_open(address, &nvme), 0);
		base = config_base(nvme);
		pm = find_capability(nvme, base, PCI_CAP_ID_PM);
		igt_require_f(pm, "%s has no PM capability\n", address);
		igt_assert_eq(vrs_export(nvme, 2, &r, 1, O_CLOEXEC | O_RDWR, &fd), 0);
		cpu = vs_mmap_dmabuf(fd, PAGE);
		cpu[0] = 0x3c;
		igt_assert_eq(state_on(nvme, fd).state, VRS_DMABUF_LIVE);
		gen = state_on(nvme, fd).generation;

		config_write16(nvme, base, pm + PCI_PM_CTRL,
			       (config_read16(nvme, base, pm + PCI_PM_CTRL) &
				~PCI_PM_CTRL_STATE_MASK) | 3);
		igt_assert_eq(state_on(nvme, fd).state, VRS_DMABUF_REVOKED);
		igt_assert_eq(state_on(nvme, fd).generation, gen + 1);
		igt_assert_eq(vs_touch_in_child(cpu), SIGBUS);

		config_write16(nvme, base, pm + PCI_PM_CTRL,
			       config_read16(nvme, base, pm + PCI_PM_CTRL) &
			       ~PCI_PM_CTRL_STATE_MASK);
		igt_assert_eq(state_on(nvme, fd).state, VRS_DMABUF_LIVE);
		igt_assert_eq(vs_touch_in_child(cpu), 0);
		cpu[1] = 0xc3;
		igt_assert_eq(cpu[1], 0xc3);
		munmap(cpu, PAGE);
		close(fd);
		vrs_device_close(nvme);
	}

	igt_describe("A second LOW_POWER_ENTRY is refused and leaves the dma-buf revoked; EXIT restores");
	igt_subtest("low-power-entry-twice") {
		struct vs_shared s;

		shared_open(&s);
		igt_assert_eq(low_power(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, -1), 0);
		igt_assert_eq(low_power(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, -1),
			      -EINVAL);
		igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_REVOKED);
		igt_assert_eq(vrs_copy(gpus.b, s.local, 0, s.handle, 0, LEN),
			      -ENODEV);
		igt_assert_eq(low_power(VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, -1), 0);
		igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_LIVE);
		copy_and_check(&s, 41);
		shared_close(&s);
	}

	igt_describe("LOW_POWER_EXIT without an entry changes nothing");
	igt_subtest("low-power-exit-without-entry") {
		struct vs_shared s;
		uint64_t gen;

		shared_open(&s);
		gen = state_of(s.fd).generation;
		igt_assert_eq(low_power(VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, -1), 0);
		igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_LIVE);
		igt_assert_eq(state_of(s.fd).generation, gen);
		copy_and_check(&s, 42);
		shared_close(&s);
	}

	igt_describe("LOW_POWER_ENTRY_WITH_WAKEUP revokes; after the wakeup the dma-buf stays revoked until EXIT");
	igt_subtest("low-power-entry-with-wakeup") {
		struct vs_shared s;
		int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

		igt_assert(efd >= 0);
		shared_open(&s);
		igt_assert_eq(low_power(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
					efd), 0);
		/* The query is an ioctl: vfio resumes the device for it */
		igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_REVOKED);
		igt_assert_eq(vrs_copy(gpus.b, s.local, 0, s.handle, 0, LEN),
			      -ENODEV);
		igt_assert_eq(low_power(VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, -1), 0);
		igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_LIVE);
		copy_and_check(&s, 43);
		close(efd);
		shared_close(&s);
	}

	igt_describe("Threads racing LOW_POWER_ENTRY and EXIT (the rig fails any kernel report): the dma-buf live after the last EXIT");
	igt_subtest("low-power-race") {
		pthread_t t[2];
		struct vs_shared s;
		int i;

		shared_open(&s);
		for (i = 0; i < 2; i++)
			igt_assert_eq(pthread_create(&t[i], NULL,
						     low_power_loop, NULL), 0);
		for (i = 0; i < 2; i++)
			igt_assert_eq(pthread_join(t[i], NULL), 0);
		igt_assert_eq(low_power(VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, -1), 0);
		igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_LIVE);
		copy_and_check(&s, 44);
		shared_close(&s);
	}

	igt_describe("Closed in low power: the next open's dma-bufs are live");
	igt_subtest("reopen-after-low-power-close")
		check_reopen(low_power_entry, 45);

	igt_describe("Closed with decode off: the next open's dma-bufs are live");
	igt_subtest("reopen-after-decode-off-close")
		check_reopen(decode_off, 46);

	igt_describe("A reset that leaves decode off in the hardware (cleared behind vfio's back) keeps the dma-buf revoked; decode written on restores it");
	igt_subtest("reset-leaving-decode-off") {
		char path[PATH_MAX];
		struct vs_shared s;
		uint16_t cmd;
		int cfg;

		shared_open(&s);
		/* Root clears decode through sysfs: vfio does not see it */
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config",
			 gpus.a_address);
		cfg = open(path, O_RDWR | O_CLOEXEC);
		igt_assert(cfg >= 0);
		igt_assert_eq(pread(cfg, &cmd, 2, PCI_COMMAND), 2);
		cmd &= ~PCI_COMMAND_MEMORY;
		igt_assert_eq(pwrite(cfg, &cmd, 2, PCI_COMMAND), 2);

		/* The reset saves and restores that state: decode stays off */
		igt_assert_eq(vrs_device_reset(gpus.a), 0);
		igt_assert_eq(pread(cfg, &cmd, 2, PCI_COMMAND), 2);
		igt_assert(!(cmd & PCI_COMMAND_MEMORY));
		igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_REVOKED);
		igt_assert_eq(vrs_copy(gpus.b, s.local, 0, s.handle, 0, LEN),
			      -ENODEV);
		close(cfg);

		decode_on();
		igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_LIVE);
		copy_and_check(&s, 51);
		shared_close(&s);
	}

	igt_describe("An importer keeps a dma-buf of a closed, unbound and re-probed device: a hot reset of the new binding works");
	igt_subtest("hot-reset-after-rebind-with-import") {
		struct vs_shared s;
		int ret;

		shared_open(&s);
		copy_and_check(&s, 47);
		vs_close_exporter(&gpus);
		vs_write_file("/sys/bus/pci/drivers/vfio-pci-dmabuf", "unbind",
			      gpus.a_address);
		vs_write_file("/sys/bus/pci", "drivers_probe", gpus.a_address);
		vs_open_exporter(&gpus);
		ret = vrs_device_hot_reset(gpus.a);
		igt_assert_f(ret == 0, "hot reset: %s\n", strerror(-ret));
		igt_assert_eq(vrs_copy(gpus.b, s.local, 0, s.handle, 0, LEN),
			      -ENODEV);
		shared_close(&s);
	}

	igt_describe("dma-bufs closed, some with their dentry held by O_PATH, while revocations, restores and debugfs readers walk the list (KASAN watches)");
	igt_subtest("close-during-revocations") {
		volatile bool stop = false;
		struct churn exporter = { &stop, 0 }, reader = { &stop, 0 };
		struct vs_shared held[32];
		pthread_t te, tr;
		uint64_t end;
		int i, cycles = 0;

		/* Imported ones make each walk longer */
		for (i = 0; i < 32; i++)
			vs_shared_open(&gpus, &held[i], OFFSET + (64 + i) * PAGE, PAGE);
		igt_assert_eq(pthread_create(&te, NULL, export_close_loop,
					     &exporter), 0);
		igt_assert_eq(pthread_create(&tr, NULL, debugfs_loop, &reader), 0);
		end = vs_now_ns() + 15000000000ull;
		while (vs_now_ns() < end) {
			decode_off();
			decode_on();
			if (++cycles % 25 == 0)
				igt_assert_eq(vrs_device_reset(gpus.a), 0);
		}
		stop = true;
		igt_assert_eq(pthread_join(te, NULL), 0);
		igt_assert_eq(pthread_join(tr, NULL), 0);
		igt_info("%d revocation cycles, %d export rounds, %d debugfs reads\n",
			 cycles, exporter.rounds, reader.rounds);
		igt_assert_lt(0, exporter.rounds);
		for (i = 0; i < 32; i++) {
			igt_assert_eq(state_of(held[i].fd).state, VRS_DMABUF_LIVE);
			shared_close(&held[i]);
		}
	}

	igt_describe("A reset with an importer lingering on 200 dma-bufs waits one bound in all, and names the importer once");
	igt_subtest("lingering-importer-200-bounded") {
		enum { N = 200 };
		int ti[N], fds[N], i, named;
		uint64_t t0, idle, waited, mark;

		ti[0] = open_test_importer();
		close(ti[0]);
		/* Unmaps 10 s late: a bound per dma-buf would take minutes */
		vs_write_file("/sys/module/vrs_test_importer/parameters",
			      "unmap_delay_ms", "10000");
		t0 = vs_now_ns();
		igt_assert_eq(vrs_device_reset(gpus.a), 0);
		idle = vs_now_ns() - t0;

		for (i = 0; i < N; i++) {
			struct vrs_range r = { OFFSET + i * PAGE, PAGE };
			struct ti_attach a = { .flags = TI_LINGER };

			igt_assert_eq(vrs_export(gpus.a, gpus.vram_bar, &r, 1, O_CLOEXEC, &fds[i]), 0);
			ti[i] = open_test_importer();
			a.fd = fds[i];
			igt_assert_eq(ioctl(ti[i], TI_ATTACH, &a), 0);
		}
		mark = vs_kmsg_mark();
		t0 = vs_now_ns();
		igt_assert_eq(vrs_device_reset(gpus.a), 0);
		waited = vs_now_ns() - t0;
		igt_info("idle reset %.2f s, with %d lingering dma-bufs %.2f s\n",
			 idle / 1e9, N, waited / 1e9);
		vs_write_file("/sys/module/vrs_test_importer/parameters",
			      "unmap_delay_ms", "2000");
		/* revoke_timeout_ms is 1000: one bound for the whole revocation */
		igt_assert_lt(waited, idle + 1600000000ull);
		named = vs_kmsg_count(mark, "did not unmap", "importer 0000:");
		igt_assert_eq(named, 1);
		igt_assert_eq(vs_kmsg_count(mark, "did not unmap 200 dma-bufs", ""), 1);
		for (i = 0; i < N; i++) {
			close(ti[i]);
			close(fds[i]);
		}
	}

	igt_describe("An importer that detaches with its mapping held leaves nothing for later revocations to wait for");
	igt_subtest("detach-with-mapping-held") {
		struct ti_attach a = { .flags = TI_DETACH_MAPPED };
		struct vrs_range r = { OFFSET, PAGE };
		uint64_t t0, idle, waited, mark;
		int ti, fd;

		/* The leaked mapping is harmless only without an IOMMU mapping */
		igt_require(!strcmp(vs_expected_route(&gpus), "bus-address"));
		ti = open_test_importer();
		igt_assert_eq(vrs_export(gpus.a, gpus.vram_bar, &r, 1, O_CLOEXEC, &fd), 0);
		t0 = vs_now_ns();
		igt_assert_eq(vrs_device_reset(gpus.a), 0);
		idle = vs_now_ns() - t0;

		a.fd = fd;
		mark = vs_kmsg_mark();
		igt_assert_eq(ioctl(ti, TI_ATTACH, &a), 0);
		igt_assert_eq(ioctl(ti, TI_DETACH), 0);
		igt_assert_eq(vs_kmsg_count(mark, "detached holding a mapping",
					    "importer 0000:"), 1);
		mark = vs_kmsg_mark();
		t0 = vs_now_ns();
		igt_assert_eq(vrs_device_reset(gpus.a), 0);
		waited = vs_now_ns() - t0;
		igt_info("idle reset %.2f s, after the leaky detach %.2f s\n",
			 idle / 1e9, waited / 1e9);
		igt_assert_lt(waited, idle + 500000000ull);
		igt_assert_eq(vs_kmsg_count(mark, "did not unmap", ""), 0);
		close(ti);
		close(fd);
	}

	igt_describe("Unbinding the driver with the vfio device still open revokes at once, before vfio waits for the user");
	igt_subtest("unbind-with-device-open") {
		struct pollfd p = { .events = POLLIN };
		struct vs_shared s;
		pthread_t t;
		uint64_t n;
		uint8_t *cpu;

		shared_open(&s);
		copy_and_check(&s, 48);
		cpu = vs_mmap_dmabuf(s.fd, LEN);
		p.fd = vs_request_eventfd(gpus.a);
		igt_assert_eq(pthread_create(&t, NULL, unbind_thread, NULL), 0);
		igt_assert_f(poll(&p, 1, 10000) == 1, "vfio did not ask for the device\n");
		igt_assert_eq(read(p.fd, &n, sizeof(n)), sizeof(n));

		igt_assert_eq(state_of(s.fd).state, VRS_DMABUF_REVOKED);
		igt_assert_eq(vrs_copy(gpus.b, s.local, 0, s.handle, 0, LEN),
			      -ENODEV);
		igt_assert_eq(vs_touch_in_child(cpu), SIGBUS);

		vs_close_exporter(&gpus);
		igt_assert_eq(pthread_join(t, NULL), 0);
		close(p.fd);
		igt_assert_eq(vs_touch_in_child(cpu), SIGBUS);
		munmap(cpu, LEN);
		shared_close(&s);

		vs_write_file("/sys/bus/pci", "drivers_probe", gpus.a_address);
		vs_open_exporter(&gpus);
		shared_open(&s);
		copy_and_check(&s, 49);
		shared_close(&s);
	}

	igt_describe("A fatal AER error on GPU A's switch port during a copy: revoked before the link reset, the copy canceled, restored once the BARs are");
	igt_subtest("aer-fatal-during-copy") {
		const char *port = getenv("VRAMSHARE_AER_PORT");
		struct in_flight f = { .len = BIG };
		uint64_t gen, mark;
		char command[64];
		pthread_t t;
		int fd, i;

		igt_require_f(port, "the topology names no AER port\n");
		f.src = vs_export_import(&gpus, OFFSET, BIG, &fd);
		igt_assert_eq(vrs_bo_create(gpus.b, BIG, &f.dst), 0);
		gen = state_of(fd).generation;
		mark = vs_kmsg_mark();

		igt_assert_eq(pthread_create(&t, NULL, copy_thread, &f), 0);
		while (!f.started)
			usleep(1000);
		usleep(300 * 1000);
		snprintf(command, sizeof(command), "pcie_aer_inject_error %s SDN",
			 port);
		vs_qemu_monitor(command);
		for (i = 0; i < 200 && !vs_kmsg_contains(mark, "recovery", "successful"); i++)
			usleep(50 * 1000);
		igt_assert_f(i < 200, "no AER recovery in the kernel log\n");
		igt_assert_eq(pthread_join(t, NULL), 0);

		igt_assert_f(f.ret == -ECANCELED, "copy: %s\n", strerror(-f.ret));
		igt_assert_eq(state_of(fd).state, VRS_DMABUF_REVOKED);
		igt_assert_lt(gen, state_of(fd).generation);
		igt_assert_eq(vrs_copy(gpus.b, f.dst, 0, f.src, 0, PAGE), -ENODEV);

		/* vfio restores the BARs when decode is written on again */
		decode_on();
		igt_assert_eq(state_of(fd).state, VRS_DMABUF_LIVE);
		vs_fill(gpus.vram + OFFSET, PAGE, 50);
		igt_assert_eq(vrs_copy(gpus.b, f.dst, 0, f.src, 0, PAGE), 0);
		vrs_bo_close(gpus.b, f.dst);
		vrs_bo_close(gpus.b, f.src);
		close(fd);
	}

	igt_fixture
		vs_close(&gpus);
}
