// SPDX-License-Identifier: MIT
/*
 * Buffers and their dma-bufs. The isolation rule lives here: a range
 * goes back to the allocator only after every dma-buf of it has been
 * revoked for good, and it is cleared before it is handed out again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "broker.h"

struct vrs_buffer *vrs_buffer_by_token(struct vrs_broker *b, uint64_t token)
{
	for (struct vrs_buffer *buf = b->buffers; buf; buf = buf->next) {
		if (buf->token == token)
			return buf;
	}
	return NULL;
}

/* A token nobody can guess: 64 random bits, unique, never 0. */
static int vrs_token_new(struct vrs_broker *b, uint64_t *token)
{
	do {
		if (getrandom(token, sizeof(*token), 0) != sizeof(*token))
			return -errno;
	} while (!*token || vrs_buffer_by_token(b, *token));
	return 0;
}

int vrs_buffer_alloc(struct vrs_broker *b, struct vrs_client *c,
		     struct vrs_bdev *d, uint64_t size, uint64_t align,
		     struct vrs_buffer **bufp)
{
	struct vrs_buffer *buf;
	uint64_t offset;
	int ret;

	buf = calloc(1, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	ret = vrs_token_new(b, &buf->token);
	if (ret)
		goto err_free;
	ret = vrs_range_alloc(d->ra, size, align, &offset);
	if (ret)
		goto err_free;
	vrs_range_size(d->ra, offset, &buf->size);
	/* The previous tenant's bytes go before anyone sees the range. */
	ret = vrs_device_clear(d, offset, buf->size);
	if (ret) {
		vrs_log(VRS_LOG_WARNING, "device %s: cannot clear [%#llx, +%#llx): %s",
			d->name, (unsigned long long)offset,
			(unsigned long long)buf->size, strerror(-ret));
		vrs_range_free(d->ra, offset);
		ret = ret == -EIO ? -EBUSY : ret;
		goto err_free;
	}
	buf->dev = d;
	buf->offset = offset;
	buf->owner = c;
	buf->next = b->buffers;
	b->buffers = buf;
	d->nr_buffers++;
	c->bytes += buf->size;
	*bufp = buf;
	return 0;

err_free:
	free(buf);
	return ret;
}

int vrs_export_query(struct vrs_export *e, uint32_t *state,
		     uint64_t *generation)
{
	struct vrs_dmabuf_state st = { .struct_size = sizeof(st) };
	int ret;

	if (!e->buf->dev->revoke)
		return -EOPNOTSUPP;
	ret = vrs_dmabuf_query(e->buf->dev->dev, e->fd, &st);
	if (ret)
		return ret;
	*state = (uint32_t)st.state;
	*generation = st.generation;
	return 0;
}

int vrs_export_new(struct vrs_broker *b, struct vrs_client *c,
		   struct vrs_buffer *buf, int read_only,
		   struct vrs_export **expp)
{
	struct vrs_bdev *d = buf->dev;
	struct vrs_range range = { .offset = buf->offset, .length = buf->size };
	struct vrs_export *e;
	int ret;

