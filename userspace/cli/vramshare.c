// SPDX-License-Identifier: MIT
/*
 * vramshare: the command line of the broker (vramshared), through
 * libvramshare. Every command that prints has --json; exit codes are in
 * vramshare(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vramshare.h"

enum {
	EXIT_REFUSED = 1,	/* the broker refused, or a call failed */
	EXIT_USAGE = 2,
	EXIT_NO_BROKER = 3,	/* cannot connect */
};

struct cli {
	const char *socket;
	int json;
	struct vrs_broker *broker;
	long to_print;		/* watch --count: events left; -1: all */
};

static const char *state_name(uint32_t state)
{
	switch (state) {
	case VRS_BUFFER_LIVE:
		return "live";
	case VRS_BUFFER_REVOKED:
		return "revoked";
	case VRS_BUFFER_GONE:
		return "gone";
	default:
		return "unknown";
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vramshare [--socket PATH] [--json] COMMAND [ARGS]\n"
		"  info                         the broker and this connection\n"
		"  ls                           devices, BARs, dma-bufs, clients\n"
		"  alloc [--device D] [--align A] [--read-only] SIZE [-- CMD...]\n"
		"                               allocate; hold until stdin closes, or run CMD\n"
		"                               with the dma-buf as fd 3, then free\n"
		"  open [--read-only] TOKEN [-- CMD...]\n"
		"                               a dma-buf of a shared buffer: hold it, or run CMD\n"
		"  free TOKEN                   free anyone's buffer (admins)\n"
		"  reset DEVICE                 reset a device (admins)\n"
		"  watch [--count N]            print events as they happen\n");
}

static int fail(int err, const char *what)
{
	fprintf(stderr, "vramshare: %s: %s\n", what, strerror(-err));
	return EXIT_REFUSED;
}

/* A refused request: the errno and the broker's own words. */
static int refused(struct cli *cli, int err, const char *what)
{
	const char *why = vrs_broker_error(cli->broker);

	if (!why[0])
		return fail(err, what);
	fprintf(stderr, "vramshare: %s: %s (%s)\n", what, strerror(-err), why);
	return EXIT_REFUSED;
}

static int checked(struct cli *cli, int err, const char *what)
{
	return err ? refused(cli, err, what) : 0;
}

static void print_json(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	json_object_put(obj);
}

static int parse_size(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	errno = 0;
	v = strtoull(text, &end, 0);
	if (errno || end == text)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static struct json_object *buffer_json(const struct vrs_buffer_info *info)
{
	struct json_object *o = json_object_new_object();
	char token[24];

	json_object_object_add(o, "id", json_object_new_uint64(info->id));
	/* 64 random bits: a string, since JSON readers often use doubles. */
	snprintf(token, sizeof(token), "%" PRIu64, info->token);
	json_object_object_add(o, "token", json_object_new_string(token));
	json_object_object_add(o, "device", json_object_new_string(info->device));
	json_object_object_add(o, "offset", json_object_new_uint64(info->offset));
	json_object_object_add(o, "size", json_object_new_uint64(info->size));
	json_object_object_add(o, "read_only",
			       json_object_new_boolean(info->flags & VRS_BUFFER_READ_ONLY));
	json_object_object_add(o, "state",
			       json_object_new_string(state_name(info->state)));
	return o;
}

static void print_buffer(struct cli *cli, const struct vrs_buffer_info *info)
{
	if (cli->json) {
		print_json(buffer_json(info));
		return;
	}
	printf("buffer %" PRIu64 ": %s [%#" PRIx64 ", +%#" PRIx64 ") %s, token %" PRIu64 "\n",
	       info->id, info->device, info->offset, info->size,
	       info->flags & VRS_BUFFER_READ_ONLY ? "read-only" : "read-write",
	       info->token);
}

static int count_device(const struct vrs_broker_device *d, void *data)
{
	(void)d;
	(void)data;
	return 0;
}

static int cmd_info(struct cli *cli)
{
	int n = vrs_broker_devices(cli->broker, count_device, NULL);

	if (n < 0)
		return fail(n, "devices");
	if (cli->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "admin",
				       json_object_new_boolean(vrs_broker_is_admin(cli->broker) == 1));
		json_object_object_add(o, "devices", json_object_new_int(n));
		print_json(o);
	} else {
		printf("connected; %s; %d devices\n",
		       vrs_broker_is_admin(cli->broker) == 1 ? "admin" : "not admin", n);
	}
	return 0;
}

struct ls_state {
	struct cli *cli;
	struct json_object *devices;
	struct json_object *list;
};

static const char *route_name(uint32_t route)
{
	switch (route) {
	case VRS_ROUTE_BUS_ADDRESS:
		return "bus-address";
	case VRS_ROUTE_HOST_BRIDGE:
		return "host-bridge";
	default:
		return "unknown";
	}
}

