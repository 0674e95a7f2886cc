// SPDX-License-Identifier: MIT
/*
 * The requests a client may make, each checked against the policy. A
 * refusal is one ERROR reply and one log line; it never ends the
 * connection, except for a peer no grant names.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"

static void vrs_refuse(struct vrs_broker *b, struct vrs_client *c,
		       const struct vrs_msg *msg, int error, const char *why)
{
	vrs_log(VRS_LOG_WARNING, "client %llu (pid %d uid %u): %s refused: %s",
		(unsigned long long)c->id, (int)c->peer.pid,
		(unsigned int)c->peer.uid, vrs_proto_type_name(msg->hdr.type),
		why);
	vrs_client_error(b, c, msg->hdr.seq, error, "%s", why);
}

static int vrs_is_admin(const struct vrs_client *c)
{
	return c->grant && c->grant->admin;
}

static void vrs_hello(struct vrs_broker *b, struct vrs_client *c,
		      const struct vrs_msg *msg)
{
	struct vrs_msg_hello req, reply = { .version = VRS_PROTO_VERSION };

	memcpy(&req, msg->payload, sizeof(req));
	if (c->greeted) {
		vrs_client_error(b, c, msg->hdr.seq, EALREADY, "HELLO again");
		return;
	}
	if (!c->grant) {
		vrs_refuse(b, c, msg, EACCES, "no grant names this user");
		vrs_client_kill(c, NULL);
		return;
	}
	if (req.flags & ~VRS_HELLO_WATCH) {
		vrs_client_error(b, c, msg->hdr.seq, EINVAL, "unknown flags");
		return;
	}
	if ((req.flags & VRS_HELLO_WATCH) && !vrs_is_admin(c)) {
		vrs_refuse(b, c, msg, EPERM, "watching needs an admin grant");
		return;
	}
	c->greeted = 1;
	c->watch = !!(req.flags & VRS_HELLO_WATCH);
	reply.flags = vrs_is_admin(c) ? VRS_HELLO_ADMIN : 0;
	reply.client_id = c->id;
	reply.uid = (uint32_t)c->peer.uid;
	reply.pid = (uint32_t)c->peer.pid;
	vrs_client_send(b, c, VRS_MSG_HELLO | VRS_MSG_REPLY, msg->hdr.seq,
			&reply, sizeof(reply), -1);
}

static void vrs_devices(struct vrs_broker *b, struct vrs_client *c,
			const struct vrs_msg *msg)
{
	_Alignas(uint64_t) unsigned char buf[VRS_PROTO_MAX_MSG];
	struct vrs_msg_devices *reply = (struct vrs_msg_devices *)buf;
	struct vrs_range_stats stats;

	memset(reply, 0, sizeof(*reply));
	for (unsigned int i = 0; i < b->nr_devs &&
	     reply->count < VRS_PROTO_MAX_DEVICES; i++) {
		struct vrs_bdev *d = &b->devs[i];
		struct vrs_proto_device *pd = &reply->devices[reply->count];

		if (!vrs_policy_device_allowed(c->grant, d->name))
			continue;
		memset(pd, 0, sizeof(*pd));
		vrs_range_stats(d->ra, &stats);
		snprintf(pd->name, sizeof(pd->name), "%s", d->name);
		snprintf(pd->address, sizeof(pd->address), "%s",
			 vrs_device_address(d->dev));
		pd->bar = d->bar;
		pd->flags = d->revoke ? VRS_DEVICE_REVOKE : 0;
		if (vrs_scrub_dirty(d->scrub))
			pd->flags |= VRS_DEVICE_CLEARING;
		pd->bar_size = d->bar_size;
		pd->free = stats.free;
		pd->largest_free = stats.largest_free;
		pd->buffers = d->nr_buffers;
		reply->count++;
	}
	vrs_client_send(b, c, VRS_MSG_DEVICES | VRS_MSG_REPLY, msg->hdr.seq,
			reply, sizeof(*reply) +
			reply->count * sizeof(reply->devices[0]), -1);
}

static void vrs_send_buffer(struct vrs_broker *b, struct vrs_client *c,
			    uint32_t seq, struct vrs_export *e)
{
	struct vrs_msg_buffer reply = {
		.id = e->id,
		.token = e->buf->token,
		.size = e->buf->size,
		.offset = e->buf->offset,
		.state = e->state,
		.generation = e->generation,
	};

	snprintf(reply.device, sizeof(reply.device), "%s", e->buf->dev->name);
	reply.flags = (e->read_only ? VRS_BUF_READ_ONLY : 0) |
		      (e->buf->owner == c ? VRS_BUF_OWNER : 0) |
		      (e->buf->dev->revoke ? VRS_BUF_EVENTS : 0);
	vrs_client_send(b, c, VRS_MSG_BUFFER | VRS_MSG_REPLY, seq, &reply,
			sizeof(reply), e->fd);
}

static int vrs_usage_of(struct vrs_broker *b, struct vrs_client *c,
			struct vrs_usage *usage)
{
	usage->client_bytes = c->bytes;
	usage->client_buffers = c->nr_exports;
	usage->uid_bytes = vrs_uid_bytes(b, c->peer.uid);
	return 0;
}

/* Allocates on @d within the policy: 0, or -errno with @why filled. */
static int vrs_alloc_on(struct vrs_broker *b, struct vrs_client *c,
			struct vrs_bdev *d, const struct vrs_msg_alloc *req,
			struct vrs_export **expp, char *why, size_t whylen)
{
	struct vrs_buffer *buf;
	struct vrs_usage usage;
	int ret;

