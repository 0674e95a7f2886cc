#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the protocol decoder's libFuzzer target with clang (ASan, UBSan)
# and runs it for a bounded time; any crash or sanitizer report fails.
#   run_fuzz.sh CLANG SOURCE_DIR PROTO_DIR WORK_DIR SECONDS
set -eu
clang=$1 src=$2 proto=$3 work=$4 seconds=$5
mkdir -p "$work/corpus"
"$clang" -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -I"$proto" \
	"$src/fuzz_proto.c" "$proto/broker_proto.c" -o "$work/fuzz_proto"
exec "$work/fuzz_proto" -max_total_time="$seconds" -rss_limit_mb=2048 \
	-max_len=16448 -print_final_stats=1 "$work/corpus"
