#!/usr/bin/env bash
# Runs every benchmark and prints figures with the commands that produced them.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "\$ build/bench/parsers_bench"
build/bench/parsers_bench --benchmark_min_time=0.2
echo
echo "\$ build/bench/fleet_view_bench"
build/bench/fleet_view_bench
echo
echo "\$ bash bench/compare_scan.sh"
bash bench/compare_scan.sh
echo
echo "\$ bash bench/control_socket.sh"
bash bench/control_socket.sh build 200
echo
build/bench/fleet_load --instances 1000,10000 --seconds 5 --connections 16
echo
bash bench/agent_footprint.sh build 60
echo
echo "\$ build/bench/statsd_bench"
build/bench/statsd_bench
echo
echo "\$ build/bench/history_bench"
build/bench/history_bench
echo
echo "\$ bash bench/history_cli.sh"
bash bench/history_cli.sh build 20
echo
# One minute away here; the figures for ten minutes: --minutes 10.
build/bench/server_away --minutes 1
