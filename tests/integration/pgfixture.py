"""CTest fixture: start (or stop) the private PostgreSQL shared by one test run.

The cluster lives in $FANGPIN_TEST_VAR/pg and listens on a leased port (tools/scripts/ports.py)
written to $FANGPIN_TEST_VAR/pg/port. The lease is held until PostgreSQL listens on the port;
from then on the listening socket itself keeps every other lease off it. tools/scripts/pg.sh does the work (as the unprivileged user
`fangpin` when run as root, since initdb refuses root)."""
import os
import subprocess
import sys

VAR = os.environ["FANGPIN_TEST_VAR"]
PGDIR = os.path.join(VAR, "pg")
PGSH = os.path.join(os.environ["FANGPIN_SOURCE"], "tools", "scripts", "pg.sh")
sys.path.insert(0, os.path.join(os.environ["FANGPIN_SOURCE"], "tools", "scripts"))
import ports  # noqa: E402


def main():
    cmd = sys.argv[1]
    if cmd == "start":
        subprocess.run([PGSH, "destroy", PGDIR], check=True)
        port = ports.lease()
        env = dict(os.environ, PG_FSYNC="off")
        subprocess.run([PGSH, "start", PGDIR, str(port)], check=True, env=env)
        # fangpin's roles (deploy/db/roles.sh): the services run as their own (fp.Service)
        subprocess.run([PGSH, "roles", PGDIR], check=True)
        print(f"test PostgreSQL started on 127.0.0.1:{port}")
    else:
        subprocess.run([PGSH, "stop", PGDIR], check=True)
        print("test PostgreSQL stopped")


if __name__ == "__main__":
    main()