	vrs_usage_of(b, c, &usage);
	ret = vrs_policy_check_alloc(c->grant, d->name, req->size, &usage,
				     why, whylen);
	if (ret)
		return ret;
	ret = vrs_buffer_alloc(b, c, d, req->size, req->align, &buf);
	if (ret) {
		snprintf(why, whylen, "device %s: %s", d->name,
			 ret == -ENOSPC ? "no free range that large" :
			 ret == -EBUSY ? "device is resetting" : strerror(-ret));
		return ret;
	}
	ret = vrs_export_new(b, c, buf, !!(req->flags & VRS_BUF_READ_ONLY),
			     expp);
	if (ret) {
		snprintf(why, whylen, "device %s: export failed: %s", d->name,
			 strerror(-ret));
		vrs_buffer_free(b, buf, NULL);
	}
	return ret;
}

static void vrs_alloc(struct vrs_broker *b, struct vrs_client *c,
		      const struct vrs_msg *msg)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct vrs_msg_alloc req;
	struct vrs_export *e = NULL;
	char why[VRS_PROTO_TEXT_LEN];
	int ret = -ENODEV;

	memcpy(&req, msg->payload, sizeof(req));
	if (req.reserved || (req.flags & ~VRS_BUF_READ_ONLY) || !req.size ||
	    req.size > UINT64_MAX - page + 1 || (req.align & (req.align - 1))) {
		vrs_refuse(b, c, msg, EINVAL, "bad size, alignment or flags");
		return;
	}
	/* Quotas count what is allocated: whole pages. */
	req.size = (req.size + page - 1) & ~(page - 1);
	snprintf(why, sizeof(why), "%s", b->nr_devs ?
		 "no device this user may use" : "the broker shares no device");
	if (req.device[0]) {
		struct vrs_bdev *d = vrs_device_by_name(b, req.device);

		if (!d) {
			snprintf(why, sizeof(why), "no device %s", req.device);
			vrs_refuse(b, c, msg, ENODEV, why);
			return;
		}
		ret = vrs_alloc_on(b, c, d, &req, &e, why, sizeof(why));
	} else {
		/* Any device: the first allowed one with room. */
		for (unsigned int i = 0; i < b->nr_devs; i++) {
			if (!vrs_policy_device_allowed(c->grant, b->devs[i].name))
				continue;
			ret = vrs_alloc_on(b, c, &b->devs[i], &req, &e, why,
					   sizeof(why));
			/* Full or resetting: the next device may do. */
			if (ret != -ENOSPC && ret != -EBUSY)
				break;
		}
	}
	if (ret) {
		vrs_refuse(b, c, msg, -ret, why);
		return;
	}
	vrs_log(VRS_LOG_DEBUG, "client %llu: %s [%#llx, +%#llx)",
		(unsigned long long)c->id, e->buf->dev->name,
		(unsigned long long)e->buf->offset,
		(unsigned long long)e->buf->size);
	vrs_send_buffer(b, c, msg->hdr.seq, e);
}

