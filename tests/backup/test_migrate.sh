#!/usr/bin/env bash
# Data migration between databases (sandbox to qa) with src/tools/collatz-migrate.sh: the
# rows and steps arrive identical; a second run finds them all stored; a source holding a
# wrong row (its checks dropped by hand) gets that row refused with its reason, and under
# --on-error stop nothing at all is loaded. Then the progress lines of a large import.
# Needs the current release installed and the local cluster running (.ci/test.sh does both).
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/lib.sh"
cd "$REPO"
MIGRATE=$REPO/src/tools/collatz-migrate.sh
sandbox=collatz_sandbox; qa=collatz_qa
conn() { echo "host=$SOCKET_DIR port=$PORT user=$PG_OS_USER dbname=$1"; }
digest() {  # what must survive a migration: each row's values and its terms (stored or not), by number
    pql "$1" -Atq -c "SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', s.number, s.sequence_length,
        s.steps_to_one, s.max_value, (SELECT array_agg(st.value ORDER BY st.step_number)
                                      FROM collatz.sequence_steps_computed st WHERE st.sequence_id = s.id)), ',' ORDER BY s.number))
        FROM collatz.collatz_sequences s WHERE s.number BETWEEN $2 AND $3"
}
stored_steps() {  # the steps stored for [$2, $3], and whether each is its sequence's true term
    pql "$1" -Atq -c "SELECT count(*) || ' ' || bool_and(c.value IS NOT DISTINCT FROM st.value)
        FROM collatz.sequence_steps st JOIN collatz.collatz_sequences s ON s.id = st.sequence_id
        LEFT JOIN collatz.sequence_steps_computed c ON (c.sequence_id, c.step_number) = (st.sequence_id, st.step_number)
        WHERE s.number BETWEEN $2 AND $3"
}
status=0
check() { if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: got '$2', want '$3'"; status=1; fi; }

for db in $sandbox $qa; do
    pql postgres -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
    pql "$db" -q -c "CREATE EXTENSION collatz_ext"
done
pql "$sandbox" -q -c "SET client_min_messages = warning" \
    -c "CALL collatz.sp_batch_insert_sequences(1, 5000)" \
    -c "SELECT collatz_internal.store_steps(1, 200)" \
    -c "SELECT collatz.batch_save_sequences(ARRAY[8528817511, 12327829503], with_steps => true)" >/dev/null

"$MIGRATE" --from "$(conn $sandbox)" --to "$(conn $qa)" --range 1 3000 --with-steps
check "rows and steps of [1, 3000] arrive identical" "$(digest $qa 1 3000)" "$(digest $sandbox 1 3000)"
# --with-steps carries every term, computed where the sandbox never stored them (it stores
# those of 1..200), and qa stores what it is given: every term of [1, 3000].
check "qa stores every term of [1, 3000]" "$(stored_steps $qa 1 3000)" \
    "$(pql $sandbox -Atq -c "SELECT sum(sequence_length) FROM collatz.collatz_sequences WHERE number <= 3000") true"
check "nothing outside the range" "$(pql $qa -Atq -c "SELECT count(*) FROM collatz.collatz_sequences WHERE number > 3000")" 0
"$MIGRATE" --from "$(conn $sandbox)" --to "$(conn $qa)" --with-steps
check "the rest, with the big peaks" "$(digest $qa 1 20000000000)" "$(digest $sandbox 1 20000000000)"
second=$("$MIGRATE" --from "$(conn $sandbox)" --to "$(conn $qa)" | grep '|' | tail -1)
check "a second run finds every row stored" "$(echo "$second" | awk -F'|' '{gsub(/ /, ""); print $3 "/" $4}')" "0/5002"

# A damaged source: its exactness check dropped by hand, then a wrong row written.
pql "$sandbox" -q -c "ALTER TABLE collatz.collatz_sequences DROP CONSTRAINT collatz_sequences_values_are_exact" \
    -c "INSERT INTO collatz.collatz_sequences (number, sequence_length, steps_to_one, max_value) VALUES (7001, 999, 998, 7001)" \
    -c "SELECT collatz.batch_save_sequences(ARRAY[7002])" >/dev/null
# 7001 has 32 terms (checked by hand with a plain loop); the stream from the source holds
# 7001 and 7002, so 7001 is its line 1.
before=$(digest $qa 1 20000000000)
if out=$("$MIGRATE" --from "$(conn $sandbox)" --to "$(conn $qa)" --range 7001 7002 2>&1); then
    echo "FAIL: --on-error stop accepted a wrong row"; status=1
fi
echo "$out" | sed 's/^/   /'
echo "$out" | grep -q "line 1: sequence_length: 999 is wrong, the sequence of 7001 has 32 terms" \
    && echo "ok: the wrong row is named with its reason" || { echo "FAIL: no reason given"; status=1; }
check "--on-error stop loaded nothing" "$(digest $qa 1 20000000000)" "$before"
out=$("$MIGRATE" --from "$(conn $sandbox)" --to "$(conn $qa)" --range 7001 7002 --on-error ignore)
echo "$out" | sed 's/^/   /'
check "--on-error ignore loads the valid rows only" \
    "$(pql $qa -Atq -c "SELECT string_agg(number::text, ',' ORDER BY number) FROM collatz.collatz_sequences WHERE number BETWEEN 7000 AND 7002")" "7002"

# Progress of a large import, as psql shows it: with collatz.progress_interval = 0, a line
# after every batch of collatz.batch_size lines while checking, and of rows while loading.
pql "$qa" -q -c "TRUNCATE collatz.collatz_sequences CASCADE" 2>/dev/null
progress=$(pql "$qa" -q -c "SET collatz.batch_size = 50000" -c "SET collatz.progress_interval = 0" \
    -c "SELECT collatz.import_open()" -c "INSERT INTO collatz_import_lines (line)
        SELECT 'number' UNION ALL SELECT n::text FROM generate_series(1, 300000) n" \
    -c "SELECT loaded FROM collatz.import_sequences('csv')" 2>&1 >/dev/null)
echo "$progress" | sed 's/^/   /'
check "progress while checking" "$(echo "$progress" | grep -cE 'NOTICE:  import_sequences \(checking\): [0-9]+ of 300000 lines')" 5
check "progress while loading" "$(echo "$progress" | grep -cE 'NOTICE:  import_sequences \(loading\): [0-9]+ of 300000 rows')" 5
check "the last checking line" "$(echo "$progress" | grep -oE '250000 of 300000 lines \(83.3%\)' | head -1)" "250000 of 300000 lines (83.3%)"

pql postgres -q -c "DROP DATABASE $sandbox" -c "DROP DATABASE $qa"
exit $status
