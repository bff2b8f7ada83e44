#!/usr/bin/env bash
# hecaton_gradcheck_perturb.sh TENSOR -- COMMAND...
# Negative control of `hecaton gradcheck`: COMMAND runs it with
# --perturb TENSOR (0.01 added to one element of one shard of that gradient).
# Checks that the check fails (exit 1, "gradcheck FAILED" once, never
# "PASSED") and names the culprit: in the step-1 table (loss, logits,
# gradients) exactly one row fails and it is TENSOR's, while loss and logits
# pass (the forward pass is untouched). The parameters-after-steps table may
# fail more rows (the perturbed step feeds the next one) and is not checked.
set -u
tensor=$1
shift
[ "${1:-}" = "--" ] && shift
fail() { echo "FAIL: $*"; printf '%s\n' "$out"; exit 1; }
out=$(timeout 120 "$@" 2>&1)
rc=$?
[ $rc -ne 124 ] || fail "timed out (hang?): $*"
[ $rc -eq 1 ] || fail "exit $rc, expected 1 (gradcheck FAILED): $*"
n=$(printf '%s\n' "$out" | grep -c '^gradcheck FAILED')
[ "$n" -eq 1 ] || fail "'gradcheck FAILED' printed $n times, expected once"
! printf '%s\n' "$out" | grep -q 'gradcheck PASSED' || fail "'gradcheck PASSED' printed"
echo "ok: exit 1, 'gradcheck FAILED' once"
# Rows of the step-1 table: from "step 1:" to the ledger, minus the header.
rows=$(printf '%s\n' "$out" | sed -n '/^step 1: /,/^ledger of the checked step/p' |
       grep -E '^  [^ ]' | grep -vE '^  tensor ')
nrows=$(printf '%s\n' "$rows" | grep -c .)
[ "$nrows" -ge 4 ] || fail "step-1 table has $nrows rows"
failed=$(printf '%s\n' "$rows" | awk '$NF == "FAIL" { print $1 }')
[ "$failed" = "$tensor" ] ||
  fail "step-1 FAIL rows name '$(echo $failed)', expected exactly '$tensor'"
echo "ok: of $nrows step-1 rows only '$tensor' fails"
for r in loss logits; do
  printf '%s\n' "$rows" | grep -qE "^  $r +.* pass\$" || fail "row '$r' does not pass"
done
echo "ok: loss and logits pass (forward untouched)"
echo "3 passed, 0 failed"
