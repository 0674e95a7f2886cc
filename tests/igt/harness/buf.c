// SPDX-License-Identifier: MIT
/* igt-harness: growable byte buffers. */
#define _GNU_SOURCE
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void die_oom(void)
{
	fputs("igt-harness: out of memory\n", stderr);
	exit(EXIT_INTERNAL);
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die_oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die_oom();
	return p;
}

static void buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;	/* +1: the terminating NUL */
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	if (need < b->len)
		die_oom();
	if (need <= b->cap)
		return;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		die_oom();
	b->data = p;
	b->cap = cap;
}

void buf_put(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void buf_append(struct buf *b, const void *p, size_t n)
{
	size_t room = n;

	if (b->limit)
		room = b->len < b->limit ? b->limit - b->len : 0;
	if (n > room) {
		b->dropped += n - room;
		n = room;
	}
	buf_put(b, p, n);
}

void buf_append_str(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

void buf_free(struct buf *b)
{
	free(b->data);
	*b = (struct buf){ 0 };
}

void buf_note_truncation(struct buf *b, const char *what)
{
	if (!b->dropped)
		return;
	buf_printf(b, "\n[igt-harness: %s truncated at %zu bytes]\n",
		   what, b->limit);
}
