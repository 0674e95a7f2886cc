// SPDX-License-Identifier: MIT
/*
 * vramshared's configuration file, parsed by inih: each key is checked
 * as it comes, and the first bad one stops the load with its line.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "vramshare.h"

struct vrs_parse {
	struct vrs_config *cfg;
	int saw_grant;		/* the file's grants replace the default */
	char *err;
	size_t errlen;
};

void vrs_config_defaults(struct vrs_config *cfg)
{
	struct vrs_grant *root;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s",
		 VRS_BROKER_SOCKET);
	cfg->log_level = VRS_LOG_INFO;
	cfg->auto_devices = 1;
	cfg->max_clients = 256;
	cfg->queue_limit = 1024;

	root = &cfg->grants[cfg->nr_grants++];
	snprintf(root->name, sizeof(root->name), "root");
	root->uids[root->nr_uids++] = 0;
	root->any_device = 1;
	root->admin = 1;
	root->quota = VRS_UNLIMITED;
	root->client_quota = VRS_UNLIMITED;
	root->max_buffers = 4096;
}

int vrs_parse_size(const char *text, uint64_t *bytes)
{
	unsigned long long value;
	unsigned int shift = 0;
	char *end;

	if (!strcmp(text, "unlimited")) {
		*bytes = VRS_UNLIMITED;
		return 0;
	}
	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case 'K':
		shift = 10;
		end++;
		break;
	case 'M':
		shift = 20;
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	case 'T':
		shift = 40;
		end++;
		break;
	}
	if (*end)
		return -EINVAL;
	if (shift && value > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = (uint64_t)value << shift;
	return 0;
}

static int vrs_parse_uint(const char *text, unsigned long max,
			  unsigned long *out)
{
	unsigned long value;
	char *end;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	value = strtoul(text, &end, 10);
	if (errno || *end || value > max)
		return -ERANGE;
	*out = value;
	return 0;
}

static int vrs_parse_bool(const char *text, int *out)
{
	if (!strcmp(text, "yes") || !strcmp(text, "true") || !strcmp(text, "1"))
		*out = 1;
	else if (!strcmp(text, "no") || !strcmp(text, "false") ||
		 !strcmp(text, "0"))
		*out = 0;
	else
		return -EINVAL;
	return 0;
}

static int vrs_parse_log_level(const char *text, enum vrs_log_level *out)
{
	static const struct {
		const char *name;
		enum vrs_log_level level;
	} levels[] = {
		{ "error", VRS_LOG_ERROR }, { "warning", VRS_LOG_WARNING },
		{ "info", VRS_LOG_INFO }, { "debug", VRS_LOG_DEBUG },
	};

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (!strcmp(text, levels[i].name)) {
			*out = levels[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

/* A device or grant name: letters, digits, '-', '_', 1 to 31 of them. */
static int vrs_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= VRS_PROTO_NAME_LEN)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
		    name[i] != '_')
			return 0;
	}
	return 1;
}

/*
 * Calls @one for each word of a list separated by commas or blanks.
 * The first error of @one is returned.
 */
static int vrs_each_word(const char *list, int (*one)(const char *word,
						       void *arg), void *arg)
{
	char word[64];
	const char *p = list;
	size_t len;
	int ret;

	for (;;) {
		p += strspn(p, ", \t");
		if (!*p)
			return 0;
		len = strcspn(p, ", \t");
		if (len >= sizeof(word))
			return -ENAMETOOLONG;
		memcpy(word, p, len);
		word[len] = '\0';
		ret = one(word, arg);
		if (ret)
			return ret;
		p += len;
	}
}

static int vrs_grant_user(const char *word, void *arg)
{
	struct vrs_grant *g = arg;
	unsigned long id;
	struct passwd *pw;

	if (!strcmp(word, "*")) {
		g->any_user = 1;
		return 0;
	}
	if (g->nr_uids == VRS_CONFIG_MAX_IDS)
		return -E2BIG;
	if (!vrs_parse_uint(word, (uid_t)-2, &id)) {
		g->uids[g->nr_uids++] = (uid_t)id;
		return 0;
	}
	pw = getpwnam(word);
	if (!pw)
		return -ENOENT;
	g->uids[g->nr_uids++] = pw->pw_uid;
	return 0;
}

