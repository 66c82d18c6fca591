"""What the scripts that write a page of docs/ from the database share (events-doc.py,
quality-doc.py): the rows of a query through psql, and a Markdown table cell."""
import subprocess
import sys

SEP = "\x1f"


def rows(ci, query, prog):
    """The rows of query on ci as lists of strings; exits naming prog when psql fails."""
    p = subprocess.run(["psql", "-X", "-q", "-tA", "-F", SEP, "-v", "ON_ERROR_STOP=1", ci, "-c", query],
                       capture_output=True, text=True, check=False)
    if p.returncode != 0:
        sys.exit(f"{prog}: {p.stderr.strip()}")
    return [line.split(SEP) for line in p.stdout.splitlines() if line]


def cell(text):
    """text as one cell of a Markdown table."""
    return text.replace("|", "\\|")
