/* SPDX-License-Identifier: MIT */
/* igt-harness: writing JSON text into a buffer. */
#ifndef IGT_HARNESS_JSON_H
#define IGT_HARNESS_JSON_H

#include <stddef.h>

#include "buf.h"

/*
 * A JSON string made of arbitrary bytes (test output is): anything that is
 * not valid UTF-8 becomes U+FFFD so the file always parses. A string can
 * be written in pieces: open, text..., close.
 */
void json_string_open(struct buf *j);
void json_string_text(struct buf *j, const char *s, size_t n);
void json_string_close(struct buf *j);
void json_string(struct buf *j, const char *s, size_t n);
void json_cstring(struct buf *j, const char *s);

/* "key": -- after a comma unless first. */
void json_key(struct buf *j, const char *key, int first);

/* {"__type__": "TimeAttribute", "start": START, "end": END} */
void json_time(struct buf *j, double start, double end);

#endif
