"""Repository calls from 20 threads through PgBouncer (transaction pooling, a pool of 5
server connections), with psycopg 3 and prepare_threshold=None.

Each thread has its own client connection and mixes save_sequence, get_sequence,
batch_save_sequences and analyze_range. Every answer is checked against a plain Python walk,
and afterwards every stored row and every analysis. Writes go to a range of numbers of each
thread's own, so the counts written are exact too. Run by test_pgbouncer.sh (PGB_DSN,
DIRECT_DSN). Prints ok:/FAIL: lines.
"""
import os
import random
import sys
import threading
import time

import psycopg

PGB = os.environ["PGB_DSN"]
DIRECT = os.environ["DIRECT_DSN"]
THREADS, POOL, ROUNDS = 20, 5, 100
BASE = 10_000_000          # thread t writes numbers of [BASE + t*10^4 + 1, BASE + (t+1)*10^4]
failures = 0


def ok(msg):
    print(f"ok: {msg}", flush=True)


def fail(msg):
    global failures
    failures += 1
    print(f"FAIL: {msg}", flush=True)


_memo = {1: (0, 1)}


def walk(n):
    """(steps_to_one, peak) of n, plainly."""
    if n in _memo:
        return _memo[n]
    top, steps, m = n, 0, n
    while m != 1:
        m = 3 * m + 1 if m % 2 else m // 2
        steps += 1
        top = max(top, m)
    _memo[n] = (steps, top)
    return steps, top


def reference_analysis(a, b):
    """(longest, its length, highest peak number, peak), ties to the smaller number."""
    best_len = best_peak = None
    for n in range(a, b + 1):
        steps, top = walk(n)
        if best_len is None or steps + 1 > best_len[1]:
            best_len = (n, steps + 1)
        if best_peak is None or top > best_peak[1]:
            best_peak = (n, top)
    return best_len[0], best_len[1], best_peak[0], best_peak[1]


errors = []
mismatches = []
saved = {t: set() for t in range(THREADS)}
analyses = []            # (a, b, analysis_id) of every analyze_range call
lock = threading.Lock()
start_gate = threading.Barrier(THREADS)


def worker(t):
    rng = random.Random(1000 + t)
    lo = BASE + t * 10_000 + 1
    mine = saved[t]
    try:
        conn = psycopg.connect(PGB, user="collatz_app", autocommit=True, prepare_threshold=None)
    except psycopg.Error as e:
        errors.append((t, "connect", repr(e)))
        return
    start_gate.wait()
    for r in range(ROUNDS):
        op = rng.choice(["save", "get", "get", "batch", "analyze", "tx"])
        try:
            if op == "save":
                n = lo + rng.randrange(10_000)
                row = conn.execute(
                    "SELECT number, sequence_length, steps_to_one, max_value FROM collatz.save_sequence(%s)",
                    (n,)).fetchone()
                steps, top = walk(n)
                if row != (n, steps + 1, steps, top):
                    mismatches.append((t, op, n, row))
                mine.add(n)
            elif op == "get":
                # own numbers (stored or not), shared small ones, and one with a peak past 2^64
                n = rng.choice([lo + rng.randrange(10_000), rng.randrange(1, 10**7), 8528817511])
                row = conn.execute(
                    "SELECT number, sequence_length, steps_to_one, max_value, stored FROM collatz.get_sequence(%s)",
                    (n,)).fetchone()
                steps, top = walk(n)
                if row[:4] != (n, steps + 1, steps, top):
                    mismatches.append((t, op, n, row))
                if lo <= n < lo + 10_000 and row[4] != (n in mine):
                    mismatches.append((t, "get stored flag", n, row))
            elif op == "batch":
                numbers = [lo + rng.randrange(10_000) for _ in range(rng.randrange(1, 40))]
                written = conn.execute("SELECT collatz.batch_save_sequences(%s)", (numbers,)).fetchone()[0]
                new = set(numbers) - mine
                if written != len(new):
                    mismatches.append((t, op, len(numbers), written, len(new)))
                mine.update(numbers)
            elif op == "analyze":
                a = rng.randrange(1, 2_000_000)
                b = a + rng.randrange(0, 1500)
                row = conn.execute(
                    "SELECT id, longest_sequence, longest_sequence_length, highest_peak, highest_peak_value"
                    " FROM collatz.analyze_range(%s, %s)", (a, b)).fetchone()
                if row[1:] != reference_analysis(a, b):
                    mismatches.append((t, op, a, b, row))
                with lock:
                    analyses.append((a, b, row[0]))
            else:  # an explicit transaction with SET LOCAL: a save and a read, then COMMIT
                n = lo + rng.randrange(10_000)
                with conn.transaction():
                    conn.execute("SET LOCAL collatz.threads = 1")
                    conn.execute("SELECT collatz.save_sequence(%s)", (n,))
                    got = conn.execute("SELECT steps_to_one, stored FROM collatz.get_sequence(%s)", (n,)).fetchone()
                if got != (walk(n)[0], True):
                    mismatches.append((t, op, n, got))
                mine.add(n)
        except psycopg.Error as e:
            errors.append((t, op, f"{e.sqlstate} {e}"))
    conn.close()


