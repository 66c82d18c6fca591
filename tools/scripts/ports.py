#!/usr/bin/env python3
"""Ports that cannot collide, for the tests and the benchmarks.

Asking the kernel for a "free" port (bind to port 0, close, use the number later) races: the
kernel hands the same numbers out again as ephemeral ports for outgoing connections, and
another test running in parallel can be given it before the service binds it. A lease here
cannot be taken twice:

* Ports come from a block *below* the kernel's ephemeral range
  (/proc/sys/net/ipv4/ip_local_port_range), so no outgoing connection of any process is ever
  given one of them by the kernel.
* Each leased port is held by an exclusive flock(2) on a file named after it in a lock folder
  shared by every run on the machine ($FANGPIN_PORT_LOCKS, default /tmp/fangpin-ports). The
  lock lives as long as the process holding it (and whatever inherited the descriptor), so a
  test that restarts a service on the same port keeps the port in between, and a crashed test
  frees its ports by dying. There is no stale state to clean up.
* A port is taken only if a test bind on 127.0.0.1 (with SO_REUSEADDR, as libzmq, libuv and
  PostgreSQL bind) succeeds, so a port that some other program listens on is skipped.

From Python: `ports.lease()` or `ports.lease(3)`. A shell script cannot hold a lock taken by
a python process that has exited, so it re-executes itself under a lease instead:

    [ "${FP_PORTS_FOR:-}" = "$0" ] || exec python3 tools/scripts/ports.py 6 -- "$0" "$@"
    read -r zport hport pubport _ <<<"$FP_PORTS"

which runs the script with FP_PORTS set to six leased ports (FP_PORTS_FOR to the script, so
that another script it starts leases its own) and the lock descriptors inherited, so they stay
held until the script and every child it started have exited.
"""
import errno
import fcntl
import os
import random
import socket
import sys

LOCK_DIR = os.environ.get("FANGPIN_PORT_LOCKS", "/tmp/fangpin-ports")
BLOCK = 10000  # ports in the reserved block, just below the ephemeral range

_held = {}  # port -> lock file descriptor, for the life of this process


def port_range():
    """The block of ports leases come from: [lo, hi], outside the kernel's ephemeral range."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            elo, ehi = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        elo, ehi = 32768, 60999  # Linux's default
    if elo - 1 - 1024 >= 1000:  # room below the ephemeral range (the usual case)
        return max(1024, elo - BLOCK), elo - 1
    if 65535 - ehi >= 1000:  # an ephemeral range that starts low: use the space above it
        return ehi + 1, min(65535, ehi + BLOCK)
    raise RuntimeError(f"ports: no room outside the ephemeral range {elo}-{ehi} "
                       "(/proc/sys/net/ipv4/ip_local_port_range) for test ports")


def _lock_dir():
    try:
        os.makedirs(LOCK_DIR, exist_ok=True)
        os.chmod(LOCK_DIR, 0o1777)  # shared by every user's runs, like /tmp
    except PermissionError:
        pass  # made by another user already, with the right mode
    return LOCK_DIR


def _bindable(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            if e.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
        return True


def _try(port, d):
    path = os.path.join(d, str(port))
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except PermissionError:  # another user's file without write bits: read-only is enough
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    if not _bindable(port):
        os.close(fd)  # closing drops the lock
        return None
    return fd


def lease(count=None):
    """Leases one port (returns an int) or count ports (returns a list), held until this process
    exits or release() is called."""
    n = 1 if count is None else count
    lo, hi = port_range()
    d = _lock_dir()
    got = []
    span = hi - lo + 1
    start = random.randrange(span)  # spread concurrent runs over the block
    for i in range(span):
        port = lo + (start + i) % span
        if port in _held:
            continue
        fd = _try(port, d)
        if fd is not None:
            _held[port] = fd
            got.append(port)
            if len(got) == n:
                return got[0] if count is None else got
    for p in got:
        release(p)
    raise RuntimeError(f"ports: fewer than {n} free ports in {lo}-{hi} ({LOCK_DIR})")


def release(port):
    fd = _held.pop(port, None)
    if fd is not None:
        os.close(fd)


def main(argv):
    """ports.py N -- CMD ARGS...: runs CMD with FP_PORTS="p1 p2 ... pN", the leases inherited."""
    if len(argv) < 3 or argv[1] != "--":
        sys.stderr.write("usage: ports.py N -- COMMAND [ARG...]\n")
        return 2
    got = lease(int(argv[0]))
    for fd in _held.values():
        os.set_inheritable(fd, True)
    os.environ["FP_PORTS"] = " ".join(str(p) for p in got)
    os.environ["FP_PORTS_FOR"] = argv[2]
    os.execvp(argv[2], argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
