// SPDX-License-Identifier: MIT
/*
 * Connections: credentials at accept, messages in and out, and the end
 * of a connection, which takes everything it held with it.
 *
 * Nothing a peer does blocks the broker: sockets are non-blocking, a
 * peer whose socket is full gets its messages queued, and while its
 * queue is not empty its requests are not read (so only events add to
 * the queue). Past the configured queue limit the peer is disconnected.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker.h"

/* Requests read from one peer before others get their turn. */
#define VRS_REQUESTS_PER_TURN 16
/*
 * Connections of peers no grant names, kept only to send them their
 * refusal: a few at a time, so that they cannot take every slot.
 */
#define VRS_MAX_STRANGERS 8

static void vrs_client_poll(struct vrs_broker *b, struct vrs_client *c)
{
	struct epoll_event ev = {
		.events = c->out_head ? EPOLLOUT : EPOLLIN,
		.data.ptr = c,
	};

	if (epoll_ctl(b->epoll, EPOLL_CTL_MOD, c->fd, &ev))
		vrs_client_kill(c, "epoll");
}

static int vrs_peer_credentials(int fd, struct vrs_peer *peer)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t *groups;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -errno;
	memset(peer, 0, sizeof(*peer));
	peer->uid = cred.uid;
	peer->gid = cred.gid;
	peer->pid = cred.pid;
	/* The kernel says how many there are when the buffer is short. */
	len = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) &&
	    errno != ERANGE)
		return 0;
	groups = len ? malloc(len) : NULL;
	if (groups && !getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len)) {
		peer->nr_groups = len / sizeof(gid_t);
		if (peer->nr_groups > VRS_PEER_MAX_GROUPS) {
			vrs_log(VRS_LOG_WARNING,
				"pid %d: %u groups, only the first %u can match a grant",
				(int)peer->pid, peer->nr_groups, VRS_PEER_MAX_GROUPS);
			peer->nr_groups = VRS_PEER_MAX_GROUPS;
		}
		memcpy(peer->groups, groups, peer->nr_groups * sizeof(gid_t));
	}
	free(groups);
	return 0;
}

void vrs_client_accept(struct vrs_broker *b)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct vrs_client *c;
	int fd;

	fd = accept4(b->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		/*
		 * Out of descriptors: the pending peer would make the
		 * level-triggered listener fire for ever. It waits until a
		 * connection ends and frees some.
		 */
		if ((errno == EMFILE || errno == ENFILE) && !b->listen_paused) {
			vrs_log(VRS_LOG_WARNING,
				"out of file descriptors: no new connection until one ends");
			epoll_ctl(b->epoll, EPOLL_CTL_DEL, b->listen_fd, NULL);
			b->listen_paused = 1;
		}
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || vrs_peer_credentials(fd, &c->peer)) {
		free(c);
		close(fd);
		return;
	}
	c->grant = vrs_policy_match(b->cfg, &c->peer);
	if (c->grant ? b->nr_clients - b->nr_strangers >= b->cfg->max_clients :
		       b->nr_strangers >= VRS_MAX_STRANGERS) {
		vrs_log(VRS_LOG_WARNING, "refused a connection of pid %d uid %u: %s",
			(int)c->peer.pid, (unsigned int)c->peer.uid,
			c->grant ? "max_clients reached" : "too many without a grant");
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	c->id = b->next_client_id++;
	c->next_id = 1;
	ev.data.ptr = c;
	if (epoll_ctl(b->epoll, EPOLL_CTL_ADD, fd, &ev)) {
		free(c);
		close(fd);
		return;
	}
	c->next = b->clients;
	b->clients = c;
	b->nr_clients++;
	if (!c->grant)
		b->nr_strangers++;
	vrs_log(VRS_LOG_DEBUG, "client %llu: pid %d uid %u, grant %s",
		(unsigned long long)c->id, (int)c->peer.pid,
		(unsigned int)c->peer.uid, c->grant ? c->grant->name : "none");
}

