// SPDX-License-Identifier: MIT
/*
 * vramshare_broker: vramshared, the broker, with its clients: buffers
 * allocated by one process and used by others through drm-import, the
 * isolation of tenants, every policy refusal, events of a reset, and the
 * failures: a client killed in the middle of a copy, the broker killed
 * and restarted, a client that never reads, a hostile peer.
 *
 * Each subtest starts its own broker on GPU A (which it then owns: the
 * test itself never opens GPU A through vfio) and talks to it through
 * libvramshare, or byte by byte for the protocol's edge cases.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <drm/drm_import.h>

#include "broker_proto.h"
#include "igt.h"
#include "vramshare_igt.h"
#include "vramshare_broker_rig.h"

#define KIB		1024ull
#define UNTOUCHED	0xaa
/*
 * Bytes the tests copy on GPU B: the rig's engine (edu) moves about
 * 29 KB/s, so a copy is kept to a few transfers.
 */
#define COPY_LEN	(16 * KIB)

/* Fails a forked client: it cannot use igt's asserts. */
#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "client %d, line %d: ", (int)getpid(), __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		_exit(1); \
	} \
} while (0)

static struct vrs_broker *client(const struct broker *br, uint32_t flags)
{
	struct vrs_broker *b;
	int ret = vrs_broker_connect(br->sock, flags, &b);

	igt_assert_f(ret == 0, "connecting to the broker: %s\n", strerror(-ret));
	return b;
}

static struct vrs_buffer *alloc(struct vrs_broker *b, uint64_t size,
				struct vrs_buffer_info *info)
{
	struct vrs_buffer *buf;
	int ret = vrs_broker_alloc(b, "gpu0", size, 0, 0, &buf);

	igt_assert_f(ret == 0, "alloc of %llu bytes: %s\n",
		     (unsigned long long)size, strerror(-ret));
	info->struct_size = sizeof(*info);
	igt_assert_eq(vrs_buffer_info(buf, info), 0);
	igt_assert_eq(info->size, size);
	return buf;
}

static uint8_t *map_buffer(struct vrs_buffer *buf, int prot)
{
	void *p;

	igt_assert_eq(vrs_buffer_mmap(buf, prot, &p), 0);
	return p;
}

/* GPU B, opened in this process (each client process opens its own). */
static struct vrs_importer *importer(void)
{
	struct vs_gpus g = { 0 };

	vs_open_importer(&g);
	return g.b;
}

/* A local object of GPU B, mapped. */
static uint32_t local_bo(struct vrs_importer *imp, uint64_t size,
			 uint8_t **map)
{
	uint32_t h;

	if (vrs_bo_create(imp, size, &h) ||
	    vrs_bo_mmap(imp, h, size, (void **)map))
		return 0;
	return h;
}

/* fd passing between test processes, as any two clients would do it. */
static void send_fd(int sock, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = { 0 };
	char byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&mh);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	igt_assert_eq(sendmsg(sock, &mh, 0), 1);
}

static int recv_fd(int sock)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &mh, 0) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&mh);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/* A client process; it dies with the test, whatever happens to the test. */
static pid_t fork_client(void)
{
	pid_t pid = fork();

	igt_assert(pid >= 0);
	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

static void say(int fd, char what)
{
	igt_assert_eq(write(fd, &what, 1), 1);
}

static char hear(int fd)
{
	char what = 0;

	return read(fd, &what, 1) == 1 ? what : 0;
}

/* What touching @p does in a child: 0, or the signal (SIGBUS). */
static int touch(volatile uint8_t *p)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL);
		(void)*p;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
}

static void wait_ok(pid_t pid, const char *who)
{
	int status;

	igt_assert_eq(waitpid(pid, &status, 0), pid);
	igt_assert_f(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		     "%s failed (status %#x)\n", who, status);
}

static int copy_first(const struct vrs_broker_device *d, void *data)
{
	memcpy(data, d, sizeof(*d));
	return 0;
}

/* The broker's first device into *dev; returns how many it has. */
static int first_device(struct vrs_broker *b, struct vrs_broker_device *dev)
{
	memset(dev, 0, sizeof(*dev));
	return vrs_broker_devices(b, copy_first, dev);
}

static int count_export(const struct vrs_broker_export *e, void *data)
{
	(void)e;
	++*(int *)data;
	return 0;
}

/* The broker's dma-bufs, as an admin sees them. */
static int exports_now(struct vrs_broker *admin)
{
	int n = 0;

	igt_assert(vrs_broker_exports(admin, count_export, &n) >= 0);
	return n;
}

/* Waits (10 s at most) until the broker holds @n dma-bufs. */
static void wait_exports(struct vrs_broker *admin, int n)
{
	for (int i = 0; i < 200 && exports_now(admin) != n; i++)
		usleep(50 * 1000);
	igt_assert_eq(exports_now(admin), n);
}

/*
 * Client B of the isolation test: holds A's dma-buf, imported on GPU B
 * and mapped, while A frees it and C gets its range.
 */
static void isolation_holder(int sock, int to_parent, int from_parent)
{
	struct vrs_importer *imp = importer();
	uint64_t len = COPY_LEN;
	uint32_t handle, local;
	uint8_t *cpu, *lmap;
	int fd = recv_fd(sock);

	CHECK(fd >= 0, "no dma-buf from A");
	CHECK(vrs_import(imp, fd, &handle) == 0, "import");
	local = local_bo(imp, len, &lmap);
	CHECK(local, "local object");
	cpu = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(cpu != MAP_FAILED, "mmap");
	vs_fill(cpu, len, 1);
	CHECK(vrs_copy(imp, local, 0, handle, 0, len) == 0, "copy while A holds it");
	CHECK(vs_check(lmap, len, 1) == -1, "copy while A holds it: wrong bytes");
	say(to_parent, 'r');

	/* A has freed the buffer, C owns the range and wrote its secret. */
	CHECK(hear(from_parent) == 'c', "parent did not reach C's write");
	vs_set(lmap, UNTOUCHED, len);
	CHECK(vrs_copy(imp, local, 0, handle, 0, len) != 0,
	      "copy of a freed buffer succeeded");
	CHECK(vs_check_value(lmap, UNTOUCHED, len) == -1,
	      "a failed copy wrote the local object");
	CHECK(vrs_copy(imp, handle, 0, local, 0, len) != 0,
	      "copy into a freed buffer succeeded");
	CHECK(touch(cpu) == SIGBUS, "CPU mapping of a freed buffer readable");
	CHECK(touch(cpu + len - 1) == SIGBUS, "CPU mapping readable at its end");
	_exit(0);
}