# Watch the server side meanwhile: pgbouncer must never open more than POOL connections.
direct = psycopg.connect(DIRECT, autocommit=True)
stop = threading.Event()
most_servers = [0]


def watch():
    while not stop.is_set():
        n = direct.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = 'collatz_app'").fetchone()[0]
        most_servers[0] = max(most_servers[0], n)
        time.sleep(0.02)


watcher = threading.Thread(target=watch)
watcher.start()
started = time.monotonic()
threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
for th in threads:
    th.start()
for th in threads:
    th.join(timeout=300)
stop.set()
watcher.join()
elapsed = time.monotonic() - started
hung = [th for th in threads if th.is_alive()]
calls = THREADS * ROUNDS
print(f"   {calls} calls from {THREADS} threads in {elapsed:.1f} s; at most {most_servers[0]} server connections", flush=True)

if hung:
    fail(f"{len(hung)} threads did not finish within 300 s")
if errors:
    fail(f"{len(errors)} errors, first: {errors[:3]}")
else:
    ok(f"0 errors in {calls} repository calls from {THREADS} threads")
if mismatches:
    fail(f"{len(mismatches)} answers differ from the Python walk, first: {mismatches[:3]}")
else:
    ok("every answer equals the Python walk (lengths, steps, peaks incl. past 2^64, analyses)")
if 0 < most_servers[0] <= POOL:
    ok(f"pgbouncer used at most {most_servers[0]} server connections for {THREADS} clients (pool {POOL})")
else:
    fail(f"server connections seen: {most_servers[0]}, pool is {POOL}")

# Afterwards: exactly the saved numbers are stored, each row exact; every analysis stored.
want = set().union(*saved.values())
rows = direct.execute(
    "SELECT number, sequence_length, steps_to_one, max_value FROM collatz.collatz_sequences"
    " WHERE number BETWEEN %s AND %s", (BASE + 1, BASE + THREADS * 10_000)).fetchall()
bad = [r for r in rows if r[1:] != (walk(r[0])[0] + 1, walk(r[0])[0], walk(r[0])[1])]
if {r[0] for r in rows} == want and not bad:
    ok(f"the {len(rows)} stored rows are exactly the saved numbers, each exact")
else:
    fail(f"stored {len(rows)} rows, saved {len(want)}; {len(bad)} wrong")
ids = [i for _, _, i in analyses]
stored = direct.execute(
    "SELECT id, start_range, end_range FROM collatz.analysis_results WHERE id = ANY(%s)", (ids,)).fetchall()
if sorted(stored) == sorted((i, a, b) for a, b, i in analyses):
    ok(f"all {len(ids)} analyses are stored with their ranges")
else:
    fail(f"{len(ids)} analyses returned, {len(stored)} stored")
direct.close()
print("stress: done", flush=True)
sys.exit(1 if failures else 0)
