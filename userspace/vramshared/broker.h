/* SPDX-License-Identifier: MIT */
/*
 * vramshared's state: the devices it owns, the buffers allocated on
 * them, the dma-bufs (exports) handed out for each buffer, and the
 * connections holding them. One thread owns all of it.
 *
 *   device 1--* buffer 1--* export *--1 client
 *
 * A buffer is a range of a device's BAR. Each holder of a buffer has its
 * own dma-buf of that range (an export), so that one holder is revoked
 * without the others and a read-only holder has a read-only dma-buf.
 */
#ifndef VRAMSHARED_BROKER_H
#define VRAMSHARED_BROKER_H

#include <stdint.h>

#include "broker_proto.h"
#include "config.h"
#include "policy.h"
#include "range_alloc.h"
#include "scrub.h"
#include "vramshare.h"

struct vrs_client;

/**
 * struct vrs_bdev - an exporting device the broker owns
 * @name: its configured (or automatic) name
 * @bar: the BAR sub-allocated
 * @bar_size: its bytes
 * @dev: the vfio device
 * @ra: the allocator of @bar
 * @eventfd: registered on every export of the device; readable when one
 *           of them changed state
 * @revoke: the exporter revokes single dma-bufs (vfio-pci-dmabuf);
 *          without it freed ranges are never reused
 * @nr_buffers: buffers allocated on it
 * @pool_size: bytes of @bar sub-allocated (whole pages)
 * @scrub: which free VRAM of @bar is still to be cleared
 * @scrub_next: where clearing ahead goes on
 * @scrub_retry: CLOCK_MONOTONIC ms before which it does not try again
 *               (a clear failed: the BAR is off, a reset)
 * @scrub_backoff: ms to wait after the next failure (doubles, reset by a
 *                 success); 0 before the first, which is logged
 */
struct vrs_bdev {
	char name[VRS_PROTO_NAME_LEN];
	unsigned int bar;
	uint64_t bar_size;
	struct vrs_device *dev;
	struct vrs_range_alloc *ra;
	int eventfd;
	int revoke;
	uint32_t nr_buffers;
	uint64_t pool_size;
	struct vrs_scrub *scrub;
	uint64_t scrub_next;
	int64_t scrub_retry;
	int64_t scrub_backoff;
};

/**
 * struct vrs_buffer - one allocated range
 * @dev: its device
 * @offset: start in the BAR
 * @size: bytes
 * @token: what another client OPENs it by; random, never 0
 * @owner: the connection that allocated it
 * @tainted: a revoke of one of its dma-bufs failed: someone may still
 *           reach the range, which is never reused
 * @exports: every dma-buf of it, through vrs_export.buf_next
 * @next: the broker's list
 */
struct vrs_buffer {
	struct vrs_bdev *dev;
	uint64_t offset;
	uint64_t size;
	uint64_t token;
	struct vrs_client *owner;
	int tainted;
	struct vrs_export *exports;
	struct vrs_buffer *next;
};

/**
 * struct vrs_export - one dma-buf of a buffer, held by one connection
 * @id: its number in the holder's connection, never 0
 * @buf: the buffer
 * @client: the holder
 * @fd: the broker's reference to the dma-buf (to revoke it)
 * @read_only: the dma-buf was opened O_RDONLY
 * @state: the state last told to the holder (VRS_STATE_*)
 * @generation: the generation last seen
 * @buf_next: next export of @buf
 * @client_next: next export of @client
 */
struct vrs_export {
	uint64_t id;
	struct vrs_buffer *buf;
	struct vrs_client *client;
	int fd;
	int read_only;
	uint32_t state;
	uint64_t generation;
	struct vrs_export *buf_next;
	struct vrs_export *client_next;
};

/* A message waiting for a peer that does not read. */
struct vrs_outmsg {
	struct vrs_outmsg *next;
	size_t len;
	unsigned char data[];
};

/**
 * struct vrs_client - one connection
 * @fd: the socket
 * @id: the broker's number for it, never 0
 * @peer: its credentials at connect time
 * @grant: the policy grant that applies, NULL when none does
 * @greeted: HELLO done
 * @watch: gets every export's events (admins asked for it)
 * @next_id: the next export id
 * @exports: the dma-bufs it holds
 * @nr_exports: their number
 * @bytes: bytes of the buffers it owns
 * @out_head: messages not yet sent, oldest first
 * @out_tail: the newest
 * @out_len: their number
 * @dead: to be destroyed once the current event is handled
 * @next: the broker's list
 */
struct vrs_client {
	int fd;
	uint64_t id;
	struct vrs_peer peer;
	const struct vrs_grant *grant;
	int greeted;
	int watch;
	uint64_t next_id;
	struct vrs_export *exports;
	uint32_t nr_exports;
	uint64_t bytes;
	struct vrs_outmsg *out_head;
	struct vrs_outmsg *out_tail;
	unsigned int out_len;
	int dead;
	struct vrs_client *next;
};