static int vrs_grant_group(const char *word, void *arg)
{
	struct vrs_grant *g = arg;
	unsigned long id;
	struct group *gr;

	if (g->nr_gids == VRS_CONFIG_MAX_IDS)
		return -E2BIG;
	if (!vrs_parse_uint(word, (gid_t)-2, &id)) {
		g->gids[g->nr_gids++] = (gid_t)id;
		return 0;
	}
	gr = getgrnam(word);
	if (!gr)
		return -ENOENT;
	g->gids[g->nr_gids++] = gr->gr_gid;
	return 0;
}

static int vrs_grant_device(const char *word, void *arg)
{
	struct vrs_grant *g = arg;

	if (!strcmp(word, "*")) {
		g->any_device = 1;
		return 0;
	}
	if (!vrs_name_valid(word))
		return -EINVAL;
	if (g->nr_devices == VRS_CONFIG_MAX_DEVICES)
		return -E2BIG;
	memcpy(g->devices[g->nr_devices++], word, strlen(word) + 1);
	return 0;
}

static int vrs_key_broker(struct vrs_config *cfg, const char *key,
			  const char *value)
{
	unsigned long n;
	int ret;

	if (!strcmp(key, "socket")) {
		if (value[0] != '/' || strlen(value) >= sizeof(cfg->socket_path))
			return -EINVAL;
		snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s",
			 value);
		return 0;
	}
	if (!strcmp(key, "log_level"))
		return vrs_parse_log_level(value, &cfg->log_level);
	if (!strcmp(key, "devices")) {
		if (!strcmp(value, "auto"))
			cfg->auto_devices = 1;
		else if (!strcmp(value, "listed"))
			cfg->auto_devices = 0;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "max_clients") || !strcmp(key, "queue_limit")) {
		ret = vrs_parse_uint(value, 65536, &n);
		if (ret || !n)
			return ret ? ret : -ERANGE;
		if (key[0] == 'm')
			cfg->max_clients = (unsigned int)n;
		else
			cfg->queue_limit = (unsigned int)n;
		return 0;
	}
	return -ENOENT;
}

static int vrs_key_device(struct vrs_config_device *dev, const char *key,
			  const char *value)
{
	unsigned long bar;
	int ret;

	if (!strcmp(key, "address")) {
		ret = vrs_pci_address_parse(value, dev->address,
					    sizeof(dev->address));
		return ret < 0 ? ret : 0;
	}
	if (!strcmp(key, "bar")) {
		if (!strcmp(value, "auto")) {
			dev->bar = -1;
			return 0;
		}
		ret = vrs_parse_uint(value, 5, &bar);
		if (!ret)
			dev->bar = (int)bar;
		return ret;
	}
	return -ENOENT;
}

static int vrs_key_grant(struct vrs_grant *g, const char *key,
			 const char *value)
{
	unsigned long n;
	int ret;

	if (!strcmp(key, "users"))
		return vrs_each_word(value, vrs_grant_user, g);
	if (!strcmp(key, "groups"))
		return vrs_each_word(value, vrs_grant_group, g);
	if (!strcmp(key, "devices")) {
		/* The list replaces the default, every device. */
		g->any_device = 0;
		g->nr_devices = 0;
		return vrs_each_word(value, vrs_grant_device, g);
	}
	if (!strcmp(key, "access")) {
		if (!strcmp(value, "rw"))
			g->read_only = 0;
		else if (!strcmp(value, "ro"))
			g->read_only = 1;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "admin"))
		return vrs_parse_bool(value, &g->admin);
	if (!strcmp(key, "quota"))
		return vrs_parse_size(value, &g->quota);
	if (!strcmp(key, "client_quota"))
		return vrs_parse_size(value, &g->client_quota);
	if (!strcmp(key, "max_buffers")) {
		ret = vrs_parse_uint(value, UINT32_MAX, &n);
		if (!ret)
			g->max_buffers = (uint32_t)n;
		return ret;
	}
	return -ENOENT;
}

/* "device gpu0" -> "gpu0" when @section starts with @kind and a blank. */
static const char *vrs_section_name(const char *section, const char *kind)
{
	size_t len = strlen(kind);

	if (strncmp(section, kind, len) || section[len] != ' ')
		return NULL;
	return section + len + 1;
}

