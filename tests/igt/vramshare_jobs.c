// SPDX-License-Identifier: MIT
/*
 * vramshare_jobs: drm-import's asynchronous jobs on GPU B: copies and
 * fills of every shape, explicit fences (sync_file, drm_syncobj) and
 * implicit ones (another driver's, through a shared object), timeouts,
 * engine hangs, and jobs meeting GPU A's revocations: queued, submitted
 * while revoked, and a storm of resets.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xf86drm.h>
#include <drm/drm_import.h>
#include <linux/dma-buf.h>

#include "igt.h"
#include "vgem.h"
#include "vramshare_igt.h"

#define PAGE		4096ull
#define VRAM_OFFSET	(8ull << 20)	/* in GPU A's VRAM */
#define CANARY		0x5a
#define UNTOUCHED	0xaa

static struct vs_gpus gpus;

/* A local object, mapped. */
struct local {
	uint32_t handle;
	uint8_t *map;
	uint64_t size;
};

static void local_new(struct local *l, uint64_t size)
{
	l->size = size;
	igt_assert_eq(vrs_bo_create(gpus.b, size, &l->handle), 0);
	igt_assert_eq(vrs_bo_mmap(gpus.b, l->handle, size, (void **)&l->map), 0);
}

static void local_free(struct local *l)
{
	munmap(l->map, l->size);
	igt_assert_eq(vrs_bo_close(gpus.b, l->handle), 0);
}

static int b_fd(void)
{
	return vrs_importer_fd(gpus.b);
}

static int submit_on(int fd, struct drm_import_submit *s)
{
	return drmIoctl(fd, DRM_IOCTL_IMPORT_SUBMIT, s) ? -errno : 0;
}

static int submit(struct drm_import_submit *s)
{
	return submit_on(b_fd(), s);
}

static struct drm_import_submit copy_job(uint32_t dst, uint64_t dst_off,
					 uint32_t src, uint64_t src_off,
					 uint64_t size)
{
	struct drm_import_submit s = {
		.op = DRM_IMPORT_JOB_COPY, .dst_handle = dst,
		.dst_offset = dst_off, .src_handle = src,
		.src_offset = src_off, .size = size,
	};
	return s;
}

static struct drm_import_submit fill_job(uint32_t dst, uint64_t off,
					 uint64_t size, uint32_t value)
{
	struct drm_import_submit s = {
		.op = DRM_IMPORT_JOB_FILL, .dst_handle = dst,
		.dst_offset = off, .size = size, .fill_value = value,
	};
	return s;
}

/* Submits on the render node @fd with an out-fence; returns the sync_file. */
static int submit_fenced_on(int fd, struct drm_import_submit *s)
{
	int ret;

	s->flags |= DRM_IMPORT_SUBMIT_OUT_FENCE_FD;
	ret = submit_on(fd, s);
	igt_assert_f(ret == 0, "submit: %s\n", strerror(-ret));
	igt_assert(s->out_fence_fd > 0);
	return s->out_fence_fd;
}

static int submit_fenced(struct drm_import_submit *s)
{
	return submit_fenced_on(b_fd(), s);
}

/* Submits @s on @fd, waiting for the sync_file @in_fence; returns the job's. */
static int submit_after_on(int fd, struct drm_import_submit *s, int in_fence)
{
	s->flags |= DRM_IMPORT_SUBMIT_IN_FENCE_FD;
	s->in_fence_fd = in_fence;
	return submit_fenced_on(fd, s);
}

static int submit_after(struct drm_import_submit *s, int in_fence)
{
	return submit_after_on(b_fd(), s, in_fence);
}

/* Runs a job to its end; returns 0 or its error. */
static int run(struct drm_import_submit s)
{
	int fence = submit_fenced(&s), ret;

	ret = vrs_fence_wait(fence, 60000);
	close(fence);
	igt_assert_f(ret != -ETIME, "job still running after 60 s\n");
	return ret;
}

static void run_ok(struct drm_import_submit s)
{
	int ret = run(s);

	igt_assert_f(ret == 0, "job: %s\n", strerror(-ret));
}

static int bo_wait(uint32_t handle, int64_t timeout_ns)
{
	struct drm_import_bo_wait w = { .handle = handle,
					.timeout_ns = timeout_ns };

	return drmIoctl(b_fd(), DRM_IOCTL_IMPORT_BO_WAIT, &w) ? -errno : 0;
}

/* DRM_IMPORT_BO_STATE_* of an object. */
static uint32_t bo_state(uint32_t handle)
{
	struct drm_import_bo_info info = { .handle = handle };

	igt_assert_eq(drmIoctl(b_fd(), DRM_IOCTL_IMPORT_BO_INFO, &info), 0);
	return info.state;
}

static uint8_t fill_byte(uint32_t value, uint64_t i)
{
	return value >> (8 * (i % 4));
}

/* vgem: a source of fences we signal when we choose. */
struct foreign {
	int vgem;
	uint32_t handle, fence;
	int dmabuf;
};

/* A vgem object of @size with an unsignalled write fence. */
static void foreign_new(struct foreign *f, uint64_t size)
{
	struct drm_mode_create_dumb dumb = { .width = size / 4, .height = 1,
					     .bpp = 32 };
	struct vs_vgem_fence_attach attach = { .flags = VS_VGEM_FENCE_WRITE };

	f->vgem = vs_open_vgem(true);
	igt_assert_eq(drmIoctl(f->vgem, DRM_IOCTL_MODE_CREATE_DUMB, &dumb), 0);
	f->handle = dumb.handle;
	igt_assert_eq(drmPrimeHandleToFD(f->vgem, f->handle,
					 O_CLOEXEC | O_RDWR, &f->dmabuf), 0);
	attach.handle = f->handle;
	igt_assert_eq(drmIoctl(f->vgem, VS_IOCTL_VGEM_FENCE_ATTACH, &attach), 0);
	f->fence = attach.out_fence;
}

/* The foreign object's write fence, as a sync_file. */
static int foreign_sync_file(struct foreign *f)
{
	struct dma_buf_export_sync_file e = { .flags = DMA_BUF_SYNC_READ };

	igt_assert_eq(ioctl(f->dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e), 0);
	return e.fd;
}

static void foreign_signal(struct foreign *f)
{
	struct vs_vgem_fence_signal sig = { .fence = f->fence };

	igt_assert_eq(drmIoctl(f->vgem, VS_IOCTL_VGEM_FENCE_SIGNAL, &sig), 0);
}

static void foreign_free(struct foreign *f)
{
	close(f->dmabuf);
	close(f->vgem);
}

/* GPU A's VRAM window [VRAM_OFFSET, +len) imported on B, with canaries. */
struct window {
	uint32_t handle;
	int dmabuf;
	uint64_t len;
	uint8_t *cpu;
};

static void window_open(struct window *w, uint64_t len)
{
	w->len = len;
	w->cpu = gpus.vram + VRAM_OFFSET;
	vs_set(w->cpu - PAGE, CANARY, PAGE);
	vs_set(w->cpu + len, CANARY, PAGE);
	w->handle = vs_export_import(&gpus, VRAM_OFFSET, len, &w->dmabuf);
}

/* The canaries: the pages next to the exported range never change. */
static void window_close(struct window *w)
{
	igt_assert_eq(vs_check_value(w->cpu - PAGE, CANARY, PAGE), -1);
	igt_assert_eq(vs_check_value(w->cpu + w->len, CANARY, PAGE), -1);
	vrs_bo_close(gpus.b, w->handle);
	close(w->dmabuf);
}

static void write_param(const char *name, const char *value)
{
	vs_write_file("/sys/module/drm_import/parameters", name, value);
}

/* GPU B's PCI address, from its render node. */
static void importer_address(char *address, size_t len)
{
	char link[PATH_MAX], target[PATH_MAX];
	const char *node = strrchr(gpus.b_node, '/');
	ssize_t n;

	igt_assert(node);
	snprintf(link, sizeof(link), "/sys/class/drm%s/device", node);
	n = readlink(link, target, sizeof(target) - 1);
	igt_assert(n > 0);
	target[n] = '\0';
	snprintf(address, len, "%s", strrchr(target, '/') + 1);
}