/* One of many clients: allocate, share with GPU B, check every byte, free. */
static void busy_client(const char *sock, unsigned int seed)
{
	struct vrs_importer *imp = importer();
	uint64_t len = 4 * KIB;
	struct vrs_broker *b;

	CHECK(vrs_broker_connect(sock, 0, &b) == 0, "connect");
	for (unsigned int round = 0; round < 1; round++) {
		struct vrs_buffer *buf;
		uint32_t handle, local;
		uint8_t *cpu, *lmap;
		int ret;

		ret = vrs_broker_alloc(b, NULL, len, 0, 0, &buf);
		CHECK(ret == 0, "alloc: %s", strerror(-ret));
		CHECK(vrs_buffer_mmap(buf, PROT_READ | PROT_WRITE, (void **)&cpu) == 0,
		      "mmap");
		CHECK(vs_check_value(cpu, 0, len) == -1, "a new buffer is not zeroed");
		CHECK(vrs_buffer_prime_import(buf, vrs_importer_fd(imp), &handle) == 0,
		      "PRIME import");
		local = local_bo(imp, len, &lmap);
		CHECK(local, "local object");
		vs_fill(cpu, len, seed + round);
		CHECK(vrs_copy(imp, local, 0, handle, 0, len) == 0, "copy out");
		CHECK(vs_check(lmap, len, seed + round) == -1, "copy out: wrong bytes");
		vs_fill(lmap, len, ~(seed + round));
		CHECK(vrs_copy(imp, handle, 0, local, 0, len) == 0, "copy in");
		CHECK(vs_check(cpu, len, ~(seed + round)) == -1, "copy in: wrong bytes");
		munmap(cpu, len);
		munmap(lmap, len);
		vrs_bo_close(imp, handle);
		vrs_bo_close(imp, local);
		CHECK(vrs_broker_free(b, buf) == 0, "free");
	}
	vrs_broker_close(b);
	vrs_importer_close(imp);
	_exit(0);
}

/* Events of one buffer, in order. */
struct seen {
	uint32_t states[16];
	uint64_t generations[16];
	unsigned int n;
};

static void record(struct vrs_broker *broker, struct vrs_buffer *buffer,
		   const struct vrs_event *ev, void *data)
{
	struct seen *seen = data;

	(void)broker;
	if (buffer && seen->n < 16) {
		seen->generations[seen->n] = ev->generation;
		seen->states[seen->n++] = ev->state;
	}
}

/*
 * Dispatches @b's events until @n were seen or 10 s passed. Events that
 * came during other calls wait in the library, not on the socket: a
 * dispatch comes before each poll.
 */
static void wait_events(struct vrs_broker *b, struct seen *seen, unsigned int n)
{
	for (int i = 0; i < 100; i++) {
		struct pollfd pfd = { .fd = vrs_broker_fd(b), .events = POLLIN };

		igt_assert(vrs_broker_dispatch(b, record, seen) >= 0);
		if (seen->n >= n)
			return;
		poll(&pfd, 1, 100);
	}
}

/* Runs @fn as uid @uid in a child; its exit status must be 0. */
static void as_user(uid_t uid, void (*fn)(const struct broker *, uint64_t),
		    const struct broker *br, uint64_t token)
{
	pid_t pid = fork_client();

	igt_assert(pid >= 0);
	if (pid == 0) {
		/* No supplementary group of root's may match a grant. */
		CHECK(setgroups(0, NULL) == 0 && setgid(uid) == 0 &&
		      setuid(uid) == 0, "become uid %u", (unsigned int)uid);
		fn(br, token);
		_exit(0);
	}
	wait_ok(pid, "client of another user");
}

/* uid 65534, grant "limited": every quota, device and admin refusal. */
static void limited_user(const struct broker *br, uint64_t token)
{
	struct vrs_broker *b, *b2, *w;
	struct vrs_buffer *big, *small, *x;
	int ret;

	(void)token;
	CHECK(vrs_broker_connect(br->sock, 0, &b) == 0, "connect");
	CHECK(vrs_broker_is_admin(b) == 0, "limited user is admin");
	CHECK(vrs_broker_alloc(b, "gpu0", 64 * KIB, 0, 0, &big) == 0, "alloc 64K");
	ret = vrs_broker_alloc(b, "gpu0", 64 * KIB, 0, 0, &x);
	CHECK(ret == -EDQUOT, "past client_quota: %d", ret);
	CHECK(strstr(vrs_broker_error(b), "client_quota"),
	      "the refusal's reason: '%s'", vrs_broker_error(b));
	CHECK(vrs_broker_alloc(b, "gpu0", 16 * KIB, 0, 0, &small) == 0, "alloc 16K");
	ret = vrs_broker_alloc(b, "gpu0", 4 * KIB, 0, 0, &x);
	CHECK(ret == -EDQUOT, "past max_buffers: %d", ret);
	ret = vrs_broker_alloc(b, "gpu7", 4 * KIB, 0, 0, &x);
	CHECK(ret == -ENODEV, "unknown device: %d", ret);
	ret = vrs_broker_reset(b, "gpu0");
	CHECK(ret == -EPERM, "reset: %d", ret);
	ret = vrs_broker_free_token(b, 12345);
	CHECK(ret == -EPERM, "free by token: %d", ret);
	ret = vrs_broker_connect(br->sock, VRS_BROKER_WATCH, &w);
	CHECK(ret == -EPERM, "watch: %d", ret);
	/* The uid's quota counts every connection of the uid. */
	CHECK(vrs_broker_connect(br->sock, 0, &b2) == 0, "second connection");
	ret = vrs_broker_alloc(b2, "gpu0", 32 * KIB, 0, 0, &x);
	CHECK(ret == -EDQUOT, "past the uid's quota: %d", ret);
	/* Refusals end nothing: the connection still works. */
	CHECK(vrs_broker_free(b, small) == 0, "free");
	CHECK(vrs_broker_alloc(b2, "gpu0", 16 * KIB, 0, 0, &x) == 0,
	      "alloc within quota again");
	vrs_broker_close(b2);
	vrs_broker_close(b);
}

