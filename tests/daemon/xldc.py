#!/usr/bin/env python3
"""xldc.py - a small client of xld's control protocol, for the tests.

  xldc.py call SOCKET COMMAND [ARGUMENTS-JSON]
      send one request, print its reply (one JSON line); events are
      skipped.  Exit 0 whatever the reply says.
  xldc.py raw SOCKET
      print the greeting, then send stdin's bytes as they are and print
      every line xld sends until it closes the connection (or 10 s pass).
  xldc.py many SOCKET
      send every line of stdin (JSON requests, each with an "id"), then
      print the replies, in the order of the requests.
  xldc.py events SOCKET SECONDS
      subscribe and print every event for SECONDS.
  xldc.py get EXPR
      read one JSON value from stdin and print the Python expression EXPR
      of it (bound to r): strings as they are, the rest as JSON.
"""
import json
import socket
import sys
import time


def connect(path, timeout=60):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


class Lines:
    """Lines from a socket, with the greeting kept aside."""

    def __init__(self, s):
        self.s = s
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            data = self.s.recv(65536)
            if not data:
                if self.buf:
                    rest, self.buf = self.buf, b""
                    return rest.decode()
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()


def cmd_call(path, command, args=None):
    s = connect(path)
    r = Lines(s)
    r.line()  # the greeting
    req = {"execute": command, "id": 1}
    if args is not None:
        req["arguments"] = json.loads(args)
    s.sendall((json.dumps(req) + "\n").encode())
    while True:
        line = r.line()
        if line is None:
            print("xldc: connection closed", file=sys.stderr)
            return 1
        msg = json.loads(line)
        if "event" in msg:
            continue
        print(line)
        return 0


def cmd_raw(path):
    s = connect(path, timeout=10)
    data = sys.stdin.buffer.read()
    try:
        s.sendall(data)
        # Said everything: xld answers what it got, then closes.
        s.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass
    r = Lines(s)
    try:
        while True:
            line = r.line()
            if line is None:
                break
            print(line)
    except (socket.timeout, ConnectionResetError):
        pass
    return 0


def cmd_many(path):
    s = connect(path, timeout=120)
    r = Lines(s)
    r.line()
    reqs = [json.loads(x) for x in sys.stdin.read().splitlines() if x]
    s.sendall("".join(json.dumps(q) + "\n" for q in reqs).encode())
    replies = {}
    while len(replies) < len(reqs):
        line = r.line()
        if line is None:
            break
        msg = json.loads(line)
        if "event" in msg:
            continue
        replies[json.dumps(msg.get("id"))] = line
    for q in reqs:
        print(replies.get(json.dumps(q.get("id")), "null"))
    return 0


def cmd_events(path, seconds):
    s = connect(path)
    r = Lines(s)
    r.line()
    s.sendall(b'{"execute":"subscribe"}\n')
    end = time.time() + float(seconds)
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            line = r.line()
        except socket.timeout:
            break
        if line is None:
            break
        if "event" in json.loads(line):
            print(line)
            sys.stdout.flush()
    return 0


def cmd_get(expr):
    r = json.loads(sys.stdin.read())
    v = eval(expr, {"r": r})
    print(v if isinstance(v, str) else json.dumps(v))
    return 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "call":
        return cmd_call(*argv[2:5])
    if len(argv) == 3 and argv[1] == "raw":
        return cmd_raw(argv[2])
    if len(argv) == 3 and argv[1] == "many":
        return cmd_many(argv[2])
    if len(argv) == 4 and argv[1] == "events":
        return cmd_events(argv[2], argv[3])
    if len(argv) == 3 and argv[1] == "get":
        return cmd_get(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