/* Module @name's file as the rig loaded it (RIG_MODULES lists them). */
static int module_file(const char *name)
{
	const char *list = getenv("RIG_MODULES");
	char path[PATH_MAX], want[64];
	const char *at, *end;

	igt_require_f(list, "RIG_MODULES unset: not in the rig\n");
	snprintf(want, sizeof(want), "/%s.ko", name);
	for (at = strstr(list, want); at; at = strstr(at + 1, want)) {
		end = at + strlen(want);
		if (*end == ' ' || !*end)
			break;
	}
	if (!at)
		return -ENOENT;
	while (at > list && at[-1] != ' ')
		at--;
	snprintf(path, sizeof(path), "%.*s", (int)(end - at), at);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/*
 * Two processes taking turns (the reset storm's resets and its reads of
 * VRAM): a side raises its flag, then waits while the other's is up.
 * Both may back off at once; neither proceeds while the other does.
 */
struct gate {
	int reading;
	int resetting;
};

static void gate_enter(int *mine, int *theirs)
{
	for (;;) {
		__atomic_store_n(mine, 1, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(theirs, __ATOMIC_SEQ_CST))
			return;
		__atomic_store_n(mine, 0, __ATOMIC_SEQ_CST);
		usleep(1000);
	}
}

static void gate_leave(int *mine)
{
	__atomic_store_n(mine, 0, __ATOMIC_SEQ_CST);
}

struct blocked_submit {
	struct drm_import_submit s;
	int ret;
};

static void *submit_thread(void *arg)
{
	struct blocked_submit *b = arg;

	b->ret = submit(&b->s);
	return NULL;
}

/* Writes @n to drm-import's debugfs fault injection file @file. */
static void inject(const char *file, int n)
{
	char path[PATH_MAX], text[16];
	int fd;

	vs_importer_debugfs(&gpus, file, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	igt_assert(fd >= 0);
	snprintf(text, sizeof(text), "%d", n);
	igt_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/*
 * The backend's parameters as the rig gives them: the kernel command
 * line's drm_import_edu.* words.
 */
static void edu_params(char *params, size_t len)
{
	const char *prefix = "drm_import_edu.";
	char cmdline[4096], *word, *save;

	params[0] = '\0';
	vs_read_text("/proc/cmdline", cmdline, sizeof(cmdline));
	for (word = strtok_r(cmdline, " \n", &save); word;
	     word = strtok_r(NULL, " \n", &save))
		if (!strncmp(word, prefix, strlen(prefix)))
			snprintf(params + strlen(params), len - strlen(params),
				 "%s ", word + strlen(prefix));
}

/* A second client of GPU B: its own file, so its own scheduler entity. */
struct client {
	struct vrs_importer *imp;
	int fd;
};

static void client_open(struct client *c)
{
	igt_assert_eq(vrs_importer_open(gpus.b_node, &c->imp), 0);
	c->fd = vrs_importer_fd(c->imp);
}

static void client_local(struct client *c, struct local *l, uint64_t size)
{
	l->size = size;
	igt_assert_eq(vrs_bo_create(c->imp, size, &l->handle), 0);
	igt_assert_eq(vrs_bo_mmap(c->imp, l->handle, size, (void **)&l->map), 0);
}

/* Unloads drm-import (its engine backend first); 0 or -errno after 5 s. */
static int unload_importer(void)
{
	int i, ret = -1;

	for (i = 0; i < 50 && ret; i++) {
		ret = syscall(SYS_delete_module, "drm_import_edu", O_NONBLOCK);
		if (ret && errno == ENOENT)
			ret = 0;
		if (!ret)
			ret = syscall(SYS_delete_module, "drm_import",
				      O_NONBLOCK);
		if (ret)
			usleep(100 * 1000);
	}
	return ret ? -errno : 0;
}

/* Opens GPU B again once its render node is back. */
static void reload_importer_node(void)
{
	int i;

	for (i = 0; i < 50 && vrs_find_importer(gpus.b_node,
					       sizeof(gpus.b_node)); i++)
		usleep(100 * 1000);
	vs_open_importer(&gpus);
}

/* Loads drm-import again from the files the rig loaded, and opens GPU B. */
static void reload_importer(void)
{
	char params[256];
	int ko;

	ko = module_file("drm_import");
	igt_assert(ko >= 0);
	igt_assert_eq(syscall(SYS_finit_module, ko, "", 0), 0);
	close(ko);
	ko = module_file("drm_import_edu");
	if (ko >= 0) {
		edu_params(params, sizeof(params));
		igt_assert_eq(syscall(SYS_finit_module, ko, params, 0), 0);
		close(ko);
	}
	reload_importer_node();
}

/*
 * drm_sched's job timeout on the engine is fixed when the engine
 * registers: set engine_timeout_ms, then unbind and probe GPU B's engine
 * again. GPU B is reopened; objects of the old open are gone with it.
 */
static void set_engine_timeout(const char *ms)
{
	char address[32];

	write_param("engine_timeout_ms", ms);
	importer_address(address, sizeof(address));
	vrs_importer_close(gpus.b);
	gpus.b = NULL;
	vs_write_file("/sys/bus/pci/drivers/drm_import-edu", "unbind", address);
	vs_write_file("/sys/bus/pci", "drivers_probe", address);
	reload_importer_node();
}

struct submitter {
	volatile bool *stop;
	uint32_t handle;
	int submitted, refused;
};

/* Fills in a loop until told to stop; counts what the driver took. */
static void *submit_loop(void *arg)
{
	struct submitter *t = arg;

	while (!*t->stop) {
		struct drm_import_submit s = fill_job(t->handle, 0, 16, 7);

		if (submit(&s) == 0)
			t->submitted++;
		else
			t->refused++;
	}
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
}

struct resetter {
	struct vrs_device *dev;
	int ret;
};

static void *reset_thread(void *arg)
{
	struct resetter *r = arg;

	r->ret = vrs_device_reset(r->dev);
	return NULL;
}

static void check_submit_invalid(void)
{
	struct local a, b;
	struct drm_import_submit s;
	uint32_t syncobj;

	local_new(&a, PAGE);
	local_new(&b, PAGE);
	igt_assert_eq(drmSyncobjCreate(b_fd(), 0, &syncobj), 0);

#define REFUSED(err, ...) do {						\
		s = copy_job(b.handle, 0, a.handle, 0, 16);		\
		__VA_ARGS__;						\
		igt_assert_eq(submit(&s), err);				\
	} while (0)
	REFUSED(-EINVAL, s.op = 0);
	REFUSED(-EINVAL, s.op = 3);
	REFUSED(-EINVAL, s.flags = 0x8);
	REFUSED(-EINVAL, s.flags = 0x80000000u);
	REFUSED(-EINVAL, s.size = 0);
	REFUSED(-EINVAL, s.fill_value = 1);
	REFUSED(-EINVAL, s.timeout_ms = 60001);	/* job_timeout_max_ms */
	REFUSED(-EINVAL, s.out_fence_fd = 3);
	REFUSED(-EINVAL, s.in_fence_fd = 3);
	REFUSED(-EINVAL, s.src_offset = PAGE - 15);
	REFUSED(-EINVAL, s.dst_offset = PAGE);
	REFUSED(-EINVAL, s.src_offset = ~0ull);
	REFUSED(-EINVAL, s.size = ~0ull - 8; s.dst_offset = 16);
	REFUSED(-ENOENT, s.src_handle = 0xdead);
	REFUSED(-ENOENT, s.dst_handle = 0);
	REFUSED(-ENOENT, s.in_syncobj = 0xdead);
	REFUSED(-ENOENT, s.out_syncobj = 0xdead);
	/* A syncobj without a fence is no dependency to wait for */
	REFUSED(-EINVAL, s.in_syncobj = syncobj);
	/* An in-fence that is not a sync_file */
	REFUSED(-EINVAL, s.flags = DRM_IMPORT_SUBMIT_IN_FENCE_FD;
		s.in_fence_fd = b_fd());
	REFUSED(-EINVAL, s.flags = DRM_IMPORT_SUBMIT_IN_FENCE_FD;
		s.in_fence_fd = -1);
	s = fill_job(b.handle, 0, 16, 1);
	s.src_handle = a.handle;
	igt_assert_eq(submit(&s), -EINVAL);
	s = fill_job(b.handle, 0, 16, 1);
	s.src_offset = 1;
	igt_assert_eq(submit(&s), -EINVAL);
	s = fill_job(b.handle, 1, PAGE, 1);
	igt_assert_eq(submit(&s), -EINVAL);
#undef REFUSED

	{
		struct drm_import_bo_wait w = { .handle = a.handle };

		w.flags = 1;
		igt_assert_eq(drmIoctl(b_fd(), DRM_IOCTL_IMPORT_BO_WAIT, &w), -1);
		igt_assert_eq(errno, EINVAL);
		w.flags = 0;
		w.timeout_ns = -1;
		igt_assert_eq(drmIoctl(b_fd(), DRM_IOCTL_IMPORT_BO_WAIT, &w), -1);
		igt_assert_eq(errno, EINVAL);
		igt_assert_eq(bo_wait(0xdead, 0), -ENOENT);
		igt_assert_eq(bo_wait(a.handle, 0), 0);
	}

	/* Nothing was queued: the objects are idle and untouched */
	igt_assert_eq(bo_wait(b.handle, 0), 0);
	drmSyncobjDestroy(b_fd(), syncobj);
	local_free(&a);
	local_free(&b);
}

/* Copies of @cases between local objects; every byte of @dst checked. */
static void check_copies(void)
{
	static const struct { uint64_t src, dst, size; } cases[] = {
		{ 0, 0, 1 }, { 1, 2, 3 }, { 4095, 1, 2 }, { 7, 4093, 4097 },
		{ 5, 100, 2048 }, { 2047, 2049, 2050 }, { 0, 0, 3 * PAGE },
	};
	struct local src, dst;
	unsigned int i;

	local_new(&src, 3 * PAGE);
	local_new(&dst, 3 * PAGE);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t end = cases[i].dst + cases[i].size;

		vs_fill(src.map, src.size, 100 + i);
		vs_set(dst.map, UNTOUCHED, dst.size);
		run_ok(copy_job(dst.handle, cases[i].dst, src.handle,
				cases[i].src, cases[i].size));
		igt_assert_eq(vs_check_value(dst.map, UNTOUCHED, cases[i].dst),
			      -1);
		igt_assert_f(!memcmp(dst.map + cases[i].dst,
				     src.map + cases[i].src, cases[i].size),
			     "case %u: copied bytes differ\n", i);
		igt_assert_eq(vs_check_value(dst.map + end, UNTOUCHED,
					     dst.size - end), -1);
	}
	local_free(&src);
	local_free(&dst);
}

static void check_fill_range(const uint8_t *p, uint64_t size, uint64_t off,
			     uint64_t len, uint32_t value)
{
	uint64_t i;

	for (i = 0; i < size; i++) {
		uint8_t want = i >= off && i < off + len ?
			       fill_byte(value, i - off) : UNTOUCHED;

		igt_assert_f(p[i] == want, "byte %llu: %#x, want %#x\n",
			     (unsigned long long)i, p[i], want);
	}
}

static void check_fills(void)
{
	static const struct { uint64_t off, size; } cases[] = {
		{ 0, 1 }, { 3, 5 }, { 4095, 2 }, { 1, 2 * PAGE + 3 },
		{ 0, 3 * PAGE },
	};
	struct local dst;
	unsigned int i;

	local_new(&dst, 3 * PAGE);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t value = 0x11223344u + i;

		vs_set(dst.map, UNTOUCHED, dst.size);
		run_ok(fill_job(dst.handle, cases[i].off, cases[i].size, value));
		check_fill_range(dst.map, dst.size, cases[i].off,
				 cases[i].size, value);
	}
	local_free(&dst);
}

