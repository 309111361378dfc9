"""The method Datadog's Gunicorn check uses, timed: iterate processes with
psutil, match the master by its setproctitle title, list its children.

Usage: /usr/bin/python3 bench/psutil_gunicorn_check.py NAME [ITERATIONS]
Prints the median and p90 in microseconds and the worker count found.
"""
import sys
import time

import psutil


def find_workers(name):
    title = "gunicorn: master [%s]" % name
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if cmdline and cmdline[0].strip() == title:
            return [c for c in proc.children() if c.status() != psutil.STATUS_ZOMBIE]
    return None


def main():
    name = sys.argv[1]
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    samples = []
    workers = None
    for _ in range(iterations):
        start = time.perf_counter()
        workers = find_workers(name)
        samples.append((time.perf_counter() - start) * 1e6)
    samples.sort()
    print("%-28s %10.0f %10.0f   (workers found: %s)" % (
        "psutil (Datadog check)", samples[len(samples) // 2], samples[len(samples) * 9 // 10],
        "none" if workers is None else len(workers)))


if __name__ == "__main__":
    main()
