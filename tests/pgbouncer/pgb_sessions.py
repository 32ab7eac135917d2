"""Two (and more) clients through PgBouncer in transaction pooling, with psycopg 3.

Run by test_pgbouncer.sh, which sets PGB_DSN (pgbouncer, no user), PGB_ADMIN_DSN (its admin
console) and DIRECT_DSN (the cluster itself, as its owner). Prints ok:/FAIL: lines.

The demonstrations are deterministic: PgBouncer hands out the most recently released server
connection first (server_round_robin = 0), so a second client that opens a transaction right
after the first client's statement gets the first client's server connection, and holds it
while the first client's next statement has to take another one.
"""
import os
import subprocess
import sys

import psycopg
from psycopg import errors

PGB = os.environ["PGB_DSN"]
ADMIN = os.environ["PGB_ADMIN_DSN"]
DIRECT = os.environ["DIRECT_DSN"]
failures = 0


def ok(msg):
    print(f"ok: {msg}", flush=True)


def fail(msg):
    global failures
    failures += 1
    print(f"FAIL: {msg}", flush=True)


def check(desc, got, want):
    if got == want:
        ok(f"{desc} ({got!r})")
    else:
        fail(f"{desc}: got {got!r}, expected {want!r}")


def client(user, autocommit=True, **kw):
    """A client of pgbouncer. prepare_threshold=None: pgbouncer 1.18 cannot route prepared
    statements (it has no prepared statement support before 1.21)."""
    kw.setdefault("prepare_threshold", None)
    return psycopg.connect(PGB, user=user, autocommit=autocommit, **kw)


def setting_and_pid(conn, name):
    # collatz_health() loads the library first, so the GUC is defined on a fresh backend too.
    return conn.execute(
        "SELECT collatz.collatz_health() -> 'settings' ->> %s, pg_backend_pid()", (name,)
    ).fetchone()


def reconnect():
    """RECONNECT on pgbouncer's admin console (simple query protocol only, so through psql):
    every server connection is closed once released, and new ones open as needed."""
    subprocess.run([os.environ["PSQL"], "-X", "-q", "-d", ADMIN, "-c", "RECONNECT"], check=True)


def walk(n):
    top, steps = n, 0
    while n != 1:
        n = 3 * n + 1 if n % 2 else n // 2
        steps += 1
        top = max(top, n)
    return steps, top


direct = psycopg.connect(DIRECT, autocommit=True)

# --- SET: leaks to another client, and is lost by the client that set it ----------------
print("-- plain SET under transaction pooling (collatz.threads)", flush=True)
a, b = client("collatz_app"), client("collatz_app", autocommit=False)
a.execute("SET collatz.threads = 1")        # a statement of its own: the server goes back to the pool
val_a1, pid_a1 = setting_and_pid(a, "collatz.threads")
val_b, pid_b = setting_and_pid(b, "collatz.threads")   # b's transaction takes a's server (LIFO)
val_a2, pid_a2 = setting_and_pid(a, "collatz.threads")  # ... and a has to take another one
b.rollback()
print(f"   a: SET collatz.threads = 1 on backend {pid_a1}, reads {val_a1}; b's transaction on backend {pid_b} reads {val_b};"
      f" a's next statement on backend {pid_a2} reads {val_a2}", flush=True)
check("b, another client, inherits a's SET (same server connection)", (pid_b == pid_a1, val_b), (True, "1"))
check("a's next statement, on another server connection, has lost it", (pid_a2 != pid_a1, val_a2), (True, "0"))
# A RESET from a would land on whichever server it gets next; only closing the server
# connections undoes the leak for sure.
reconnect()
a.close(); b.close()
b = client("collatz_app", autocommit=False)

# --- SET LOCAL inside BEGIN ... COMMIT: applies to that transaction only -----------------
print("-- SET LOCAL inside a transaction (collatz.threads, collatz.memo_mb, collatz.batch_size)", flush=True)
a2 = client("collatz_app", autocommit=False)
with a2.transaction():
    a2.execute("SET LOCAL collatz.threads = 1")
    a2.execute("SET LOCAL collatz.memo_mb = 1")
    a2.execute("SET LOCAL collatz.batch_size = 777")
    inside = a2.execute(
        "SELECT current_setting('collatz.threads'), current_setting('collatz.memo_mb'),"
        " current_setting('collatz.batch_size'), pg_backend_pid()").fetchone()
    row = a2.execute("SELECT id FROM collatz.analyze_range(1, 200000)").fetchone()
