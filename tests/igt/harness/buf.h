/* SPDX-License-Identifier: MIT */
/*
 * igt-harness: growable byte buffers and allocation that cannot fail
 * (running out of memory ends the harness with EXIT_INTERNAL).
 */
#ifndef IGT_HARNESS_BUF_H
#define IGT_HARNESS_BUF_H

#include <stddef.h>

#define EXIT_USAGE	2
#define EXIT_INTERNAL	3

/*
 * A byte buffer that is always NUL-terminated (so text in it can be
 * searched with the str* functions) and optionally capped: appends past
 * the cap are counted, not stored, so a runaway test cannot exhaust the
 * guest's memory but the result still says how much was lost.
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t limit;		/* 0: unlimited */
	size_t dropped;		/* bytes refused because of limit */
};

__attribute__((noreturn)) void die_oom(void);
char *xstrdup(const char *s);
void *xcalloc(size_t n, size_t size);

/* Append ignoring the cap: for the harness's own notes and for JSON. */
void buf_put(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
__attribute__((format(printf, 2, 3)))
void buf_printf(struct buf *b, const char *fmt, ...);
/* Append honouring the cap. */
void buf_append(struct buf *b, const void *p, size_t n);
void buf_append_str(struct buf *b, const char *s);
const char *buf_str(const struct buf *b);
void buf_free(struct buf *b);
/* Say in the text itself that it is incomplete, so nobody is misled. */
void buf_note_truncation(struct buf *b, const char *what);

#endif