	(void)b;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	ret = vrs_export(d->dev, d->bar, &range, 1,
			 (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC, &e->fd);
	if (ret) {
		free(e);
		return ret;
	}
	if (d->revoke) {
		ret = vrs_dmabuf_set_eventfd(d->dev, e->fd, d->eventfd);
		if (ret) {
			close(e->fd);
			free(e);
			return ret;
		}
	}
	e->id = c->next_id++;
	e->buf = buf;
	e->client = c;
	e->read_only = read_only;
	e->state = VRS_STATE_LIVE;
	vrs_export_query(e, &e->state, &e->generation);
	e->buf_next = buf->exports;
	buf->exports = e;
	e->client_next = c->exports;
	c->exports = e;
	c->nr_exports++;
	*expp = e;
	return 0;
}

static void vrs_unlink_export(struct vrs_export *e)
{
	struct vrs_export **p;

	for (p = &e->buf->exports; *p; p = &(*p)->buf_next) {
		if (*p == e) {
			*p = e->buf_next;
			break;
		}
	}
	for (p = &e->client->exports; *p; p = &(*p)->client_next) {
		if (*p == e) {
			*p = e->client_next;
			break;
		}
	}
	e->client->nr_exports--;
}

/*
 * Revokes the dma-buf for good: importers are unmapped (move_notify)
 * and CPU mappings zapped before the call returns. Returns 0 when the
 * exporter guarantees that nobody reaches the range through it any more;
 * -EBUSY when an importer kept its mapping past the exporter's bound.
 */
static int vrs_export_revoke(struct vrs_export *e)
{
	struct vrs_bdev *d = e->buf->dev;
	int ret;

	if (!d->revoke)
		return -EOPNOTSUPP;
	ret = vrs_dmabuf_revoke(d->dev, e->fd);
	if (ret == -EBUSY)
		vrs_log(VRS_LOG_WARNING,
			"device %s: an importer still maps a revoked dma-buf of client %llu",
			d->name, (unsigned long long)e->client->id);
	else if (ret)
		vrs_log(VRS_LOG_ERROR, "device %s: cannot revoke a dma-buf: %s",
			d->name, strerror(-ret));
	return ret;
}

void vrs_export_drop(struct vrs_broker *b, struct vrs_export *e)
{
	(void)b;
	vrs_unlink_export(e);
	/* Remembered until the owner frees: the range is then kept. */
	if (vrs_export_revoke(e))
		e->buf->tainted = 1;
	close(e->fd);
	free(e);
}

void vrs_buffer_free(struct vrs_broker *b, struct vrs_buffer *buf,
		     const struct vrs_export *quiet)
{
	struct vrs_bdev *d = buf->dev;
	struct vrs_buffer **p;
	int reusable = d->revoke && !buf->tainted;

	while (buf->exports) {
		struct vrs_export *e = buf->exports;
		uint64_t generation = e->generation + 1;
		uint32_t state = VRS_STATE_LIVE;

		vrs_unlink_export(e);
		if (vrs_export_revoke(e))
			reusable = 0;
		/*
		 * Holders learn what the exporter says: GONE, even when an
		 * importer of theirs still maps it (the range is kept then).
		 */
		vrs_export_query(e, &state, &generation);
		if (state == VRS_STATE_GONE && e != quiet)
			vrs_export_notify(b, e, VRS_STATE_GONE, generation);
		close(e->fd);
		free(e);
	}
	for (p = &b->buffers; *p; p = &(*p)->next) {
		if (*p == buf) {
			*p = buf->next;
			break;
		}
	}
	d->nr_buffers--;
	if (buf->owner)
		buf->owner->bytes -= buf->size;
	/* A range someone may still reach stays allocated for good. */
	/* Marked to clear first: a range that cannot be stays allocated. */
	if (reusable && vrs_device_range_freed(d, buf->offset, buf->size))
		reusable = 0;
	if (reusable)
		vrs_range_free(d->ra, buf->offset);
	else
		vrs_log(VRS_LOG_WARNING,
			"device %s: [%#llx, +%#llx) not reused: its dma-bufs could not be revoked",
			d->name, (unsigned long long)buf->offset,
			(unsigned long long)buf->size);
	free(buf);
}

void vrs_export_notify(struct vrs_broker *b, struct vrs_export *e,
		       uint32_t state, uint64_t generation)
{
	struct vrs_msg_event ev = {
		.id = e->id,
		.client_id = e->client->id,
		.state = state,
		.generation = generation,
	};

	e->state = state;
	e->generation = generation;
	vrs_client_send(b, e->client, VRS_MSG_EVENT, 0, &ev, sizeof(ev), -1);
	for (struct vrs_client *w = b->clients; w; w = w->next) {
		if (w->watch && w != e->client)
			vrs_client_send(b, w, VRS_MSG_EVENT, 0, &ev, sizeof(ev),
					-1);
	}
}