static void vrs_open(struct vrs_broker *b, struct vrs_client *c,
		     const struct vrs_msg *msg)
{
	struct vrs_msg_open req;
	struct vrs_buffer *buf;
	struct vrs_export *e;
	struct vrs_usage usage;
	char why[VRS_PROTO_TEXT_LEN];
	int ret;

	memcpy(&req, msg->payload, sizeof(req));
	if (req.reserved || (req.flags & ~VRS_BUF_READ_ONLY)) {
		vrs_refuse(b, c, msg, EINVAL, "bad flags");
		return;
	}
	buf = req.token ? vrs_buffer_by_token(b, req.token) : NULL;
	if (!buf) {
		vrs_refuse(b, c, msg, ENOENT, "no buffer has this token");
		return;
	}
	vrs_usage_of(b, c, &usage);
	ret = vrs_policy_check_open(c->grant, buf->dev->name,
				    !!(req.flags & VRS_BUF_READ_ONLY), &usage,
				    why, sizeof(why));
	if (!ret) {
		ret = vrs_export_new(b, c, buf, !!(req.flags & VRS_BUF_READ_ONLY),
				     &e);
		if (ret)
			snprintf(why, sizeof(why), "export failed: %s",
				 strerror(-ret));
	}
	if (ret) {
		vrs_refuse(b, c, msg, -ret, why);
		return;
	}
	vrs_send_buffer(b, c, msg->hdr.seq, e);
}

static void vrs_free(struct vrs_broker *b, struct vrs_client *c,
		     const struct vrs_msg *msg)
{
	struct vrs_msg_free req;
	struct vrs_buffer *buf;
	struct vrs_export *e;

	memcpy(&req, msg->payload, sizeof(req));
	if (req.id) {
		for (e = c->exports; e && e->id != req.id; e = e->client_next)
			;
		if (!e || req.token) {
			vrs_refuse(b, c, msg, e ? EINVAL : ENOENT,
				   e ? "both an id and a token" :
				   "no such dma-buf on this connection");
			return;
		}
		if (e->buf->owner == c)
			vrs_buffer_free(b, e->buf, e);
		else
			vrs_export_drop(b, e);
	} else {
		if (!vrs_is_admin(c)) {
			vrs_refuse(b, c, msg, EPERM,
				   "freeing by token needs an admin grant");
			return;
		}
		buf = req.token ? vrs_buffer_by_token(b, req.token) : NULL;
		if (!buf) {
			vrs_refuse(b, c, msg, ENOENT, "no buffer has this token");
			return;
		}
		vrs_log(VRS_LOG_INFO, "client %llu: freed a buffer of client %llu",
			(unsigned long long)c->id,
			(unsigned long long)buf->owner->id);
		vrs_buffer_free(b, buf, NULL);
	}
	vrs_client_send(b, c, VRS_MSG_FREE | VRS_MSG_REPLY, msg->hdr.seq,
			NULL, 0, -1);
}

/* What the exporter lists of an export's importers; nothing if it cannot. */
static void vrs_status_attachments(const struct vrs_buffer *buf,
				   const struct vrs_export *e,
				   struct vrs_proto_export *pe)
{
	struct vrs_attachment list[VRS_PROTO_MAX_ATTACHMENTS];
	unsigned int count, n;

	_Static_assert(sizeof(list[0].device) == sizeof(pe->attachments[0].device) &&
		       sizeof(list[0].driver) == sizeof(pe->attachments[0].driver),
		       "names keep their size on the wire");
	if (e->fd < 0 || vrs_dmabuf_attachments(buf->dev->dev, e->fd, list,
						VRS_PROTO_MAX_ATTACHMENTS,
						&count))
		return;
	pe->flags |= VRS_BUF_ATTACHMENTS;
	pe->nr_attachments = count;
	n = count < VRS_PROTO_MAX_ATTACHMENTS ? count : VRS_PROTO_MAX_ATTACHMENTS;
	for (unsigned int i = 0; i < n; i++) {
		struct vrs_proto_attachment *pa = &pe->attachments[i];

		/* same sizes; the library terminates both */
		memcpy(pa->device, list[i].device, sizeof(pa->device));
		memcpy(pa->driver, list[i].driver, sizeof(pa->driver));
		pa->route = list[i].route;
		pa->mappings = list[i].mappings;
	}
}

