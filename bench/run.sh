#!/usr/bin/env bash
# Runs every benchmark and prints figures with the commands that produced them.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "\$ build/bench/parsers_bench"
build/bench/parsers_bench --benchmark_min_time=0.2
echo
echo "\$ bash bench/compare_scan.sh"
bash bench/compare_scan.sh
