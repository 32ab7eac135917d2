#!/usr/bin/env bash
# pg_cron recipes, for real, on a cluster of its own (pg_cron must be preloaded, which needs
# a restart the shared cluster must not get):
#   - a long sp_analyze_range resumed in windows: a job whose role has a statement_timeout
#     (the window), cancelled each time, the next run continuing the same pipeline run, and
#     the last one completing it and unscheduling itself;
#   - the nightly retention job as an admin-level role, deleting exactly what a dry run said.
# Debian's pg_cron is 1.4 (no '5 seconds' schedules), so the "nights" are minutes: the job
# runs every minute with a 1 s window. About 3-4 minutes. Needs the current release installed.
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"
cd "$REPO"
APT_PACKAGES=(postgresql-$PG_MAJOR-cron)
ensure_apt_packages

PORT_CRON=${COLLATZ_CRON_PORT:-28830}
base=${TMPDIR:-/tmp}/collatz_ext-cron
DB=collatz_cron
END=4000000000                # [1, 4*10^9]: 6-15 s of work on 2 threads (the sieve engine): several 1 s windows
SEGMENT=4194304               # 2^22 numbers: a checkpoint every ~50-250 ms on one thread
WINDOW=1s                     # the "night": a 3h window at 02:00 in production
WINDOWS_WANTED=3
JOB_WINDOW=collatz-analyze-window
JOB_RETENTION=collatz-retention

cleanup() {
    as_pg "$PG_BIN/pg_ctl" -D "$base/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$base"
}
trap cleanup EXIT
cleanup   # a cluster left by an interrupted earlier run
if [ "$(id -u)" -eq 0 ]; then install -d -o "$PG_OS_USER" -g "$PG_OS_USER" "$base"; else mkdir -p "$base"; fi

