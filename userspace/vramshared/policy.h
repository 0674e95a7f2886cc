/* SPDX-License-Identifier: MIT */
/*
 * The access policy: which grant applies to a peer, and whether a
 * request fits in it. Pure functions of the configuration and the
 * broker's counts, so that each rule is tested on the host.
 */
#ifndef VRAMSHARED_POLICY_H
#define VRAMSHARED_POLICY_H

#include <stdint.h>
#include <sys/types.h>

#include "config.h"

/* Supplementary groups a grant can match; a peer's further ones are not. */
#define VRS_PEER_MAX_GROUPS	256

/**
 * struct vrs_peer - who is on the other end (SO_PEERCRED, SO_PEERGROUPS)
 * @uid: user
 * @gid: primary group
 * @pid: process
 * @groups: supplementary groups
 * @nr_groups: entries of @groups
 */
struct vrs_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	gid_t groups[VRS_PEER_MAX_GROUPS];
	unsigned int nr_groups;
};

/**
 * struct vrs_usage - what a request would add to
 * @client_bytes: bytes the connection holds allocated
 * @client_buffers: dma-bufs the connection holds
 * @uid_bytes: bytes all connections of the uid hold allocated
 */
struct vrs_usage {
	uint64_t client_bytes;
	uint32_t client_buffers;
	uint64_t uid_bytes;
};

/* The first grant that names the peer's uid or one of its groups; NULL. */
const struct vrs_grant *vrs_policy_match(const struct vrs_config *cfg,
					 const struct vrs_peer *peer);

/* Does @g allow device @name? */
int vrs_policy_device_allowed(const struct vrs_grant *g, const char *name);

/*
 * May a peer under @g, with @usage, allocate @size bytes on device @name
 * (@read_only: VRS_BUF_READ_ONLY asked)? 0, or:
 *   -EACCES  the device is not in the grant, or the grant is read-only
 *   -EDQUOT  past the connection's or the uid's quota, or max_buffers
 * @why gets the reason for the log and the ERROR reply.
 */
int vrs_policy_check_alloc(const struct vrs_grant *g, const char *name,
			   uint64_t size, const struct vrs_usage *usage,
			   char *why, size_t whylen);

/*
 * May a peer under @g open another's buffer on device @name? A
 * read-only grant must ask for @read_only. 0, -EACCES or -EDQUOT (the
 * connection's max_buffers).
 */
int vrs_policy_check_open(const struct vrs_grant *g, const char *name,
			  int read_only, const struct vrs_usage *usage,
			  char *why, size_t whylen);

#endif /* VRAMSHARED_POLICY_H */