/* uid 65533, grant "readers": read-only, enforced by the kernel. */
static void reader_user(const struct broker *br, uint64_t token)
{
	struct vrs_importer *imp = importer();
	uint64_t len = COPY_LEN;
	struct vrs_broker *b;
	struct vrs_buffer *buf, *x;
	uint32_t handle, local;
	uint8_t *cpu, *lmap;
	void *p;
	int ret;

	CHECK(vrs_broker_connect(br->sock, 0, &b) == 0, "connect");
	ret = vrs_broker_alloc(b, "gpu0", 4 * KIB, 0, 0, &x);
	CHECK(ret == -EACCES, "read-only grant allocates: %d", ret);
	ret = vrs_broker_open(b, token, 0, &x);
	CHECK(ret == -EACCES, "read-only grant opens read-write: %d", ret);
	ret = vrs_broker_open(b, token, VRS_BUFFER_READ_ONLY, &buf);
	CHECK(ret == 0, "open read-only: %d", ret);

	/* CPU: no writable mapping, by the library nor by the kernel. */
	CHECK(vrs_buffer_mmap(buf, PROT_READ | PROT_WRITE, &p) == -EACCES,
	      "library maps read-only buffer writable");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, vrs_buffer_fd(buf), 0);
	CHECK(p == MAP_FAILED && errno == EACCES, "kernel maps it writable");
	CHECK(vrs_buffer_mmap(buf, PROT_READ, (void **)&cpu) == 0, "read mapping");
	CHECK(vs_check(cpu, len, 7) == -1, "read mapping: wrong bytes");
	CHECK(mprotect(cpu, len, PROT_READ | PROT_WRITE) != 0,
	      "mprotect made a read-only mapping writable");

	/* GPU B: reads from it, never writes into it. */
	CHECK(vrs_buffer_prime_import(buf, vrs_importer_fd(imp), &handle) == 0,
	      "import");
	local = local_bo(imp, len, &lmap);
	CHECK(local, "local object");
	CHECK(vrs_copy(imp, local, 0, handle, 0, len) == 0, "copy out");
	CHECK(vs_check(lmap, len, 7) == -1, "copy out: wrong bytes");
	ret = vrs_copy(imp, handle, 0, local, 0, len);
	CHECK(ret == -EACCES, "copy into a read-only import: %d", ret);
	ret = vrs_bo_mmap(imp, handle, len, &p);
	CHECK(ret == -EACCES, "writable mapping of a read-only import: %d", ret);
	{
		/* Read-only through the DRM node, and it stays so. */
		struct drm_import_bo_mmap_offset off = { .handle = handle };

		CHECK(ioctl(vrs_importer_fd(imp), DRM_IOCTL_IMPORT_BO_MMAP_OFFSET,
			    &off) == 0, "mmap offset");
		p = mmap(NULL, len, PROT_READ, MAP_SHARED, vrs_importer_fd(imp),
			 (off_t)off.offset);
		CHECK(p != MAP_FAILED, "read mapping through GPU B: %s",
		      strerror(errno));
		CHECK(vs_check(p, len, 7) == -1, "read mapping through GPU B: bytes");
		CHECK(mprotect(p, len, PROT_READ | PROT_WRITE) != 0,
		      "mprotect made GPU B's read-only mapping writable");
		munmap(p, len);
	}
	CHECK(vs_check(cpu, len, 7) == -1, "the buffer changed");
	vrs_broker_close(b);
}

/* uid 65532: no grant names it. */
static void stranger_user(const struct broker *br, uint64_t token)
{
	struct vrs_broker *b;
	int ret = vrs_broker_connect(br->sock, 0, &b);

	(void)token;
	CHECK(ret == -EACCES, "a user no grant names connected: %d", ret);
}

/* Raw protocol: one message, and the reply's header and error. */
static int raw_send(int fd, uint16_t type, uint32_t seq, const void *payload,
		    size_t len)
{
	_Alignas(uint64_t) unsigned char buf[VRS_PROTO_MAX_MSG];
	int n = vrs_proto_encode(buf, sizeof(buf), type, seq, payload, len);

	igt_assert(n > 0);
	return (int)send(fd, buf, (size_t)n, MSG_NOSIGNAL);
}

/* The next reply: its type; *error gets an ERROR's errno. 0 when closed. */
static int raw_reply(int fd, uint32_t seq, int *error)
{
	_Alignas(uint64_t) unsigned char buf[VRS_PROTO_MAX_MSG];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct vrs_msg msg;
	ssize_t n;

	igt_assert_eq(poll(&pfd, 1, 5000), 1);
	n = recv(fd, buf, sizeof(buf), 0);
	if (n <= 0)
		return 0;
	igt_assert_eq(vrs_proto_decode(buf, (size_t)n, &msg), 0);
	igt_assert_eq(msg.hdr.seq, seq);
	if (msg.hdr.type == (VRS_MSG_ERROR | VRS_MSG_REPLY)) {
		struct vrs_msg_error err;

		memcpy(&err, msg.payload, sizeof(err));
		*error = err.error;
	}
	return msg.hdr.type;
}

static int raw_hello(const struct broker *br)
{
	struct vrs_msg_hello hello = { .version = VRS_PROTO_VERSION };
	int fd = try_connect(br->sock), error = 0;

	igt_assert(fd >= 0);
	igt_assert(raw_send(fd, VRS_MSG_HELLO, 1, &hello, sizeof(hello)) > 0);
	igt_assert_eq(raw_reply(fd, 1, &error), VRS_MSG_HELLO | VRS_MSG_REPLY);
	return fd;
}

/* Did the broker close @fd? Waits 5 s at most. */
static bool closed_by_broker(int fd)
{
	char buf[VRS_PROTO_MAX_MSG];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (int i = 0; i < 1000; i++) {
		if (poll(&pfd, 1, 5000) != 1)
			return false;
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) == 0)
			return true;
	}
	return false;
}

