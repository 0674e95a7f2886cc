// SPDX-License-Identifier: MIT
/*
 * vramshare-bench: looking a figure up in a benchmark's JSON (the
 * benchmarks that compare with an earlier pass, and the report).
 */
#include <math.h>
#include <string.h>

#include "bench.h"

/* Does @o's integer parameter @param (unless NULL) equal @value? */
static bool param_is(json_object *o, const char *param, int64_t value)
{
	json_object *v;

	return !param || (json_object_object_get_ex(o, param, &v) &&
			  json_object_is_type(v, json_type_int) &&
			  json_object_get_int64(v) == value);
}

/*
 * The figure @key ("p0", "p50", "p99"; a result that is one value gives
 * that) of the result @name of @file whose parameters @p1 and @p2, each
 * unless NULL, are @v1 and @v2; NAN if there is none.
 */
double bench_result(json_object *file, const char *name, const char *p1,
		    int64_t v1, const char *p2, int64_t v2, const char *key)
{
	json_object *results, *o, *v;
	size_t i;

	if (!json_object_object_get_ex(file, "results", &results) ||
	    !json_object_is_type(results, json_type_array))
		return NAN;
	for (i = 0; i < json_object_array_length(results); i++) {
		o = json_object_array_get_idx(results, i);
		if (!json_object_object_get_ex(o, "name", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    strcmp(json_object_get_string(v), name) ||
		    !param_is(o, p1, v1) || !param_is(o, p2, v2))
			continue;
		if (json_object_object_get_ex(o, key, &v) ||
		    json_object_object_get_ex(o, "value", &v))
			return json_object_get_double(v);
	}
	return NAN;
}
