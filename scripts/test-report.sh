#!/usr/bin/env bash
# Summarises the surefire and failsafe reports under the modules' target directories: one line per suite, the
# captured output of every failing test class in full (containerd's log tail is in there), and a closing
# "tests: N passed, N failed" line. Exits 1 when a test failed or nothing ran.
#
#   scripts/test-report.sh [ROOT]
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
total_pass=0 total_fail=0 total_skip=0
failed_reports=()
shopt -s nullglob
for dir in "$root"/modules/*/target/surefire-reports "$root"/jlink/target/failsafe-reports*; do
  [ -d "$dir" ] || continue
  tests=0 failures=0 errors=0 skipped=0
  for xml in "$dir"/TEST-*.xml; do
    # the <testsuite …> element's attributes
    head=$(grep -m1 -o '<testsuite [^>]*>' "$xml") || continue
    t=$(sed -n 's/.* tests="\([0-9]*\)".*/\1/p' <<<"$head"); f=$(sed -n 's/.* failures="\([0-9]*\)".*/\1/p' <<<"$head")
    e=$(sed -n 's/.* errors="\([0-9]*\)".*/\1/p' <<<"$head"); s=$(sed -n 's/.* skipped="\([0-9]*\)".*/\1/p' <<<"$head")
    tests=$((tests + ${t:-0})); failures=$((failures + ${f:-0})); errors=$((errors + ${e:-0})); skipped=$((skipped + ${s:-0}))
    if [ "${f:-0}" != 0 ] || [ "${e:-0}" != 0 ]; then failed_reports+=("$xml"); fi
  done
  [ "$tests" -gt 0 ] || continue
  name=${dir#"$root"/}; name=${name%/target/*}/${dir##*/}
  printf '  %-48s %4d passed, %d failed%s\n' "$name" $((tests - failures - errors - skipped)) $((failures + errors)) \
    "$([ "$skipped" -gt 0 ] && echo ", $skipped skipped")"
  total_pass=$((total_pass + tests - failures - errors - skipped)); total_fail=$((total_fail + failures + errors))
  total_skip=$((total_skip + skipped))
done
for xml in "${failed_reports[@]}"; do
  class=$(basename "$xml" .xml); class=${class#TEST-}
  out="$(dirname "$xml")/$class-output.txt"
  echo
  echo "===== FAILED: $class ($(dirname "$xml"))"
  # each failure's message and stack trace, as the report holds them
  sed -n '/<failure\|<error/,/<\/failure>\|<\/error>/p' "$xml" | sed 's/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&amp;/\&/g'
  if [ -f "$out" ]; then echo "----- output of $class:"; cat "$out"; fi
done
echo "tests: $total_pass passed, $total_fail failed$([ "$total_skip" -gt 0 ] && echo ", $total_skip skipped")"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
