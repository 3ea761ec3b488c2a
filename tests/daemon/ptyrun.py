#!/usr/bin/env python3
"""ptyrun.py - run a command on a pseudo-terminal and talk to it, for the
console tests: as a person at a terminal would, with expect and send.

  ptyrun.py [--timeout S] [--log FILE] ACTION... -- COMMAND [ARG...]

The command's stdin, stdout and stderr are the slave of a new pty, in
its default (cooked) mode.  The actions run in order:

  expect:TEXT   wait until TEXT appears in the output after the end of
                the last match (fails after the timeout, 10 s by default)
  absent:TEXT   TEXT has not appeared since the last match (now)
  send:TEXT     type TEXT (Python escapes: \\r, \\x1d for Ctrl-], ...)
  flood:N       type N bytes of printable text, as fast as the pty takes
                them (what does not fit within the timeout is given up)
  sleep:S       wait S seconds, showing the output meanwhile
  run:SHELL     run a shell command (its status must be 0)
  signal:NAME   send a signal (TERM, HUP...) to the command

Then the command must exit within the timeout.  Exit status: the
command's, or 124 for a timeout, 125 when the terminal was not given
back in the mode it had (the command left it raw), 126 when an action
failed.  Everything the command printed is written to FILE (--log) as
it came.
"""
import os
import select
import signal
import subprocess
import sys
import termios
import time

TIMEOUT = 10.0


class Session:
    def __init__(self, argv, log, timeout):
        self.master, self.slave = os.openpty()
        self.mode = termios.tcgetattr(self.slave)
        self.proc = subprocess.Popen(argv, stdin=self.slave,
                                     stdout=self.slave, stderr=self.slave,
                                     start_new_session=True)
        self.out = b""
        self.mark = 0
        self.log = open(log, "wb") if log else None
        self.timeout = timeout

    def pump(self, seconds):
        """Read the output for up to seconds (0: what is there now)."""
        end = time.monotonic() + seconds
        while True:
            left = max(0.0, end - time.monotonic())
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    data = b""
                if data:
                    self.out += data
                    if self.log:
                        self.log.write(data)
                        self.log.flush()
                    continue
            if time.monotonic() >= end:
                return

    def expect(self, text):
        want = text.encode()
        end = time.monotonic() + self.timeout
        while True:
            i = self.out.find(want, self.mark)
            if i >= 0:
                self.mark = i + len(want)
                return True
            if time.monotonic() >= end:
                return False
            self.pump(0.05)

    def send(self, data):
        os.write(self.master, data)

    def flood(self, n):
        chunk = b"0123456789abcdefghijklmnopqrstuvwxyz" * 100
        end = time.monotonic() + self.timeout
        os.set_blocking(self.master, False)
        try:
            while n > 0 and time.monotonic() < end:
                try:
                    w = os.write(self.master, chunk[:n])
                    n -= w
                except BlockingIOError:
                    pass
                # Read meanwhile: the command echoes, and must not block
                # on a full output.
                self.pump(0)
        finally:
            os.set_blocking(self.master, True)

    def finish(self):
        end = time.monotonic() + self.timeout
        while self.proc.poll() is None and time.monotonic() < end:
            self.pump(0.05)
        self.pump(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            sys.stderr.write("ptyrun: the command did not exit\n")
            return 124
        if termios.tcgetattr(self.slave) != self.mode:
            sys.stderr.write("ptyrun: the terminal was left in another "
                             "mode\n")
            return 125
        return self.proc.returncode


def unescape(s):
    return s.encode("latin-1", "backslashreplace").decode("unicode_escape")


def main(argv):
    timeout = TIMEOUT
    log = None
    while argv and argv[0] in ("--timeout", "--log"):
        if argv[0] == "--timeout":
            timeout = float(argv[1])
        else:
            log = argv[1]
        argv = argv[2:]
    if "--" not in argv:
        sys.stderr.write(__doc__)
        return 2
    cut = argv.index("--")
    actions, command = argv[:cut], argv[cut + 1:]
    s = Session(command, log, timeout)
    for a in actions:
        what, _, arg = a.partition(":")
        ok = True
        if what == "expect":
            ok = s.expect(unescape(arg))
        elif what == "absent":
            s.pump(0)
            ok = s.out.find(unescape(arg).encode(), s.mark) < 0
        elif what == "send":
            s.send(unescape(arg).encode("latin-1"))
        elif what == "flood":
            s.flood(int(arg))
        elif what == "sleep":
            s.pump(float(arg))
        elif what == "run":
            ok = subprocess.call(arg, shell=True) == 0
        elif what == "signal":
            s.proc.send_signal(getattr(signal, "SIG" + arg))
        else:
            sys.stderr.write("ptyrun: unknown action %r\n" % a)
            ok = False
        if not ok:
            sys.stderr.write("ptyrun: failed: %s\n" % a)
            s.proc.kill()
            s.proc.wait()
            s.pump(0.1)
            return 126
    return s.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
