/* SPDX-License-Identifier: MIT */
/*
 * vramshared's configuration: the devices it owns and the policy file's
 * grants, read with inih. The format is in docs/broker.md and
 * vramshared.conf(5).
 */
#ifndef VRAMSHARED_CONFIG_H
#define VRAMSHARED_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker_proto.h"

#define VRS_CONFIG_MAX_DEVICES	16
#define VRS_CONFIG_MAX_GRANTS	64
#define VRS_CONFIG_MAX_IDS	16	/* users or groups of one grant */
#define VRS_UNLIMITED		UINT64_MAX

enum vrs_log_level {
	VRS_LOG_ERROR = 3,	/* syslog's numbers, as sd-daemon prefixes */
	VRS_LOG_WARNING = 4,
	VRS_LOG_INFO = 6,
	VRS_LOG_DEBUG = 7,
};

/**
 * struct vrs_config_device - a [device NAME] section
 * @name: NAME, how clients ask for it
 * @address: canonical PCI address
 * @bar: the BAR to sub-allocate, or -1 for the largest one
 */
struct vrs_config_device {
	char name[VRS_PROTO_NAME_LEN];
	char address[16];
	int bar;
};

/**
 * struct vrs_grant - a [grant NAME] section: what some peers may do
 * @name: NAME, for the log
 * @any_user: "users = *"
 * @uids: the users it is for
 * @nr_uids: entries of @uids
 * @gids: the groups it is for (a peer's primary or supplementary)
 * @nr_gids: entries of @gids
 * @any_device: "devices = *", or no devices key
 * @devices: the device names it allows
 * @nr_devices: entries of @devices
 * @read_only: "access = ro": dma-bufs only read-only, no allocation
 * @admin: may reset devices and list every client's buffers
 * @quota: bytes all connections of one uid may hold allocated
 * @client_quota: bytes one connection may hold allocated
 * @max_buffers: dma-bufs one connection may hold
 */
struct vrs_grant {
	char name[VRS_PROTO_NAME_LEN];
	int any_user;
	uid_t uids[VRS_CONFIG_MAX_IDS];
	unsigned int nr_uids;
	gid_t gids[VRS_CONFIG_MAX_IDS];
	unsigned int nr_gids;
	int any_device;
	char devices[VRS_CONFIG_MAX_DEVICES][VRS_PROTO_NAME_LEN];
	unsigned int nr_devices;
	int read_only;
	int admin;
	uint64_t quota;
	uint64_t client_quota;
	uint32_t max_buffers;
};

/**
 * struct vrs_config - the whole file
 * @socket_path: where to listen without socket activation
 * @log_level: the most verbose level logged
 * @auto_devices: own every device bound to vfio-pci-dmabuf ("devices =
 *                auto" in [broker]) besides the [device] sections
 * @max_clients: connections served at once; more are refused
 * @queue_limit: messages queued for a peer that does not read; past it
 *               the peer is disconnected
 * @devices: the [device] sections, in file order
 * @nr_devices: their number
 * @grants: the [grant] sections, in file order; the first that matches
 *          a peer applies
 * @nr_grants: their number
 */
struct vrs_config {
	char socket_path[108];
	enum vrs_log_level log_level;
	int auto_devices;
	unsigned int max_clients;
	unsigned int queue_limit;
	struct vrs_config_device devices[VRS_CONFIG_MAX_DEVICES];
	unsigned int nr_devices;
	struct vrs_grant grants[VRS_CONFIG_MAX_GRANTS];
	unsigned int nr_grants;
};

/*
 * Built-in settings, used when no file is given: every vfio-pci-dmabuf
 * device, and one grant, for root only.
 */
void vrs_config_defaults(struct vrs_config *cfg);

/*
 * Reads @path (or, for vrs_config_parse, the text @text) over the
 * defaults; a file with [grant] sections replaces the built-in grant.
 * On failure returns -errno (-EINVAL for a bad file) and writes what and
 * where into @err.
 */
int vrs_config_load(const char *path, struct vrs_config *cfg, char *err,
		    size_t errlen);
int vrs_config_parse(const char *text, struct vrs_config *cfg, char *err,
		     size_t errlen);

/* "4096", "64K", "256M", "2G", "unlimited": bytes; -EINVAL, -ERANGE. */
int vrs_parse_size(const char *text, uint64_t *bytes);

#endif /* VRAMSHARED_CONFIG_H */
