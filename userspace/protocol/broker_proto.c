// SPDX-License-Identifier: MIT
/*
 * The broker protocol's decoder and encoder: the only code that looks at
 * bytes from the other end before they are known to be well formed.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker_proto.h"

/* Payload shape of one direction of a type. */
struct vrs_shape {
	size_t fixed;	/* bytes before the array, or of the whole payload */
	size_t entry;	/* bytes of an array entry; 0: no array */
	int valid;	/* this direction exists */
};

struct vrs_type_info {
	const char *name;
	struct vrs_shape request;
	struct vrs_shape reply;
};

#define FIXED(type) { sizeof(type), 0, 1 }
#define EMPTY { 0, 0, 1 }
#define ARRAY(type, entry) { sizeof(type), sizeof(entry), 1 }
#define NONE { 0, 0, 0 }

static const struct vrs_type_info vrs_types[VRS_MSG_TYPE_MAX + 1] = {
	[VRS_MSG_ERROR] = { "ERROR", NONE, FIXED(struct vrs_msg_error) },
	[VRS_MSG_HELLO] = { "HELLO", FIXED(struct vrs_msg_hello),
			    FIXED(struct vrs_msg_hello) },
	[VRS_MSG_DEVICES] = { "DEVICES", EMPTY,
			      ARRAY(struct vrs_msg_devices,
				    struct vrs_proto_device) },
	[VRS_MSG_ALLOC] = { "ALLOC", FIXED(struct vrs_msg_alloc), NONE },
	[VRS_MSG_OPEN] = { "OPEN", FIXED(struct vrs_msg_open), NONE },
	[VRS_MSG_FREE] = { "FREE", FIXED(struct vrs_msg_free), EMPTY },
	/* Unasked, so without the reply bit. */
	[VRS_MSG_EVENT] = { "EVENT", FIXED(struct vrs_msg_event), NONE },
	[VRS_MSG_STATUS] = { "STATUS", FIXED(struct vrs_msg_status_req),
			     ARRAY(struct vrs_msg_status,
				   struct vrs_proto_export) },
	[VRS_MSG_RESET] = { "RESET", FIXED(struct vrs_msg_reset), EMPTY },
	[VRS_MSG_BUFFER] = { "BUFFER", NONE, FIXED(struct vrs_msg_buffer) },
};

const char *vrs_proto_type_name(uint16_t type)
{
	type &= (uint16_t)~VRS_MSG_REPLY;
	if (type == 0 || type > VRS_MSG_TYPE_MAX)
		return "unknown";
	return vrs_types[type].name;
}

int vrs_proto_name_ok(const char name[VRS_PROTO_NAME_LEN])
{
	return memchr(name, '\0', VRS_PROTO_NAME_LEN) != NULL;
}

/* The array count a payload announces: its first uint32_t (devices) or
 * its fourth (status). */
static uint32_t vrs_array_count(uint16_t base, const unsigned char *payload)
{
	uint32_t count;

	if (base == VRS_MSG_DEVICES)
		memcpy(&count, payload + offsetof(struct vrs_msg_devices, count),
		       sizeof(count));
	else
		memcpy(&count, payload + offsetof(struct vrs_msg_status, count),
		       sizeof(count));
	return count;
}

/* An export's attachment names, as many as it says it names. */
static int vrs_attachments_ok(const unsigned char *export)
{
	const unsigned char *a = export +
		offsetof(struct vrs_proto_export, attachments);
	uint32_t n;

	memcpy(&n, export + offsetof(struct vrs_proto_export, nr_attachments),
	       sizeof(n));
	if (n > VRS_PROTO_MAX_ATTACHMENTS)
		n = VRS_PROTO_MAX_ATTACHMENTS;
	for (uint32_t i = 0; i < n; i++, a += sizeof(struct vrs_proto_attachment))
		if (!vrs_proto_name_ok((const char *)a +
				       offsetof(struct vrs_proto_attachment, device)) ||
		    !vrs_proto_name_ok((const char *)a +
				       offsetof(struct vrs_proto_attachment, driver)))
			return 0;
	return 1;
}

