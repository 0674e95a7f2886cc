// SPDX-License-Identifier: MIT
/* The access policy's rules; see policy.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

static int vrs_grant_names_peer(const struct vrs_grant *g,
				const struct vrs_peer *peer)
{
	if (g->any_user)
		return 1;
	for (unsigned int i = 0; i < g->nr_uids; i++) {
		if (g->uids[i] == peer->uid)
			return 1;
	}
	for (unsigned int i = 0; i < g->nr_gids; i++) {
		if (g->gids[i] == peer->gid)
			return 1;
		for (unsigned int j = 0; j < peer->nr_groups; j++) {
			if (g->gids[i] == peer->groups[j])
				return 1;
		}
	}
	return 0;
}

const struct vrs_grant *vrs_policy_match(const struct vrs_config *cfg,
					 const struct vrs_peer *peer)
{
	for (unsigned int i = 0; i < cfg->nr_grants; i++) {
		if (vrs_grant_names_peer(&cfg->grants[i], peer))
			return &cfg->grants[i];
	}
	return NULL;
}

int vrs_policy_device_allowed(const struct vrs_grant *g, const char *name)
{
	if (g->any_device)
		return 1;
	for (unsigned int i = 0; i < g->nr_devices; i++) {
		if (!strcmp(g->devices[i], name))
			return 1;
	}
	return 0;
}

static int vrs_check_buffers(const struct vrs_grant *g,
			     const struct vrs_usage *usage, char *why,
			     size_t whylen)
{
	if (usage->client_buffers >= g->max_buffers) {
		snprintf(why, whylen, "grant %s: max_buffers %u reached",
			 g->name, g->max_buffers);
		return -EDQUOT;
	}
	return 0;
}

int vrs_policy_check_alloc(const struct vrs_grant *g, const char *name,
			   uint64_t size, const struct vrs_usage *usage,
			   char *why, size_t whylen)
{
	if (!vrs_policy_device_allowed(g, name)) {
		snprintf(why, whylen, "grant %s: device %s not allowed",
			 g->name, name);
		return -EACCES;
	}
	if (g->read_only) {
		snprintf(why, whylen, "grant %s: read-only, cannot allocate",
			 g->name);
		return -EACCES;
	}
	/* Subtractions: usage never exceeds a quota it was checked against. */
	if (usage->client_bytes > g->client_quota ||
	    size > g->client_quota - usage->client_bytes) {
		snprintf(why, whylen,
			 "grant %s: client_quota %llu bytes exceeded", g->name,
			 (unsigned long long)g->client_quota);
		return -EDQUOT;
	}
	if (usage->uid_bytes > g->quota || size > g->quota - usage->uid_bytes) {
		snprintf(why, whylen, "grant %s: quota %llu bytes exceeded",
			 g->name, (unsigned long long)g->quota);
		return -EDQUOT;
	}
	return vrs_check_buffers(g, usage, why, whylen);
}

int vrs_policy_check_open(const struct vrs_grant *g, const char *name,
			  int read_only, const struct vrs_usage *usage,
			  char *why, size_t whylen)
{
	if (!vrs_policy_device_allowed(g, name)) {
		snprintf(why, whylen, "grant %s: device %s not allowed",
			 g->name, name);
		return -EACCES;
	}
	if (g->read_only && !read_only) {
		snprintf(why, whylen,
			 "grant %s: read-only, open with VRS_BUF_READ_ONLY",
			 g->name);
		return -EACCES;
	}
	return vrs_check_buffers(g, usage, why, whylen);
}
