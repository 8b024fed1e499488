#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the data path's cost, side by side. Builds the series and the
# unpatched baseline kernels, then boots them in turn, BENCH_REPS times
# each (default 5): baseline, series, baseline, series, ... Each VM runs
# tests/bench/001-data-path once (the series VM alternates block_limits
# off and on within each workload). scripts/bench-report.py then prints
# the medians and ratios as a table and its closing line, and writes
#   <run>/bench.csv    every measurement
#   <run>/medians.csv  the median of each kernel, mode, disk and workload
# under $VCACHE/runs/bench-<date>/.
# BENCH_SECONDS (default 3) is the length of each measurement.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

reps=${BENCH_REPS:-5}
secs=${BENCH_SECONDS:-3}
case "$reps$secs" in *[!0-9]*) die "BENCH_REPS and BENCH_SECONDS are numbers" ;; esac
[ "$reps" -ge 1 ] && [ "$secs" -ge 1 ] || die "BENCH_REPS and BENCH_SECONDS must be at least 1"
"$TOP/scripts/build.sh" series
"$TOP/scripts/build.sh" baseline

out=$VCACHE/runs/bench-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
log "bench: $reps repetitions of ${secs}s measurements, results in $out"
t0=$SECONDS
for r in $(seq "$reps"); do
	for flavour in baseline series; do
		log "bench: repetition $r of $reps, $flavour kernel"
		"$TOP/scripts/vm.py" --flavour "$flavour" --groups bench --timeout 1500 \
			--append "bench_rep=$r" --append "bench_seconds=$secs" ||
			die "the bench VM failed ($flavour, repetition $r): see $VCACHE/runs/latest"
		csv=$VCACHE/runs/latest/bench.csv
		[ -s "$csv" ] || die "no $csv"
		if [ -s "$out/bench.csv" ]; then tail -n +2 "$csv"; else cat "$csv"; fi >>"$out/bench.csv"
	done
done
log "bench: $((SECONDS - t0))s for $reps repetitions"
python3 "$TOP/scripts/bench-report.py" "$out"
