/* SPDX-License-Identifier: MIT */
/*
 * vramshared run by a test (vramshare_broker_rig.c): each subtest that
 * needs the broker starts its own on GPU A and stops it at the end.
 */
#ifndef VRAMSHARE_BROKER_RIG_H
#define VRAMSHARE_BROKER_RIG_H

#include <stddef.h>
#include <sys/types.h>

struct broker {
	pid_t pid;
	char sock[64];
	char conf[64];
	char log[64];
};

/*
 * A file of the build tree, @relative to its top ("samples/drm-copy"),
 * found from this test's own path; the environment variable @env, if
 * set, names it instead.
 */
void vs_build_file(char *path, size_t len, const char *env,
		   const char *relative);
/* GPU A's PCI address: VRAMSHARE_EXPORTER, else the first bound device. */
void exporter_address(char *address, size_t len);

/*
 * Starts vramshared on GPU A with @extra appended to its configuration
 * and the given client queue limit; returns once it listens.
 */
void broker_start_with(struct broker *br, const char *extra,
		       unsigned int queue_limit);
void broker_start(struct broker *br, const char *extra);
/* SIGTERM: the broker revokes everything, closes GPU A, exits 0. */
void broker_stop(struct broker *br);
/* SIGKILL, as a crash would. */
void broker_kill(struct broker *br);
/* After a failed subtest: kills the broker left running, shows its log. */
void broker_cleanup(void);
void broker_log_dump(const struct broker *br);
/* Lines of the broker's log that contain @needle. */
int broker_log_count(const struct broker *br, const char *needle);
/* A new connection to @path, or -errno. */
int try_connect(const char *path);

#endif
