// SPDX-License-Identifier: MIT
/*
 * libvramshare: the client side of the broker protocol (vramshared).
 *
 * Calls are synchronous: a request goes out and the call reads until its
 * reply. Events that arrive meanwhile are kept, in order, for the next
 * vrs_broker_dispatch(), so that none is lost and none runs a callback
 * from inside another call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <xf86drm.h>

#include "broker_proto.h"
#include "internal.h"

/* Messages one vrs_broker_dispatch() reads from the socket at most. */
#define VRS_DISPATCH_MAX 256

struct vrs_pending_event {
	struct vrs_pending_event *next;
	struct vrs_msg_event ev;
};

struct vrs_buffer {
	struct vrs_broker *broker;
	struct vrs_buffer *next;
	int fd;
	struct vrs_msg_buffer desc;	/* state and generation kept current */
};

struct vrs_broker {
	int fd;
	uint32_t seq;
	uint32_t hello_flags;
	uint64_t client_id;		/* the broker's number for us */
	char error[VRS_PROTO_TEXT_LEN];	/* the last ERROR's text */
	int lost;			/* the broker closed the connection */
	int lost_told;			/* ... and the GONE events were given */
	struct vrs_buffer *buffers;
	struct vrs_pending_event *events_head;
	struct vrs_pending_event *events_tail;
};

/* The reply a call waits for, and where its parts go. */
struct vrs_reply {
	uint16_t type;		/* expected type, VRS_MSG_REPLY included */
	void *payload;		/* gets the payload; NULL: none expected */
	size_t max;		/* bytes at @payload */
	size_t len;		/* out: bytes received */
	int fd;			/* out: the fd that came along, or -1 */
};

/* The next request number: never 0, which events carry. */
static uint32_t seq_next(struct vrs_broker *b)
{
	if (!++b->seq)
		b->seq = 1;
	return b->seq;
}

static int vrs_queue_event(struct vrs_broker *b, const struct vrs_msg *msg)
{
	struct vrs_pending_event *pe = malloc(sizeof(*pe));

	if (!pe)
		return -ENOMEM;
	memcpy(&pe->ev, msg->payload, sizeof(pe->ev));
	pe->next = NULL;
	if (b->events_tail)
		b->events_tail->next = pe;
	else
		b->events_head = pe;
	b->events_tail = pe;
	return 0;
}

/*
 * Receives one message into @buf. With @fd, the first descriptor that
 * came along is returned there (others are closed). 0, -EAGAIN (with
 * @nonblock), -ECONNRESET when the broker is gone, -EPROTO.
 */
static int vrs_recv(struct vrs_broker *b, void *buf, size_t size,
		    struct vrs_msg *msg, int *fd, int nonblock)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	ssize_t n;

	if (fd)
		*fd = -1;
	do {
		n = recvmsg(b->fd, &mh, MSG_CMSG_CLOEXEC |
			    (nonblock ? MSG_DONTWAIT : 0));
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == ECONNRESET)
		n = 0;
	if (n < 0)
		return errno == EAGAIN ? -EAGAIN : vrs_errno();
	vrs_proto_close_fds(&mh, fd);
	if (n == 0) {
		b->lost = 1;
		return -ECONNRESET;
	}
	/* The descriptor did not fit in the process's table. */
	if (fd && *fd < 0 && (mh.msg_flags & MSG_CTRUNC))
		*fd = -EMFILE;
	if ((mh.msg_flags & MSG_TRUNC) ||
	    vrs_proto_decode(buf, (size_t)n, msg)) {
		if (fd && *fd >= 0)
			close(*fd);
		return -EPROTO;
	}
	return 0;
}