igt_main
{
	igt_fixture {
		vs_open_exporter(&gpus);
		vs_open_importer(&gpus);
	}

	igt_describe("Malformed submissions and waits are refused and queue nothing");
	igt_subtest("submit-invalid")
		check_submit_invalid();

	igt_describe("Copies of 1 byte, odd offsets, page-crossing and whole-object sizes move exactly those bytes");
	igt_subtest("copy-sizes")
		check_copies();

	igt_describe("Fills of 1 byte, odd offsets and several pages write the pattern and nothing else");
	igt_subtest("fill-sizes")
		check_fills();

	igt_describe("Fills and copies into GPU A's VRAM, peer to peer; the pages around it never change");
	igt_subtest("vram-fill-copy") {
		struct window w;
		struct local l;

		igt_require(vs_p2p_possible(&gpus));
		window_open(&w, 2 * PAGE);
		local_new(&l, 2 * PAGE);
		vs_set(w.cpu, UNTOUCHED, w.len);
		run_ok(fill_job(w.handle, 3, PAGE + 1, 0xa1b2c3d4u));
		check_fill_range(w.cpu, w.len, 3, PAGE + 1, 0xa1b2c3d4u);

		vs_fill(l.map, l.size, 9);
		run_ok(copy_job(w.handle, 1, l.handle, 2, PAGE + 7));
		igt_assert(!memcmp(w.cpu + 1, l.map + 2, PAGE + 7));
		vs_set(l.map, 0, l.size);
		run_ok(copy_job(l.handle, 0, w.handle, 0, w.len));
		igt_assert(!memcmp(l.map, w.cpu, w.len));
		local_free(&l);
		window_close(&w);
	}

	igt_describe("Jobs queue without waiting, run in order, and each waits for the one writing what it reads");
	igt_subtest("queue-in-order") {
		struct local obj[4];
		int fences[3], i;

		for (i = 0; i < 4; i++)
			local_new(&obj[i], PAGE);
		vs_fill(obj[0].map, PAGE, 21);
		for (i = 1; i < 4; i++)
			vs_set(obj[i].map, 0, PAGE);
		/* 0 -> 1 -> 2 -> 3, submitted at once */
		for (i = 0; i < 3; i++) {
			struct drm_import_submit s =
				copy_job(obj[i + 1].handle, 0, obj[i].handle, 0,
					 PAGE);

			fences[i] = submit_fenced(&s);
		}
		igt_assert_eq(bo_wait(obj[3].handle, 0), -ETIMEDOUT);
		igt_assert_eq(bo_wait(obj[3].handle, 60ll * 1000000000), 0);
		for (i = 0; i < 3; i++) {
			igt_assert_eq(vrs_fence_wait(fences[i], 0), 0);
			close(fences[i]);
		}
		igt_assert_eq(vs_check(obj[3].map, PAGE, 21), -1);
		for (i = 0; i < 4; i++)
			local_free(&obj[i]);
	}

	igt_describe("One client's jobs waiting for a fence that has not signalled do not delay another client's: each open file has its own scheduler entity");
	igt_subtest("waiting-client-does-not-block-another") {
		struct drm_import_submit s;
		struct local src, dst, l;
		struct foreign f;
		struct client c;
		int in, out[6], i;

		client_open(&c);
		client_local(&c, &src, PAGE);
		client_local(&c, &dst, PAGE);
		vs_fill(src.map, PAGE, 91);
		vs_set(dst.map, 0, PAGE);
		foreign_new(&f, PAGE);
		in = foreign_sync_file(&f);
		for (i = 0; i < 6; i++) {
			s = copy_job(dst.handle, 0, src.handle, 0, PAGE);
			s.timeout_ms = 60000;
			out[i] = submit_after_on(c.fd, &s, in);
		}

		local_new(&l, PAGE);
		vs_set(l.map, 0, PAGE);
		s = fill_job(l.handle, 0, 64, 0x09090909u);
		s.timeout_ms = 1000;
		igt_assert_eq(run(s), 0);
		igt_assert_eq(vs_check_value(l.map, 9, 64), -1);
		igt_assert_eq(vs_check_value(l.map + 64, 0, PAGE - 64), -1);
		for (i = 0; i < 6; i++)
			igt_assert_eq(vrs_fence_wait(out[i], 0), -ETIME);

		foreign_signal(&f);
		for (i = 0; i < 6; i++) {
			igt_assert_eq(vrs_fence_wait(out[i], 60000), 0);
			close(out[i]);
		}
		igt_assert_eq(vs_check(dst.map, PAGE, 91), -1);
		close(in);
		foreign_free(&f);
		local_free(&l);
		munmap(src.map, src.size);
		munmap(dst.map, dst.size);
		vrs_importer_close(c.imp);
	}

	igt_describe("A reader in one client waits for a writer in another on an object they share through PRIME (implicit synchronisation across entities)");
	igt_subtest("implicit-sync-across-clients") {
		struct drm_import_submit s;
		struct local src, x, y;
		struct foreign f;
		struct client c;
		uint32_t x_here;
		int in, dmabuf, writer, reader;

		client_open(&c);
		client_local(&c, &src, PAGE);
		client_local(&c, &x, PAGE);
		vs_fill(src.map, PAGE, 93);
		vs_set(x.map, 0, PAGE);
		igt_assert_eq(drmPrimeHandleToFD(c.fd, x.handle,
						 O_CLOEXEC | O_RDWR, &dmabuf), 0);
		igt_assert_eq(drmPrimeFDToHandle(b_fd(), dmabuf, &x_here), 0);
		local_new(&y, PAGE);
		vs_set(y.map, 0, PAGE);
		foreign_new(&f, PAGE);
		in = foreign_sync_file(&f);

		/* The other client writes X once the foreign fence signals */
		s = copy_job(x.handle, 0, src.handle, 0, PAGE);
		s.timeout_ms = 60000;
		writer = submit_after_on(c.fd, &s, in);
		/* This one reads X, with no explicit fence */
		s = copy_job(y.handle, 0, x_here, 0, PAGE);
		s.timeout_ms = 60000;
		reader = submit_fenced(&s);
		igt_assert_eq(vrs_fence_wait(reader, 1000), -ETIME);
		igt_assert_eq(vs_check_value(y.map, 0, PAGE), -1);

		foreign_signal(&f);
		igt_assert_eq(vrs_fence_wait(reader, 60000), 0);
		igt_assert_eq(vrs_fence_wait(writer, 0), 0);
		igt_assert_eq(vs_check(y.map, PAGE, 93), -1);
		close(reader);
		close(writer);
		close(in);
		foreign_free(&f);
		local_free(&y);
		igt_assert_eq(vrs_bo_close(gpus.b, x_here), 0);
		close(dmabuf);
		munmap(src.map, src.size);
		munmap(x.map, x.size);
		vrs_importer_close(c.imp);
	}

	igt_describe("A client may have max_queued_jobs jobs waiting; one more is refused with -EBUSY, other clients go on, and the bound frees up as jobs run");
	igt_subtest("queue-depth-bounded") {
		struct drm_import_submit s;
		struct local a, l;
		struct foreign f;
		struct client c;
		int in, out[4], other, i;

		write_param("max_queued_jobs", "4");
		local_new(&a, PAGE);
		foreign_new(&f, PAGE);
		in = foreign_sync_file(&f);
		for (i = 0; i < 4; i++) {
			s = fill_job(a.handle, 0, PAGE, i);
			s.timeout_ms = 60000;
			out[i] = submit_after(&s, in);
		}
		s = fill_job(a.handle, 0, PAGE, 9);
		igt_assert_eq(submit(&s), -EBUSY);

		client_open(&c);
		client_local(&c, &l, PAGE);
		s = fill_job(l.handle, 0, PAGE, 0x0b0b0b0bu);
		other = submit_fenced_on(c.fd, &s);
		igt_assert_eq(vrs_fence_wait(other, 60000), 0);
		igt_assert_eq(vs_check_value(l.map, 0x0b, PAGE), -1);

		foreign_signal(&f);
		for (i = 0; i < 4; i++) {
			igt_assert_eq(vrs_fence_wait(out[i], 60000), 0);
			close(out[i]);
		}
		run_ok(fill_job(a.handle, 0, PAGE, 0x0c0c0c0cu));
		igt_assert_eq(vs_check_value(a.map, 0x0c, PAGE), -1);
		write_param("max_queued_jobs", "256");
		close(other);
		close(in);
		foreign_free(&f);
		local_free(&a);
		munmap(l.map, l.size);
		vrs_importer_close(c.imp);
	}

	igt_describe("Closing a file fails its jobs still waiting for dependencies with -ESRCH at once; they write nothing");
	igt_subtest("close-cancels-waiting-jobs") {
		struct drm_import_submit s;
		struct foreign f;
		struct client c;
		struct local x;
		int in, out, dmabuf;

		/* X seen through a dma-buf: a mapping of the file would keep it open */
		client_open(&c);
		client_local(&c, &x, PAGE);
		munmap(x.map, x.size);
		igt_assert_eq(drmPrimeHandleToFD(c.fd, x.handle,
						 O_CLOEXEC | O_RDWR, &dmabuf), 0);
		x.map = mmap(NULL, x.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			     dmabuf, 0);
		igt_assert(x.map != MAP_FAILED);
		vs_set(x.map, UNTOUCHED, PAGE);
		foreign_new(&f, PAGE);
		in = foreign_sync_file(&f);
		s = fill_job(x.handle, 0, PAGE, 0x0d0d0d0du);
		s.timeout_ms = 60000;
		out = submit_after_on(c.fd, &s, in);
		igt_assert_eq(vrs_fence_wait(out, 300), -ETIME);

		vrs_importer_close(c.imp);
		igt_assert_eq(vrs_fence_wait(out, 5000), -ESRCH);
		foreign_signal(&f);
		igt_assert_eq(vs_check_value(x.map, UNTOUCHED, PAGE), -1);
		close(out);
		close(in);
		foreign_free(&f);
		munmap(x.map, x.size);
		close(dmabuf);
	}

	igt_describe("A job waits for an unsignalled sync_file in-fence (from vgem) and runs once it signals");
	igt_subtest("in-fence-sync-file") {
		struct local src, dst;
		struct foreign f;
		struct drm_import_submit s;
		int in, out;

		local_new(&src, PAGE);
		local_new(&dst, PAGE);
		vs_fill(src.map, PAGE, 31);
		vs_set(dst.map, 0, PAGE);
		foreign_new(&f, PAGE);
		in = foreign_sync_file(&f);

		s = copy_job(dst.handle, 0, src.handle, 0, PAGE);
		out = submit_after(&s, in);
		igt_assert_eq(vrs_fence_wait(out, 1000), -ETIME);
		igt_assert_eq(bo_wait(dst.handle, 0), -ETIMEDOUT);
		igt_assert_eq(vs_check_value(dst.map, 0, PAGE), -1);

		foreign_signal(&f);
		igt_assert_eq(vrs_fence_wait(out, 60000), 0);
		igt_assert_eq(vs_check(dst.map, PAGE, 31), -1);
		close(in);
		close(out);
		foreign_free(&f);
		local_free(&src);
		local_free(&dst);
	}

	igt_describe("drm_syncobj in and out: a job waits for one and signals another, which a next job waits for");
	igt_subtest("syncobj-chain") {
		struct local a, b, c;
		struct foreign f;
		struct drm_import_submit s;
		uint32_t gate, mid, last;
		int in;

		local_new(&a, PAGE);
		local_new(&b, PAGE);
		local_new(&c, PAGE);
		vs_fill(a.map, PAGE, 41);
		vs_set(b.map, 0, PAGE);
		vs_set(c.map, 0, PAGE);
		foreign_new(&f, PAGE);
		in = foreign_sync_file(&f);
		igt_assert_eq(drmSyncobjCreate(b_fd(), 0, &gate), 0);
		igt_assert_eq(drmSyncobjCreate(b_fd(), 0, &mid), 0);
		igt_assert_eq(drmSyncobjCreate(b_fd(), 0, &last), 0);
		igt_assert_eq(drmSyncobjImportSyncFile(b_fd(), gate, in), 0);

		s = copy_job(b.handle, 0, a.handle, 0, PAGE);
		s.in_syncobj = gate;
		s.out_syncobj = mid;
		igt_assert_eq(submit(&s), 0);
		s = copy_job(c.handle, 0, b.handle, 0, PAGE);
		s.in_syncobj = mid;
		s.out_syncobj = last;
		igt_assert_eq(submit(&s), 0);

		igt_assert_eq(drmSyncobjWait(b_fd(), &last, 1, 0, 0, NULL), -ETIME);
		usleep(500 * 1000);
		igt_assert_eq(drmSyncobjWait(b_fd(), &last, 1, 0, 0, NULL), -ETIME);
		foreign_signal(&f);
		igt_assert_eq(drmSyncobjWait(b_fd(), &last, 1, INT64_MAX, 0, NULL), 0);
		igt_assert_eq(vs_check(c.map, PAGE, 41), -1);

		drmSyncobjDestroy(b_fd(), gate);
		drmSyncobjDestroy(b_fd(), mid);
		drmSyncobjDestroy(b_fd(), last);
		close(in);
		foreign_free(&f);
		local_free(&a);
		local_free(&b);
		local_free(&c);
	}

	igt_describe("Implicit sync: a job reading another driver's object waits for that driver's write fence");
	igt_subtest("implicit-foreign-fence") {
		struct local dst;
		struct foreign f;
		uint32_t theirs;
		uint8_t *cpu;
		int out;
		struct drm_import_submit s;

		foreign_new(&f, PAGE);
		cpu = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			   f.dmabuf, 0);
		igt_assert(cpu != MAP_FAILED);
		vs_fill(cpu, PAGE, 51);
		igt_assert_eq(vrs_import(gpus.b, f.dmabuf, &theirs), 0);
		local_new(&dst, PAGE);
		vs_set(dst.map, 0, PAGE);

		s = copy_job(dst.handle, 0, theirs, 0, PAGE);
		out = submit_fenced(&s);
		igt_assert_eq(vrs_fence_wait(out, 1000), -ETIME);
		foreign_signal(&f);
		igt_assert_eq(vrs_fence_wait(out, 60000), 0);
		igt_assert_eq(vs_check(dst.map, PAGE, 51), -1);

		close(out);
		munmap(cpu, PAGE);
		vrs_bo_close(gpus.b, theirs);
		local_free(&dst);
		foreign_free(&f);
	}

	igt_describe("A job whose in-fence never signals fails with -ETIMEDOUT at its timeout; the next one runs");
	igt_subtest("job-timeout") {
		struct local a, b;
		struct foreign f;
		struct drm_import_submit s;
		long long timedout = vs_job_counter(&gpus, "timedout");
		int in, out;

		local_new(&a, PAGE);
		local_new(&b, PAGE);
		foreign_new(&f, PAGE);
		in = foreign_sync_file(&f);
		s = copy_job(b.handle, 0, a.handle, 0, PAGE);
		s.timeout_ms = 300;
		out = submit_after(&s, in);
		igt_assert_eq(vrs_fence_wait(out, 5000), -ETIMEDOUT);
		igt_assert_eq(vs_job_counter(&gpus, "timedout"), timedout + 1);

		vs_fill(a.map, PAGE, 61);
		run_ok(copy_job(b.handle, 0, a.handle, 0, PAGE));
		igt_assert_eq(vs_check(b.map, PAGE, 61), -1);
		foreign_signal(&f);
		close(in);
		close(out);
		foreign_free(&f);
		local_free(&a);
		local_free(&b);
	}

	igt_describe("A transfer whose end never comes: the job fails with -ETIMEDOUT after at most that transfer, the engine is reset and works again");
	igt_subtest("engine-hang-recovery") {
		long long hangs;
		uint64_t mark = vs_kmsg_mark();
		struct local a, b;

		set_engine_timeout("1000");
		hangs = vs_job_counter(&gpus, "hangs");
		local_new(&a, 2 * PAGE);
		local_new(&b, 2 * PAGE);
		vs_fill(a.map, a.size, 71);
		vs_set(b.map, 0, b.size);
		inject("inject_hang", 1);

		igt_assert_eq(run(copy_job(b.handle, 0, a.handle, 0, a.size)),
			      -ETIMEDOUT);
		igt_assert_eq(vs_job_counter(&gpus, "hangs"), hangs + 1);
		igt_assert(vs_kmsg_contains(mark, "transfer hung", "resetting the engine"));
		/* The hung transfer may have landed; nothing after it did */
		igt_assert_eq(vs_check_value(b.map + VS_ENGINE_TRANSFER, 0,
					     b.size - VS_ENGINE_TRANSFER), -1);

		run_ok(copy_job(b.handle, 0, a.handle, 0, a.size));
		igt_assert_eq(vs_check(b.map, b.size, 71), -1);
		local_free(&a);
		local_free(&b);
		set_engine_timeout("10000");
	}

	igt_describe("An engine whose reset fails is lost: the job and every later one fail with -EIO; rebinding the engine's driver brings it back");
	igt_subtest("engine-lost") {
		struct drm_import_submit s;
		uint64_t mark = vs_kmsg_mark();
		struct local a;

		set_engine_timeout("1000");
		local_new(&a, PAGE);
		inject("inject_reset_failure", 1);
		inject("inject_hang", 1);
		igt_assert_eq(run(fill_job(a.handle, 0, PAGE, 1)), -ETIMEDOUT);
		igt_assert(vs_kmsg_contains(mark, "reset failed", "every job will fail"));
		igt_assert_eq(run(fill_job(a.handle, 0, PAGE, 2)), -EIO);
		s = fill_job(a.handle, 0, 16, 3);
		igt_assert_eq(run(s), -EIO);

		/* Rebinding the engine's driver brings it back */
		munmap(a.map, a.size);
		set_engine_timeout("10000");
		local_new(&a, PAGE);
		run_ok(fill_job(a.handle, 0, PAGE, 0x05050505u));
		igt_assert_eq(vs_check_value(a.map, 5, PAGE), -1);
		local_free(&a);
	}

	igt_describe("A reset of GPU A cancels the jobs queued on its memory at once; none writes it, and copies work after");
	igt_subtest("revoke-queued-jobs") {
		long long canceled = vs_job_counter(&gpus, "canceled");
		struct drm_import_submit s;
		struct vrs_bo_info info = { .struct_size = sizeof(info) };
		struct window w;
		struct foreign f;
		struct local l;
		int in, out[2];

		igt_require(vs_p2p_possible(&gpus));
		window_open(&w, PAGE);
		local_new(&l, PAGE);
		vs_fill(l.map, PAGE, 81);
		vs_set(w.cpu, UNTOUCHED, PAGE);
		foreign_new(&f, PAGE);
		in = foreign_sync_file(&f);

		s = copy_job(w.handle, 0, l.handle, 0, PAGE);
		out[0] = submit_after(&s, in);
		s = fill_job(w.handle, 0, PAGE, 7);
		out[1] = submit_fenced(&s);
		igt_assert_eq(vrs_fence_wait(out[0], 300), -ETIME);

		igt_assert_eq(vrs_device_reset(gpus.a), 0);
		igt_assert_eq(vrs_fence_wait(out[0], 0), -ECANCELED);
		igt_assert_eq(vrs_fence_wait(out[1], 0), -ECANCELED);
		igt_assert_eq(vs_job_counter(&gpus, "canceled"), canceled + 2);
		foreign_signal(&f);
		igt_assert_eq(bo_wait(w.handle, 0), 0);
		igt_assert_eq(vs_check_value(w.cpu, UNTOUCHED, PAGE), -1);

		/* Restored and mapped again by the restore: no mapping needed */
		igt_assert(vs_wait_mapped(gpus.b, w.handle));
		igt_assert_eq(vrs_bo_info(gpus.b, w.handle, &info), 0);
		igt_assert_eq(bo_state(w.handle), DRM_IMPORT_BO_STATE_MAPPED);
		run_ok(copy_job(w.handle, 0, l.handle, 0, PAGE));
		igt_assert_eq(vs_check(w.cpu, PAGE, 81), -1);
		{
			struct vrs_bo_info now = { .struct_size = sizeof(now) };

			igt_assert_eq(vrs_bo_info(gpus.b, w.handle, &now), 0);
			igt_assert_eq(now.maps, info.maps);
		}
		close(out[0]);
		close(out[1]);
		close(in);
		foreign_free(&f);
		local_free(&l);
		window_close(&w);
	}

	igt_describe("Submitting while GPU A's memory is revoked: NO_WAIT fails at once, the default waits for the restore, bounded by the timeout");
	igt_subtest("submit-while-revoked") {
		long long refused = vs_job_counter(&gpus, "refused");
		long long deferred = vs_job_counter(&gpus, "deferred");
		struct blocked_submit b;
		struct drm_import_submit s;
		pthread_t thread;
		struct window w;
		struct local l;

		igt_require(vs_p2p_possible(&gpus));
		window_open(&w, PAGE);
		local_new(&l, PAGE);
		vs_fill(l.map, PAGE, 91);
		vs_set(w.cpu, UNTOUCHED, PAGE);
		igt_assert_eq(vrs_device_set_memory_decode(gpus.a, 0), 0);

		s = copy_job(w.handle, 0, l.handle, 0, PAGE);
		s.flags = DRM_IMPORT_SUBMIT_NO_WAIT;
		igt_assert_eq(submit(&s), -ENODEV);
		igt_assert_eq(vrs_copy(gpus.b, w.handle, 0, l.handle, 0, PAGE),
			      -ENODEV);
		igt_assert_eq(vs_job_counter(&gpus, "refused"), refused + 2);
		igt_assert_eq(bo_state(w.handle), DRM_IMPORT_BO_STATE_REVOKED);
		s.flags = 0;
		s.timeout_ms = 300;
		igt_assert_eq(submit(&s), -ETIMEDOUT);
		igt_assert_eq(vs_job_counter(&gpus, "deferred"), deferred + 1);

		/* A submission waiting when the restore comes goes through */
		b.s = copy_job(w.handle, 0, l.handle, 0, PAGE);
		b.s.flags = DRM_IMPORT_SUBMIT_OUT_FENCE_FD;
		b.ret = 1;
		igt_assert_eq(pthread_create(&thread, NULL, submit_thread, &b), 0);
		usleep(500 * 1000);
		igt_assert_eq(b.ret, 1);	/* still waiting */
		igt_assert_eq(vrs_device_set_memory_decode(gpus.a, 1), 0);
		igt_assert_eq(pthread_join(thread, NULL), 0);
		igt_assert_eq(b.ret, 0);
		igt_assert_eq(vrs_fence_wait(b.s.out_fence_fd, 60000), 0);
		igt_assert_eq(vs_check(w.cpu, PAGE, 91), -1);
		igt_assert_eq(vs_job_counter(&gpus, "deferred"), deferred + 2);
		close(b.s.out_fence_fd);
		local_free(&l);
		window_close(&w);
	}

	igt_describe("No DMA reaches a dma-buf revoked for good: the BAR stays live, and its bytes never change");
	igt_subtest("revoked-range-untouched") {
		struct drm_import_submit s;
		uint8_t before[4 * PAGE];
		struct window w;
		struct local l;
		long first;
		int fence;

		igt_require(vs_p2p_possible(&gpus));
		window_open(&w, 4 * PAGE);
		local_new(&l, PAGE);
		vs_fill(l.map, PAGE, 95);
		vs_set(w.cpu, UNTOUCHED, w.len);
		/* A fill in flight when the revocation comes */
		s = fill_job(w.handle, 0, w.len, 0x01010101u);
		fence = submit_fenced(&s);
		usleep(500 * 1000);	/* about two transfers in */
		igt_assert_eq(vrs_dmabuf_revoke(gpus.a, w.dmabuf), 0);
		igt_assert_eq(vrs_fence_wait(fence, 60000), -ECANCELED);
		close(fence);
		/* Whole transfers from the start, then nothing */
		first = vs_check_value(w.cpu, 1, w.len);
		igt_assert_f(first > 0 && first % VS_ENGINE_TRANSFER == 0,
			     "the fill stopped at byte %ld\n", first);
		igt_assert_eq(vs_check_value(w.cpu + first, UNTOUCHED,
					     w.len - first), -1);
		memcpy(before, (const void *)w.cpu, w.len);
		usleep(500 * 1000);
		igt_assert(!memcmp(before, (const void *)w.cpu, w.len));

		s = copy_job(w.handle, 0, l.handle, 0, PAGE);
		s.flags = DRM_IMPORT_SUBMIT_NO_WAIT;
		igt_assert_eq(submit(&s), -ENODEV);
		s = fill_job(w.handle, 0, PAGE, 1);
		s.timeout_ms = 200;
		igt_assert_eq(submit(&s), -ETIMEDOUT);
		igt_assert(!memcmp(before, (const void *)w.cpu, w.len));
		igt_assert_eq(bo_state(w.handle), DRM_IMPORT_BO_STATE_REVOKED);
		local_free(&l);
		window_close(&w);
	}

	igt_describe("100 resets of GPU A while copies into its VRAM run: every job completes intact or fails with -ECANCELED having written only whole transfers, nothing else changes");
	igt_subtest("reset-storm") {
		enum { RESETS = 100, WINDOWS = 4, HALVES = 2 };
		const uint64_t half = VS_ENGINE_TRANSFER, size = HALVES * half;
		long long canceled0 = vs_job_counter(&gpus, "canceled");
		uint32_t expect[WINDOWS][HALVES];
		unsigned int jobs = 0, ok = 0, canceled = 0, partial = 0, k, h;
		struct gate *gate;
		struct window w;
		struct local l;
		int status;
		pid_t child;

		igt_require(vs_p2p_possible(&gpus));
		window_open(&w, WINDOWS * size);
		local_new(&l, WINDOWS * size);
		for (k = 0; k < WINDOWS; k++)
			for (h = 0; h < HALVES; h++) {
				expect[k][h] = 2000 + k * HALVES + h;
				vs_fill(w.cpu + k * size + h * half, half,
					expect[k][h]);
			}

		gate = mmap(NULL, sizeof(*gate), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		igt_assert(gate != MAP_FAILED);
		memset(gate, 0, sizeof(*gate));
		child = fork();
		igt_assert(child >= 0);
		if (child == 0) {
			for (int i = 0; i < RESETS; i++) {
				gate_enter(&gate->resetting, &gate->reading);
				if (vrs_device_reset(gpus.a)) {
					gate_leave(&gate->resetting);
					_exit(1);
				}
				gate_leave(&gate->resetting);
				/* Bursts, with a quiet second now and then */
				usleep(i % 10 == 9 ? 1000000 : (i % 5) * 20000);
			}
			_exit(0);
		}

		while (waitpid(child, &status, WNOHANG) == 0) {
			uint32_t seed = 3000 + jobs * HALVES;
			struct drm_import_submit s;
			bool fresh[HALVES];
			int fence, st;

			k = jobs++ % WINDOWS;
			for (h = 0; h < HALVES; h++)
				vs_fill(l.map + k * size + h * half, half, seed + h);
			s = copy_job(w.handle, k * size, l.handle, k * size, size);
			fence = submit_fenced(&s);
			st = vrs_fence_wait(fence, 60000);
			close(fence);
			igt_assert_f(st == 0 || st == -ECANCELED, "job %u: %s\n",
				     jobs, strerror(-st));
			ok += st == 0;
			canceled += st == -ECANCELED;
			/*
			 * Transfers are whole and in order: each half holds its
			 * old or its new bytes, the second new only after the
			 * first; a completed job wrote both. The CPU reads
			 * between resets, so that it sees a settled BAR.
			 */
			gate_enter(&gate->reading, &gate->resetting);
			for (h = 0; h < HALVES; h++) {
				uint8_t *p = w.cpu + k * size + h * half;

				fresh[h] = vs_check(p, half, seed + h) == -1;
				igt_assert_f(fresh[h] ||
					     vs_check(p, half, expect[k][h]) == -1,
					     "job %u, half %u: neither old nor new bytes\n",
					     jobs, h);
				igt_assert(fresh[h] || st != 0);
				if (fresh[h])
					expect[k][h] = seed + h;
			}
			gate_leave(&gate->reading);
			igt_assert(fresh[0] || !fresh[1]);
			partial += st == -ECANCELED && fresh[0];
		}
		munmap(gate, sizeof(*gate));
		igt_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		igt_info("reset storm: %u jobs, %u completed, %u canceled (%u after one transfer)\n",
			 jobs, ok, canceled, partial);
		igt_assert(ok > 0);
		igt_assert_eq(vs_job_counter(&gpus, "canceled"),
			      canceled0 + canceled);
		for (k = 0; k < WINDOWS; k++)
			for (h = 0; h < HALVES; h++)
				igt_assert_eq(vs_check(w.cpu + k * size + h * half,
						       half, expect[k][h]), -1);
		local_free(&l);
		window_close(&w);
	}

	igt_describe("Unbinding GPU A's driver with jobs queued on its memory: they are canceled, later ones refused, and GPU A works once bound again");
	igt_subtest("exporter-unbind-with-jobs") {
		char path[PATH_MAX];
		struct drm_import_submit s;
		struct window w;
		struct foreign f;
		struct local l;
		int in, out[2];

		igt_require(vs_p2p_possible(&gpus));
		window_open(&w, PAGE);
		local_new(&l, PAGE);
		foreign_new(&f, PAGE);
		in = foreign_sync_file(&f);
		s = copy_job(l.handle, 0, w.handle, 0, PAGE);
		out[0] = submit_after(&s, in);
		s = fill_job(w.handle, 0, PAGE, 3);
		out[1] = submit_fenced(&s);

		/* vfio lets the driver go once its users are gone */
		vs_close_exporter(&gpus);
		vs_write_file("/sys/bus/pci/drivers/vfio-pci-dmabuf", "unbind",
			      gpus.a_address);
		igt_assert_eq(vrs_fence_wait(out[0], 0), -ECANCELED);
		igt_assert_eq(vrs_fence_wait(out[1], 0), -ECANCELED);
		s = fill_job(w.handle, 0, PAGE, 3);
		s.flags = DRM_IMPORT_SUBMIT_NO_WAIT;
		igt_assert_eq(submit(&s), -ENODEV);
		s.flags = 0;
		s.timeout_ms = 100;
		igt_assert_eq(submit(&s), -ETIMEDOUT);
		igt_assert_eq(bo_wait(w.handle, 0), 0);

		vrs_bo_close(gpus.b, w.handle);
		close(w.dmabuf);
		close(out[0]);
		close(out[1]);
		close(in);
		foreign_signal(&f);
		foreign_free(&f);
		local_free(&l);

		vs_write_file("/sys/bus/pci", "drivers_probe", gpus.a_address);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver",
			 gpus.a_address);
		igt_assert(access(path, F_OK) == 0);
		vs_open_exporter(&gpus);
		window_open(&w, PAGE);
		run_ok(fill_job(w.handle, 0, PAGE, 0x04040404u));
		igt_assert_eq(vs_check_value(w.cpu, 4, PAGE), -1);
		window_close(&w);
	}

	igt_describe("Unbinding GPU B's driver with jobs queued and running: they fail with -ENODEV, and a rebound device works");
	igt_subtest("importer-unbind-with-jobs") {
		char address[32], path[PATH_MAX];
		struct drm_import_submit s;
		struct foreign f;
		struct local a, b;
		struct window w;
		uint64_t mark;
		int in, out[3];

		igt_require(vs_p2p_possible(&gpus));
		local_new(&a, PAGE);
		local_new(&b, PAGE);
		window_open(&w, PAGE);
		vs_set(w.cpu, UNTOUCHED, w.len);
		foreign_new(&f, PAGE);
		in = foreign_sync_file(&f);
		s = copy_job(b.handle, 0, a.handle, 0, PAGE);
		out[0] = submit_after(&s, in);
		s = copy_job(a.handle, 0, b.handle, 0, PAGE);
		out[1] = submit_fenced(&s);
		/* An import of GPU A's VRAM, queued and mapped for the engine */
		s = fill_job(w.handle, 0, PAGE, 0x07070707u);
		out[2] = submit_fenced(&s);

		importer_address(address, sizeof(address));
		vs_write_file("/sys/bus/pci/drivers/drm_import-edu", "unbind",
			      address);
		igt_assert_eq(vrs_fence_wait(out[0], 0), -ENODEV);
		igt_assert_eq(vrs_fence_wait(out[1], 0), -ENODEV);
		igt_assert_eq(vrs_fence_wait(out[2], 0), -ENODEV);
		s = copy_job(a.handle, 0, b.handle, 0, PAGE);
		igt_assert_eq(submit(&s), -ENODEV);
		igt_assert_eq(vs_check_value(w.cpu, UNTOUCHED, w.len), -1);
		/* No mapping of the unbound engine lingers: GPU A resets at once */
		mark = vs_kmsg_mark();
		igt_assert_eq(vrs_device_reset(gpus.a), 0);
		igt_assert(!vs_kmsg_contains(mark, "did not unmap", ""));

		munmap(a.map, a.size);
		munmap(b.map, b.size);
		vrs_importer_close(gpus.b);
		gpus.b = NULL;
		igt_assert_eq(vs_check_value(w.cpu - PAGE, CANARY, PAGE), -1);
		igt_assert_eq(vs_check_value(w.cpu + w.len, CANARY, PAGE), -1);
		close(w.dmabuf);
		close(out[0]);
		close(out[1]);
		close(out[2]);
		close(in);
		foreign_signal(&f);
		foreign_free(&f);

		vs_write_file("/sys/bus/pci", "drivers_probe", address);
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/drm_import-edu/%s",
			 address);
		igt_assert(access(path, F_OK) == 0);
		vs_open_importer(&gpus);
		local_new(&a, PAGE);
		vs_set(a.map, 0, PAGE);
		run_ok(fill_job(a.handle, 0, PAGE, 0x01010101u));
		igt_assert_eq(vs_check_value(a.map, 1, PAGE), -1);
		local_free(&a);
	}

	igt_describe("A job with both a sync_file in-fence and an in-syncobj waits for both");
	igt_subtest("in-fence-and-syncobj") {
		struct foreign f1, f2;
		struct drm_import_submit s;
		struct local a, b;
		uint32_t syncobj;
		int in1, in2, out;

		local_new(&a, PAGE);
		local_new(&b, PAGE);
		vs_fill(a.map, PAGE, 33);
		vs_set(b.map, 0, PAGE);
		foreign_new(&f1, PAGE);
		foreign_new(&f2, PAGE);
		in1 = foreign_sync_file(&f1);
		in2 = foreign_sync_file(&f2);
		igt_assert_eq(drmSyncobjCreate(b_fd(), 0, &syncobj), 0);
		igt_assert_eq(drmSyncobjImportSyncFile(b_fd(), syncobj, in2), 0);

		s = copy_job(b.handle, 0, a.handle, 0, PAGE);
		s.in_syncobj = syncobj;
		out = submit_after(&s, in1);
		foreign_signal(&f1);
		usleep(500 * 1000);
		igt_assert_eq(vrs_fence_wait(out, 0), -ETIME);
		igt_assert_eq(vs_check_value(b.map, 0, PAGE), -1);
		foreign_signal(&f2);
		igt_assert_eq(vrs_fence_wait(out, 60000), 0);
		igt_assert_eq(vs_check(b.map, PAGE, 33), -1);

		close(out);
		close(in1);
		close(in2);
		drmSyncobjDestroy(b_fd(), syncobj);
		foreign_free(&f1);
		foreign_free(&f2);
		local_free(&a);
		local_free(&b);
	}

	igt_describe("A signal interrupts COPY's wait with EINTR; the copy goes on and completes once");
	igt_subtest("copy-interrupted") {
		struct sigaction sa = { .sa_handler = on_alarm };
		struct itimerval it = { .it_value = { 0, 300 * 1000 } };
		struct drm_import_copy c = { 0 };
		struct local a, b;
		int ret;

		local_new(&a, 4 * PAGE);
		local_new(&b, 4 * PAGE);
		vs_fill(a.map, a.size, 35);
		vs_set(b.map, 0, b.size);
		igt_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
		c.src_handle = a.handle;
		c.dst_handle = b.handle;
		c.size = a.size;
		igt_assert_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
		/* Not drmIoctl(): it restarts on EINTR */
		ret = ioctl(b_fd(), DRM_IOCTL_IMPORT_COPY, &c);
		igt_assert_eq(ret, -1);
		igt_assert_eq(errno, EINTR);
		igt_assert_eq(bo_wait(b.handle, 60ll * 1000000000), 0);
		igt_assert_eq(vs_check(b.map, b.size, 35), -1);
		signal(SIGALRM, SIG_DFL);
		local_free(&a);
		local_free(&b);
	}

	igt_describe("vrs_copy() under a storm of signals (every 5 ms): an interrupted copy returns -EINTR and goes on; none is submitted twice");
	igt_subtest("lib-copy-signal-storm") {
		struct sigaction sa = { .sa_handler = on_alarm };
		struct itimerval it = { .it_value = { 0, 5000 },
					.it_interval = { 0, 5000 } };
		struct itimerval off = { 0 };
		long long completed;
		int i, ret, interrupted = 0;
		const int copies = 20;
		struct local a, b;

		local_new(&a, 4 * PAGE);
		local_new(&b, 4 * PAGE);
		vs_fill(a.map, a.size, 37);
		vs_set(b.map, 0, b.size);
		completed = vs_job_counter(&gpus, "completed");
		igt_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);	/* no SA_RESTART */
		igt_assert_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
		for (i = 0; i < copies; i++) {
			ret = vrs_copy(gpus.b, b.handle, 0, a.handle, 0, a.size);
			igt_assert_f(ret == 0 || ret == -EINTR, "copy %d: %s\n",
				     i, strerror(-ret));
			interrupted += ret == -EINTR;
			/* Not a chain of waiting jobs: each has a timeout */
			igt_assert_eq(bo_wait(b.handle, 60ll * 1000000000), 0);
		}
		igt_assert_eq(setitimer(ITIMER_REAL, &off, NULL), 0);
		signal(SIGALRM, SIG_DFL);
		igt_info("%d of %d copies interrupted\n", interrupted, copies);

		igt_assert_eq(bo_wait(b.handle, 60ll * 1000000000), 0);
		igt_assert_lt(0, interrupted);
		igt_assert_eq(vs_job_counter(&gpus, "completed"),
			      completed + copies);
		igt_assert_eq(vs_check(b.map, b.size, 37), -1);
		local_free(&a);
		local_free(&b);
	}

	igt_describe("Another driver sees a running job's write fence through the dma-bufs: DMA_BUF_IOCTL_EXPORT_SYNC_FILE of a PRIME-exported local object and of the imported VRAM");
	igt_subtest("write-fence-exported") {
		struct dma_buf_export_sync_file e = { .flags = DMA_BUF_SYNC_READ };
		struct drm_import_submit s;
		struct local a, b;
		struct window w;
		int prime, fence;

		local_new(&a, 4 * PAGE);
		local_new(&b, 4 * PAGE);
		vs_fill(a.map, a.size, 37);
		igt_assert_eq(drmPrimeHandleToFD(b_fd(), b.handle, O_CLOEXEC,
						 &prime), 0);
		s = copy_job(b.handle, 0, a.handle, 0, a.size);
		fence = submit_fenced(&s);
		igt_assert_eq(ioctl(prime, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e), 0);
		igt_assert_eq(vrs_fence_wait(e.fd, 0), -ETIME);
		igt_assert_eq(vrs_fence_wait(e.fd, 60000), 0);
		igt_assert_eq(vrs_fence_wait(fence, 0), 0);
		igt_assert_eq(vs_check(b.map, b.size, 37), -1);
		close(e.fd);
		close(fence);
		close(prime);

		if (vs_p2p_possible(&gpus)) {
			window_open(&w, 2 * PAGE);
			s = fill_job(w.handle, 0, w.len, 0x06060606u);
			fence = submit_fenced(&s);
			e.fd = -1;
			igt_assert_eq(ioctl(w.dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE,
					    &e), 0);
			igt_assert_eq(vrs_fence_wait(e.fd, 0), -ETIME);
			igt_assert_eq(vrs_fence_wait(e.fd, 60000), 0);
			igt_assert_eq(vs_check_value(w.cpu, 6, w.len), -1);
			close(e.fd);
			close(fence);
			window_close(&w);
		}
		local_free(&a);
		local_free(&b);
	}

	igt_describe("A copy between overlapping ranges of one object is refused; disjoint ranges of one object copy exactly");
	igt_subtest("copy-overlap-refused") {
		struct drm_import_submit s;
		struct local a;

		local_new(&a, 2 * PAGE);
		vs_fill(a.map, a.size, 81);
		s = copy_job(a.handle, 1, a.handle, 0, PAGE);
		igt_assert_eq(submit(&s), -EINVAL);
		s = copy_job(a.handle, PAGE, a.handle, PAGE - 1, 2);
		igt_assert_eq(submit(&s), -EINVAL);
		s = copy_job(a.handle, 5, a.handle, 5, 1);
		igt_assert_eq(submit(&s), -EINVAL);
		igt_assert_eq(vs_check(a.map, a.size, 81), -1);

		run_ok(copy_job(a.handle, PAGE, a.handle, 0, PAGE));
		igt_assert(!memcmp(a.map, a.map + PAGE, PAGE));
		igt_assert_eq(vs_check(a.map, PAGE, 81), -1);
		local_free(&a);
	}

	igt_describe("Closing an import while GPU A's reset is inside its move_notify: no use after free, no reference on a freed object");
	igt_subtest("gem-close-racing-reset") {
		struct local busy_src, busy_dst, l;
		int round;

		igt_require(vs_p2p_possible(&gpus));
		local_new(&busy_src, 4 * PAGE);
		local_new(&busy_dst, 4 * PAGE);
		local_new(&l, PAGE);
		for (round = 0; round < 12; round++) {
			struct resetter r = { gpus.a, -1 };
			struct drm_import_submit s;
			uint32_t x;
			int dmabuf, busy;
			pthread_t t;

			x = vs_export_import(&gpus, VRAM_OFFSET, PAGE, &dmabuf);
			close(dmabuf);
			/* In use: the exporter's restore maps it again */
			run_ok(copy_job(l.handle, 0, x, 0, PAGE));
			/* The engine busy: move_notify waits for a transfer */
			s = copy_job(busy_dst.handle, 0, busy_src.handle, 0,
				     busy_src.size);
			busy = submit_fenced(&s);
			igt_assert_eq(pthread_create(&t, NULL, reset_thread, &r),
				      0);
			usleep(10000 * (round % 6));
			igt_assert_eq(vrs_bo_close(gpus.b, x), 0);
			igt_assert_eq(pthread_join(t, NULL), 0);
			igt_assert_eq(r.ret, 0);
			igt_assert_eq(vrs_fence_wait(busy, 60000), 0);
			close(busy);
		}
		local_free(&busy_src);
		local_free(&busy_dst);
		local_free(&l);
	}

	igt_describe("A reset of GPU A does not wait for the engine when no job uses its memory (an idle import, the engine hung elsewhere)");
	igt_subtest("revoke-idle-import-skips-engine") {
		struct drm_import_submit s;
		struct window w;
		struct local a;
		uint64_t t0, took;
		int hung;

		igt_require(vs_p2p_possible(&gpus));
		set_engine_timeout("8000");
		window_open(&w, PAGE);
		local_new(&a, PAGE);
		run_ok(fill_job(w.handle, 0, PAGE, 0x0a0a0a0au));
		inject("inject_hang", 1);
		s = fill_job(a.handle, 0, PAGE, 3);
		hung = submit_fenced(&s);
		usleep(300 * 1000);	/* the transfer is on the engine */
		t0 = vs_now_ns();
		igt_assert_eq(vrs_device_reset(gpus.a), 0);
		took = vs_now_ns() - t0;
		igt_info("reset with an idle import during a hang: %.2f s\n",
			 took / 1e9);
		igt_assert_eq(vrs_fence_wait(hung, 60000), -ETIMEDOUT);
		igt_assert_lt(took, 3000000000ull);
		close(hung);
		local_free(&a);
		window_close(&w);
		set_engine_timeout("10000");
	}

	igt_describe("Submissions racing the engine's unbind: each is refused or ends; once every file is closed the module unloads");
	igt_subtest("submit-racing-engine-unbind") {
		volatile bool stop = false;
		struct submitter t[2];
		char address[32], path[PATH_MAX], text[32];
		struct local a;
		pthread_t th[2];
		int i, ret;

		local_new(&a, PAGE);
		for (i = 0; i < 2; i++) {
			t[i] = (struct submitter){ &stop, a.handle, 0, 0 };
			igt_assert_eq(pthread_create(&th[i], NULL, submit_loop,
						     &t[i]), 0);
		}
		usleep(300 * 1000);
		importer_address(address, sizeof(address));
		vs_write_file("/sys/bus/pci/drivers/drm_import-edu", "unbind",
			      address);
		usleep(300 * 1000);
		stop = true;
		for (i = 0; i < 2; i++) {
			igt_assert_eq(pthread_join(th[i], NULL), 0);
			igt_info("submitter %d: %d taken, %d refused\n", i,
				 t[i].submitted, t[i].refused);
			igt_assert_lt(0, t[i].refused);
		}
		munmap(a.map, a.size);
		vrs_importer_close(gpus.b);
		gpus.b = NULL;

		ret = unload_importer();
		igt_assert_f(ret == 0, "unload: %s (refcnt %s)\n",
			     strerror(-ret),
			     vs_read_text("/sys/module/drm_import/refcnt", text,
					  sizeof(text)));
		reload_importer();
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/drm_import-edu/%s",
			 address);
		igt_assert(access(path, F_OK) == 0);
		local_new(&a, PAGE);
		run_ok(fill_job(a.handle, 0, PAGE, 0x03030303u));
		igt_assert_eq(vs_check_value(a.map, 3, PAGE), -1);
		local_free(&a);
	}

	igt_describe("The module stays while a job's fence exists, even with every file closed; it unloads and loads again after");
	igt_subtest("module-unload-with-fence") {
		struct drm_import_submit s;
		struct local a;
		int fence, ret;
		char text[32];

		local_new(&a, PAGE);
		s = fill_job(a.handle, 0, 16, 5);
		fence = submit_fenced(&s);
		igt_assert_eq(vrs_fence_wait(fence, 60000), 0);
		local_free(&a);
		vrs_importer_close(gpus.b);
		gpus.b = NULL;

		syscall(SYS_delete_module, "drm_import_edu", O_NONBLOCK);
		igt_assert_eq(syscall(SYS_delete_module, "drm_import", O_NONBLOCK), -1);
		igt_assert_eq(errno, EWOULDBLOCK);
		close(fence);
		/* The job is freed by a worker: unload_importer() retries */
		ret = unload_importer();
		igt_assert_f(ret == 0, "unload: %s (refcnt %s)\n", strerror(-ret),
			     vs_read_text("/sys/module/drm_import/refcnt", text,
					  sizeof(text)));
		reload_importer();
		local_new(&a, PAGE);
		run_ok(fill_job(a.handle, 0, PAGE, 0x02020202u));
		igt_assert_eq(vs_check_value(a.map, 2, PAGE), -1);
		local_free(&a);
	}

	igt_fixture
		vs_close(&gpus);
}