on() {  # on [psql args...]: psql against this test's cluster (as the cluster owner unless -U)
    as_pg env PGHOST="$base" PGPORT="$PORT_CRON" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"
}
passed=0; failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() {  # check DESCRIPTION ACTUAL EXPECTED
    if [ "$2" = "$3" ]; then ok "$1 ($2)"; else fail "$1: got '$2', expected '$3'"; fi
}
finish() { echo; echo "cron: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

say "a cluster of its own with pg_cron preloaded, port $PORT_CRON"
as_pg "$PG_BIN/initdb" -D "$base/data" -U "$PG_OS_USER" --auth-local=trust --auth-host=reject >/dev/null
# pg_cron's launcher connects through libpq as each job's role: here over the socket
# (trust); in production a pg_hba line or a .pgpass of the postgres OS user for those roles.
cat >> "$base/data/postgresql.conf" <<EOF
shared_preload_libraries = 'pg_cron'
cron.database_name = '$DB'
cron.host = '$base'
listen_addresses = ''
EOF
# RUST_BACKTRACE would make every ERROR raised through Rust carry a backtrace in DETAIL.
as_pg env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE "$PG_BIN/pg_ctl" -D "$base/data" -l "$base/postgresql.log" -w -t 120 \
    -o "-p $PORT_CRON -k $base" start >/dev/null
as_pg env PGHOST="$base" PGPORT="$PORT_CRON" "$PG_BIN/psql" -X -q -d postgres -c "CREATE DATABASE $DB"
on -c "CREATE EXTENSION collatz_ext" -c "CREATE EXTENSION pg_cron"
echo "pg_cron $(on -Atc "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'"), collatz_ext $(on -Atc "SELECT extversion FROM pg_extension WHERE extname = 'collatz_ext'")"

# The roles of the recipe. The window's length is the role's statement_timeout: a job's
# command must be ONE statement (see README-section.md), so it cannot SET it itself.
on >/dev/null <<SQL
CREATE ROLE collatz_night LOGIN;
SELECT collatz.collatz_grant('collatz_night', 'write');
ALTER ROLE collatz_night IN DATABASE $DB SET statement_timeout = '$WINDOW';
ALTER ROLE collatz_night IN DATABASE $DB SET collatz.threads = 1;
CREATE ROLE collatz_retention LOGIN;
SELECT collatz.collatz_grant('collatz_retention', 'admin');
CREATE ROLE collatz_watch LOGIN;
SELECT collatz.collatz_grant('collatz_watch', 'read');
GRANT USAGE ON SCHEMA cron TO collatz_night, collatz_retention;
SQL

say "retention fixture: analyses, a finished run and their metrics, part of them 120 days old"
on <<'SQL' >/dev/null
SET client_min_messages = warning;
SELECT count(*) FROM collatz.analyze_range(1, 1000);
SELECT count(*) FROM collatz.analyze_range(1, 2000);
SELECT count(*) FROM collatz.analyze_range(1, 3000);
CALL collatz.sp_analyze_range(1, 5000, segment_size => 1000);
CALL collatz.sp_analyze_range(1, 6000, segment_size => 1000);
-- Only a superuser can age rows: no level may UPDATE the tables of computed results.
UPDATE collatz.analysis_results SET analysis_date = now() - interval '120 days' WHERE end_range IN (1000, 2000, 5000);
UPDATE collatz.performance_metrics SET recorded_at = now() - interval '120 days'
 WHERE context ->> 'end_range' IN ('1000', '5000');
UPDATE collatz.pipeline_runs SET updated_at = now() - interval '120 days' WHERE end_range = 5000;
CREATE TABLE public.retention_before AS
SELECT 'analysis_results' AS tbl, id, analysis_date < now() - interval '90 days' AS old FROM collatz.analysis_results
UNION ALL SELECT 'performance_metrics', id, recorded_at < now() - interval '90 days' FROM collatz.performance_metrics
UNION ALL SELECT 'pipeline_runs', id, updated_at < now() - interval '90 days' AND status = 'done' FROM collatz.pipeline_runs;
SQL
dry=$(on -U collatz_retention -Atc "SELECT string_agg(table_name || '=' || rows_matched, ' ' ORDER BY table_name)
                                     FROM collatz.cleanup_old_data(older_than => '90 days')")
expected=$(on -Atc "SELECT string_agg(tbl || '=' || n, ' ' ORDER BY tbl) FROM (SELECT tbl, count(*) FILTER (WHERE old) AS n FROM retention_before GROUP BY tbl) s")
check "the dry run as collatz_retention counts the aged rows" "$dry" "$expected"

say "schedule both jobs, each as its own role (pg_cron runs a job as cron.job.username)"
# The window job: one statement (a DO block is one, and not inside a transaction block, so
# the CALL may COMMIT). Cancelled by the role's statement_timeout, it fails; the line after
# the CALL runs only on the night the run completes, and removes the job.
on -U collatz_night -At -v job="$JOB_WINDOW" -v cmd="DO \$job\$ BEGIN
    CALL collatz.sp_analyze_range(1, $END, segment_size => $SEGMENT);
    PERFORM cron.unschedule('$JOB_WINDOW');
END \$job\$" <<< "SELECT cron.schedule(:'job', '* * * * *', :'cmd')" >/dev/null
# The retention job: the production command, every minute here instead of '30 3 * * *'.
on -U collatz_retention -At -v job="$JOB_RETENTION" \
    -v cmd="CALL collatz.sp_cleanup_old_data(older_than => '90 days', dry_run => false)" \
    <<< "SELECT cron.schedule(:'job', '* * * * *', :'cmd')" >/dev/null
# What does not work: the timeout SET in the command itself. pg_cron sends the command as one
# query string; its statements run in one implicit transaction, where a CALL may not COMMIT.
on -U collatz_night -At -v cmd="SET statement_timeout = '3h'; CALL collatz.sp_analyze_range(1, 1000)" \
    <<< "SELECT cron.schedule('collatz-multi-statement', '* * * * *', :'cmd')" >/dev/null
on -c "SELECT jobid, jobname, schedule, username FROM cron.job ORDER BY jobid"
WJOB=$(on -Atc "SELECT jobid FROM cron.job WHERE jobname = '$JOB_WINDOW'")
RJOB=$(on -Atc "SELECT jobid FROM cron.job WHERE jobname = '$JOB_RETENTION'")
MJOB=$(on -Atc "SELECT jobid FROM cron.job WHERE jobname = 'collatz-multi-statement'")

say "watching: $WINDOWS_WANTED windows cancelled by the timeout, then a long enough one (minute boundaries)"
deadline=$((SECONDS + 480))
windows=0; seen=0; midwindow_seen=0; diagnosis=""; last_done=0; run_ids=""; dones=""; pids=""; running_seen=0; retention_status=""; final_status=""; multi_status=""
phase=windows
while :; do
    if [ $SECONDS -ge $deadline ]; then fail "deadline passed in phase '$phase' after $windows windows"; break; fi
    # Another session, a read-level role: the run as it stands.
    read -r v_run v_state v_done v_pid <<< "$(on -U collatz_watch -AtF ' ' -c "SELECT run_id, state, numbers_done, backend_pid
        FROM collatz.v_pipeline_progress WHERE operation_type = 'analyze_range' AND start_range = 1 AND end_range = $END")"
    job_pid=$(on -Atc "SELECT job_pid FROM cron.job_run_details WHERE jobid = $WJOB AND status = 'running'")
    if [ "${v_state:-}" = running ]; then
        if [ $running_seen -eq 0 ]; then
            echo "   seen while it runs, from collatz_watch: run $v_run running, $v_done numbers done, backend $v_pid (the job's pid: ${job_pid:-?})"
            if [ "$v_pid" = "$job_pid" ]; then ok "v_pipeline_progress shows the run as running in the job's backend ($job_pid)"
            else fail "the running run's backend $v_pid is not the job's (${job_pid:-none})"; fi
        fi
        running_seen=$((running_seen + 1))
    elif [ -n "$job_pid" ] && [ -n "${v_state:-}" ] && [ "$v_state" != done ] && [ -z "$diagnosis" ]; then
        # The job is at work and the view says otherwise: which lock does the row carry?
        diagnosis=$(on -AtF ' ' -c "SELECT r.xmax, state, (SELECT string_agg(l.transactionid::text, ',') FROM pg_locks l
                                     WHERE l.locktype = 'transactionid' AND l.pid = $job_pid)
                                     FROM collatz.pipeline_runs r JOIN collatz.v_pipeline_progress p ON p.run_id = r.id WHERE r.id = $v_run")
        [ -n "$diagnosis" ] && echo "   while the job (backend $job_pid) works, the view says '$(echo "$diagnosis" | awk '{print $2}')':" \
            "the run's row has xmax $(echo "$diagnosis" | awk '{print $1}'), which is not among the transaction ids the backend holds in pg_locks ($(echo "$diagnosis" | awk '{print $3}'))"
    fi
    # Progress committed by the running window, seen from another session before it ends.
    if [ -n "$job_pid" ] && [ -n "${v_done:-}" ] && [ "$v_done" -gt "${last_done:-0}" ] && [ "$phase" = windows ] && [ "$windows" -gt 0 ]; then
        if [ $midwindow_seen -eq 0 ]; then
            echo "   mid-window, from collatz_watch: $v_done numbers done (the last window ended at $last_done); the views meanwhile:"
            on -U collatz_watch -c "SELECT run_id, state, percent_done, numbers_per_second, seconds_left, started_by, updated_at FROM collatz.v_pipeline_progress WHERE run_id = $v_run" \
                -c "SELECT operation_type, runs, total_rows FROM collatz.v_performance_dashboard ORDER BY 1" | sed 's/^/   /'
        fi
        midwindow_seen=$((midwindow_seen + 1))
    fi
    # Finished runs of the window job, oldest first.
    mapfile -t finished < <(on -AtF '|' -c "SELECT status, job_pid, replace(split_part(return_message, E'\n', 1), '|', '/')
                                            FROM cron.job_run_details WHERE jobid = $WJOB AND status IN ('failed', 'succeeded')
                                            ORDER BY runid")
    while [ ${#finished[@]} -gt $seen ]; do
        IFS='|' read -r status jpid message <<< "${finished[$seen]}"
        seen=$((seen + 1))
        read -r rid next_done <<< "$(on -AtF ' ' -c "SELECT id, coalesce(next_number - start_range, end_range - start_range + 1)
                                                     FROM collatz.pipeline_runs WHERE operation_type = 'analyze_range' AND end_range = $END ORDER BY id DESC LIMIT 1")"
        if [ "$phase" = windows ]; then
            windows=$((windows + 1))
            echo "   window $windows: job backend $jpid, $status: $message; run $rid at $next_done of $END numbers"
            if [ "$status" = failed ] && [[ "$message" == *"canceling statement due to statement timeout"* ]]; then
                ok "window $windows ended by the statement timeout"
            else
                fail "window $windows ended with $status: $message (the range is too short for this machine, or the job broke)"
            fi
            run_ids="$run_ids $rid"; dones="$dones $next_done"; pids="$pids $jpid"; last_done=$next_done
            if [ $windows -ge $WINDOWS_WANTED ]; then
                # The night that is long enough: no timeout for the job's role from now on.
                on -c "ALTER ROLE collatz_night IN DATABASE $DB SET statement_timeout = 0"
                phase=final
                echo "   (statement_timeout of collatz_night set to 0: the next window runs to the end)"
            fi
        else
            final_status=$status
            echo "   final window: job backend $jpid, $status: $message; run $rid at $next_done of $END numbers"
            run_ids="$run_ids $rid"; dones="$dones $next_done"; pids="$pids $jpid"
        fi
    done
    # The retention job: its first finished run, then it is unscheduled (by its own role).
    if [ -z "$retention_status" ]; then
        retention_status=$(on -Atc "SELECT status || ': ' || return_message FROM cron.job_run_details
                                    WHERE jobid = $RJOB AND status IN ('failed', 'succeeded') ORDER BY runid LIMIT 1")
        if [ -n "$retention_status" ]; then
            on -U collatz_retention -Atc "SELECT cron.unschedule('$JOB_RETENTION')" >/dev/null
            echo "   retention job: $retention_status (unscheduled)"
        fi
    fi
    if [ -z "$multi_status" ]; then
        multi_status=$(on -Atc "SELECT status || ': ' || replace(split_part(return_message, E'\n', 1), '  ', ' ') FROM cron.job_run_details
                                WHERE jobid = $MJOB AND status IN ('failed', 'succeeded') ORDER BY runid LIMIT 1")
        if [ -n "$multi_status" ]; then
            on -U collatz_night -Atc "SELECT cron.unschedule('collatz-multi-statement')" >/dev/null
            echo "   multi-statement job: $multi_status (unscheduled)"
        fi
    fi
    if [ -n "$final_status" ] && [ -n "$retention_status" ] && [ -n "$multi_status" ]; then break; fi
    sleep 0.2
done

say "what the windows did"
check "the job 'SET statement_timeout = ...; CALL sp_analyze_range(...)' fails" "$multi_status" \
    "failed: ERROR: invalid transaction termination"
check "  and left no run behind" "$(on -Atc "SELECT count(*) FROM collatz.pipeline_runs WHERE end_range = 1000 AND started_by = 'collatz_night'")" 0
distinct_runs=$(echo $run_ids | tr ' ' '\n' | sort -u | wc -l)
check "one pipeline run across every window (run ids:$run_ids)" "$distinct_runs" 1
check "analysis runs of [1, $END] in pipeline_runs" \
    "$(on -Atc "SELECT count(*) FROM collatz.pipeline_runs WHERE operation_type = 'analyze_range' AND end_range = $END")" 1
increasing=yes; prev=0
for d in $dones; do [ "$d" -gt "$prev" ] || increasing=no; prev=$d; done
check "numbers done grew with every window (${dones# })" "$increasing" yes
check "every window ran in a new backend (${pids# })" "$(echo $pids | tr ' ' '\n' | sort -u | wc -l)" "$(echo $pids | wc -w)"
if [ $windows -ge $WINDOWS_WANTED ]; then ok "$windows windows cancelled by the timeout before the last one"; else fail "only $windows windows"; fi
if [ $midwindow_seen -gt 0 ]; then ok "progress committed inside a window seen from another session ($midwindow_seen polls)"
else fail "never saw a window's progress before it ended"; fi
if [ $running_seen -gt 0 ]; then ok "v_pipeline_progress state 'running' seen $running_seen times from another session"
else fail "v_pipeline_progress never said 'running' while a job worked on the run${diagnosis:+ (row xmax, view state, transaction ids of the job backend: $diagnosis)}"; fi
check "the last window succeeded" "$final_status" succeeded
check "the last window unscheduled its job" "$(on -Atc "SELECT count(*) FROM cron.job WHERE jobname = '$JOB_WINDOW'")" 0
check "the run is done" "$(on -Atc "SELECT state FROM collatz.v_pipeline_progress WHERE operation_type = 'analyze_range' AND end_range = $END")" done
check "one analysis metric, written at completion, marked resumed, for that run" \
    "$(on -Atc "SELECT count(*) || ' ' || bool_and((context ->> 'resumed')::boolean) || ' ' || min(context ->> 'run_id') || ' ' || min(context ->> 'role')
                FROM collatz.performance_metrics WHERE operation_type = 'analyze_range' AND context ->> 'end_range' = '$END'")" \
    "1 true $(echo $run_ids | awk '{print $1}') collatz_night"

say "the stored analysis against collatz_analyze and the record tables (about a minute)"
stored=$(on -AtF ' ' -c "SELECT longest_sequence, longest_sequence_length, highest_peak, highest_peak_value, numbers_analyzed
                         FROM collatz.analysis_results WHERE start_range = 1 AND end_range = $END")
direct=$(on -AtF ' ' -c "SELECT longest_sequence, longest_sequence_length, highest_peak, highest_peak_value, numbers_analyzed
                         FROM collatz.collatz_analyze(1, $END)")
check "analysis_results row = collatz_analyze(1, $END)" "$stored" "$direct"
records=$(on -AtF ' ' -c "WITH r AS MATERIALIZED (SELECT * FROM collatz.collatz_records(1, $END))
                          SELECT (SELECT number || ' ' || sequence_length FROM r WHERE delay_record ORDER BY number DESC LIMIT 1),
                                 (SELECT number || ' ' || max_value FROM r WHERE path_record ORDER BY number DESC LIMIT 1)")
read -r l_n l_len p_n p_val _ <<< "$stored"
check "the longest and the highest peak are the last delay and path records below $END" "$records" "$l_n $l_len $p_n $p_val"
# A plain Python walk of the two holders, and OEIS A006877 / A006884 (A006885 for the peak).
walk=$(python3 -c "
import sys
def walk(n):
    top, steps = n, 0
    while n != 1:
        n = 3 * n + 1 if n % 2 else n // 2
        steps += 1; top = max(top, n)
    return steps, top
print(walk($l_n)[0] + 1, walk($p_n)[1])")
check "a Python walk gives the same length and peak" "$walk" "$l_len $p_val"
check "published: A006877 (longest below 4*10^9) and A006884 / A006885 (highest peak below 4*10^9)" \
    "$l_n $l_len $p_n $p_val" "2610744987 1051 1410123943 7125885122794452160"

say "what the retention job deleted"
case "$retention_status" in succeeded*) ok "the retention job succeeded ($retention_status)" ;; *) fail "retention job: $retention_status" ;; esac
check "the retention job ran as" "$(on -Atc "SELECT DISTINCT username FROM cron.job_run_details WHERE jobid = $RJOB")" collatz_retention
after=$(on -Atc "SELECT string_agg(tbl || '=' || gone_old || '/' || old || ',' || gone_new, ' ' ORDER BY tbl) FROM (
                   SELECT b.tbl, count(*) FILTER (WHERE b.old) AS old,
                          count(*) FILTER (WHERE b.old AND NOT present) AS gone_old,
                          count(*) FILTER (WHERE NOT b.old AND NOT present) AS gone_new
                   FROM (SELECT b.*, CASE b.tbl
                             WHEN 'analysis_results' THEN EXISTS (SELECT 1 FROM collatz.analysis_results t WHERE t.id = b.id)
                             WHEN 'performance_metrics' THEN EXISTS (SELECT 1 FROM collatz.performance_metrics t WHERE t.id = b.id)
                             ELSE EXISTS (SELECT 1 FROM collatz.pipeline_runs t WHERE t.id = b.id) END AS present
                         FROM retention_before b) b GROUP BY b.tbl) s")
check "deleted every aged row and no other (deleted/aged,other deleted per table)" "$after" \
    "$(echo "$dry" | sed -E 's/=([0-9]+)/=\1\/\1,0/g')"
check "its cleanup metric: rows, role" \
    "$(on -Atc "SELECT rows_processed || ' ' || (context ->> 'role') FROM collatz.performance_metrics WHERE operation_type = 'cleanup'")" \
    "$(echo "$dry" | tr ' ' '\n' | awk -F= '{s += $2} END {print s}') collatz_retention"
finish
