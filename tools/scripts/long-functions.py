#!/usr/bin/env python3
"""List the C functions longer than a limit (CONTRIBUTING.md: no function over 80 lines).

    tools/scripts/long-functions.py [--max N] [--check] [FILE...]

Without FILEs it reads the project's own C sources (`git ls-files '*.c' '*.h'`). A function's
length is counted from the line of its opening brace to the line of its closing brace, both
included. A function is a top-level `{` whose header ends in `)`; data tables (an initializer
`... = {`), struct, union and enum bodies and preprocessor lines are not counted. Prints `LINES FILE:LINE NAME`,
longest first; with --check it exits 1 when it printed anything (make long-functions).
"""
import argparse
import os
import re
import subprocess
import sys

IDENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def strip(text):
    """The text with comments, string and character literals and preprocessor lines blanked
    out (newlines kept, so line numbers stay)."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c in " \t":
            out.append(c)
            i += 1
            continue
        if line_start and c == "#":
            # a preprocessor line, with its continuations
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append("\n")
                    i += 2
                    continue
                i += 1
            continue
        line_start = False
        if c == "\n":
            out.append(c)
            line_start = True
            i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * max(0, j - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """(name, opening brace line, closing brace line) of each function defined in text."""
    code = strip(text)
    depth = 0
    head = []  # the text at depth 0 since the last ';' or '}'
    line = 1
    found = []
    current = None  # (name, start line) while inside a function body
    is_function = False
    for c in code:
        if c == "\n":
            line += 1
        if depth == 0:
            if c == "{":
                header = "".join(head)
                is_function = False
                if "=" not in header and header.rstrip().endswith(")"):
                    names = IDENT.findall(header)
                    if names:
                        is_function = True
                        current = (names[0], line)
                depth = 1
                head = []
            elif c in ";}":
                head = []
            else:
                head.append(c)
        else:
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    if is_function and current:
                        found.append((current[0], current[1], line))
                    current = None
                    is_function = False
                    head = []
    return found


SOURCE_DIRS = ("bench", "common", "domain", "services", "tests", "tools")


def sources():
    """The project's own C files: git's list, or (outside a git checkout) the source folders'."""
    try:
        out = subprocess.run(["git", "ls-files", "*.c", "*.h"], capture_output=True, text=True, check=True)
        return [p for p in out.stdout.split("\n") if p]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for top in SOURCE_DIRS:
            for root, _, names in os.walk(top):
                found += [os.path.join(root, n) for n in names if n.endswith((".c", ".h"))]
        return sorted(found)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max", type=int, default=80, help="the longest a function may be (lines)")
    ap.add_argument("--check", action="store_true", help="exit 1 when a function is longer")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    files = args.files or sources()
    rows = []
    for path in files:
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for name, start, end in functions(f.read()):
                length = end - start + 1
                if length > args.max:
                    rows.append((length, path, start, name))
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    for length, path, start, name in rows:
        print(f"{length:5d} {path}:{start} {name}")
    return 1 if args.check and rows else 0


if __name__ == "__main__":
    sys.exit(main())
