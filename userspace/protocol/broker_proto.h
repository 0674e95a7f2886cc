/* SPDX-License-Identifier: MIT */
/*
 * The broker protocol: what vramshared and its clients (libvramshare)
 * say to each other over a Unix SOCK_SEQPACKET socket.
 *
 * One datagram is one message: a fixed header, then the payload of its
 * type. Structs are in host byte order (both ends are on one machine),
 * with explicit padding so that their layout is the same for every
 * compiler. A message carries at most one file descriptor (SCM_RIGHTS),
 * only in a BUFFER reply; a receiver closes any other it finds.
 *
 * Requests carry a client-chosen seq, never 0; the reply (the request's
 * type with VRS_MSG_REPLY set, or VRS_MSG_ERROR) carries the same seq.
 * EVENT messages come unasked, with seq 0. A request the broker does not
 * understand gets an ERROR reply; only a malformed header (wrong magic,
 * version or length) ends the connection, since nothing after it can be
 * trusted.
 *
 * Every length is checked by vrs_proto_decode() before a byte of the
 * payload is used: a payload has the exact size of its type, or, for the
 * types that end in an array, that size plus count whole entries.
 */
#ifndef VRAMSHARE_BROKER_PROTO_H
#define VRAMSHARE_BROKER_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define VRS_PROTO_MAGIC		0x42535256u	/* "VRSB" in memory */
#define VRS_PROTO_VERSION	2
/* No message is longer; a receive buffer of this size never truncates. */
#define VRS_PROTO_MAX_MSG	16384u
/* Names of devices: NUL-terminated, at most 31 characters. */
#define VRS_PROTO_NAME_LEN	32
/* The text of an ERROR: NUL-terminated. */
#define VRS_PROTO_TEXT_LEN	128

/* Where vramshared listens unless told otherwise. */
#define VRS_BROKER_SOCKET	"/run/vramshare/broker.sock"

enum vrs_msg_type {
	VRS_MSG_ERROR = 1,	/* reply: struct vrs_msg_error */
	VRS_MSG_HELLO = 2,	/* struct vrs_msg_hello both ways */
	VRS_MSG_DEVICES = 3,	/* request: none; reply: vrs_msg_devices */
	VRS_MSG_ALLOC = 4,	/* request: vrs_msg_alloc; reply: BUFFER */
	VRS_MSG_OPEN = 5,	/* request: vrs_msg_open; reply: BUFFER */
	VRS_MSG_FREE = 6,	/* request: vrs_msg_free; reply: none */
	VRS_MSG_EVENT = 7,	/* broker to client: vrs_msg_event */
	VRS_MSG_STATUS = 8,	/* request: vrs_msg_status_req; reply: status */
	VRS_MSG_RESET = 9,	/* request: vrs_msg_reset; reply: none */
	VRS_MSG_BUFFER = 10,	/* reply to ALLOC and OPEN: vrs_msg_buffer */
};
#define VRS_MSG_TYPE_MAX	VRS_MSG_BUFFER
/* Set in the type of a reply. */
#define VRS_MSG_REPLY		0x8000u

/**
 * struct vrs_msg_hdr - starts every message
 * @magic: VRS_PROTO_MAGIC
 * @version: VRS_PROTO_VERSION
 * @type: enum vrs_msg_type, with VRS_MSG_REPLY in replies
 * @length: bytes of the whole message, header included
 * @seq: request number (never 0); its reply's; 0 for events
 */
struct vrs_msg_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t length;
	uint32_t seq;
};

/**
 * struct vrs_msg_error - a request failed
 * @error: a positive errno value
 * @reserved: 0
 * @text: what was refused and why, NUL-terminated
 */
struct vrs_msg_error {
	int32_t error;
	uint32_t reserved;
	char text[VRS_PROTO_TEXT_LEN];
};

/**
 * struct vrs_msg_hello - the first request, and its reply
 * @version: the sender's VRS_PROTO_VERSION
 * @flags: VRS_HELLO_*
 * @client_id: reply: the broker's number for this connection
 * @uid: reply: the peer's uid as the broker saw it (SO_PEERCRED)
 * @pid: reply: the peer's pid
 */
struct vrs_msg_hello {
	uint32_t version;
	uint32_t flags;
	uint64_t client_id;
	uint32_t uid;
	uint32_t pid;
};
/* Reply: the peer may reset devices, see and free every buffer. */
#define VRS_HELLO_ADMIN		0x1u
/* Request (admins): also send the events of every holder's dma-bufs. */
#define VRS_HELLO_WATCH		0x2u

/**
 * struct vrs_proto_device - one exporting device the broker owns
 * @name: its name in the configuration ("gpu0")
 * @address: its PCI address ("0000:01:00.0")
 * @bar: the BAR it sub-allocates
 * @flags: VRS_DEVICE_*
 * @bar_size: bytes of that BAR
 * @free: bytes not allocated
 * @largest_free: the largest allocation that would succeed now
 * @buffers: allocations live on it
 * @reserved: 0
 */
