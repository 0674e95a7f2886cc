// SPDX-License-Identifier: MIT
/*
 * Every public call refuses bad arguments with -errno and no side effect,
 * and reports missing devices as errors rather than crashing.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "vramshare.h"

static void null_arguments(void **state)
{
	struct vrs_device *dev = NULL;
	struct vrs_importer *imp = NULL;
	struct vrs_bo_info info = { .struct_size = sizeof(info) };
	struct vrs_dmabuf_state dmabuf_state = {
		.struct_size = sizeof(dmabuf_state),
	};
	struct vrs_range range = { 0, 4096 };
	struct vrs_job job = { .struct_size = sizeof(job), .op = VRS_JOB_COPY };
	uint64_t size;
	uint32_t handle;
	void *addr;
	int fd;

	(void)state;
	assert_int_equal(vrs_device_open(NULL, &dev), -EINVAL);
	assert_int_equal(vrs_device_open("03:00.0", NULL), -EINVAL);
	assert_int_equal(vrs_device_fd(NULL), -EINVAL);
	assert_null(vrs_device_address(NULL));
	assert_int_equal(vrs_device_bar_size(NULL, 0, &size), -EINVAL);
	assert_int_equal(vrs_device_map_bar(NULL, 0, &addr, &size), -EINVAL);
	assert_int_equal(vrs_device_unmap_bar(NULL, NULL, 0), -EINVAL);
	assert_int_equal(vrs_device_reset(NULL), -EINVAL);
	assert_int_equal(vrs_device_hot_reset(NULL), -EINVAL);
	assert_int_equal(vrs_export(NULL, 0, &range, 1, O_CLOEXEC, &fd), -EINVAL);
	assert_int_equal(vrs_export_supported(NULL), -EINVAL);
	assert_int_equal(vrs_importer_open(NULL, &imp), -EINVAL);
	assert_int_equal(vrs_importer_open("/dev/null", NULL), -EINVAL);
	assert_int_equal(vrs_importer_fd(NULL), -EINVAL);
	assert_int_equal(vrs_import(NULL, 0, &handle), -EINVAL);
	assert_int_equal(vrs_bo_create(NULL, 4096, &handle), -EINVAL);
	assert_int_equal(vrs_bo_info(NULL, 1, &info), -EINVAL);
	assert_int_equal(vrs_bo_close(NULL, 1), -EINVAL);
	assert_int_equal(vrs_copy(NULL, 1, 0, 2, 0, 1), -EINVAL);
	assert_int_equal(vrs_submit(NULL, &job, NULL), -EINVAL);
	assert_int_equal(vrs_bo_wait(NULL, 1, 0), -EINVAL);
	assert_int_equal(vrs_fence_wait(-1, 0), -EINVAL);
	assert_int_equal(vrs_find_exporter(NULL, 0), -EINVAL);
	assert_int_equal(vrs_find_importer(NULL, 0), -EINVAL);
	assert_int_equal(vrs_device_set_memory_decode(NULL, 1), -EINVAL);
	assert_int_equal(vrs_dmabuf_ctl_supported(NULL), -EINVAL);
	assert_int_equal(vrs_dmabuf_query(NULL, 0, &dmabuf_state), -EINVAL);
	assert_int_equal(vrs_dmabuf_revoke(NULL, 0), -EINVAL);
	assert_int_equal(vrs_dmabuf_set_eventfd(NULL, 0, -1), -EINVAL);
	assert_int_equal(vrs_dmabuf_set_write_combine(NULL, 0, 1), -EINVAL);
	vrs_device_close(NULL);
	vrs_importer_close(NULL);
}

static void bad_jobs_and_fences(void **state)
{
	struct vrs_job job = { .struct_size = sizeof(job), .op = VRS_JOB_COPY };
	int pipefd[2];

	(void)state;
	/* Refused before any device is touched */
	assert_int_equal(vrs_submit(NULL, NULL, NULL), -EINVAL);
	job.flags = 0x80;
	assert_int_equal(vrs_submit(NULL, &job, NULL), -EINVAL);
	/* A file descriptor that is not a sync_file */
	assert_int_equal(pipe(pipefd), 0);
	assert_true(vrs_fence_wait(pipefd[0], 0) < 0);
	close(pipefd[0]);
	close(pipefd[1]);
	/* A closed one */
	assert_int_equal(vrs_fence_wait(pipefd[0], 0), -EINVAL);
}

static void missing_devices(void **state)
{
	struct vrs_device *dev = NULL;
	struct vrs_importer *imp = NULL;

	(void)state;
	/* No such PCI function: sysfs has no iommu_group link for it. */
	assert_int_equal(vrs_device_open("ffff:ff:1f.7", &dev), -ENODEV);
	assert_null(dev);
	assert_int_equal(vrs_device_open("not-an-address", &dev), -EINVAL);
	assert_int_equal(vrs_importer_open("/nonexistent/renderD128", &imp),
			 -ENOENT);
	/* Not a DRM device at all. */
	assert_true(vrs_importer_open("/dev/null", &imp) < 0);
	assert_null(imp);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * Signals every 5 ms while waiting 200 ms for a fence that never signals
 * (a pipe): each interrupted poll() must not start the whole timeout
 * again, or the wait never ends (ctest's timeout fails it then).
 */
static void fence_wait_signal_storm(void **state)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 5000 }, { 0, 5000 } }, off = { 0 };
	int pipefd[2];

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	/* Past the timeout, the pipe is no sync_file: an error, not -ETIME */
	assert_true(vrs_fence_wait(pipefd[0], 200) < 0);
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	signal(SIGALRM, SIG_DFL);
	close(pipefd[0]);
	close(pipefd[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(null_arguments),
		cmocka_unit_test(missing_devices),
		cmocka_unit_test(bad_jobs_and_fences),
		cmocka_unit_test(fence_wait_signal_storm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
