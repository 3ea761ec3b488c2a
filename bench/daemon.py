#!/usr/bin/env python3
"""daemon.py XLD XLCTL - how fast xld answers, on its simulated hypervisor.

Starts a private xld (sim backend, 256 GiB host) in a temporary
directory, creates 1000 small domains over one connection, then measures:

  * `xlctl list` round-trip latency with 1000 domains: the whole command
    as an admin runs it (process start, connect, greeting, request,
    1000 rows, exit), median and 95th percentile of 30 runs;
  * the `list` request alone over an open connection (what a monitoring
    client pays);
  * requests per second from 8 concurrent clients, each on its own
    connection, each waiting for every reply before the next request,
    for `list` (1000 domains per reply) and for `info` (a small reply).

The numbers depend on the machine and its load; run it on an idle one.
"""
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

N_DOMAINS = 1000
CLIENTS = 8
SECONDS = 5.0


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    f = Conn(s)
    f.readline()  # the greeting
    return s, f


class Conn:
    """Buffered reads (a 1000-domain reply is large), direct writes."""

    def __init__(self, s):
        self.s = s
        self.r = s.makefile("rb")

    def readline(self):
        return self.r.readline()

    def write(self, data):
        self.s.sendall(data)


def call(f, command, args=None, rid=1):
    req = {"execute": command, "id": rid}
    if args is not None:
        req["arguments"] = args
    f.write((json.dumps(req) + "\n").encode())
    while True:
        reply = json.loads(f.readline())
        if "event" not in reply:
            return reply


def hammer(path, command, stop, counts, i):
    s, f = connect(path)
    n = 0
    while not stop.is_set():
        reply = call(f, command, rid=n)
        if "error" in reply:
            raise SystemExit("bench: %s failed: %s" % (command, reply))
        n += 1
    counts[i] = n
    s.close()


def rate(path, command):
    stop = threading.Event()
    counts = [0] * CLIENTS
    threads = [threading.Thread(target=hammer,
                                args=(path, command, stop, counts, i))
               for i in range(CLIENTS)]
    start = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(SECONDS)
    stop.set()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - start)


def main(argv):
    if len(argv) != 3:
        raise SystemExit("usage: daemon.py XLD XLCTL")
    xld, xlctl = argv[1], argv[2]
    tmp = tempfile.mkdtemp(prefix="xld-bench.")
    sock = os.path.join(tmp, "xld.sock")
    proc = subprocess.Popen(
        [xld, "--backend=sim", "-f", "--socket=" + sock,
         "--ro-socket=" + os.path.join(tmp, "xld-ro.sock"),
         "--state-dir=" + os.path.join(tmp, "state"),
         "--backend-options=dir=" + os.path.join(tmp, "sim")],
        stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        s, f = connect(sock)
        # Create the domains pipelined on one connection.
        start = time.monotonic()
        for i in range(N_DOMAINS):
            cfg = 'name = "bench-%d"\nkernel = "/k"\nmemory = 128\n' % i
            req = {"execute": "create", "id": i,
                   "arguments": {"config": cfg, "filename": "bench.cfg"}}
            f.write((json.dumps(req) + "\n").encode())
        done = 0
        while done < N_DOMAINS:
            reply = json.loads(f.readline())
            if "event" in reply:
                continue
            if "error" in reply:
                raise SystemExit("bench: create failed: %s" % reply)
            done += 1
        created = time.monotonic() - start
        n = len(call(f, "list")["return"])

        lat = []
        for _ in range(30):
            t = time.monotonic()
            subprocess.run([xlctl, "--socket", sock, "list"], check=True,
                           stdout=subprocess.DEVNULL)
            lat.append((time.monotonic() - t) * 1000)
        lat.sort()
        req_lat = []
        for i in range(100):
            t = time.monotonic()
            call(f, "list", rid=i)
            req_lat.append((time.monotonic() - t) * 1000)
        s.close()
        list_rate = rate(sock, "list")
        info_rate = rate(sock, "info")

        print("bench-daemon: xld on the simulator, %d domains listed" % n)
        print("  create %d domains, pipelined on one connection: %.2f s "
              "(%.0f creates/s)" % (N_DOMAINS, created, N_DOMAINS / created))
        print("  xlctl list (whole command), 30 runs: median %.1f ms, "
              "p95 %.1f ms" % (statistics.median(lat), lat[int(0.95 * 29)]))
        print("  list request alone, 100 runs: median %.2f ms"
              % statistics.median(req_lat))
        print("  %d clients, %.0f s each, list: %.0f requests/s"
              % (CLIENTS, SECONDS, list_rate))
        print("  %d clients, %.0f s each, info: %.0f requests/s"
              % (CLIENTS, SECONDS, info_rate))
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv)
