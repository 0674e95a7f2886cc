// SPDX-License-Identifier: MIT
/*
 * vramshared: owns exporting GPUs through vfio, sub-allocates their VRAM
 * and hands each allocation to clients as dma-bufs, under a policy.
 *
 * One thread, one epoll loop: the listening socket (from systemd's
 * socket activation, or bound here), each connection, each device's
 * eventfd, and a signalfd for SIGTERM and SIGINT.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "broker.h"

/* Set by the build: $sysconfdir/vramshare/vramshared.conf. */
#ifndef VRS_DEFAULT_CONFIG
#define VRS_DEFAULT_CONFIG "/etc/vramshare/vramshared.conf"
#endif

static void vrs_usage(FILE *f)
{
	fprintf(f,
		"usage: vramshared [--config FILE] [--socket PATH] [--log-level LEVEL]\n"
		"  -c, --config FILE   policy and devices (default " VRS_DEFAULT_CONFIG
		"\n                      if it exists, else every vfio-pci-dmabuf device, root only)\n"
		"  -s, --socket PATH   listen here unless systemd passes a socket\n"
		"  -l, --log-level L   error, warning, info or debug\n"
		"  -k, --check         read the configuration, print it is valid, exit\n"
		"  -h, --help          this text\n");
}

/* Is a broker listening on @path already? Then it is not ours to take. */
static int vrs_socket_in_use(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, in_use;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	in_use = !connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	close(fd);
	return in_use;
}

/* Makes the parent directory of @path, one level, if it is missing. */
static void vrs_make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
}

static int vrs_listen(struct vrs_broker *b, const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int n, fd;

	n = sd_listen_fds(1);
	if (n > 1) {
		vrs_log(VRS_LOG_ERROR, "systemd passed %d sockets, want one", n);
		return -EINVAL;
	}
	if (n == 1) {
		fd = SD_LISTEN_FDS_START;
		if (sd_is_socket_unix(fd, SOCK_SEQPACKET, 1, NULL, 0) <= 0) {
			vrs_log(VRS_LOG_ERROR,
				"the passed socket is not a listening SOCK_SEQPACKET Unix socket");
			return -EINVAL;
		}
		/* accept4() must not block when another peer got there first. */
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK))
			return -errno;
		b->listen_fd = fd;
		vrs_log(VRS_LOG_INFO, "listening on the socket systemd passed");
		return 0;
	}
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	vrs_make_parent(path);
	if (vrs_socket_in_use(path)) {
		vrs_log(VRS_LOG_ERROR, "another broker listens on %s", path);
		close(fd);
		return -EADDRINUSE;
	}
	unlink(path);
	/* Access is the policy's to decide: everyone may connect. */
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    chmod(path, 0666) || listen(fd, 128)) {
		n = -errno;
		vrs_log(VRS_LOG_ERROR, "cannot listen on %s: %s", path,
			strerror(-n));
		close(fd);
		return n;
	}
	b->listen_fd = fd;
	b->bound_path = path;
	vrs_log(VRS_LOG_INFO, "listening on %s", path);
	return 0;
}

static int vrs_setup_loop(struct vrs_broker *b)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	b->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	b->epoll = epoll_create1(EPOLL_CLOEXEC);
	if (b->signal_fd < 0 || b->epoll < 0)
		return -errno;
	ev.data.ptr = &b->signal_fd;
	if (epoll_ctl(b->epoll, EPOLL_CTL_ADD, b->signal_fd, &ev))
		return -errno;
	return 0;
}

static int vrs_watch_listener(struct vrs_broker *b)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &b->listen_fd };

	return epoll_ctl(b->epoll, EPOLL_CTL_ADD, b->listen_fd, &ev) ? -errno : 0;
}

void vrs_listener_resume(struct vrs_broker *b)
{
	if (!vrs_watch_listener(b))
		b->listen_paused = 0;
}

/*
 * Each connection and each dma-buf handed out holds a descriptor here:
 * the soft limit (often 1024) goes up to the hard one.
 */
static void vrs_raise_fd_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}


