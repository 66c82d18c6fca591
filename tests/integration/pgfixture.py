"""CTest fixture: start (or stop) the private PostgreSQL shared by one test run.

The cluster lives in $FANGPIN_TEST_VAR/pg and listens on a free port written to
$FANGPIN_TEST_VAR/pg/port. tools/scripts/pg.sh does the work (as the unprivileged user
`fangpin` when run as root, since initdb refuses root)."""
import os
import socket
import subprocess
import sys

VAR = os.environ["FANGPIN_TEST_VAR"]
PGDIR = os.path.join(VAR, "pg")
PGSH = os.path.join(os.environ["FANGPIN_SOURCE"], "tools", "scripts", "pg.sh")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    cmd = sys.argv[1]
    if cmd == "start":
        subprocess.run([PGSH, "stop", PGDIR], check=False)
        subprocess.run(["rm", "-rf", PGDIR], check=True)
        os.makedirs(PGDIR)
        port = free_port()
        env = dict(os.environ, PG_FSYNC="off")
        subprocess.run([PGSH, "start", PGDIR, str(port)], check=True, env=env)
        print(f"test PostgreSQL started on 127.0.0.1:{port}")
    else:
        subprocess.run([PGSH, "stop", PGDIR], check=True)
        print("test PostgreSQL stopped")


if __name__ == "__main__":
    main()