static void vrs_status(struct vrs_broker *b, struct vrs_client *c,
		       const struct vrs_msg *msg)
{
	_Alignas(uint64_t) unsigned char page[VRS_PROTO_MAX_MSG];
	struct vrs_msg_status *reply = (struct vrs_msg_status *)page;
	struct vrs_msg_status_req req;
	int all = vrs_is_admin(c);

	memcpy(&req, msg->payload, sizeof(req));
	if (req.reserved) {
		vrs_client_error(b, c, msg->hdr.seq, EINVAL, "reserved not 0");
		return;
	}
	memset(reply, 0, sizeof(*reply));
	reply->clients = b->nr_clients;
	reply->start = req.start;
	for (struct vrs_buffer *buf = b->buffers; buf; buf = buf->next) {
		for (struct vrs_export *e = buf->exports; e; e = e->buf_next) {
			struct vrs_proto_export *pe;

			if (!all && e->client != c)
				continue;
			if (reply->total++ < req.start ||
			    reply->count == VRS_PROTO_MAX_EXPORTS)
				continue;
			pe = &reply->exports[reply->count++];
			memset(pe, 0, sizeof(*pe));
			pe->id = e->id;
			pe->client_id = e->client->id;
			pe->uid = (uint32_t)e->client->peer.uid;
			pe->pid = (uint32_t)e->client->peer.pid;
			snprintf(pe->device, sizeof(pe->device), "%s",
				 buf->dev->name);
			pe->offset = buf->offset;
			pe->size = buf->size;
			pe->flags = (e->read_only ? VRS_BUF_READ_ONLY : 0) |
				    (buf->owner == e->client ? VRS_BUF_OWNER : 0);
			pe->state = e->state;
			vrs_status_attachments(buf, e, pe);
		}
	}
	vrs_client_send(b, c, VRS_MSG_STATUS | VRS_MSG_REPLY, msg->hdr.seq,
			reply, sizeof(*reply) +
			reply->count * sizeof(reply->exports[0]), -1);
}

static void vrs_reset(struct vrs_broker *b, struct vrs_client *c,
		      const struct vrs_msg *msg)
{
	struct vrs_msg_reset req;
	struct vrs_bdev *d;
	int ret;

	memcpy(&req, msg->payload, sizeof(req));
	if (!vrs_is_admin(c)) {
		vrs_refuse(b, c, msg, EPERM, "resetting needs an admin grant");
		return;
	}
	if (req.flags || req.reserved) {
		vrs_refuse(b, c, msg, EINVAL, "bad flags");
		return;
	}
	d = vrs_device_by_name(b, req.device);
	if (!d) {
		vrs_refuse(b, c, msg, ENODEV, "no such device");
		return;
	}
	/*
	 * The exporter revokes every dma-buf of the device, resets it and
	 * restores them. Holders are sent this reset's events before the
	 * reply: waiting for the eventfd's turn in the loop would let the
	 * requester's next reset come first and merge the two.
	 */
	ret = vrs_device_reset(d->dev);
	vrs_device_events(b, d);
	vrs_log(VRS_LOG_INFO, "client %llu: reset %s: %s",
		(unsigned long long)c->id, d->name, ret ? strerror(-ret) : "done");
	if (ret) {
		vrs_client_error(b, c, msg->hdr.seq, -ret, "reset failed: %s",
				 strerror(-ret));
		return;
	}
	vrs_client_send(b, c, VRS_MSG_RESET | VRS_MSG_REPLY, msg->hdr.seq,
			NULL, 0, -1);
}

void vrs_request(struct vrs_broker *b, struct vrs_client *c,
		 const struct vrs_msg *msg)
{
	uint16_t type = msg->hdr.type;

	if (type & VRS_MSG_REPLY || msg->hdr.seq == 0) {
		vrs_client_error(b, c, msg->hdr.seq, EPROTO, "not a request");
		return;
	}
	if (!c->greeted && type != VRS_MSG_HELLO) {
		vrs_client_error(b, c, msg->hdr.seq, EPROTO, "HELLO first");
		return;
	}
	switch (type) {
	case VRS_MSG_HELLO:
		vrs_hello(b, c, msg);
		break;
	case VRS_MSG_DEVICES:
		vrs_devices(b, c, msg);
		break;
	case VRS_MSG_ALLOC:
		vrs_alloc(b, c, msg);
		break;
	case VRS_MSG_OPEN:
		vrs_open(b, c, msg);
		break;
	case VRS_MSG_FREE:
		vrs_free(b, c, msg);
		break;
	case VRS_MSG_STATUS:
		vrs_status(b, c, msg);
		break;
	case VRS_MSG_RESET:
		vrs_reset(b, c, msg);
		break;
	default:
		vrs_client_error(b, c, msg->hdr.seq, EOPNOTSUPP,
				 "%s is not a request", vrs_proto_type_name(type));
		break;
	}
}