struct vrs_proto_device {
	char name[VRS_PROTO_NAME_LEN];
	char address[16];
	uint32_t bar;
	uint32_t flags;
	uint64_t bar_size;
	uint64_t free;
	uint64_t largest_free;
	uint32_t buffers;
	uint32_t reserved;
};
/* The exporter revokes single dma-bufs and reports their events. */
#define VRS_DEVICE_REVOKE	0x1u
/* Some free VRAM is not cleared yet: an allocation may clear first. */
#define VRS_DEVICE_CLEARING	0x2u

/**
 * struct vrs_msg_devices - reply to DEVICES
 * @count: entries in @devices
 * @reserved: 0
 * @devices: the devices
 */
struct vrs_msg_devices {
	uint32_t count;
	uint32_t reserved;
	struct vrs_proto_device devices[];
};

/**
 * struct vrs_msg_alloc - allocate VRAM
 * @device: the device's name, or "" for any the peer may use
 * @size: bytes, rounded up to the page size
 * @align: power-of-two alignment of the range in the BAR, 0 for a page
 * @flags: VRS_BUF_READ_ONLY
 * @reserved: 0
 */
struct vrs_msg_alloc {
	char device[VRS_PROTO_NAME_LEN];
	uint64_t size;
	uint64_t align;
	uint32_t flags;
	uint32_t reserved;
};
/*
 * The dma-buf is opened read-only: no writable CPU mapping, and drm-import
 * never writes into an import of it (other importers are not held to it).
 */
#define VRS_BUF_READ_ONLY	0x1u
/* BUFFER flags: this connection allocated the buffer (and may free it). */
#define VRS_BUF_OWNER		0x2u
/* BUFFER flags: the broker forwards this buffer's events. */
#define VRS_BUF_EVENTS		0x4u
/* STATUS: the exporter lists importers, so nr_attachments is known */
#define VRS_BUF_ATTACHMENTS	0x8u

/**
 * struct vrs_msg_open - another dma-buf of a buffer someone allocated
 * @token: the buffer's share token (from its owner's BUFFER reply)
 * @flags: VRS_BUF_READ_ONLY
 * @reserved: 0
 */
struct vrs_msg_open {
	uint64_t token;
	uint32_t flags;
	uint32_t reserved;
};

/**
 * struct vrs_msg_buffer - reply to ALLOC and OPEN, with the dma-buf fd
 * @id: this connection's handle of the dma-buf (FREE, events)
 * @token: the share token of the buffer, for OPEN by another process
 * @size: bytes of the dma-buf
 * @offset: where the buffer starts in the BAR
 * @device: the device's name
 * @flags: VRS_BUF_*
 * @state: VRS_STATE_*
 * @generation: state transitions of the dma-buf so far
 */
struct vrs_msg_buffer {
	uint64_t id;
	uint64_t token;
	uint64_t size;
	uint64_t offset;
	char device[VRS_PROTO_NAME_LEN];
	uint32_t flags;
	uint32_t state;
	uint64_t generation;
};

/**
 * struct vrs_msg_free - drop a dma-buf; the owner's frees the buffer
 * @id: the id from the BUFFER reply, or 0 to name the buffer by @token
 * @token: with @id 0: a buffer's share token; admins only, frees it
 *         whoever owns it
 */
struct vrs_msg_free {
	uint64_t id;
	uint64_t token;
};

/* Event and buffer states, as the exporter's (VRAMSHARE_DMA_BUF_*). */
#define VRS_STATE_LIVE		0
#define VRS_STATE_REVOKED	1	/* until the exporter restores it */
#define VRS_STATE_GONE		2	/* for good */

/**
 * struct vrs_msg_event - a dma-buf changed state
 * @id: the dma-buf's id in its holder's connection
 * @client_id: its holder's connection (watchers get every holder's)
 * @state: VRS_STATE_*
 * @reserved: 0
 * @generation: state transitions so far
 */
struct vrs_msg_event {
	uint64_t id;
	uint64_t client_id;
	uint32_t state;
	uint32_t reserved;
	uint64_t generation;
};

/**
 * struct vrs_msg_status_req - list the broker's dma-bufs, a page at a time
 * @start: index of the first entry wanted
 * @reserved: 0
 */
struct vrs_msg_status_req {
	uint32_t start;
	uint32_t reserved;
};

/* Importers a STATUS entry names; more are only counted. */
#define VRS_PROTO_MAX_ATTACHMENTS	4