static int take_export(const struct vrs_broker_export *e, void *data)
{
	*(struct vrs_broker_export *)data = *e;
	return 0;
}

/* The listing names GPU B, which has imported and mapped the one buffer. */
static void check_listed_importer(struct vrs_broker *b, const char *b_node)
{
	const char *node = strrchr(b_node, '/');
	char link[PATH_MAX], target[PATH_MAX];
	struct vrs_broker_export e;
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/class/drm/%s/device",
		 node ? node + 1 : b_node);
	n = readlink(link, target, sizeof(target) - 1);
	igt_assert(n > 0);
	target[n] = '\0';
	memset(&e, 0, sizeof(e));
	igt_assert_eq(vrs_broker_exports(b, take_export, &e), 1);
	igt_assert_eq(e.struct_size, sizeof(e));
	igt_assert(e.flags & VRS_BUFFER_ATTACHMENTS);
	igt_assert_eq(e.nr_attachments, 1);
	igt_assert_f(!strcmp(e.attachments[0].device, strrchr(target, '/') + 1),
		     "listed importer %s, GPU B is %s\n", e.attachments[0].device,
		     strrchr(target, '/') + 1);
	igt_assert_eq(e.attachments[0].mappings, 1);
}

/* Waits (up to 5 minutes) until the broker's free VRAM is all clear. */
static void wait_cleared(struct vrs_broker *b)
{
	struct vrs_broker_device dev;
	int i;

	for (i = 0; i < 3000; i++) {
		igt_assert_eq(first_device(b, &dev), 1);
		if (!(dev.flags & VRS_BROKER_DEVICE_CLEARING))
			return;
		usleep(100 * 1000);
	}
	igt_assert_f(0, "the broker never finished clearing its free VRAM\n");
}