/* Does the entry say how many importers it has (exporter and library can)? */
static int attachments_known(const struct vrs_broker_export *e)
{
	return VRS_HAS_FIELD(e, attachments) && (e->flags & VRS_BUFFER_ATTACHMENTS);
}

/* The importers named in a listing entry (at most VRS_BROKER_MAX_ATTACHMENTS). */
static uint32_t named_attachments(const struct vrs_broker_export *e)
{
	if (!attachments_known(e))
		return 0;
	return e->nr_attachments < VRS_BROKER_MAX_ATTACHMENTS ?
	       e->nr_attachments : VRS_BROKER_MAX_ATTACHMENTS;
}

static struct json_object *attachments_json(const struct vrs_broker_export *e)
{
	struct json_object *list = json_object_new_array();

	for (uint32_t i = 0; i < named_attachments(e); i++) {
		const struct vrs_attachment *a = &e->attachments[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "device", json_object_new_string(a->device));
		json_object_object_add(o, "driver", json_object_new_string(a->driver));
		json_object_object_add(o, "route",
				       json_object_new_string(route_name(a->route)));
		json_object_object_add(o, "mappings", json_object_new_uint64(a->mappings));
		json_object_array_add(list, o);
	}
	return list;
}

static int ls_export(const struct vrs_broker_export *e, void *data)
{
	struct ls_state *ls = data;

	if (ls->cli->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "client", json_object_new_uint64(e->client_id));
		json_object_object_add(o, "id", json_object_new_uint64(e->id));
		json_object_object_add(o, "uid", json_object_new_uint64(e->uid));
		json_object_object_add(o, "pid", json_object_new_uint64(e->pid));
		json_object_object_add(o, "device", json_object_new_string(e->device));
		json_object_object_add(o, "offset", json_object_new_uint64(e->offset));
		json_object_object_add(o, "size", json_object_new_uint64(e->size));
		json_object_object_add(o, "owner",
				       json_object_new_boolean(e->flags & VRS_BUFFER_OWNER));
		json_object_object_add(o, "read_only",
				       json_object_new_boolean(e->flags & VRS_BUFFER_READ_ONLY));
		json_object_object_add(o, "state", json_object_new_string(state_name(e->state)));
		if (attachments_known(e)) {
			json_object_object_add(o, "importers",
					       json_object_new_uint64(e->nr_attachments));
			json_object_object_add(o, "attachments", attachments_json(e));
		}
		json_object_array_add(ls->list, o);
		return 0;
	}
	printf("  client %" PRIu64 " (pid %u uid %u) dma-buf %" PRIu64
	       ": %s [%#" PRIx64 ", +%#" PRIx64 ") %s%s %s",
	       e->client_id, e->pid, e->uid, e->id, e->device, e->offset,
	       e->size, e->flags & VRS_BUFFER_OWNER ? "owner" : "shared",
	       e->flags & VRS_BUFFER_READ_ONLY ? " read-only" : "",
	       state_name(e->state));
	if (attachments_known(e))
		printf(", %u importer%s", e->nr_attachments,
		       e->nr_attachments == 1 ? "" : "s");
	printf("\n");
	for (uint32_t i = 0; i < named_attachments(e); i++) {
		const struct vrs_attachment *a = &e->attachments[i];

		printf("    attached: %s (%s), %s, %u mapping%s\n", a->device,
		       a->driver, route_name(a->route), a->mappings,
		       a->mappings == 1 ? "" : "s");
	}
	if (attachments_known(e) && e->nr_attachments > named_attachments(e))
		printf("    and %u more\n", e->nr_attachments - named_attachments(e));
	return 0;
}

static int ls_device(const struct vrs_broker_device *d, void *data)
{
	struct ls_state *ls = data;

	if (ls->cli->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(d->name));
		json_object_object_add(o, "address", json_object_new_string(d->address));
		json_object_object_add(o, "bar", json_object_new_int((int)d->bar));
		json_object_object_add(o, "bar_size", json_object_new_uint64(d->bar_size));
		json_object_object_add(o, "free", json_object_new_uint64(d->free));
		json_object_object_add(o, "largest_free",
				       json_object_new_uint64(d->largest_free));
		json_object_object_add(o, "buffers", json_object_new_int((int)d->buffers));
		json_object_object_add(o, "revoke",
				       json_object_new_boolean(d->flags & VRS_BROKER_DEVICE_REVOKE));
		json_object_object_add(o, "clearing",
				       json_object_new_boolean(d->flags & VRS_BROKER_DEVICE_CLEARING));
		json_object_array_add(ls->devices, o);
	} else {
		printf("  %s %s BAR %u: %" PRIu64 " MiB, %" PRIu64 " MiB free, %u buffers%s%s\n",
		       d->name, d->address, d->bar, d->bar_size >> 20,
		       d->free >> 20, d->buffers,
		       d->flags & VRS_BROKER_DEVICE_REVOKE ? "" : " (no per-buffer revoke)",
		       d->flags & VRS_BROKER_DEVICE_CLEARING ? " (clearing free VRAM)" : "");
	}
	return 0;
}