static struct vrs_config_device *vrs_device_section(struct vrs_config *cfg,
						    const char *name, int *ret)
{
	struct vrs_config_device *dev;

	for (unsigned int i = 0; i < cfg->nr_devices; i++) {
		if (!strcmp(cfg->devices[i].name, name))
			return &cfg->devices[i];
	}
	if (!vrs_name_valid(name)) {
		*ret = -EINVAL;
		return NULL;
	}
	if (cfg->nr_devices == VRS_CONFIG_MAX_DEVICES) {
		*ret = -E2BIG;
		return NULL;
	}
	dev = &cfg->devices[cfg->nr_devices++];
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->bar = -1;
	return dev;
}

static struct vrs_grant *vrs_grant_section(struct vrs_parse *p,
					   const char *name, int *ret)
{
	struct vrs_config *cfg = p->cfg;
	struct vrs_grant *g;

	if (!p->saw_grant) {
		cfg->nr_grants = 0;	/* the file's policy replaces ours */
		p->saw_grant = 1;
	}
	for (unsigned int i = 0; i < cfg->nr_grants; i++) {
		if (!strcmp(cfg->grants[i].name, name))
			return &cfg->grants[i];
	}
	if (!vrs_name_valid(name)) {
		*ret = -EINVAL;
		return NULL;
	}
	if (cfg->nr_grants == VRS_CONFIG_MAX_GRANTS) {
		*ret = -E2BIG;
		return NULL;
	}
	g = &cfg->grants[cfg->nr_grants++];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->any_device = 1;
	g->quota = VRS_UNLIMITED;
	g->client_quota = VRS_UNLIMITED;
	g->max_buffers = 4096;
	return g;
}

static int vrs_ini_key(void *user, const char *section, const char *key,
		       const char *value)
{
	struct vrs_parse *p = user;
	struct vrs_config_device *dev;
	struct vrs_grant *g;
	const char *name;
	int ret = -ENOENT;

	if (!key)	/* a section header alone */
		return 1;
	if (!strcmp(section, "broker")) {
		ret = vrs_key_broker(p->cfg, key, value);
	} else if ((name = vrs_section_name(section, "device"))) {
		dev = vrs_device_section(p->cfg, name, &ret);
		if (dev)
			ret = vrs_key_device(dev, key, value);
	} else if ((name = vrs_section_name(section, "grant"))) {
		g = vrs_grant_section(p, name, &ret);
		if (g)
			ret = vrs_key_grant(g, key, value);
	} else {
		snprintf(p->err, p->errlen, "unknown section [%s]", section);
		return 0;
	}
	if (ret == 0)
		return 1;
	snprintf(p->err, p->errlen, "[%s] %s = %s: %s", section, key, value,
		 ret == -ENOENT ? "unknown key or name" : strerror(-ret));
	return 0;
}

/* What every complete configuration has. */
static int vrs_config_check(struct vrs_config *cfg, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < cfg->nr_devices; i++) {
		if (!cfg->devices[i].address[0]) {
			snprintf(err, errlen, "[device %s] has no address",
				 cfg->devices[i].name);
			return -EINVAL;
		}
	}
	return 0;
}

static int vrs_config_finish(struct vrs_parse *p, int line, char *err,
			     size_t errlen)
{
	char what[256];

	if (line > 0) {
		snprintf(what, sizeof(what), "%s", err[0] ? err : "syntax error");
		snprintf(err, errlen, "line %d: %s", line, what);
		return -EINVAL;
	}
	if (line < 0) {
		snprintf(err, errlen, "cannot read the file");
		return -ENOENT;
	}
	return vrs_config_check(p->cfg, err, errlen);
}

int vrs_config_parse(const char *text, struct vrs_config *cfg, char *err,
		     size_t errlen)
{
	struct vrs_parse p = { .cfg = cfg, .err = err, .errlen = errlen };

	err[0] = '\0';
	return vrs_config_finish(&p, ini_parse_string(text, vrs_ini_key, &p),
				 err, errlen);
}

int vrs_config_load(const char *path, struct vrs_config *cfg, char *err,
		    size_t errlen)
{
	struct vrs_parse p = { .cfg = cfg, .err = err, .errlen = errlen };
	FILE *f;
	int ret;

	err[0] = '\0';
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = ini_parse_file(f, vrs_ini_key, &p);
	fclose(f);
	return vrs_config_finish(&p, ret, err, errlen);
}