a2.commit()
after_val, after_pid = setting_and_pid(b, "collatz.threads")   # the next transaction on that server
b.rollback()
check("inside the transaction: threads, memo_mb, batch_size", inside[:3], ("1", "1", "777"))
metric = direct.execute(
    "SELECT context ->> 'threads', context ->> 'memo_mb' FROM collatz.performance_metrics"
    " WHERE operation_type = 'analyze_range' AND (context ->> 'analysis_id')::bigint = %s", (row[0],)).fetchone()
check("the analysis in that transaction ran with them (its metric)", metric, ("1", "1MB"))
check("the next client on the same server connection sees the defaults", (after_pid == inside[3], after_val), (True, "0"))

# --- ALTER ROLE ... SET: on every server connection of the role, from its next connection on
print("-- ALTER ROLE ... SET (collatz_etl: collatz.batch_size = 5000)", flush=True)
holders = [client("collatz_etl", autocommit=False) for _ in range(3)]
seen = [setting_and_pid(h, "collatz.batch_size") for h in holders]   # three open transactions, three servers
for h in holders:
    h.rollback()
check("three concurrent transactions, three server connections, each with batch_size 5000",
      (len({p for _, p in seen}), sorted({v for v, _ in seen})), (3, ["5000"]))
direct.execute("ALTER ROLE collatz_etl SET collatz.memo_mb = 4")
stale = setting_and_pid(holders[0], "collatz.memo_mb")[0]
holders[0].rollback()
reconnect()
fresh = [setting_and_pid(h, "collatz.memo_mb")[0] for h in holders]
for h in holders:
    h.rollback()
check("a later ALTER ROLE does not reach server connections already open", stale, "8MB")
check("after RECONNECT (pgbouncer's admin console) every server connection has it", sorted(set(fresh)), ["4MB"])
direct.execute("ALTER ROLE collatz_etl RESET collatz.memo_mb")
for h in holders:
    h.close()

# --- the import staging is per server connection --------------------------------------
print("-- import staging: one transaction works; split across transactions it breaks", flush=True)
lines = "number\n" + "".join(f"{n}\n" for n in range(300001, 300101))
copy_sql = "COPY collatz_import_lines (line) FROM STDIN WITH (FORMAT csv, DELIMITER E'\\x1f', QUOTE E'\\x1e')"
imp = client("collatz_app", autocommit=False)
with imp.transaction():
    imp.execute("SELECT collatz.import_open()")
    with imp.cursor().copy(copy_sql) as cp:
        cp.write(lines)
    res = imp.execute("SELECT lines, loaded, rejected FROM collatz.import_sequences('csv')").fetchone()
    imp.execute("SELECT collatz.import_open()")   # leave the staging empty for the next client
imp.commit()
check("psycopg: import_open, COPY FROM STDIN, import_sequences in one transaction", res, (100, 100, 0))
stored = direct.execute("SELECT count(*) FROM collatz.collatz_sequences WHERE number BETWEEN 300001 AND 300100").fetchone()[0]
check("  rows stored", stored, 100)

# Split: the same steps as separate transactions (autocommit), another client in between.
sa, sb = client("collatz_split"), client("collatz_split", autocommit=False)
sa.execute("SELECT collatz.import_open()")
pid_open = sa.execute("SELECT pg_backend_pid()").fetchone()[0]
with sa.cursor().copy(copy_sql) as cp:      # lands on the same server only because nobody else came
    cp.write("number\n" + "".join(f"{n}\n" for n in range(400001, 400101)))
peek = sb.execute("SELECT count(*), pg_backend_pid() FROM pg_temp.collatz_import_lines").fetchone()
try:
    sa.execute("SELECT * FROM collatz.import_sequences('csv')")
    split = "no error"
except psycopg.Error as e:
    split = f"{e.sqlstate} {e.diag.message_primary}"
sb.rollback()
print(f"   import_open and COPY on backend {pid_open}; client b's transaction got backend {peek[1]}", flush=True)
check("another client of the same role, on that server connection, sees the staged lines", (peek[1] == pid_open, peek[0]), (True, 101))
check("the client's import_sequences, on another server connection, finds nothing staged",
      split, "55000 import_sequences: nothing is staged in this session")