static int cmd_ls(struct cli *cli)
{
	struct ls_state ls = { .cli = cli };
	struct json_object *top = NULL;
	int ret;

	if (cli->json) {
		top = json_object_new_object();
		ls.devices = json_object_new_array();
		ls.list = json_object_new_array();
		json_object_object_add(top, "devices", ls.devices);
		json_object_object_add(top, "dmabufs", ls.list);
	} else {
		printf("devices:\n");
	}
	ret = vrs_broker_devices(cli->broker, ls_device, &ls);
	if (ret >= 0) {
		if (!cli->json)
			printf("%sdma-bufs:\n", ret == 0 ? "  (none)\n" : "");
		ret = vrs_broker_exports(cli->broker, ls_export, &ls);
		if (ret == 0 && !cli->json)
			printf("  (none)\n");
	}
	if (ret < 0) {
		json_object_put(top);
		return fail(ret, "ls");
	}
	if (cli->json)
		print_json(top);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void print_event(struct vrs_broker *broker, struct vrs_buffer *buffer,
			const struct vrs_event *ev, void *data);

/*
 * Waits for @pid to end (or, with @pid 0, for stdin to close or a
 * signal), reading the broker's events meanwhile: a client that does not
 * read them is disconnected, and its buffer freed under the command.
 * Returns the command's status, or 0.
 */
static int serve_until(struct cli *cli, pid_t pid)
{
	struct pollfd pfd[2] = {
		{ .fd = vrs_broker_fd(cli->broker), .events = POLLIN },
		{ .fd = STDIN_FILENO, .events = POLLIN },
	};
	int status;
	char c;

	for (;;) {
		if (pid) {
			pid_t done = waitpid(pid, &status, WNOHANG);

			if (done == pid)
				return WIFEXITED(status) ? WEXITSTATUS(status) :
				       128 + WTERMSIG(status);
			if (done < 0 && errno != EINTR)
				return fail(-errno, "waitpid");
		} else if (stop) {
			return 0;
		}
		if (poll(pfd, pid ? 1 : 2, pid ? 100 : -1) < 0)
			continue;
		if (pfd[0].revents &&
		    vrs_broker_dispatch(cli->broker, print_event, cli) < 0) {
			if (!pid)
				return fail(-ECONNRESET, "the broker went away");
			pfd[0].fd = -1;	/* gone: only the command is left */
		}
		if (!pid && pfd[1].revents && read(STDIN_FILENO, &c, 1) <= 0)
			return 0;
	}
}

/* Starts @argv with @fd as fd 3 (and in $VRAMSHARE_DMABUF_FD). */
static pid_t spawn_with_fd(int fd, const struct vrs_buffer_info *info,
			   char **argv)
{
	char token[32];
	pid_t pid;

	snprintf(token, sizeof(token), "%" PRIu64, info->token);
	pid = fork();
	if (pid != 0)
		return pid;
	/* dup2() onto itself would keep close-on-exec. */
	if (fd == 3 ? fcntl(fd, F_SETFD, 0) < 0 : dup2(fd, 3) < 0)
		_exit(127);
	setenv("VRAMSHARE_DMABUF_FD", "3", 1);
	setenv("VRAMSHARE_TOKEN", token, 1);
	execvp(argv[0], argv);
	fprintf(stderr, "vramshare: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int buffer_command(struct cli *cli, struct vrs_buffer *buf,
			  char **cmd)
{
	struct vrs_buffer_info info = { .struct_size = sizeof(info) };
	pid_t pid = 0;
	int ret;

	vrs_buffer_info(buf, &info);
	if (cmd[0] && !strcmp(cmd[0], "--"))
		cmd++;
	catch_stop_signals();
	if (cmd[0]) {
		pid = spawn_with_fd(vrs_buffer_fd(buf), &info, cmd);
		if (pid < 0)
			return fail(-errno, "fork");
	} else {
		print_buffer(cli, &info);
		fflush(stdout);
	}
	ret = serve_until(cli, pid);
	vrs_broker_free(cli->broker, buf);
	return ret;
}

static int cmd_alloc(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "align", required_argument, NULL, 'a' },
		{ "read-only", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *device = NULL;
	uint64_t size, align = 0;
	uint32_t flags = 0;
	struct vrs_buffer *buf;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+d:a:r", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			device = optarg;
			break;
		case 'a':
			if (parse_size(optarg, &align))
				return EXIT_USAGE;
			break;
		case 'r':
			flags |= VRS_BUFFER_READ_ONLY;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc || parse_size(argv[optind], &size))
		return EXIT_USAGE;
	optind++;
	ret = vrs_broker_alloc(cli->broker, device, size, align, flags, &buf);
	if (ret)
		return refused(cli, ret, "alloc");
	return buffer_command(cli, buf, argv + optind);
}

static int cmd_open(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "read-only", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct vrs_buffer *buf;
	uint64_t token;
	uint32_t flags = 0;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+r", opts, NULL)) != -1) {
		if (opt != 'r')
			return EXIT_USAGE;
		flags |= VRS_BUFFER_READ_ONLY;
	}
	if (optind >= argc || parse_size(argv[optind], &token))
		return EXIT_USAGE;
	optind++;
	ret = vrs_broker_open(cli->broker, token, flags, &buf);
	if (ret)
		return refused(cli, ret, "open");
	return buffer_command(cli, buf, argv + optind);
}

