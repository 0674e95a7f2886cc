// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the broker protocol's decoder on arbitrary bytes.
 * Whatever it accepts must be safe to read the way the broker and the
 * library read it: every byte of the payload, every array entry, every
 * name up to its NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker_proto.h"

static size_t touch(const void *p, size_t len)
{
	const volatile unsigned char *b = p;
	size_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_Alignas(uint64_t) static unsigned char buf[VRS_PROTO_MAX_MSG + 1];
	struct vrs_msg msg;
	size_t len = size < sizeof(buf) ? size : sizeof(buf);

	memcpy(buf, data, len);
	if (vrs_proto_decode(buf, len, &msg))
		return 0;
	touch(msg.payload, msg.payload_len);
	switch (msg.hdr.type) {
	case VRS_MSG_STATUS | VRS_MSG_REPLY: {
		const struct vrs_msg_status *st = msg.payload;

		for (uint32_t i = 0; i < msg.count; i++)
			touch(st->exports[i].device, strlen(st->exports[i].device));
		break;
	}
	case VRS_MSG_DEVICES | VRS_MSG_REPLY: {
		const struct vrs_msg_devices *d = msg.payload;

		for (uint32_t i = 0; i < msg.count; i++) {
			touch(d->devices[i].name, strlen(d->devices[i].name));
			touch(d->devices[i].address, strlen(d->devices[i].address));
		}
		break;
	}
	case VRS_MSG_ALLOC: {
		const struct vrs_msg_alloc *a = msg.payload;

		touch(a->device, strlen(a->device));
		break;
	}
	case VRS_MSG_ERROR | VRS_MSG_REPLY: {
		const struct vrs_msg_error *e = msg.payload;

		touch(e->text, strlen(e->text));
		break;
	}
	}
	/* What decodes re-encodes to the same bytes. */
	{
		_Alignas(uint64_t) static unsigned char out[VRS_PROTO_MAX_MSG];
		int n = vrs_proto_encode(out, sizeof(out), msg.hdr.type,
					 msg.hdr.seq, msg.payload,
					 msg.payload_len);

		if (n != (int)len || memcmp(out, buf, len))
			abort();
	}
	return 0;
}