try:
    sb.execute("SELECT * FROM collatz.import_sequences('csv')")   # b, on the server a staged on
    taken = sb.execute("SELECT count(*) FROM collatz.collatz_sequences WHERE number BETWEEN 400001 AND 400100").fetchone()[0]
    sb.rollback()
except psycopg.Error as e:
    taken = f"{e.sqlstate}"
    sb.rollback()
check("... and the other client could import them instead (rolled back here)", taken, 100)
# COPY alone, on a server connection where import_open never ran (b holds the staged one):
sb.execute("SELECT 1")
try:
    with sa.cursor().copy(copy_sql) as cp:
        cp.write(lines)
    copy_err = "no error"
except psycopg.Error as e:
    copy_err = e.sqlstate
sb.rollback()
check("COPY into collatz_import_lines on a server connection without import_open: 42P01", copy_err, "42P01")
sa.close(); sb.close()

# --- prepared statements: why prepare_threshold=None -----------------------------------
print("-- prepared statements (prepare_threshold)", flush=True)
pa = client("collatz_app", prepare_threshold=0)   # prepare every statement
pb = client("collatz_app", autocommit=False)
q = "SELECT collatz.collatz_steps(%s::bigint)"
pa.execute(q, (27,))                               # prepared on the server it got
pb.execute("SELECT 1")                             # b takes that server
try:
    pa.execute(q, (97,))                           # psycopg reuses its prepared statement, on another server
    prep = "no error"
except psycopg.Error as e:
    prep = e.sqlstate
pb.rollback()
check("prepare_threshold=0: a prepared statement used on another server connection fails", prep, "26000")
pn = client("collatz_app")                         # prepare_threshold=None
vals = []
for n in (27, 97, 871) * 5:
    pb.execute("SELECT 1")
    vals.append(pn.execute(q, (n,)).fetchone()[0])
    pb.rollback()
check("prepare_threshold=None: 15 calls, interleaved with another client", vals, [111, 118, 178] * 5)
for c in (pa, pb, pn):
    c.close()

# --- CALL needs autocommit; a pipeline_run_step loop may use any server ----------------
print("-- CALL and the step functions from a client", flush=True)
tx = client("collatz_app", autocommit=False)      # psycopg's default: every statement in a BEGIN
try:
    tx.execute("CALL collatz.sp_analyze_range(1, 100000, segment_size => 10000)")
    call_tx = "no error"
except psycopg.Error as e:
    call_tx = e.sqlstate
tx.rollback()
check("CALL sp_analyze_range on a non-autocommit connection (inside BEGIN): invalid transaction termination", call_tx, "2D000")
ac = client("collatz_app")
ac.execute("CALL collatz.sp_analyze_range(1, 100000, segment_size => 10000)")
got = direct.execute("SELECT longest_sequence, highest_peak FROM collatz.analysis_results WHERE end_range = 100000").fetchone()
check("the same CALL in autocommit, extended protocol, through pgbouncer", got, (77031, 77671))

step_client, other = client("collatz_app"), client("collatz_app", autocommit=False)
run_id = step_client.execute(
    "SELECT (collatz.analysis_run_start(1, 2000000, segment_size => 131072)).run_id").fetchone()[0]
pids, done, steps = set(), False, 0
while not done and steps < 100:
    d, pid = step_client.execute(
        "SELECT (s).done, pg_backend_pid() FROM (SELECT collatz.pipeline_run_step(%s) AS s) x", (run_id,)).fetchone()
    done, steps = d, steps + 1
    pids.add(pid)
    if steps % 2:
        other.execute("SELECT 1")      # take the server the step just used ...
    else:
        other.rollback()               # ... and give it back
other.rollback()
stored = direct.execute(
    "SELECT longest_sequence, longest_sequence_length, highest_peak, highest_peak_value"
    " FROM collatz.analysis_results WHERE start_range = 1 AND end_range = 2000000").fetchone()
want = direct.execute(
    "SELECT longest_sequence, longest_sequence_length, highest_peak, highest_peak_value"
    " FROM collatz.collatz_analyze(1, 2000000)").fetchone()
check(f"a pipeline_run_step loop of {steps} one-statement transactions on {len(pids)} server connections completes",
      (done, len(pids) > 1), (True, True))
check("  its stored analysis = collatz_analyze(1, 2000000)", stored, want)
for c in (tx, ac, step_client, other, direct):
    c.close()
print("sessions: done", flush=True)
sys.exit(1 if failures else 0)