/**
 * struct vrs_broker - everything
 * @cfg: the configuration
 * @epoll: the event loop's epoll fd
 * @listen_fd: the listening socket
 * @bound_path: its path when the broker bound it (not socket-activated)
 * @signal_fd: SIGTERM, SIGINT
 * @devs: the devices owned
 * @nr_devs: their number
 * @buffers: every buffer
 * @clients: every connection
 * @nr_clients: their number
 * @nr_strangers: connections no grant names, not yet turned away
 * @listen_paused: accept() ran out of descriptors; the listener waits
 *                 for a connection to end
 * @next_client_id: the next connection's id
 * @scrub_turn: the device whose free VRAM is cleared ahead next, so
 *              that each gets its turn
 * @scrub_last: CLOCK_MONOTONIC ms of the last step
 * @stopping: leave the loop
 */
struct vrs_broker {
	const struct vrs_config *cfg;
	int epoll;
	int listen_fd;
	const char *bound_path;
	int signal_fd;
	struct vrs_bdev devs[VRS_CONFIG_MAX_DEVICES];
	unsigned int nr_devs;
	struct vrs_buffer *buffers;
	struct vrs_client *clients;
	unsigned int nr_clients;
	unsigned int nr_strangers;
	int listen_paused;
	uint64_t next_client_id;
	unsigned int scrub_turn;
	int64_t scrub_last;
	int stopping;
};

/* log.c */
void vrs_log_set_level(enum vrs_log_level level);
void vrs_log(enum vrs_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* devices.c: open the configured devices, close them. */
int vrs_devices_open(struct vrs_broker *b);
void vrs_devices_close(struct vrs_broker *b);
struct vrs_bdev *vrs_device_by_name(struct vrs_broker *b, const char *name);
/*
 * Zeroes what is still to be cleared in [@offset, +@size) of the device's
 * BAR (a range about to be handed out); -EIO when the BAR is off.
 */
int vrs_device_clear(struct vrs_bdev *d, uint64_t offset, uint64_t size);
/*
 * A range about to be freed: marked to be cleared before it is handed out
 * again. An error means it could not be, and must not be reused.
 */
int vrs_device_range_freed(struct vrs_bdev *d, uint64_t offset,
			   uint64_t size);
/*
 * Clearing ahead: the epoll timeout until the next step (0 now, -1 when
 * all free VRAM is clear); whether a step is overdue, the broker having
 * been busy since the last one; and one step (a bounded piece of one
 * device's free VRAM).
 */
int vrs_devices_scrub_timeout(struct vrs_broker *b);
int vrs_devices_scrub_overdue(struct vrs_broker *b);
void vrs_devices_scrub_step(struct vrs_broker *b);
/* Reads the device's eventfd and forwards the changed exports' states. */
void vrs_device_events(struct vrs_broker *b, struct vrs_bdev *d);

/* buffers.c: the buffer and export life cycle. */
int vrs_buffer_alloc(struct vrs_broker *b, struct vrs_client *c,
		     struct vrs_bdev *d, uint64_t size, uint64_t align,
		     struct vrs_buffer **bufp);
int vrs_export_new(struct vrs_broker *b, struct vrs_client *c,
		   struct vrs_buffer *buf, int read_only,
		   struct vrs_export **expp);
/* Revokes the export's dma-buf for good and forgets it. */
void vrs_export_drop(struct vrs_broker *b, struct vrs_export *e);
/*
 * Revokes every export of @buf, tells their holders but @quiet (the
 * dma-buf whose FREE this is, or NULL), frees the range.
 */
void vrs_buffer_free(struct vrs_broker *b, struct vrs_buffer *buf,
		     const struct vrs_export *quiet);
struct vrs_buffer *vrs_buffer_by_token(struct vrs_broker *b, uint64_t token);
/* The state of an export's dma-buf now, from the exporter. */
int vrs_export_query(struct vrs_export *e, uint32_t *state,
		     uint64_t *generation);
/* Tells the holder (and watchers) that @e is in @state. */
void vrs_export_notify(struct vrs_broker *b, struct vrs_export *e,
		       uint32_t state, uint64_t generation);

/* client.c: connections. */
void vrs_client_accept(struct vrs_broker *b);
void vrs_client_readable(struct vrs_broker *b, struct vrs_client *c);
void vrs_client_writable(struct vrs_broker *b, struct vrs_client *c);
/* Queues or sends one message; a peer past its queue limit is killed. */
void vrs_client_send(struct vrs_broker *b, struct vrs_client *c,
		     uint16_t type, uint32_t seq, const void *payload,
		     size_t len, int fd);
void vrs_client_error(struct vrs_broker *b, struct vrs_client *c,
		      uint32_t seq, int error, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Marks @c dead; the loop destroys it (vrs_clients_reap). */
void vrs_client_kill(struct vrs_client *c, const char *why);
void vrs_clients_reap(struct vrs_broker *b);
void vrs_client_destroy(struct vrs_broker *b, struct vrs_client *c);
uint64_t vrs_uid_bytes(struct vrs_broker *b, uid_t uid);

/* main.c: watch the listener again after a pause (out of descriptors). */
void vrs_listener_resume(struct vrs_broker *b);

/* requests.c: one decoded request from a greeted or new client. */
void vrs_request(struct vrs_broker *b, struct vrs_client *c,
		 const struct vrs_msg *msg);

#endif /* VRAMSHARED_BROKER_H */
