// SPDX-License-Identifier: MIT
/*
 * vramshare-bench broker: vramshared's costs, run while it shares GPU A.
 *
 *   round trip  vrs_broker_alloc() of 4 KiB, request to dma-buf fd in hand
 *               (the broker exports it), against the raw export of the
 *               same run's "control" file (--against); batches of
 *               allocations from VRAM the broker has cleared, then their
 *               frees (it revokes each dma-buf for good)
 *   load        1, 8 and 64 clients, each its own connection and thread,
 *               allocating and freeing at once: allocations per second
 *               over all, and the allocation latency's P50/P99 (a range
 *               freed just before is cleared at its next allocation)
 *   memory      the broker's resident memory per connected client and per
 *               buffer handed out (VmRSS growth over many; page-grained)
 */
#define _GNU_SOURCE	/* struct ucred */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "vramshare.h"

#define ALLOC_SIZE	4096

/* One allocation freed at once, each timed unless NULL. */
static void alloc_free(struct vrs_broker *broker, struct bench_samples *alloc,
		       struct bench_samples *free_us)
{
	struct vrs_buffer *buf;
	double t;
	int ret;

	t = bench_now();
	ret = vrs_broker_alloc(broker, NULL, ALLOC_SIZE, 0, 0, &buf);
	if (alloc)
		bench_samples_add(alloc, (bench_now() - t) * 1e6);
	if (ret)
		bench_die("broker allocation", ret);
	t = bench_now();
	ret = vrs_broker_free(broker, buf);
	if (free_us)
		bench_samples_add(free_us, (bench_now() - t) * 1e6);
	if (ret)
		bench_die("broker free", ret);
}

/* @n allocations from cleared VRAM, then their frees; microseconds each. */
static void round_trips(struct vrs_broker *broker, unsigned int n,
			struct bench_samples *alloc, struct bench_samples *free_us)
{
	struct vrs_buffer **bufs = bench_calloc(n, sizeof(*bufs));
	unsigned int i;
	double t;
	int ret;

	bench_wait_cleared(broker);
	for (i = 0; i < n; i++) {
		t = bench_now();
		ret = vrs_broker_alloc(broker, NULL, ALLOC_SIZE, 0, 0, &bufs[i]);
		bench_samples_add(alloc, (bench_now() - t) * 1e6);
		if (ret)
			bench_die("broker allocation", ret);
	}
	for (i = 0; i < n; i++) {
		t = bench_now();
		ret = vrs_broker_free(broker, bufs[i]);
		bench_samples_add(free_us, (bench_now() - t) * 1e6);
		if (ret)
			bench_die("broker free", ret);
	}
	free(bufs);
}

struct client {
	pthread_t thread;
	pthread_barrier_t *start;
	unsigned int ops;
	struct bench_samples alloc;
};

static void *client_run(void *data)
{
	struct client *c = data;
	struct vrs_broker *broker;
	unsigned int i;
	int ret;

	if ((ret = vrs_broker_connect(NULL, 0, &broker)))
		bench_die("connect to vramshared", ret);
	pthread_barrier_wait(c->start);
	for (i = 0; i < c->ops; i++)
		alloc_free(broker, &c->alloc, NULL);
	vrs_broker_close(broker);
	return NULL;
}

/* @n clients at once; allocations per second over all of them. */
static double load(unsigned int n, unsigned int ops, struct bench_samples *all)
{
	struct client *c = bench_calloc(n, sizeof(*c));
	pthread_barrier_t start;
	unsigned int i;
	size_t k;
	double t;

	pthread_barrier_init(&start, NULL, n + 1);
	for (i = 0; i < n; i++) {
		c[i].start = &start;
		c[i].ops = ops;
		if (pthread_create(&c[i].thread, NULL, client_run, &c[i]))
			bench_die("pthread_create", -EAGAIN);
	}
	pthread_barrier_wait(&start);
	t = bench_now();
	for (i = 0; i < n; i++)
		pthread_join(c[i].thread, NULL);
	t = bench_now() - t;
	for (i = 0; i < n; i++) {
		for (k = 0; k < c[i].alloc.n; k++)
			bench_samples_add(all, c[i].alloc.v[k]);
		bench_samples_free(&c[i].alloc);
	}
	pthread_barrier_destroy(&start);
	free(c);
	return n * ops / t;
}

/* The broker's resident bytes (its pid from the socket's credentials). */
static double broker_rss(struct vrs_broker *broker)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char path[64], line[128];
	unsigned long long kb = 0;
	FILE *f;

	if (getsockopt(vrs_broker_fd(broker), SOL_SOCKET, SO_PEERCRED, &cred, &len))
		bench_die("SO_PEERCRED", -errno);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)cred.pid);
	f = fopen(path, "r");
	if (!f)
		bench_die(path, -errno);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024.0;
}

