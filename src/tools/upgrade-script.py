#!/usr/bin/env python3
"""Assembles the body of an upgrade script sql/collatz_ext--A--B.sql from the new release's
generated install script (`cargo pgrx schema pg15`, on stdin): the blocks of the Rust
functions named on the command line, as pgrx wrote them, then the hand-written SQL files
given with --sql, in order. The header comment and the psql guard line are written by hand;
tests/upgrade checks the result against a fresh install, object for object.

    cargo pgrx schema pg15 --release | src/tools/upgrade-script.py \\
        collatz_import_check export_sequences_json --sql sql/07_import_export.sql
"""
import re
import sys


def function_blocks(schema, names):
    """Each named function's `CREATE FUNCTION ... ;` block, in the order asked for."""
    blocks = {}
    for block in schema.split("/* <begin connected objects> */"):
        match = re.search(r'CREATE\s+FUNCTION\s+"([^"]+)"\(.*?;\n', block, re.S)
        if match and match.group(1) in names:
            blocks.setdefault(match.group(1), []).append(match.group(0).replace("CREATE  FUNCTION", "CREATE FUNCTION"))
    missing = [n for n in names if n not in blocks]
    if missing:
        sys.exit(f"not in the schema: {', '.join(missing)}")
    return [b for n in names for b in blocks[n]]


def main(argv):
    names, files = [], []
    target = names
    for arg in argv:
        if arg == "--sql":
            target = files
        else:
            target.append(arg)
    out = [f"-- ==== Rust functions new in this release (as cargo pgrx schema writes them)\n"]
    out += [block + "\n" for block in function_blocks(sys.stdin.read(), names)]
    for path in files:
        with open(path) as f:
            out.append(f"-- ==== {path}\n\n{f.read()}\n")
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