static void vrs_dispatch(struct vrs_broker *b, struct epoll_event *ev)
{
	void *p = ev->data.ptr;

	if (p == &b->signal_fd) {
		b->stopping = 1;
	} else if (p == &b->listen_fd) {
		vrs_client_accept(b);
	} else if (p >= (void *)b->devs && p < (void *)(b->devs + b->nr_devs)) {
		vrs_device_events(b, p);
	} else {
		struct vrs_client *c = p;

		if (c->dead)
			return;
		if (ev->events & EPOLLOUT)
			vrs_client_writable(b, c);
		if (ev->events & EPOLLIN)
			vrs_client_readable(b, c);
		else if (ev->events & (EPOLLHUP | EPOLLERR))
			vrs_client_kill(c, NULL);
	}
}

static int vrs_run(struct vrs_broker *b)
{
	struct epoll_event events[32];
	int n;

	sd_notifyf(0, "READY=1\nSTATUS=sharing %u devices", b->nr_devs);
	while (!b->stopping) {
		/* Idle: free VRAM is cleared ahead, a step at a time. */
		n = epoll_wait(b->epoll, events, 32, vrs_devices_scrub_timeout(b));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0 || vrs_devices_scrub_overdue(b))
			vrs_devices_scrub_step(b);
		for (int i = 0; i < n; i++)
			vrs_dispatch(b, &events[i]);
		vrs_clients_reap(b);
	}
	return 0;
}

/* Every connection ends: every dma-buf handed out is revoked for good. */
static void vrs_shutdown(struct vrs_broker *b)
{
	sd_notify(0, "STOPPING=1");
	while (b->clients)
		vrs_client_destroy(b, b->clients);
	vrs_devices_close(b);
	/* A socket we bound goes with us; systemd keeps its own. */
	if (b->bound_path)
		unlink(b->bound_path);
	vrs_log(VRS_LOG_INFO, "stopped");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *socket_path = NULL, *level = NULL;
	static struct vrs_config cfg;
	static struct vrs_broker b;
	char err[256];
	int opt, check = 0, ret;

	while ((opt = getopt_long(argc, argv, "c:s:l:kh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 'l':
			level = optarg;
			break;
		case 'k':
			check = 1;
			break;
		case 'h':
			vrs_usage(stdout);
			return 0;
		default:
			vrs_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		vrs_usage(stderr);
		return 2;
	}

	vrs_config_defaults(&cfg);
	if (!config && access(VRS_DEFAULT_CONFIG, F_OK) == 0)
		config = VRS_DEFAULT_CONFIG;
	if (config && vrs_config_load(config, &cfg, err, sizeof(err))) {
		vrs_log(VRS_LOG_ERROR, "%s: %s", config, err);
		return 1;
	}
	if (socket_path)
		snprintf(cfg.socket_path, sizeof(cfg.socket_path), "%s",
			 socket_path);
	if (level) {
		char text[64];

		snprintf(text, sizeof(text), "[broker]\nlog_level = %s\n", level);
		if (vrs_config_parse(text, &cfg, err, sizeof(err))) {
			vrs_log(VRS_LOG_ERROR, "--log-level %s: %s", level, err);
			return 2;
		}
	}
	if (check) {
		printf("%s: valid, %u devices, %u grants\n",
		       config ? config : "built-in configuration",
		       cfg.nr_devices, cfg.nr_grants);
		return 0;
	}
	vrs_log_set_level(cfg.log_level);

	vrs_raise_fd_limit();
	b.cfg = &cfg;
	b.listen_fd = -1;
	b.next_client_id = 1;
	/* The socket first: a second broker must not take the devices' turn. */
	ret = vrs_setup_loop(&b);
	if (!ret)
		ret = vrs_listen(&b, cfg.socket_path);
	if (!ret)
		ret = vrs_devices_open(&b);
	if (!ret)
		ret = vrs_watch_listener(&b);
	if (!ret)
		ret = vrs_run(&b);
	if (ret)
		vrs_log(VRS_LOG_ERROR, "%s", strerror(-ret));
	vrs_shutdown(&b);
	return ret ? 1 : 0;
}
