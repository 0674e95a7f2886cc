// SPDX-License-Identifier: MIT
/*
 * vramshared's log: one line per event on stderr. Under systemd (stderr
 * is the journal) each line starts with its syslog level, "<6>", which
 * the journal turns into the entry's priority.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "broker.h"

static enum vrs_log_level vrs_log_level = VRS_LOG_INFO;

void vrs_log_set_level(enum vrs_log_level level)
{
	vrs_log_level = level;
}

void vrs_log(enum vrs_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {
		[VRS_LOG_ERROR] = "error", [VRS_LOG_WARNING] = "warning",
		[VRS_LOG_INFO] = "info", [VRS_LOG_DEBUG] = "debug",
	};
	char line[512];
	va_list ap;

	if (level > vrs_log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>%s\n", (int)level, line);
	else
		fprintf(stderr, "vramshared: %s: %s\n", names[level], line);
}