igt_main
{
	struct vs_gpus gpus = { 0 };

	igt_fixture {
		vs_open_importer(&gpus);
	}

	igt_describe("Allocate through the broker, import on GPU B with PRIME, copy both ways through the dma-buf");
	igt_subtest("broker-alloc-import-copy") {
		struct broker br;
		struct vrs_broker *b;
		struct vrs_buffer *buf;
		struct vrs_buffer_info info;
		struct vrs_broker_device dev;
		uint64_t len = COPY_LEN;
		uint32_t handle, local;
		uint8_t *cpu, *lmap;

		broker_start(&br, NULL);
		b = client(&br, 0);
		igt_assert_eq(vrs_broker_is_admin(b), 1);
		igt_assert_eq(first_device(b, &dev), 1);
		igt_assert_eq(strcmp(dev.name, "gpu0"), 0);
		igt_assert(dev.flags & VRS_BROKER_DEVICE_REVOKE);
		buf = alloc(b, len, &info);
		igt_assert(info.flags & VRS_BUFFER_OWNER);
		igt_assert(info.flags & VRS_BUFFER_EVENTS);
		igt_assert_eq(info.state, VRS_BUFFER_LIVE);
		cpu = map_buffer(buf, PROT_READ | PROT_WRITE);
		igt_assert_eq(vs_check_value(cpu, 0, len), -1);
		igt_assert_eq(vrs_buffer_prime_import(buf, vrs_importer_fd(gpus.b),
						      &handle), 0);
		local = local_bo(gpus.b, len, &lmap);
		igt_assert(local);
		vs_fill(cpu, len, 11);
		igt_assert_eq(vrs_copy(gpus.b, local, 0, handle, 0, len), 0);
		igt_assert_eq(vs_check(lmap, len, 11), -1);
		vs_fill(lmap, len, 12);
		igt_assert_eq(vrs_copy(gpus.b, handle, 0, local, 0, len), 0);
		igt_assert_eq(vs_check(cpu, len, 12), -1);
		igt_assert_eq(first_device(b, &dev), 1);
		igt_assert_eq(dev.buffers, 1);
		check_listed_importer(b, gpus.b_node);
		munmap(cpu, len);
		munmap(lmap, len);
		vrs_bo_close(gpus.b, handle);
		vrs_bo_close(gpus.b, local);
		{
			/* A second dma-buf of one's own buffer hears of its free. */
			struct vrs_buffer *second;
			struct seen seen = { .n = 0 };

			igt_assert_eq(vrs_broker_open(b, info.token, 0, &second), 0);
			igt_assert_eq(vrs_broker_free(b, buf), 0);
			wait_events(b, &seen, 1);
			igt_assert_eq(seen.n, 1);
			igt_assert_eq(seen.states[0], VRS_BUFFER_GONE);
			igt_assert_eq(vrs_broker_free(b, second), 0);
		}
		igt_assert_eq(first_device(b, &dev), 1);
		igt_assert_eq(dev.buffers, 0);
		igt_assert_eq(dev.free, dev.largest_free);
		vrs_broker_close(b);
		broker_stop(&br);
	}

	igt_describe("The broker clears free VRAM ahead while idle: the device says so while it does, a range held meanwhile keeps its bytes, a freed range is to be cleared again, and what is handed out after is zeroed");
	igt_subtest("broker-clears-ahead") {
		struct broker br;
		struct vrs_broker *b;
		struct vrs_buffer *buf;
		struct vrs_buffer_info info;
		struct vrs_broker_device dev;
		uint64_t len = 16ull << 20;
		uint8_t *cpu;

		struct vrs_buffer *held;
		uint8_t *held_cpu;

		broker_start(&br, NULL);
		b = client(&br, 0);
		/* 64 MiB at a step per idle turn: it is still at it now. */
		igt_assert_eq(first_device(b, &dev), 1);
		igt_assert(dev.flags & VRS_BROKER_DEVICE_CLEARING);
		/* A range held while the rest is cleared keeps its bytes. */
		held = alloc(b, len, &info);
		held_cpu = map_buffer(held, PROT_READ | PROT_WRITE);
		igt_assert_eq(vs_check_value(held_cpu, 0, len), -1);
		vs_fill(held_cpu, len, 20);
		wait_cleared(b);
		igt_assert_eq(vs_check(held_cpu, len, 20), -1);
		munmap(held_cpu, len);
		igt_assert_eq(vrs_broker_free(b, held), 0);
		wait_cleared(b);
		buf = alloc(b, len, &info);
		cpu = map_buffer(buf, PROT_READ | PROT_WRITE);
		igt_assert_eq(vs_check_value(cpu, 0, len), -1);
		vs_fill(cpu, len, 21);
		munmap(cpu, len);
		igt_assert_eq(first_device(b, &dev), 1);
		igt_assert(!(dev.flags & VRS_BROKER_DEVICE_CLEARING));
		/* Freed: the tenant's 16 MiB are to be cleared again. */
		igt_assert_eq(vrs_broker_free(b, buf), 0);
		igt_assert_eq(first_device(b, &dev), 1);
		igt_assert(dev.flags & VRS_BROKER_DEVICE_CLEARING);
		wait_cleared(b);
		buf = alloc(b, len, &info);
		cpu = map_buffer(buf, PROT_READ);
		igt_assert_eq(vs_check_value(cpu, 0, len), -1);
		munmap(cpu, len);
		igt_assert_eq(vrs_broker_free(b, buf), 0);
		vrs_broker_close(b);
		broker_stop(&br);
	}

	igt_describe("Tenant isolation: A frees a buffer B still holds; C gets the range zeroed; B's copies and CPU mapping fail and never see C's bytes");
	igt_subtest("broker-isolation") {
		struct vrs_broker *a, *c;
		struct vrs_buffer *abuf, *cbuf;
		struct vrs_buffer_info ainfo, cinfo;
		uint64_t len = COPY_LEN;
		int sp[2], go[2], back[2];
		struct broker br;
		uint32_t handle, local;
		uint8_t *cpu, *lmap;
		pid_t pid;

		broker_start(&br, NULL);
		igt_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
		igt_assert_eq(pipe(go), 0);
		igt_assert_eq(pipe(back), 0);
		pid = fork_client();
		igt_assert(pid >= 0);
		if (pid == 0)
			isolation_holder(sp[1], back[1], go[0]);
		close(back[1]);
		close(go[0]);
		a = client(&br, 0);
		abuf = alloc(a, len, &ainfo);
		send_fd(sp[0], vrs_buffer_fd(abuf));
		igt_assert_eq(hear(back[0]), 'r');
		igt_assert_eq(vrs_broker_free(a, abuf), 0);

		c = client(&br, 0);
		cbuf = alloc(c, len, &cinfo);
		igt_assert_eq(cinfo.offset, ainfo.offset);	/* the same range */
		cpu = map_buffer(cbuf, PROT_READ | PROT_WRITE);
		igt_assert_eq(vs_check_value(cpu, 0, len), -1);
		igt_assert_eq(vrs_buffer_prime_import(cbuf, vrs_importer_fd(gpus.b),
						      &handle), 0);
		local = local_bo(gpus.b, len, &lmap);
		igt_assert(local);
		vs_set(lmap, UNTOUCHED, len);
		igt_assert_eq(vrs_copy(gpus.b, local, 0, handle, 0, len), 0);
		igt_assert_eq(vs_check_value(lmap, 0, len), -1);
		vs_fill(cpu, len, 0xc0ffee);	/* C's secret */
		say(go[1], 'c');
		wait_ok(pid, "holder B");
		igt_assert_eq(vs_check(cpu, len, 0xc0ffee), -1);
		vrs_bo_close(gpus.b, handle);
		vrs_bo_close(gpus.b, local);
		vrs_broker_close(a);
		vrs_broker_close(c);
		broker_stop(&br);
	}

	igt_describe("64 clients at once allocate, import on GPU B, copy both ways with every byte checked, and free");
	igt_subtest("broker-64-clients") {
		struct vrs_broker_device dev;
		struct vrs_broker *admin;
		struct broker br;
		pid_t pids[64];

		broker_start(&br, NULL);
		admin = client(&br, 0);
		igt_assert_eq(first_device(admin, &dev), 1);
		igt_require(dev.bar_size >= 64 * 4 * KIB);
		for (int i = 0; i < 64; i++) {
			pids[i] = fork_client();
			igt_assert(pids[i] >= 0);
			if (pids[i] == 0)
				busy_client(br.sock, 1000u * (unsigned int)i);
		}
		for (int i = 0; i < 64; i++)
			wait_ok(pids[i], "client");
		igt_assert_eq(exports_now(admin), 0);
		igt_assert_eq(first_device(admin, &dev), 1);
		igt_assert_eq(dev.buffers, 0);
		igt_assert_eq(dev.free, dev.bar_size & ~4095ull);
		vrs_broker_close(admin);
		broker_stop(&br);
	}

	igt_describe("A client killed while GPU B copies into its buffer: the broker revokes and reclaims it; the next tenant's range is zeroed and stays so");
	igt_subtest("broker-client-killed-mid-copy") {
		struct vrs_buffer_info info, again;
		struct vrs_broker *admin, *next;
		struct vrs_buffer *buf;
		uint64_t len = 128 * KIB;	/* several seconds on the engine */
		uint64_t dead_offset = ~0ull;
		int ready[2];
		struct broker br;
		uint8_t *cpu;
		pid_t pid;

		broker_start(&br, NULL);
		admin = client(&br, 0);
		igt_assert_eq(pipe(ready), 0);
		pid = fork_client();
		igt_assert(pid >= 0);
		if (pid == 0) {
			struct vrs_importer *imp = importer();
			struct vrs_job job = {
				.struct_size = sizeof(job), .op = VRS_JOB_COPY,
			};
			struct vrs_broker *b;
			struct vrs_buffer *mine;
			uint32_t handle, local;
			uint8_t *lmap;

			struct vrs_buffer_info mi = { .struct_size = sizeof(mi) };

			CHECK(vrs_broker_connect(br.sock, 0, &b) == 0, "connect");
			CHECK(vrs_broker_alloc(b, "gpu0", len, 0, 0, &mine) == 0, "alloc");
			CHECK(vrs_buffer_info(mine, &mi) == 0, "info");
			CHECK(write(ready[1], &mi.offset, sizeof(mi.offset)) ==
			      sizeof(mi.offset), "tell the offset");
			CHECK(vrs_buffer_prime_import(mine, vrs_importer_fd(imp),
						      &handle) == 0, "import");
			local = local_bo(imp, len, &lmap);
			CHECK(local, "local object");
			vs_fill(lmap, len, 99);
			job.dst = handle;
			job.src = local;
			job.size = len;
			for (int i = 0; i < 4; i++)
				CHECK(vrs_submit(imp, &job, NULL) == 0, "submit");
			/* The first copy is on the engine (seconds long) by then. */
			usleep(200 * 1000);
			say(ready[1], 'k');
			pause();
			_exit(0);
		}
		close(ready[1]);
		igt_assert_eq(read(ready[0], &dead_offset, sizeof(dead_offset)),
			      sizeof(dead_offset));
		igt_assert_eq(hear(ready[0]), 'k');
		igt_assert_eq(kill(pid, SIGKILL), 0);
		igt_assert_eq(waitpid(pid, NULL, 0), pid);
		wait_exports(admin, 0);

		next = client(&br, 0);
		buf = alloc(next, len, &info);
		igt_assert_eq(info.offset, dead_offset);	/* reclaimed, reused */
		cpu = map_buffer(buf, PROT_READ);
		igt_assert_eq(vs_check_value(cpu, 0, len), -1);
		/* Nothing of the dead client's copies lands afterwards. */
		usleep(500 * 1000);
		igt_assert_eq(vs_check_value(cpu, 0, len), -1);
		again.struct_size = sizeof(again);
		igt_assert_eq(vrs_buffer_info(buf, &again), 0);
		igt_assert_eq(again.state, VRS_BUFFER_LIVE);
		munmap(cpu, len);
		vrs_broker_close(next);
		vrs_broker_close(admin);
		broker_stop(&br);
	}

	igt_describe("The broker killed: its clients see every buffer gone, their copies and mappings fail; a restarted broker serves again with zeroed VRAM");
	igt_subtest("broker-killed-and-restarted") {
		struct vrs_buffer_info info;
		struct vrs_buffer *buf;
		struct vrs_broker *b;
		struct broker br;
		struct seen seen = { .n = 0 };
		uint64_t len = COPY_LEN;
		uint32_t handle, local;
		uint8_t *cpu, *lmap;
		int ret;

		broker_start(&br, NULL);
		b = client(&br, 0);
		buf = alloc(b, len, &info);
		cpu = map_buffer(buf, PROT_READ | PROT_WRITE);
		vs_fill(cpu, len, 5);
		igt_assert_eq(vrs_buffer_prime_import(buf, vrs_importer_fd(gpus.b),
						      &handle), 0);
		local = local_bo(gpus.b, len, &lmap);
		igt_assert(local);
		broker_kill(&br);

		ret = vrs_broker_dispatch(b, record, &seen);
		igt_assert_eq(ret, -ECONNRESET);
		igt_assert_eq(seen.n, 1);
		igt_assert_eq(seen.states[0], VRS_BUFFER_GONE);
		igt_assert_eq(vrs_broker_dispatch(b, record, &seen), -ENOTCONN);
		vs_set(lmap, UNTOUCHED, len);
		igt_assert_neq(vrs_copy(gpus.b, local, 0, handle, 0, len), 0);
		igt_assert_eq(vs_check_value(lmap, UNTOUCHED, len), -1);
		igt_assert_eq(touch(cpu), SIGBUS);
		igt_assert_eq(vrs_broker_free(b, buf), 0);	/* nothing to tell */
		vrs_bo_close(gpus.b, handle);
		vrs_broker_close(b);

		broker_start(&br, NULL);
		b = client(&br, 0);
		buf = alloc(b, len, &info);
		munmap(cpu, len);
		cpu = map_buffer(buf, PROT_READ | PROT_WRITE);
		igt_assert_eq(vs_check_value(cpu, 0, len), -1);
		igt_assert_eq(vrs_buffer_prime_import(buf, vrs_importer_fd(gpus.b),
						      &handle), 0);
		vs_fill(cpu, len, 6);
		igt_assert_eq(vrs_copy(gpus.b, local, 0, handle, 0, len), 0);
		igt_assert_eq(vs_check(lmap, len, 6), -1);
		vrs_bo_close(gpus.b, handle);
		vrs_bo_close(gpus.b, local);
		vrs_broker_close(b);
		broker_stop(&br);
	}

	igt_describe("Every policy refusal: quotas per client and per uid, max_buffers, unknown device, admin-only calls, read-only grants enforced by the kernel, unknown users; one log line each");
	igt_subtest("broker-policy-denials") {
		static const char policy[] =
			"[grant admin]\nusers = 0\nadmin = yes\n"
			"[grant limited]\nusers = 65534\ndevices = gpu0\n"
			"quota = 100K\nclient_quota = 96K\nmax_buffers = 2\n"
			"[grant readers]\nusers = 65533\naccess = ro\n";
		struct vrs_buffer_info info;
		struct vrs_buffer *buf;
		struct vrs_broker *b;
		struct broker br;
		struct stat st;
		uint8_t *cpu;
		char node[80];

		broker_start(&br, policy);
		/* Other users reach GPU B's render node. */
		snprintf(node, sizeof(node), "%s", gpus.b_node);
		igt_assert_eq(stat(node, &st), 0);
		igt_assert_eq(chmod(node, 0666), 0);
		b = client(&br, 0);
		buf = alloc(b, COPY_LEN, &info);
		cpu = map_buffer(buf, PROT_READ | PROT_WRITE);
		vs_fill(cpu, COPY_LEN, 7);

		as_user(65534, limited_user, &br, info.token);
		as_user(65533, reader_user, &br, info.token);
		as_user(65532, stranger_user, &br, info.token);
		igt_assert_eq(vs_check(cpu, COPY_LEN, 7), -1);
		/* Only root's buffer is left; each refusal was logged once. */
		igt_assert_eq(exports_now(b), 1);
		munmap(cpu, COPY_LEN);
		vrs_broker_close(b);
		broker_stop(&br);
		igt_assert_eq(chmod(node, st.st_mode & 07777), 0);
		igt_assert_eq(broker_log_count(&br, "refused"), 10);
	}

	igt_describe("A reset of GPU A while a client holds a buffer: the client sees revoke then restore, and its next copy is correct; each of many resets in a row reaches it as its own pair before the reset's reply");
	igt_subtest("broker-reset-events") {
		struct vrs_buffer_info info;
		struct vrs_broker *b, *admin, *watcher;
		struct vrs_buffer *buf;
		struct broker br;
		struct seen seen = { .n = 0 }, watched = { .n = 0 };
		uint64_t len = COPY_LEN;
		uint32_t handle, local;
		uint8_t *cpu, *lmap;

		broker_start(&br, NULL);
		b = client(&br, 0);
		admin = client(&br, 0);
		watcher = client(&br, VRS_BROKER_WATCH);
		buf = alloc(b, len, &info);
		cpu = map_buffer(buf, PROT_READ | PROT_WRITE);
		igt_assert_eq(vrs_buffer_prime_import(buf, vrs_importer_fd(gpus.b),
						      &handle), 0);
		local = local_bo(gpus.b, len, &lmap);
		igt_assert(local);

		igt_assert_eq(vrs_broker_reset(admin, "gpu0"), 0);
		wait_events(b, &seen, 2);
		igt_assert_eq(seen.n, 2);
		igt_assert_eq(seen.states[0], VRS_BUFFER_REVOKED);
		igt_assert_eq(seen.states[1], VRS_BUFFER_LIVE);
		info.struct_size = sizeof(info);
		igt_assert_eq(vrs_buffer_info(buf, &info), 0);
		igt_assert_eq(info.state, VRS_BUFFER_LIVE);
		igt_assert(info.generation >= 2);
		vs_fill(cpu, len, 21);
		igt_assert_eq(vrs_copy(gpus.b, local, 0, handle, 0, len), 0);
		igt_assert_eq(vs_check(lmap, len, 21), -1);

		/* A watcher sees the same, as another holder's (no buffer of its own). */
		for (int i = 0; i < 50; i++) {
			struct pollfd pfd = { .fd = vrs_broker_fd(watcher), .events = POLLIN };

			if (poll(&pfd, 1, 100) > 0)
				watched.n += (unsigned int)vrs_broker_dispatch(watcher, NULL, NULL);
			if (watched.n >= 2)
				break;
		}
		igt_assert_eq(watched.n, 2);

		/*
		 * Resets back to back: the reply to each comes after the
		 * holder was sent that reset's pair, so none is merged.
		 */
		for (int i = 0; i < 8; i++) {
			struct pollfd pfd = { .fd = vrs_broker_fd(b), .events = POLLIN };
			uint64_t generation = info.generation;

			igt_assert_eq(vrs_broker_reset(admin, "gpu0"), 0);
			igt_assert_f(poll(&pfd, 1, 0) == 1,
				     "reset %d replied before its events\n", i);
			seen.n = 0;
			igt_assert(vrs_broker_dispatch(b, record, &seen) >= 0);
			igt_assert_eq(seen.n, 2);
			igt_assert_eq(seen.states[0], VRS_BUFFER_REVOKED);
			igt_assert_eq(seen.states[1], VRS_BUFFER_LIVE);
			igt_assert_eq(seen.generations[0], generation + 1);
			igt_assert_eq(seen.generations[1], generation + 2);
			igt_assert_eq(vrs_buffer_info(buf, &info), 0);
			igt_assert_eq(info.generation, generation + 2);
		}

		vrs_bo_close(gpus.b, handle);
		vrs_bo_close(gpus.b, local);
		munmap(cpu, len);
		vrs_broker_close(watcher);
		vrs_broker_close(admin);
		vrs_broker_close(b);
		broker_stop(&br);
	}

	igt_describe("A holder whose importer keeps mapping after the revoke bound: the range is never handed out again");
	igt_subtest("broker-lingering-importer-quarantine") {
		struct { int32_t fd; uint32_t flags; } attach;
		struct vrs_buffer_info info, hinfo, next;
		struct vrs_broker *owner, *holder;
		struct vrs_buffer *buf, *held, *again;
		struct broker br;
		int ti;

		ti = open("/dev/vrs_test_importer", O_RDWR | O_CLOEXEC);
		igt_require_f(ti >= 0, "no test importer module: %s\n",
			      strerror(errno));
		broker_start(&br, NULL);
		owner = client(&br, 0);
		holder = client(&br, 0);
		buf = alloc(owner, COPY_LEN, &info);
		igt_assert_eq(vrs_broker_open(holder, info.token, 0, &held), 0);
		hinfo.struct_size = sizeof(hinfo);
		igt_assert_eq(vrs_buffer_info(held, &hinfo), 0);
		igt_assert_eq(hinfo.offset, info.offset);
		/* An importer of the holder's dma-buf unmaps 2 s after move_notify. */
		attach.fd = vrs_buffer_fd(held);
		attach.flags = 0x1;
		igt_assert_eq(ioctl(ti, _IOW('V', 0x40, typeof(attach)), &attach), 0);
		/* The holder lets go: the revoke finds the importer still mapped. */
		igt_assert_eq(vrs_broker_free(holder, held), 0);
		igt_assert_eq(vrs_broker_free(owner, buf), 0);
		igt_assert_eq(broker_log_count(&br, "still maps"), 1);
		igt_assert_eq(broker_log_count(&br, "not reused"), 1);
		/* The next allocation of that size lands elsewhere. */
		again = alloc(owner, COPY_LEN, &next);
		igt_assert_neq(next.offset, info.offset);
		igt_assert_eq(vrs_broker_free(owner, again), 0);
		igt_assert_eq(ioctl(ti, _IO('V', 0x41)), 0);
		close(ti);
		vrs_broker_close(holder);
		vrs_broker_close(owner);
		broker_stop(&br);
	}

	igt_describe("A client that never reads its socket is disconnected once its queue is full; the broker and other clients go on");
	igt_subtest("broker-client-never-reads") {
		struct vrs_buffer_info info;
		struct vrs_broker *slow, *other;
		struct vrs_buffer *bufs[64], *buf;
		struct broker br;
		int fd;

		broker_start_with(&br, NULL, 8);
		slow = client(&br, 0);
		other = client(&br, 0);
		for (int i = 0; i < 64; i++)
			bufs[i] = alloc(slow, 4 * KIB, &info);
		fd = vrs_broker_fd(slow);
		/*
		 * Each reset sends 2 events per buffer, 128 here: the socket
		 * buffer fills after a few, then the queue of 8.
		 */
		for (int i = 0; i < 20 &&
		     !broker_log_count(&br, "does not read its socket"); i++) {
			igt_assert_eq(vrs_broker_reset(other, "gpu0"), 0);
			buf = alloc(other, 4 * KIB, &info);
			igt_assert_eq(vrs_broker_free(other, buf), 0);
		}
		igt_assert(closed_by_broker(fd));
		igt_assert_eq(exports_now(other), 0);
		igt_assert_eq(broker_log_count(&br, "does not read its socket"), 1);
		(void)bufs;
		vrs_broker_close(slow);
		buf = alloc(other, 4 * KIB, &info);
		igt_assert_eq(vrs_broker_free(other, buf), 0);
		vrs_broker_close(other);
		broker_stop(&br);
	}

	igt_describe("A holder that has closed its end when its event is sent: disconnected as a peer that left, with no warning");
	igt_subtest("broker-holder-gone-before-event") {
		struct vrs_buffer_info info;
		struct vrs_broker *owner, *holder;
		struct vrs_buffer *buf, *held;
		struct broker br;

		broker_start(&br, NULL);
		owner = client(&br, 0);
		holder = client(&br, 0);
		buf = alloc(owner, 4 * KIB, &info);
		igt_assert_eq(vrs_broker_open(holder, info.token, 0, &held), 0);
		/* Reads nothing more: the broker's next send finds it closed. */
		igt_assert_eq(shutdown(vrs_broker_fd(holder), SHUT_RD), 0);
		/* The GONE for the holder is sent before the reply. */
		igt_assert_eq(vrs_broker_free(owner, buf), 0);
		igt_assert_eq(exports_now(owner), 0);
		/* It was disconnected (client 1 was the start's probe). */
		for (int i = 0; i < 100 && !broker_log_count(&br, "client 3: gone"); i++)
			usleep(50 * 1000);
		igt_assert_eq(broker_log_count(&br, "client 3: gone"), 1);
		vrs_broker_close(holder);
		vrs_broker_close(owner);
		broker_stop(&br);
		igt_assert_eq(broker_log_count(&br, "warning"), 0);
	}

	igt_describe("Hostile peers: unknown types and bad payloads get errors, descriptors they send are closed, bad headers and huge messages end only their connection");
	igt_subtest("broker-hostile-peer") {
		struct vrs_msg_alloc short_alloc[1] = { 0 };
		struct vrs_buffer_info info;
		struct vrs_broker *good;
		struct vrs_buffer *buf;
		static char huge[VRS_PROTO_MAX_MSG * 2];
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} control = { 0 };
		_Alignas(uint64_t) unsigned char msg[64];
		struct iovec iov;
		struct msghdr mh = { 0 };
		struct cmsghdr *cmsg;
		struct broker br;
		int fd, error, pipefd[2], n;

		broker_start(&br, NULL);
		good = client(&br, 0);
		buf = alloc(good, 4 * KIB, &info);

		/* Before HELLO: an error, not a disconnect. */
		fd = try_connect(br.sock);
		igt_assert(fd >= 0);
		igt_assert(raw_send(fd, VRS_MSG_DEVICES, 3, NULL, 0) > 0);
		error = 0;
		igt_assert_eq(raw_reply(fd, 3, &error), VRS_MSG_ERROR | VRS_MSG_REPLY);
		igt_assert_eq(error, EPROTO);
		close(fd);

		fd = raw_hello(&br);
		igt_assert(raw_send(fd, 99, 4, NULL, 0) > 0);
		igt_assert_eq(raw_reply(fd, 4, &error), VRS_MSG_ERROR | VRS_MSG_REPLY);
		igt_assert_eq(error, EOPNOTSUPP);
		igt_assert(raw_send(fd, VRS_MSG_ALLOC, 5, short_alloc,
				    sizeof(short_alloc) - 8) > 0);
		igt_assert_eq(raw_reply(fd, 5, &error), VRS_MSG_ERROR | VRS_MSG_REPLY);
		igt_assert_eq(error, EPROTO);
		igt_assert(raw_send(fd, VRS_MSG_DEVICES, 6, NULL, 0) > 0);
		igt_assert_eq(raw_reply(fd, 6, &error), VRS_MSG_DEVICES | VRS_MSG_REPLY);

		/* A descriptor sent along is closed: the pipe loses its reader. */
		igt_assert_eq(pipe(pipefd), 0);
		n = vrs_proto_encode(msg, sizeof(msg), VRS_MSG_DEVICES, 7, NULL, 0);
		iov.iov_base = msg;
		iov.iov_len = (size_t)n;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &pipefd[0], sizeof(int));
		igt_assert_eq(sendmsg(fd, &mh, 0), n);
		igt_assert_eq(raw_reply(fd, 7, &error), VRS_MSG_DEVICES | VRS_MSG_REPLY);
		close(pipefd[0]);
		signal(SIGPIPE, SIG_IGN);
		igt_assert_eq(write(pipefd[1], "x", 1), -1);
		igt_assert_eq(errno, EPIPE);
		close(pipefd[1]);

		/* Too long, then a bad magic: each ends its own connection. */
		memset(huge, 0, sizeof(huge));
		igt_assert(send(fd, huge, sizeof(huge), MSG_NOSIGNAL) > 0);
		igt_assert(closed_by_broker(fd));
		close(fd);
		fd = raw_hello(&br);
		igt_assert(send(fd, huge, 32, MSG_NOSIGNAL) == 32);
		igt_assert(closed_by_broker(fd));
		close(fd);

		/* The well-behaved client never noticed. */
		info.struct_size = sizeof(info);
		igt_assert_eq(vrs_buffer_info(buf, &info), 0);
		igt_assert_eq(exports_now(good), 1);
		igt_assert_eq(vrs_broker_free(good, buf), 0);
		vrs_broker_close(good);
		broker_stop(&br);
	}

	igt_fixture {
		broker_cleanup();
		vs_close(&gpus);
	}
}
