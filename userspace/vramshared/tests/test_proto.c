// SPDX-License-Identifier: MIT
/*
 * Host tests of the broker protocol's decoder: every well-formed message
 * decodes, and every way of lying about a length is caught.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "broker_proto.h"

static _Alignas(uint64_t) unsigned char buf[VRS_PROTO_MAX_MSG + 64];

static int encode(uint16_t type, const void *payload, size_t len)
{
	return vrs_proto_encode(buf, sizeof(buf), type, 7, payload, len);
}

static void test_each_type(void **state)
{
	struct vrs_msg_hello hello = { .version = VRS_PROTO_VERSION };
	struct vrs_msg_alloc alloc = { .device = "gpu0", .size = 4096 };
	struct vrs_msg_open open = { .token = 1 };
	struct vrs_msg_free fr = { .id = 1 };
	struct vrs_msg_status_req st = { 0 };
	struct vrs_msg_reset reset = { .device = "gpu0" };
	struct vrs_msg_buffer buffer = { .device = "gpu0" };
	struct vrs_msg_event ev = { .id = 1 };
	struct vrs_msg_error error = { .error = EACCES, .text = "no" };
	struct vrs_msg msg;
	int n;

	(void)state;
	n = encode(VRS_MSG_HELLO, &hello, sizeof(hello));
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), 0);
	assert_int_equal(msg.hdr.seq, 7);
	assert_int_equal(msg.payload_len, sizeof(hello));
	n = encode(VRS_MSG_HELLO | VRS_MSG_REPLY, &hello, sizeof(hello));
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), 0);
	n = encode(VRS_MSG_DEVICES, NULL, 0);
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), 0);
	n = encode(VRS_MSG_ALLOC, &alloc, sizeof(alloc));
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), 0);
	n = encode(VRS_MSG_OPEN, &open, sizeof(open));
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), 0);
	n = encode(VRS_MSG_FREE, &fr, sizeof(fr));
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), 0);
	n = encode(VRS_MSG_FREE | VRS_MSG_REPLY, NULL, 0);
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), 0);
	n = encode(VRS_MSG_STATUS, &st, sizeof(st));
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), 0);
	n = encode(VRS_MSG_RESET, &reset, sizeof(reset));
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), 0);
	n = encode(VRS_MSG_BUFFER | VRS_MSG_REPLY, &buffer, sizeof(buffer));
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), 0);
	n = encode(VRS_MSG_EVENT, &ev, sizeof(ev));
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), 0);
	n = encode(VRS_MSG_ERROR | VRS_MSG_REPLY, &error, sizeof(error));
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), 0);
}

static void test_arrays(void **state)
{
	_Alignas(uint64_t) unsigned char payload[VRS_PROTO_MAX_MSG];
	struct vrs_msg_status *st = (struct vrs_msg_status *)payload;
	struct vrs_msg_devices *dev = (struct vrs_msg_devices *)payload;
	struct vrs_msg msg;
	size_t len;
	int n;

	(void)state;
	memset(payload, 0, sizeof(payload));
	st->count = 3;
	len = sizeof(*st) + 3 * sizeof(st->exports[0]);
	n = encode(VRS_MSG_STATUS | VRS_MSG_REPLY, payload, len);
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), 0);
	assert_int_equal(msg.count, 3);
	/* A count that does not match the length, both ways. */
	st->count = 4;
	n = encode(VRS_MSG_STATUS | VRS_MSG_REPLY, payload, len);
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), -EPROTO);
	st->count = 2;
	n = encode(VRS_MSG_STATUS | VRS_MSG_REPLY, payload, len);
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), -EPROTO);
	st->count = UINT32_MAX;
	n = encode(VRS_MSG_STATUS | VRS_MSG_REPLY, payload, len);
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), -EPROTO);
	/* A partial entry. */
	st->count = 3;
	n = encode(VRS_MSG_STATUS | VRS_MSG_REPLY, payload, len + 1);
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), -EPROTO);
	/* A name in an entry that does not end. */
	st->count = 3;
	memset(st->exports[2].device, 'x', VRS_PROTO_NAME_LEN);
	n = encode(VRS_MSG_STATUS | VRS_MSG_REPLY, payload, len);
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), -EPROTO);

	memset(payload, 0, sizeof(payload));
	dev->count = VRS_PROTO_MAX_DEVICES;
	len = sizeof(*dev) + VRS_PROTO_MAX_DEVICES * sizeof(dev->devices[0]);
	n = encode(VRS_MSG_DEVICES | VRS_MSG_REPLY, payload, len);
	assert_true(n > 0);
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), 0);
	memset(dev->devices[1].address, '1', sizeof(dev->devices[1].address));
	n = encode(VRS_MSG_DEVICES | VRS_MSG_REPLY, payload, len);
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), -EPROTO);
}