/* vrs_call()'s received descriptor, or -1 for "none" (or -EMFILE). */
static void vrs_drop_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* Sends one request whose reply nobody waits for (it is dropped as stale). */
static void vrs_send_unanswered(struct vrs_broker *b, uint16_t type,
				const void *payload, size_t len)
{
	_Alignas(uint64_t) unsigned char buf[256];
	int n;

	seq_next(b);
	n = vrs_proto_encode(buf, sizeof(buf), type, b->seq, payload, len);
	if (n > 0)
		(void)send(b->fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/*
 * A reply that came after its call gave up: a dma-buf in it would stay
 * counted against this connection, so it goes back.
 */
static void vrs_stale_reply(struct vrs_broker *b, const struct vrs_msg *msg,
			    int fd)
{
	vrs_drop_fd(fd);
	if (msg->hdr.type == (VRS_MSG_BUFFER | VRS_MSG_REPLY)) {
		struct vrs_msg_buffer desc;
		struct vrs_msg_free fr = { 0 };

		memcpy(&desc, msg->payload, sizeof(desc));
		fr.id = desc.id;
		vrs_send_unanswered(b, VRS_MSG_FREE, &fr, sizeof(fr));
	}
}

static int vrs_call(struct vrs_broker *b, uint16_t type, const void *payload,
		    size_t len, struct vrs_reply *reply)
{
	_Alignas(uint64_t) unsigned char buf[VRS_PROTO_MAX_MSG];
	struct vrs_msg msg;
	uint32_t seq;
	int n, fd, ret;

	if (b->lost)
		return -ENOTCONN;
	seq = seq_next(b);
	n = vrs_proto_encode(buf, sizeof(buf), type, seq, payload, len);
	if (n < 0)
		return n;
	do {
		ret = (int)send(b->fd, buf, (size_t)n, MSG_NOSIGNAL);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return errno == EPIPE ? (b->lost = 1, -ECONNRESET) : vrs_errno();

	reply->fd = -1;
	for (;;) {
		ret = vrs_recv(b, buf, sizeof(buf), &msg, &fd, 0);
		if (ret)
			return ret;
		if (msg.hdr.type == VRS_MSG_EVENT && msg.hdr.seq == 0) {
			vrs_drop_fd(fd);
			ret = vrs_queue_event(b, &msg);
			if (ret)
				return ret;
			continue;
		}
		if (msg.hdr.seq == seq)
			break;
		vrs_stale_reply(b, &msg, fd);
	}
	if (msg.hdr.type == (VRS_MSG_ERROR | VRS_MSG_REPLY)) {
		struct vrs_msg_error err;

		vrs_drop_fd(fd);
		memcpy(&err, msg.payload, sizeof(err));
		/* The decoder checked that the text ends within its field. */
		memcpy(b->error, err.text, sizeof(b->error));
		return err.error > 0 && err.error < 4096 ? -err.error : -EPROTO;
	}
	if (msg.hdr.type != reply->type ||
	    (reply->payload && msg.payload_len > reply->max)) {
		vrs_drop_fd(fd);
		return -EPROTO;
	}
	if (reply->payload)
		memcpy(reply->payload, msg.payload, msg.payload_len);
	reply->len = msg.payload_len;
	/* Only a BUFFER reply carries a descriptor; any other is dropped. */
	if (reply->type != (VRS_MSG_BUFFER | VRS_MSG_REPLY)) {
		vrs_drop_fd(fd);
		fd = -1;
	}
	reply->fd = fd;
	return 0;
}

int vrs_broker_connect(const char *socket_path, uint32_t flags,
		       struct vrs_broker **brokerp)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct vrs_msg_hello hello = {
		.version = VRS_PROTO_VERSION,
		.flags = flags & VRS_BROKER_WATCH ? VRS_HELLO_WATCH : 0,
	};
	struct vrs_reply reply = {
		.type = VRS_MSG_HELLO | VRS_MSG_REPLY,
		.payload = &hello, .max = sizeof(hello),
	};
	struct vrs_broker *b;
	int ret;

	if (!brokerp || (flags & ~VRS_BROKER_WATCH))
		return -EINVAL;
	if (!socket_path)
		socket_path = getenv("VRAMSHARE_SOCKET");
	if (!socket_path)
		socket_path = VRS_BROKER_DEFAULT_SOCKET;
	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (b->fd < 0) {
		ret = vrs_errno();
		free(b);
		return ret;
	}
	if (connect(b->fd, (struct sockaddr *)&addr, sizeof(addr))) {
		ret = vrs_errno();
		goto err;
	}
	ret = vrs_call(b, VRS_MSG_HELLO, &hello, sizeof(hello), &reply);
	if (ret)
		goto err;
	b->hello_flags = hello.flags;
	b->client_id = hello.client_id;
	*brokerp = b;
	return 0;

err:
	close(b->fd);
	free(b);
	return ret;
}

static void vrs_buffer_release(struct vrs_buffer *buf)
{
	struct vrs_buffer **p;

	for (p = &buf->broker->buffers; *p; p = &(*p)->next) {
		if (*p == buf) {
			*p = buf->next;
			break;
		}
	}
	close(buf->fd);
	free(buf);
}

void vrs_broker_close(struct vrs_broker *broker)
{
	if (!broker)
		return;
	/* The broker frees what the connection owned when it sees it close. */
	close(broker->fd);
	while (broker->buffers)
		vrs_buffer_release(broker->buffers);
	while (broker->events_head) {
		struct vrs_pending_event *pe = broker->events_head;

		broker->events_head = pe->next;
		free(pe);
	}
	free(broker);
}

const char *vrs_broker_error(const struct vrs_broker *broker)
{
	return broker ? broker->error : "";
}

int vrs_broker_fd(const struct vrs_broker *broker)
{
	return broker ? broker->fd : -EINVAL;
}

int vrs_broker_is_admin(const struct vrs_broker *broker)
{
	if (!broker)
		return -EINVAL;
	return !!(broker->hello_flags & VRS_HELLO_ADMIN);
}

int vrs_broker_devices(struct vrs_broker *broker, vrs_device_fn fn,
		       void *data)
{
	_Alignas(uint64_t) unsigned char buf[VRS_PROTO_MAX_MSG];
	const struct vrs_msg_devices *list = (const void *)buf;
	struct vrs_reply reply = {
		.type = VRS_MSG_DEVICES | VRS_MSG_REPLY,
		.payload = buf, .max = sizeof(buf),
	};
	int ret;

	if (!broker || !fn)
		return -EINVAL;
	ret = vrs_call(broker, VRS_MSG_DEVICES, NULL, 0, &reply);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < list->count; i++) {
		const struct vrs_proto_device *pd = &list->devices[i];
		struct vrs_broker_device d = {
			.struct_size = sizeof(d),
			.flags = (pd->flags & VRS_DEVICE_REVOKE ?
				  VRS_BROKER_DEVICE_REVOKE : 0) |
				 (pd->flags & VRS_DEVICE_CLEARING ?
				  VRS_BROKER_DEVICE_CLEARING : 0),
			.bar = pd->bar,
			.buffers = pd->buffers,
			.bar_size = pd->bar_size,
			.free = pd->free,
			.largest_free = pd->largest_free,
		};

		memcpy(d.name, pd->name, sizeof(d.name));
		memcpy(d.address, pd->address, sizeof(d.address));
		ret = fn(&d, data);
		if (ret)
			return ret;
	}
	return (int)list->count;
}

/* The importers a STATUS entry names (the decoder checked the names). */
static void vrs_export_attachments(struct vrs_broker_export *e,
				   const struct vrs_proto_export *pe)
{
	uint32_t n = pe->nr_attachments;

	_Static_assert(VRS_BROKER_MAX_ATTACHMENTS == VRS_PROTO_MAX_ATTACHMENTS,
		       "one listing size on both sides");
	e->nr_attachments = n;
	if (n > VRS_BROKER_MAX_ATTACHMENTS)
		n = VRS_BROKER_MAX_ATTACHMENTS;
	for (uint32_t i = 0; i < n; i++) {
		const struct vrs_proto_attachment *pa = &pe->attachments[i];

		memcpy(e->attachments[i].device, pa->device,
		       sizeof(e->attachments[i].device));
		memcpy(e->attachments[i].driver, pa->driver,
		       sizeof(e->attachments[i].driver));
		e->attachments[i].route = pa->route;
		e->attachments[i].mappings = pa->mappings;
	}
}

int vrs_broker_exports(struct vrs_broker *broker, vrs_export_fn fn,
		       void *data)
{
	_Alignas(uint64_t) unsigned char buf[VRS_PROTO_MAX_MSG];
	const struct vrs_msg_status *page = (const void *)buf;
	struct vrs_msg_status_req req = { 0 };
	struct vrs_reply reply = {
		.type = VRS_MSG_STATUS | VRS_MSG_REPLY,
		.payload = buf, .max = sizeof(buf),
	};
	int ret;

	if (!broker || !fn)
		return -EINVAL;
	do {
		ret = vrs_call(broker, VRS_MSG_STATUS, &req, sizeof(req), &reply);
		if (ret)
			return ret;
		for (uint32_t i = 0; i < page->count; i++) {
			const struct vrs_proto_export *pe = &page->exports[i];
			struct vrs_broker_export e = {
				.struct_size = sizeof(e),
				.flags = pe->flags,
				.id = pe->id,
				.client_id = pe->client_id,
				.uid = pe->uid,
				.pid = pe->pid,
				.offset = pe->offset,
				.size = pe->size,
				.state = pe->state,
			};

			memcpy(e.device, pe->device, sizeof(e.device));
			vrs_export_attachments(&e, pe);
			ret = fn(&e, data);
			if (ret)
				return ret;
		}
		req.start += page->count;
	} while (page->count && req.start < page->total);
	return (int)req.start;
}

static int vrs_buffer_reply(struct vrs_broker *broker, uint16_t type,
			    const void *req, size_t len,
			    struct vrs_buffer **bufferp)
{
	struct vrs_buffer *buf;
	struct vrs_reply reply = { .type = VRS_MSG_BUFFER | VRS_MSG_REPLY };
	int ret;

	buf = calloc(1, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	reply.payload = &buf->desc;
	reply.max = sizeof(buf->desc);
	ret = vrs_call(broker, type, req, len, &reply);
	if (!ret && reply.fd < 0) {
		/* The broker handed it out; give it back rather than leak it. */
		struct vrs_msg_free fr = { .id = buf->desc.id };
		struct vrs_reply ignored = { .type = VRS_MSG_FREE | VRS_MSG_REPLY };

		ret = reply.fd == -EMFILE ? -EMFILE : -EPROTO;
		vrs_call(broker, VRS_MSG_FREE, &fr, sizeof(fr), &ignored);
	}
	if (ret) {
		free(buf);
		return ret;
	}
	buf->broker = broker;
	buf->fd = reply.fd;
	buf->next = broker->buffers;
	broker->buffers = buf;
	*bufferp = buf;
	return 0;
}

int vrs_broker_alloc(struct vrs_broker *broker, const char *device,
		     uint64_t size, uint64_t align, uint32_t flags,
		     struct vrs_buffer **bufferp)
{
	struct vrs_msg_alloc req = { .size = size, .align = align };

	if (!broker || !bufferp || (flags & ~VRS_BUFFER_READ_ONLY))
		return -EINVAL;
	if (device && strlen(device) >= sizeof(req.device))
		return -ENAMETOOLONG;
	if (device)
		memcpy(req.device, device, strlen(device) + 1);
	req.flags = flags & VRS_BUFFER_READ_ONLY ? VRS_BUF_READ_ONLY : 0;
	return vrs_buffer_reply(broker, VRS_MSG_ALLOC, &req, sizeof(req),
				bufferp);
}

int vrs_broker_open(struct vrs_broker *broker, uint64_t token,
		    uint32_t flags, struct vrs_buffer **bufferp)
{
	struct vrs_msg_open req = { .token = token };

	if (!broker || !bufferp || (flags & ~VRS_BUFFER_READ_ONLY))
		return -EINVAL;
	req.flags = flags & VRS_BUFFER_READ_ONLY ? VRS_BUF_READ_ONLY : 0;
	return vrs_buffer_reply(broker, VRS_MSG_OPEN, &req, sizeof(req),
				bufferp);
}

int vrs_broker_free(struct vrs_broker *broker, struct vrs_buffer *buffer)
{
	struct vrs_msg_free req;
	struct vrs_reply reply = { .type = VRS_MSG_FREE | VRS_MSG_REPLY };
	int ret;

	if (!broker || !buffer || buffer->broker != broker)
		return -EINVAL;
	req.id = buffer->desc.id;
	req.token = 0;
	ret = vrs_call(broker, VRS_MSG_FREE, &req, sizeof(req), &reply);
	/* Gone already (its owner freed it, or the broker went away). */
	if (ret == -ENOENT || ret == -ENOTCONN || ret == -ECONNRESET)
		ret = 0;
	if (!ret)
		vrs_buffer_release(buffer);
	return ret;
}

int vrs_broker_free_token(struct vrs_broker *broker, uint64_t token)
{
	struct vrs_msg_free req = { .id = 0, .token = token };
	struct vrs_reply reply = { .type = VRS_MSG_FREE | VRS_MSG_REPLY };

	if (!broker || !token)
		return -EINVAL;
	return vrs_call(broker, VRS_MSG_FREE, &req, sizeof(req), &reply);
}

int vrs_broker_reset(struct vrs_broker *broker, const char *device)
{
	struct vrs_msg_reset req = { .flags = 0 };
	struct vrs_reply reply = { .type = VRS_MSG_RESET | VRS_MSG_REPLY };

	if (!broker || !device)
		return -EINVAL;
	if (strlen(device) >= sizeof(req.device))
		return -ENAMETOOLONG;
	memcpy(req.device, device, strlen(device) + 1);
	return vrs_call(broker, VRS_MSG_RESET, &req, sizeof(req), &reply);
}

static struct vrs_buffer *vrs_buffer_by_id(struct vrs_broker *b, uint64_t id)
{
	for (struct vrs_buffer *buf = b->buffers; buf; buf = buf->next) {
		if (buf->desc.id == id)
			return buf;
	}
	return NULL;
}

static void vrs_deliver(struct vrs_broker *b, const struct vrs_msg_event *ev,
			vrs_event_fn fn, void *data)
{
	struct vrs_event event = {
		.struct_size = sizeof(event),
		.state = ev->state,
		.buffer_id = ev->id,
		.client_id = ev->client_id,
		.generation = ev->generation,
	};
	struct vrs_buffer *buf = NULL;

	/* A watcher's events of other connections name no buffer of ours. */
	if (ev->client_id == b->client_id)
		buf = vrs_buffer_by_id(b, ev->id);
	if (buf) {
		buf->desc.state = ev->state;
		buf->desc.generation = ev->generation;
	}
	if (fn)
		fn(b, buf, &event, data);
}

/*
 * The broker is gone: every buffer is revoked for good (its vfio devices
 * closed). Each not yet gone is told once; the list is walked again after
 * every callback, which may free buffers.
 */
static int vrs_broker_lost(struct vrs_broker *b, vrs_event_fn fn, void *data)
{
	struct vrs_buffer *buf;
	int n = 0;

	b->lost_told = 1;
	for (;;) {
		struct vrs_msg_event ev = {
			.client_id = b->client_id,
			.state = VRS_STATE_GONE,
		};

		for (buf = b->buffers; buf; buf = buf->next) {
			if (buf->desc.state != VRS_STATE_GONE)
				break;
		}
		if (!buf)
			return n;
		ev.id = buf->desc.id;
		ev.generation = buf->desc.generation + 1;
		vrs_deliver(b, &ev, fn, data);
		n++;
	}
}

int vrs_broker_dispatch(struct vrs_broker *broker, vrs_event_fn fn,
			void *data)
{
	_Alignas(uint64_t) unsigned char buf[VRS_PROTO_MAX_MSG];
	struct vrs_msg msg;
	int n = 0, ret;

	if (!broker)
		return -EINVAL;
	while (broker->events_head) {
		struct vrs_pending_event *pe = broker->events_head;

		broker->events_head = pe->next;
		if (!broker->events_head)
			broker->events_tail = NULL;
		vrs_deliver(broker, &pe->ev, fn, data);
		free(pe);
		n++;
	}
	if (broker->lost && broker->lost_told)
		return -ENOTCONN;
	/* Bounded, so that a steady stream of events cannot keep it here. */
	for (int i = 0; i < VRS_DISPATCH_MAX; i++) {
		ret = broker->lost ? -ECONNRESET :
		      vrs_recv(broker, buf, sizeof(buf), &msg, NULL, 1);
		if (ret == -EAGAIN)
			return n;
		if (ret == -ECONNRESET) {
			vrs_broker_lost(broker, fn, data);
			return -ECONNRESET;
		}
		if (ret)
			return ret;
		/* Replies come only inside calls; a late one is stale. */
		if (msg.hdr.type == VRS_MSG_EVENT && msg.hdr.seq == 0) {
			struct vrs_msg_event ev;

			memcpy(&ev, msg.payload, sizeof(ev));
			vrs_deliver(broker, &ev, fn, data);
			n++;
		} else {
			vrs_stale_reply(broker, &msg, -1);
		}
	}
	return n;
}

int vrs_buffer_fd(const struct vrs_buffer *buffer)
{
	return buffer ? buffer->fd : -EINVAL;
}

/* The first version of each extensible struct ends here. */
#define VRS_BUFFER_INFO_MIN_SIZE \
	(offsetof(struct vrs_buffer_info, generation) + sizeof(uint64_t))

int vrs_buffer_info(const struct vrs_buffer *buffer,
		    struct vrs_buffer_info *info)
{
	struct vrs_buffer_info full;
	size_t size;

	if (!buffer || !info || info->struct_size < VRS_BUFFER_INFO_MIN_SIZE)
		return -EINVAL;
	size = info->struct_size < sizeof(full) ? info->struct_size :
						   sizeof(full);
	memset(&full, 0, sizeof(full));
	full.struct_size = (uint32_t)size;
	full.flags = buffer->desc.flags & (VRS_BUF_READ_ONLY | VRS_BUF_OWNER |
					   VRS_BUF_EVENTS);
	full.id = buffer->desc.id;
	full.token = buffer->desc.token;
	full.size = buffer->desc.size;
	full.offset = buffer->desc.offset;
	memcpy(full.device, buffer->desc.device, sizeof(full.device));
	full.state = buffer->desc.state;
	full.generation = buffer->desc.generation;
	memcpy(info, &full, size);
	return 0;
}

int vrs_buffer_mmap(struct vrs_buffer *buffer, int prot, void **addr)
{
	void *p;

	if (!buffer || !addr || !prot || (prot & ~(PROT_READ | PROT_WRITE)))
		return -EINVAL;
	if ((prot & PROT_WRITE) && (buffer->desc.flags & VRS_BUF_READ_ONLY))
		return -EACCES;
	p = mmap(NULL, buffer->desc.size, prot, MAP_SHARED, buffer->fd, 0);
	if (p == MAP_FAILED)
		return vrs_errno();
	*addr = p;
	return 0;
}

int vrs_buffer_prime_import(const struct vrs_buffer *buffer, int drm_fd,
			    uint32_t *handle)
{
	if (!buffer || drm_fd < 0 || !handle)
		return -EINVAL;
	return drmPrimeFDToHandle(drm_fd, buffer->fd, handle) ? vrs_errno() : 0;
}
