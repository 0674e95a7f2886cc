// SPDX-License-Identifier: MIT
/* igt-harness: writing JSON text. */
#include "json.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	uint32_t cp, min;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and beyond-Unicode are invalid. */
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* The escape for byte c, or NULL if it may appear as itself. */
static const char *json_escape_byte(unsigned char c, char tmp[8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	}
	if (c < 0x20 || c == 0x7f) {
		snprintf(tmp, 8, "\\u%04x", c);
		return tmp;
	}
	return NULL;
}

void json_string_open(struct buf *j)
{
	buf_put(j, "\"", 1);
}

void json_string_close(struct buf *j)
{
	buf_put(j, "\"", 1);
}

/* Copies runs of literal text at once, escaping only where needed. */
void json_string_text(struct buf *j, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0, len;
	const char *esc;
	char tmp[8];

	while (i < n) {
		len = utf8_seq_len(u + i, n - i);
		esc = len == 1 ? json_escape_byte(u[i], tmp) : NULL;
		if (len && !esc) {	/* literal: extend the pending run */
			i += len;
			run += len;
			continue;
		}
		buf_put(j, s + i - run, run);
		run = 0;
		buf_puts(j, esc ? esc : "\\ufffd");
		i++;
	}
	buf_put(j, s + i - run, run);
}

void json_string(struct buf *j, const char *s, size_t n)
{
	json_string_open(j);
	json_string_text(j, s, n);
	json_string_close(j);
}

void json_cstring(struct buf *j, const char *s)
{
	json_string(j, s, strlen(s));
}

void json_key(struct buf *j, const char *key, int first)
{
	if (!first)
		buf_put(j, ",", 1);
	json_cstring(j, key);
	buf_put(j, ":", 1);
}

void json_time(struct buf *j, double start, double end)
{
	buf_printf(j, "{\"__type__\":\"TimeAttribute\",\"start\":%.6f,\"end\":%.6f}",
		   start, end);
}