static void test_bad_headers(void **state)
{
	struct vrs_msg_free fr = { .id = 1 };
	struct vrs_msg_hdr *hdr = (struct vrs_msg_hdr *)buf;
	struct vrs_msg msg;
	int n;

	(void)state;
	n = encode(VRS_MSG_FREE, &fr, sizeof(fr));
	/* Too short for a header, or shorter/longer than it says. */
	assert_int_equal(vrs_proto_decode(buf, sizeof(*hdr) - 1, &msg), -EBADMSG);
	assert_int_equal(vrs_proto_decode(buf, (size_t)n - 1, &msg), -EBADMSG);
	assert_int_equal(vrs_proto_decode(buf, (size_t)n + 1, &msg), -EBADMSG);
	hdr->magic ^= 1;
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), -EBADMSG);
	hdr->magic ^= 1;
	hdr->version = VRS_PROTO_VERSION + 1;
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), -EBADMSG);
	hdr->version = VRS_PROTO_VERSION;
	assert_int_equal(vrs_proto_decode(buf, VRS_PROTO_MAX_MSG + 1, &msg),
			 -EMSGSIZE);
	/* The header is sound: unknown types and bad payloads are answered. */
	hdr->type = 0;
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), -ENOMSG);
	hdr->type = VRS_MSG_TYPE_MAX + 1;
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), -ENOMSG);
	assert_int_equal(msg.hdr.seq, 7);
	hdr->type = VRS_MSG_ALLOC | VRS_MSG_REPLY;	/* no such reply */
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), -ENOMSG);
	hdr->type = VRS_MSG_RESET;			/* wrong size */
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), -EPROTO);
}

static void test_names(void **state)
{
	struct vrs_msg_alloc alloc;
	struct vrs_msg_error error;
	struct vrs_msg msg;
	int n;

	(void)state;
	memset(&alloc, 'a', sizeof(alloc));
	n = encode(VRS_MSG_ALLOC, &alloc, sizeof(alloc));
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), -EPROTO);
	alloc.device[VRS_PROTO_NAME_LEN - 1] = '\0';
	n = encode(VRS_MSG_ALLOC, &alloc, sizeof(alloc));
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), 0);
	memset(&error, 'e', sizeof(error));
	n = encode(VRS_MSG_ERROR | VRS_MSG_REPLY, &error, sizeof(error));
	assert_int_equal(vrs_proto_decode(buf, (size_t)n, &msg), -EPROTO);
}

static void test_encode_bounds(void **state)
{
	static unsigned char big[VRS_PROTO_MAX_MSG];
	unsigned char small[8];

	(void)state;
	assert_int_equal(vrs_proto_encode(small, sizeof(small), VRS_MSG_DEVICES,
					  1, NULL, 0), -EMSGSIZE);
	assert_int_equal(vrs_proto_encode(buf, sizeof(buf), VRS_MSG_DEVICES, 1,
					  big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(vrs_proto_encode(buf, sizeof(buf), VRS_MSG_DEVICES, 1,
					  big, VRS_PROTO_MAX_MSG -
					  sizeof(struct vrs_msg_hdr)),
			 VRS_PROTO_MAX_MSG);
	assert_string_equal(vrs_proto_type_name(VRS_MSG_ALLOC | VRS_MSG_REPLY),
			    "ALLOC");
	assert_string_equal(vrs_proto_type_name(999), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_type),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_encode_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