/**
 * struct vrs_proto_attachment - an importer attached to a dma-buf
 * @device: the importing device's name, NUL-terminated
 * @driver: its driver's name, NUL-terminated
 * @route: VRS_ROUTE_* (1 bus address, 2 host bridge)
 * @mappings: DMA mappings it holds now
 */
struct vrs_proto_attachment {
	char device[VRS_PROTO_NAME_LEN];
	char driver[VRS_PROTO_NAME_LEN];
	uint32_t route;
	uint32_t mappings;
};

/**
 * struct vrs_proto_export - one dma-buf the broker handed out
 * @id: its id in its holder's connection
 * @client_id: the holder's connection
 * @uid: the holder's uid
 * @pid: the holder's pid
 * @device: the device's name
 * @offset: start in the BAR
 * @size: bytes
 * @flags: VRS_BUF_*
 * @state: VRS_STATE_*
 * @nr_attachments: importers attached to it now, as the exporter lists
 *                  them (with VRS_BUF_ATTACHMENTS in @flags; else 0)
 * @reserved: 0
 * @attachments: the first min(@nr_attachments, VRS_PROTO_MAX_ATTACHMENTS)
 */
struct vrs_proto_export {
	uint64_t id;
	uint64_t client_id;
	uint32_t uid;
	uint32_t pid;
	char device[VRS_PROTO_NAME_LEN];
	uint64_t offset;
	uint64_t size;
	uint32_t flags;
	uint32_t state;
	uint32_t nr_attachments;
	uint32_t reserved;
	struct vrs_proto_attachment attachments[VRS_PROTO_MAX_ATTACHMENTS];
};

/**
 * struct vrs_msg_status - reply to STATUS
 * @total: dma-bufs the peer may see (all for an admin, else its own)
 * @clients: connections open
 * @start: index of @exports[0]
 * @count: entries in @exports
 * @exports: the page
 */
struct vrs_msg_status {
	uint32_t total;
	uint32_t clients;
	uint32_t start;
	uint32_t count;
	struct vrs_proto_export exports[];
};

/**
 * struct vrs_msg_reset - reset a device (admins only)
 * @device: its name
 * @flags: 0
 * @reserved: 0
 */
struct vrs_msg_reset {
	char device[VRS_PROTO_NAME_LEN];
	uint32_t flags;
	uint32_t reserved;
};

/* Entries of a STATUS or DEVICES reply that fit in one message. */
#define VRS_PROTO_MAX_EXPORTS \
	((VRS_PROTO_MAX_MSG - sizeof(struct vrs_msg_hdr) - \
	  sizeof(struct vrs_msg_status)) / sizeof(struct vrs_proto_export))
#define VRS_PROTO_MAX_DEVICES \
	((VRS_PROTO_MAX_MSG - sizeof(struct vrs_msg_hdr) - \
	  sizeof(struct vrs_msg_devices)) / sizeof(struct vrs_proto_device))

/**
 * struct vrs_msg - a decoded message: the header and its payload
 * @hdr: the header, checked
 * @payload: the bytes after the header (points into the decoded buffer)
 * @payload_len: their number
 * @count: entries of a DEVICES or STATUS reply
 */
struct vrs_msg {
	struct vrs_msg_hdr hdr;
	const void *payload;
	size_t payload_len;
	uint32_t count;
};

/*
 * Checks @len bytes at @buf as one message and fills @msg.
 *   -EBADMSG  header wrong (magic, version, length): drop the connection
 *   -EMSGSIZE longer than VRS_PROTO_MAX_MSG
 *   -ENOMSG   unknown type (answer with an ERROR; the header is sound)
 *   -EPROTO   a known type with a payload of the wrong size, an array
 *             count that does not match, or a name without its NUL
 *             (answer with an ERROR)
 * The caller aligns @buf for uint64_t.
 */
int vrs_proto_decode(const void *buf, size_t len, struct vrs_msg *msg);

/*
 * Writes a header for @type and @seq and copies @payload_len bytes of
 * @payload after it into @buf (of @size bytes). Returns the message's
 * length, or -EMSGSIZE if it does not fit or exceeds VRS_PROTO_MAX_MSG.
 */
int vrs_proto_encode(void *buf, size_t size, uint16_t type, uint32_t seq,
		     const void *payload, size_t payload_len);

struct msghdr;

/*
 * Closes every descriptor a received message carried (SCM_RIGHTS), but
 * the first one when @keep points to a negative value: that one is
 * stored there instead.
 */
void vrs_proto_close_fds(struct msghdr *mh, int *keep);

/* The name of a message type, for logs ("ALLOC"), or "unknown". */
const char *vrs_proto_type_name(uint16_t type);

/* Is @name a NUL-terminated string within VRS_PROTO_NAME_LEN bytes? */
int vrs_proto_name_ok(const char name[VRS_PROTO_NAME_LEN]);

#endif /* VRAMSHARE_BROKER_PROTO_H */