static void print_event(struct vrs_broker *broker, struct vrs_buffer *buffer,
			const struct vrs_event *ev, void *data)
{
	struct cli *cli = data;

	(void)broker;
	(void)buffer;
	if (cli->to_print == 0)
		return;
	if (cli->to_print > 0)
		cli->to_print--;
	if (cli->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "client", json_object_new_uint64(ev->client_id));
		json_object_object_add(o, "id", json_object_new_uint64(ev->buffer_id));
		json_object_object_add(o, "state", json_object_new_string(state_name(ev->state)));
		json_object_object_add(o, "generation", json_object_new_uint64(ev->generation));
		print_json(o);
	} else {
		printf("client %" PRIu64 " dma-buf %" PRIu64 ": %s (generation %" PRIu64 ")\n",
		       ev->client_id, ev->buffer_id, state_name(ev->state),
		       ev->generation);
	}
	fflush(stdout);
}

static int cmd_watch(struct cli *cli, int argc, char **argv)
{
	long count = -1, seen = 0;
	char *end;
	int n;

	if (argc == 3 && !strcmp(argv[1], "--count")) {
		count = strtol(argv[2], &end, 10);
		if (*end || end == argv[2] || count <= 0)
			return EXIT_USAGE;
	} else if (argc != 1) {
		return EXIT_USAGE;
	}
	catch_stop_signals();
	cli->to_print = count;
	while (!stop && (count < 0 || seen < count)) {
		struct pollfd pfd = { .fd = vrs_broker_fd(cli->broker), .events = POLLIN };

		if (poll(&pfd, 1, -1) < 0)
			continue;
		n = vrs_broker_dispatch(cli->broker, print_event, cli);
		if (n < 0)
			return fail(n, "watch");
		seen += n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { .to_print = -1 };
	const char *cmd;
	uint32_t flags = 0;
	uint64_t token;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "+s:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			cli.socket = optarg;
			break;
		case 'j':
			cli.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "watch"))
		flags = VRS_BROKER_WATCH;
	ret = vrs_broker_connect(cli.socket, flags, &cli.broker);
	if (ret == -EPERM && flags) {	/* not an admin: own events only */
		ret = vrs_broker_connect(cli.socket, 0, &cli.broker);
	}
	if (ret == -EACCES) {
		fprintf(stderr, "vramshare: the broker's policy has no grant for this user\n");
		return EXIT_NO_BROKER;
	}
	if (ret) {
		fprintf(stderr, "vramshare: cannot reach the broker: %s\n",
			strerror(-ret));
		return EXIT_NO_BROKER;
	}

	if (!strcmp(cmd, "info") && argc == 1)
		ret = cmd_info(&cli);
	else if (!strcmp(cmd, "ls") && argc == 1)
		ret = cmd_ls(&cli);
	else if (!strcmp(cmd, "alloc"))
		ret = cmd_alloc(&cli, argc, argv);
	else if (!strcmp(cmd, "open"))
		ret = cmd_open(&cli, argc, argv);
	else if (!strcmp(cmd, "free") && argc == 2 && !parse_size(argv[1], &token))
		ret = checked(&cli, vrs_broker_free_token(cli.broker, token), "free");
	else if (!strcmp(cmd, "reset") && argc == 2)
		ret = checked(&cli, vrs_broker_reset(cli.broker, argv[1]), "reset");
	else if (!strcmp(cmd, "watch"))
		ret = cmd_watch(&cli, argc, argv);
	else
		ret = EXIT_USAGE;
	if (ret == EXIT_USAGE)
		usage(stderr);
	vrs_broker_close(cli.broker);
	return ret;
}