/* One sendmsg; the fd (if any) goes along as SCM_RIGHTS. */
static int vrs_send_one(int sock, const void *data, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	if (fd >= 0) {
		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/* A peer that closed its end has simply gone; anything else is worth a line. */
static void vrs_client_send_failed(struct vrs_client *c, int ret)
{
	if (ret == -EPIPE || ret == -ECONNRESET)
		vrs_client_kill(c, NULL);
	else
		vrs_client_kill(c, "send failed");
}

/* A queued message: its fd, if it carries one, is the int before data. */
struct vrs_queued {
	int fd;
	unsigned char data[];
};

static int vrs_client_queue(struct vrs_client *c, const void *msg,
			    size_t len, int fd)
{
	struct vrs_outmsg *out;
	struct vrs_queued q = { .fd = -1 };

	out = malloc(sizeof(*out) + sizeof(q) + len);
	if (!out)
		return -ENOMEM;
	if (fd >= 0) {
		q.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (q.fd < 0) {
			free(out);
			return -errno;
		}
	}
	out->next = NULL;
	out->len = len;
	memcpy(out->data, &q, sizeof(q));
	memcpy(out->data + sizeof(q), msg, len);
	if (c->out_tail)
		c->out_tail->next = out;
	else
		c->out_head = out;
	c->out_tail = out;
	c->out_len++;
	return 0;
}

static void vrs_outmsg_free(struct vrs_outmsg *out)
{
	struct vrs_queued q;

	memcpy(&q, out->data, sizeof(q));
	if (q.fd >= 0)
		close(q.fd);
	free(out);
}

void vrs_client_send(struct vrs_broker *b, struct vrs_client *c,
		     uint16_t type, uint32_t seq, const void *payload,
		     size_t len, int fd)
{
	unsigned char msg[VRS_PROTO_MAX_MSG];
	int n, ret;

	if (c->dead)
		return;
	n = vrs_proto_encode(msg, sizeof(msg), type, seq, payload, len);
	if (n < 0) {
		vrs_log(VRS_LOG_ERROR, "client %llu: %s too long",
			(unsigned long long)c->id, vrs_proto_type_name(type));
		return;
	}
	if (!c->out_head) {
		ret = vrs_send_one(c->fd, msg, (size_t)n, fd);
		if (!ret)
			return;
		if (ret != -EAGAIN) {
			vrs_client_send_failed(c, ret);
			return;
		}
	}
	if (c->out_len >= b->cfg->queue_limit) {
		vrs_client_kill(c, "does not read its socket");
		return;
	}
	if (vrs_client_queue(c, msg, (size_t)n, fd)) {
		vrs_client_kill(c, "out of memory");
		return;
	}
	if (c->out_len == 1)
		vrs_client_poll(b, c);
}

void vrs_client_writable(struct vrs_broker *b, struct vrs_client *c)
{
	struct vrs_outmsg *out;
	struct vrs_queued q;
	int ret;

	while ((out = c->out_head)) {
		memcpy(&q, out->data, sizeof(q));
		ret = vrs_send_one(c->fd, out->data + sizeof(q), out->len, q.fd);
		if (ret == -EAGAIN)
			return;
		if (ret) {
			vrs_client_send_failed(c, ret);
			return;
		}
		c->out_head = out->next;
		if (!c->out_head)
			c->out_tail = NULL;
		c->out_len--;
		vrs_outmsg_free(out);
	}
	vrs_client_poll(b, c);
}

void vrs_client_error(struct vrs_broker *b, struct vrs_client *c,
		      uint32_t seq, int error, const char *fmt, ...)
{
	struct vrs_msg_error err = { .error = error };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err.text, sizeof(err.text), fmt, ap);
	va_end(ap);
	vrs_client_send(b, c, VRS_MSG_ERROR | VRS_MSG_REPLY, seq, &err,
			sizeof(err), -1);
}

/* One message from @c: 1 handled, 0 nothing to read, -1 connection over. */
static int vrs_client_read_one(struct vrs_broker *b, struct vrs_client *c)
{
	/* One byte more than any message, to see one that is too long. */
	_Alignas(uint64_t) unsigned char buf[VRS_PROTO_MAX_MSG + 1];
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct vrs_msg msg;
	ssize_t n;
	int ret;

	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	/* Peers send no descriptors: any that came along is closed unused. */
	vrs_proto_close_fds(&mh, NULL);
	if (n == 0)
		return -1;
	ret = vrs_proto_decode(buf, (mh.msg_flags & MSG_TRUNC) ?
			       sizeof(buf) : (size_t)n, &msg);
	switch (ret) {
	case 0:
		vrs_request(b, c, &msg);
		return 1;
	case -ENOMSG:
		vrs_client_error(b, c, msg.hdr.seq, EOPNOTSUPP,
				 "unknown message type %u", msg.hdr.type);
		return 1;
	case -EPROTO:
		vrs_client_error(b, c, msg.hdr.seq, EPROTO,
				 "malformed %s", vrs_proto_type_name(msg.hdr.type));
		return 1;
	default:
		/* The header itself is wrong: nothing after it can be trusted. */
		vrs_log(VRS_LOG_WARNING, "client %llu (pid %d): %s; disconnected",
			(unsigned long long)c->id, (int)c->peer.pid,
			ret == -EMSGSIZE ? "message too long" : "bad header");
		return -1;
	}
}

void vrs_client_readable(struct vrs_broker *b, struct vrs_client *c)
{
	for (int i = 0; i < VRS_REQUESTS_PER_TURN; i++) {
		int ret;

		if (c->dead || c->out_head)
			return;
		ret = vrs_client_read_one(b, c);
		if (ret < 0) {
			vrs_client_kill(c, NULL);
			return;
		}
		if (ret == 0)
			return;
	}
}

void vrs_client_kill(struct vrs_client *c, const char *why)
{
	if (c->dead)
		return;
	c->dead = 1;
	if (why)
		vrs_log(VRS_LOG_WARNING, "client %llu (pid %d): %s; disconnected",
			(unsigned long long)c->id, (int)c->peer.pid, why);
}

/* Everything the connection held is revoked for good and reclaimed. */
void vrs_client_destroy(struct vrs_broker *b, struct vrs_client *c)
{
	struct vrs_buffer *buf, *next;
	struct vrs_client **p;
	unsigned int freed = 0;

	c->dead = 1;
	for (buf = b->buffers; buf; buf = next) {
		next = buf->next;
		if (buf->owner == c) {
			vrs_buffer_free(b, buf, NULL);
			freed++;
			/* Freeing may have unlinked others' buffers: rescan. */
			next = b->buffers;
		}
	}
	while (c->exports)
		vrs_export_drop(b, c->exports);
	while (c->out_head) {
		struct vrs_outmsg *out = c->out_head;

		c->out_head = out->next;
		vrs_outmsg_free(out);
	}
	epoll_ctl(b->epoll, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	for (p = &b->clients; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	b->nr_clients--;
	if (!c->grant)
		b->nr_strangers--;
	vrs_log(VRS_LOG_DEBUG, "client %llu: gone, %u buffers freed",
		(unsigned long long)c->id, freed);
	free(c);
	if (b->listen_paused)
		vrs_listener_resume(b);
}

void vrs_clients_reap(struct vrs_broker *b)
{
	struct vrs_client *c;

	/* A destruction can kill others (their queues overflow): rescan. */
	do {
		for (c = b->clients; c && !c->dead; c = c->next)
			;
		if (c)
			vrs_client_destroy(b, c);
	} while (c);
}

uint64_t vrs_uid_bytes(struct vrs_broker *b, uid_t uid)
{
	uint64_t bytes = 0;

	for (struct vrs_client *c = b->clients; c; c = c->next) {
		if (c->peer.uid == uid)
			bytes += c->bytes;
	}
	return bytes;
}
