#!/usr/bin/env python3
"""Assembles the body of an upgrade script sql/collatz_ext--A--B.sql from the new release's
generated install script (`cargo pgrx schema pg15`, on stdin): the blocks of the Rust
functions named first, as pgrx wrote them; then, for each `--from FILE name...`, the named
SQL functions of FILE (new or changed in this release) as CREATE OR REPLACE with their
COMMENT, and the named views as CREATE OR REPLACE VIEW; then the whole of each `--sql FILE`, in order. The header comment and the psql
guard line are written by hand; tests/upgrade checks the result against a fresh install,
object for object.

    cargo pgrx schema pg15 --release | src/tools/upgrade-script.py \\
        collatz_import_check export_sequences_json \\
        --from src/sql/sequences.sql collatz_internal.insert_sequences save_sequence \\
        --sql src/sql/finalize.sql
"""
import re
import sys


def rust_blocks(schema, names):
    """Each named Rust function's `CREATE FUNCTION ... ;` block, in the order asked for."""
    blocks = {}
    for block in schema.split("/* <begin connected objects> */"):
        match = re.search(r'CREATE\s+FUNCTION\s+(?:\w+\.)?"([^"]+)"\(.*?;\n', block, re.S)
        if match and match.group(1) in names:
            blocks.setdefault(match.group(1), []).append(match.group(0).replace("CREATE  FUNCTION", "CREATE FUNCTION"))
    missing = [n for n in names if n not in blocks]
    if missing:
        sys.exit(f"not in the schema: {', '.join(missing)}")
    return [b for n in names for b in blocks[n]]


def sql_functions(path, names):
    """Each named PL/pgSQL or SQL function or procedure of a file (schema-qualified names as
    written there), with its COMMENT, as CREATE OR REPLACE; and each named view, as CREATE OR
    REPLACE VIEW (its comments stay: CREATE OR REPLACE keeps them)."""
    with open(path) as f:
        text = f.read()
    out = []
    for name in names:
        quoted = re.escape(name)
        match = (re.search(rf"^CREATE (FUNCTION|PROCEDURE) {quoted}\(.*?\$\$;\n(\n*COMMENT ON (FUNCTION|PROCEDURE) {quoted}\(.*?';\n)?",
                           text, re.S | re.M)
                 or re.search(rf"^CREATE (VIEW) {quoted} AS\n.*?;\n", text, re.S | re.M))
        if not match:
            sys.exit(f"no function or view {name} in {path}")
        kind = match.group(1)
        out.append(match.group(0).replace(f"CREATE {kind}", f"CREATE OR REPLACE {kind}", 1))
    return out


def main(argv):
    rust, changed, files = [], [], []
    target = rust
    args = iter(argv)
    for arg in args:
        if arg == "--sql":
            target = files
        elif arg == "--from":
            changed.append((next(args), []))
            target = changed[-1][1]
        else:
            target.append(arg)
    out = ["-- ==== Rust functions new in this release (as cargo pgrx schema writes them)\n"]
    out += [block + "\n" for block in rust_blocks(sys.stdin.read(), rust)]
    for path, names in changed:
        out.append(f"-- ==== {path}: functions and views new or changed in this release\n\n")
        out += [block + "\n" for block in sql_functions(path, names)]
    for path in files:
        with open(path) as f:
            out.append(f"-- ==== {path}\n\n{f.read()}\n")
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