static void memory(struct bench_report *r, struct vrs_broker *broker,
		   unsigned int count)
{
	struct vrs_broker **clients = bench_calloc(count, sizeof(*clients));
	struct vrs_buffer **bufs = bench_calloc(count, sizeof(*bufs));
	double before, per_client, per_buffer;
	unsigned int i;
	int ret;

	before = broker_rss(broker);
	for (i = 0; i < count; i++)
		if ((ret = vrs_broker_connect(NULL, 0, &clients[i])))
			bench_die("connect to vramshared", ret);
	per_client = (broker_rss(broker) - before) / count;
	before = broker_rss(broker);
	for (i = 0; i < count; i++)
		if ((ret = vrs_broker_alloc(broker, NULL, ALLOC_SIZE, 0, 0, &bufs[i])))
			bench_die("broker allocation", ret);
	per_buffer = (broker_rss(broker) - before) / count;
	for (i = 0; i < count; i++) {
		vrs_broker_free(broker, bufs[i]);
		vrs_broker_close(clients[i]);
	}
	bench_param(bench_report_value(r, "broker-per-client", "bytes", per_client),
		    "count", count);
	bench_param(bench_report_value(r, "broker-per-buffer", "bytes", per_buffer),
		    "count", count);
	bench_report_figure(r, "memory: broker RSS per client (pages/count)",
			    per_client, "bytes", NULL, -1);
	bench_report_figure(r, "memory: broker RSS per buffer (pages/count)",
			    per_buffer, "bytes", NULL, -1);
	free(bufs);
	free(clients);
}

int bench_broker(const struct bench_opts *o)
{
	json_object *control = bench_load_result(o->against, "control"), *res;
	static const unsigned int clients[] = { 1, 8, 64 };
	unsigned int rounds = o->quick ? 100 : 1000, i, k;
	struct bench_samples alloc = { 0 }, free_us = { 0 };
	double export_p50, rate, p99_1 = 0, p99;
	struct vrs_broker *broker;
	struct bench_report r;
	char figure[64];
	int ret;

	if ((ret = vrs_broker_connect(NULL, 0, &broker)))
		bench_die("connect to vramshared", ret);
	bench_report_init(&r, "broker", o);

	alloc_free(broker, NULL, NULL);		/* warm-up */
	for (i = 0; i < rounds / 100; i++)
		round_trips(broker, 100, &alloc, &free_us);
	bench_report_samples(&r, "alloc", "us", &alloc);
	bench_report_samples(&r, "free", "us", &free_us);
	export_p50 = bench_result(control, "export", NULL, 0, NULL, 0, "p50");
	printf("broker: alloc P0 %.1f P50 %.1f P99 %.1f us, free P50 %.1f us, raw export P50 %.1f us\n",
	       bench_samples_pct(&alloc, 0), bench_samples_pct(&alloc, 50),
	       bench_samples_pct(&alloc, 99), bench_samples_pct(&free_us, 50),
	       export_p50);
	bench_report_figure(&r, "broker: alloc round trip P50 / raw export",
			    bench_samples_pct(&alloc, 50) / export_p50, "x", "<= 2",
			    bench_samples_pct(&alloc, 50) / export_p50 <= 2);

	for (k = 0; k < (o->quick ? 2u : 3u); k++) {
		bench_samples_reset(&alloc);
		rate = load(clients[k], o->quick ? 20 : 4000 / clients[k] + 20, &alloc);
		p99 = bench_samples_pct(&alloc, 99);
		res = bench_report_samples(&r, "load-alloc", "us", &alloc);
		bench_param(res, "clients", clients[k]);
		bench_param(bench_report_value(&r, "load-rate", "pairs/s", rate),
			    "clients", clients[k]);
		printf("broker: %2u clients  %8.0f allocs/s  P50 %8.1f us  P99 %8.1f us\n",
		       clients[k], rate, bench_samples_pct(&alloc, 50), p99);
		snprintf(figure, sizeof(figure), "broker: %u client%s, alloc+free pairs/s",
			 clients[k], clients[k] > 1 ? "s" : "");
		bench_report_figure(&r, figure, rate, "pairs/s", NULL, -1);
		if (k == 0) {
			p99_1 = p99;
			continue;
		}
		snprintf(figure, sizeof(figure), "broker: %u clients, alloc P99 / 1 client's", clients[k]);
		bench_report_figure(&r, figure, p99 / p99_1, "x", NULL, -1);
	}
	memory(&r, broker, o->quick ? 16 : 200);
	bench_report_write(&r, o->out);
	bench_samples_free(&alloc);
	bench_samples_free(&free_us);
	json_object_put(control);
	vrs_broker_close(broker);
	return 0;
}
