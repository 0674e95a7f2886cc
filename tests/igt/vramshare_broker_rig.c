// SPDX-License-Identifier: MIT
/*
 * vramshared run by a test: started on GPU A with a configuration of the
 * test's, its log kept in a file, stopped (or killed) at the end, and
 * killed with its log shown after a failed subtest.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "igt.h"
#include "vramshare_broker_rig.h"
#include "vramshare_igt.h"

/*
 * The broker running now, for the clean-up after a failed subtest: a copy,
 * as the subtest's own struct is gone by then.
 */
static struct broker running;
static struct broker *current;

void vs_build_file(char *path, size_t len, const char *env,
		   const char *relative)
{
	const char *forced = env ? getenv(env) : NULL;
	char exe[PATH_MAX];
	ssize_t n;

	if (forced) {
		snprintf(path, len, "%s", forced);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	igt_assert(n > 0);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';	/* build/tests/igt */
	igt_assert(snprintf(path, len, "%s/../../%s", exe, relative) < (int)len);
}

void exporter_address(char *address, size_t len)
{
	const char *forced = getenv("VRAMSHARE_EXPORTER");

	if (forced)
		snprintf(address, len, "%s", forced);
	else
		igt_require_f(vrs_find_exporter(address, len) == 0,
			      "no device bound to vfio-pci-dmabuf\n");
}

void broker_log_dump(const struct broker *br)
{
	char line[512];
	FILE *f = fopen(br->log, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		igt_info("broker: %s", line);
	fclose(f);
}

int broker_log_count(const struct broker *br, const char *needle)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(br->log, "r");

	igt_assert(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

int try_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	igt_assert(fd >= 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Starts vramshared on GPU A with @extra appended to its configuration. */
void broker_start_with(struct broker *br, const char *extra,
		       unsigned int queue_limit)
{
	static unsigned int serial;
	char address[16], binary[PATH_MAX];
	FILE *f;
	int fd;

	/* One that a failed subtest left would hold GPU A. */
	broker_cleanup();
	exporter_address(address, sizeof(address));
	vs_build_file(binary, sizeof(binary), "VRAMSHARED",
		      "userspace/vramshared/vramshared");
	igt_require_f(access(binary, X_OK) == 0, "no vramshared at %s\n", binary);
	snprintf(br->sock, sizeof(br->sock), "/tmp/vrs-broker-%d-%u.sock",
		 (int)getpid(), serial);
	snprintf(br->conf, sizeof(br->conf), "/tmp/vrs-broker-%d-%u.conf",
		 (int)getpid(), serial);
	snprintf(br->log, sizeof(br->log), "/tmp/vrs-broker-%d-%u.log",
		 (int)getpid(), serial++);
	f = fopen(br->conf, "w");
	igt_assert(f);
	fprintf(f, "[broker]\nsocket = %s\ndevices = listed\nlog_level = debug\n"
		"queue_limit = %u\n[device gpu0]\naddress = %s\nbar = %u\n%s",
		br->sock, queue_limit, address, vs_vram_bar(), extra ? extra : "");
	fclose(f);

	br->pid = fork();
	igt_assert(br->pid >= 0);
	if (br->pid == 0) {
		/* A failing test must not leave GPU A owned by a stray broker. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(br->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		execl(binary, "vramshared", "--config", br->conf, (char *)NULL);
		_exit(127);
	}
	running = *br;
	current = &running;
	for (int i = 0; i < 400; i++) {
		int status;

		fd = try_connect(br->sock);
		if (fd >= 0) {
			close(fd);
			return;
		}
		if (waitpid(br->pid, &status, WNOHANG) == br->pid) {
			broker_log_dump(br);
			igt_assert_f(false, "vramshared exited at start (status %#x)\n",
				     status);
		}
		usleep(50 * 1000);
	}
	broker_log_dump(br);
	igt_assert_f(false, "vramshared does not listen on %s\n", br->sock);
}

void broker_start(struct broker *br, const char *extra)
{
	broker_start_with(br, extra, 1024);
}

/* SIGTERM: the broker revokes everything, closes GPU A, exits 0. */
void broker_stop(struct broker *br)
{
	int status;

	igt_assert_eq(kill(br->pid, SIGTERM), 0);
	igt_assert_eq(waitpid(br->pid, &status, 0), br->pid);
	current = NULL;
	broker_log_dump(br);
	igt_assert_f(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		     "vramshared ended with status %#x\n", status);
	unlink(br->conf);
}

void broker_kill(struct broker *br)
{
	int status;

	igt_assert_eq(kill(br->pid, SIGKILL), 0);
	igt_assert_eq(waitpid(br->pid, &status, 0), br->pid);
	current = NULL;
	igt_assert(WIFSIGNALED(status));
}

/*
 * After a failed subtest: stop the broker it left (igt wants no child
 * left behind) and show its log.
 */
void broker_cleanup(void)
{
	if (!current)
		return;
	kill(current->pid, SIGKILL);
	waitpid(current->pid, NULL, 0);
	broker_log_dump(current);
	current = NULL;
}

