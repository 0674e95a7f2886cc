/* SPDX-License-Identifier: MIT */
/*
 * The part of igt's core API that the vramshare tests use.
 *
 * Debian's igt-gpu-tools package ships libigt.so.0 but no headers, so
 * this file declares the few entry points of libigt's core ABI (1.27)
 * the tests need, and defines the test-structure macros on top of them
 * with igt's semantics: igt_main, igt_fixture, igt_subtest, igt_assert*,
 * igt_require*, igt_skip*, logging. Tests written against it use only
 * names igt itself defines, so they build unchanged in igt's tree, where
 * "igt.h" is igt's own.
 *
 * Exit status of a test binary: 0 pass, 77 skip, 98 fail (igt's codes).
 */
#ifndef VRAMSHARE_IGT_H
#define VRAMSHARE_IGT_H

#include <getopt.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define IGT_EXIT_SKIP		77
#define IGT_EXIT_FAILURE	98

#ifndef IGT_LOG_DOMAIN
#define IGT_LOG_DOMAIN (NULL)
#endif

enum igt_log_level {
	IGT_LOG_DEBUG,
	IGT_LOG_INFO,
	IGT_LOG_WARN,
	IGT_LOG_CRITICAL,
	IGT_LOG_NONE,
};

typedef int (*igt_opt_handler_t)(int opt, int opt_index, void *data);

/* libigt's core ABI */
extern sigjmp_buf igt_subtest_jmpbuf;
int igt_subtest_init_parse_opts(int *argc, char **argv,
				const char *extra_short_opts,
				const struct option *extra_long_opts,
				const char *help_str,
				igt_opt_handler_t extra_opt_handler,
				void *handler_data);
bool __igt_run_subtest(const char *name, const char *file, const int line);
bool __igt_fixture(void);
void __igt_fixture_complete(void);
void __igt_fixture_end(void) __attribute__((noreturn));
void igt_success(void);
void igt_skip(const char *f, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
void __igt_skip_check(const char *file, const int line, const char *func,
		      const char *check, const char *f, ...)
	__attribute__((noreturn, format(printf, 5, 6)));
void igt_fail(int exitcode) __attribute__((noreturn));
void __igt_fail_assert(const char *domain, const char *file, const int line,
		       const char *func, const char *assertion,
		       const char *f, ...)
	__attribute__((noreturn, format(printf, 6, 7)));
void igt_exit(void) __attribute__((noreturn));
void igt_log(const char *domain, enum igt_log_level level,
	     const char *format, ...) __attribute__((format(printf, 3, 4)));
void igt_describe_f(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void igt_kmsg(const char *format, ...) __attribute__((format(printf, 1, 2)));
bool igt_only_list_subtests(void);

#define igt_tokencat2(x, y) x ## y
#define igt_tokencat(x, y) igt_tokencat2(x, y)
#define igt_unique(prefix) igt_tokencat(prefix, __LINE__)

/* main(): parse igt's options, run the body, report and exit. */
#define igt_main \
	static void igt_unique(__igt_real_main)(void); \
	int main(int argc, char **argv) \
	{ \
		igt_subtest_init_parse_opts(&argc, argv, NULL, NULL, NULL, \
					    NULL, NULL); \
		igt_unique(__igt_real_main)(); \
		igt_exit(); \
	} \
	static void igt_unique(__igt_real_main)(void)

/*
 * Set-up shared by the following subtests. Runs once unless only listing;
 * a skip or failure in it skips or fails every later subtest.
 */
#define igt_fixture \
	for (volatile int igt_unique(__fixture_once) = 0; \
	     igt_unique(__fixture_once) < 1 && __igt_fixture() && \
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_unique(__fixture_once)++, __igt_fixture_complete())

/* A subtest: runs when selected; its body completing means success. */
#define igt_subtest(name) \
	for (; __igt_run_subtest((name), __FILE__, __LINE__) && \
	       sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())

#define igt_describe(text) igt_describe_f("%s", (text))

#define igt_debug(...)	  igt_log(IGT_LOG_DOMAIN, IGT_LOG_DEBUG, __VA_ARGS__)
#define igt_info(...)	  igt_log(IGT_LOG_DOMAIN, IGT_LOG_INFO, __VA_ARGS__)
#define igt_warn(...)	  igt_log(IGT_LOG_DOMAIN, IGT_LOG_WARN, __VA_ARGS__)
#define igt_critical(...) igt_log(IGT_LOG_DOMAIN, IGT_LOG_CRITICAL, __VA_ARGS__)

#define igt_assert(expr) \
	do { \
		if (!(expr)) \
			__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, __LINE__, \
					  __func__, #expr, NULL); \
	} while (0)

#define igt_assert_f(expr, ...) \
	do { \
		if (!(expr)) \
			__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, __LINE__, \
					  __func__, #expr, __VA_ARGS__); \
	} while (0)

#define igt_fail_on(expr) igt_assert(!(expr))
#define igt_fail_on_f(expr, ...) igt_assert_f(!(expr), __VA_ARGS__)

/* Integer comparisons print both values on failure. */
#define igt_assert_cmpint(n1, cmp, ncmp, n2) \
	do { \
		long long __n1 = (n1), __n2 = (n2); \
		if (!(__n1 cmp __n2)) \
			__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, __LINE__, \
					  __func__, #n1 " " #cmp " " #n2, \
					  "error: %lld " #ncmp " %lld\n", \
					  __n1, __n2); \
	} while (0)

#define igt_assert_eq(n1, n2)  igt_assert_cmpint(n1, ==, !=, n2)
#define igt_assert_neq(n1, n2) igt_assert_cmpint(n1, !=, ==, n2)
#define igt_assert_lte(n1, n2) igt_assert_cmpint(n1, <=, >, n2)
#define igt_assert_lt(n1, n2)  igt_assert_cmpint(n1, <, >=, n2)

#define igt_require(expr) \
	do { \
		if (!(expr)) \
			__igt_skip_check(__FILE__, __LINE__, __func__, #expr, \
					 NULL); \
	} while (0)

#define igt_require_f(expr, ...) \
	do { \
		if (!(expr)) \
			__igt_skip_check(__FILE__, __LINE__, __func__, #expr, \
					 __VA_ARGS__); \
	} while (0)

#define igt_skip_on(expr) \
	do { \
		if ((expr)) \
			__igt_skip_check(__FILE__, __LINE__, __func__, \
					 "!(" #expr ")", NULL); \
	} while (0)

#endif /* VRAMSHARE_IGT_H */