/* The names a payload carries must end within their field. */
static int vrs_names_ok(uint16_t type, const unsigned char *p, uint32_t count)
{
	size_t off, stride, first;

	switch (type) {
	case VRS_MSG_ALLOC:
		return vrs_proto_name_ok((const char *)p +
					 offsetof(struct vrs_msg_alloc, device));
	case VRS_MSG_RESET:
		return vrs_proto_name_ok((const char *)p +
					 offsetof(struct vrs_msg_reset, device));
	case VRS_MSG_BUFFER | VRS_MSG_REPLY:
		return vrs_proto_name_ok((const char *)p +
					 offsetof(struct vrs_msg_buffer, device));
	case VRS_MSG_ERROR | VRS_MSG_REPLY:
		return memchr(p + offsetof(struct vrs_msg_error, text), '\0',
			      VRS_PROTO_TEXT_LEN) != NULL;
	case VRS_MSG_DEVICES | VRS_MSG_REPLY:
		first = sizeof(struct vrs_msg_devices);
		stride = sizeof(struct vrs_proto_device);
		for (uint32_t i = 0; i < count; i++) {
			off = first + i * stride;
			if (!vrs_proto_name_ok((const char *)p + off +
					       offsetof(struct vrs_proto_device, name)) ||
			    !memchr(p + off + offsetof(struct vrs_proto_device, address),
				    '\0', sizeof(((struct vrs_proto_device *)0)->address)))
				return 0;
		}
		return 1;
	case VRS_MSG_STATUS | VRS_MSG_REPLY:
		first = sizeof(struct vrs_msg_status);
		stride = sizeof(struct vrs_proto_export);
		for (uint32_t i = 0; i < count; i++) {
			off = first + i * stride;
			if (!vrs_proto_name_ok((const char *)p + off +
					       offsetof(struct vrs_proto_export, device)) ||
			    !vrs_attachments_ok(p + off))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}

int vrs_proto_decode(const void *buf, size_t len, struct vrs_msg *msg)
{
	const unsigned char *bytes = buf;
	const struct vrs_shape *shape;
	struct vrs_msg_hdr hdr;
	uint16_t base;
	size_t payload_len;
	uint32_t count = 0;

	if (len > VRS_PROTO_MAX_MSG)
		return -EMSGSIZE;
	if (len < sizeof(hdr))
		return -EBADMSG;
	memcpy(&hdr, bytes, sizeof(hdr));
	if (hdr.magic != VRS_PROTO_MAGIC || hdr.version != VRS_PROTO_VERSION ||
	    hdr.length != len)
		return -EBADMSG;

	memset(msg, 0, sizeof(*msg));
	msg->hdr = hdr;
	payload_len = len - sizeof(hdr);
	msg->payload = bytes + sizeof(hdr);
	msg->payload_len = payload_len;

	base = hdr.type & (uint16_t)~VRS_MSG_REPLY;
	if (base == 0 || base > VRS_MSG_TYPE_MAX)
		return -ENOMSG;
	shape = hdr.type & VRS_MSG_REPLY ? &vrs_types[base].reply :
					   &vrs_types[base].request;
	if (!shape->valid)
		return -ENOMSG;
	if (payload_len < shape->fixed)
		return -EPROTO;
	if (shape->entry) {
		count = vrs_array_count(base, msg->payload);
		/* count is 32-bit and entries small: no overflow in size_t. */
		if ((payload_len - shape->fixed) / shape->entry != count ||
		    (payload_len - shape->fixed) % shape->entry)
			return -EPROTO;
	} else if (payload_len != shape->fixed) {
		return -EPROTO;
	}
	if (!vrs_names_ok(hdr.type, msg->payload, count))
		return -EPROTO;
	msg->count = count;
	return 0;
}

int vrs_proto_encode(void *buf, size_t size, uint16_t type, uint32_t seq,
		     const void *payload, size_t payload_len)
{
	struct vrs_msg_hdr hdr = {
		.magic = VRS_PROTO_MAGIC,
		.version = VRS_PROTO_VERSION,
		.type = type,
		.seq = seq,
	};
	size_t len;

	if (payload_len > VRS_PROTO_MAX_MSG - sizeof(hdr))
		return -EMSGSIZE;
	len = sizeof(hdr) + payload_len;
	if (len > size)
		return -EMSGSIZE;
	hdr.length = (uint32_t)len;
	memcpy(buf, &hdr, sizeof(hdr));
	if (payload_len)
		memcpy((unsigned char *)buf + sizeof(hdr), payload, payload_len);
	return (int)len;
}

void vrs_proto_close_fds(struct msghdr *mh, int *keep)
{
	for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(mh); cmsg;
	     cmsg = CMSG_NXTHDR(mh, cmsg)) {
		size_t n;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			       sizeof(fd));
			if (keep && *keep < 0)
				*keep = fd;
			else
				close(fd);
		}
	}
}
