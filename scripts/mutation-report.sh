#!/usr/bin/env bash
# Prints the mutation score of each package pitest mutated in shim.core (from its mutations.xml), and exits 1 when
# the report is missing or a package below holds less than its required score.
#
#   scripts/mutation-report.sh [MUTATIONS_XML]
#
# A mutant counts as killed when a test failed (or timed out, or ran out of memory) with it in place; the score
# is killed / all mutants, as pitest reports it. NO_COVERAGE mutants count against the score.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
xml=${1:-$root/modules/shim.core/target/pit-reports/mutations.xml}
# package=minimum percent: the packages whose score CI holds
required="jrunc.core.ttrpc=80 jrunc.core.manager=80 jrunc.core.doctor=80"

if [ ! -s "$xml" ]; then
  echo "mutation: no report at $xml (pitest did not run)" >&2
  exit 1
fi
# one <mutation> element per line: its status and mutated class
grep -o "<mutation [^>]*status='[A-Z_]*'[^>]*>.*</mutatedClass>" "$xml" |
  sed "s/.*status='\([A-Z_]*\)'.*<mutatedClass>\(.*\)<\/mutatedClass>.*/\1 \2/" |
  awk -v required="$required" '
    {
      status = $1; class = $2; pkg = class; sub(/\.[^.]*$/, "", pkg); sub(/\$.*/, "", pkg)
      total[pkg]++
      if (status == "KILLED" || status == "TIMED_OUT" || status == "MEMORY_ERROR" || status == "RUN_ERROR") killed[pkg]++
      else if (status == "NO_COVERAGE") uncovered[pkg]++
      else survived[pkg]++
    }
    END {
      n = split(required, r, " ")
      for (i = 1; i <= n; i++) { split(r[i], kv, "="); need[kv[1]] = kv[2] }
      printf "mutation: shim.core, score per package (pitest; killed / all mutants)\n"
      printf "  %-24s %8s %8s %9s %9s %7s %9s\n", "package", "mutants", "killed", "survived", "no cover", "score", "required"
      fail = 0
      cmd = "sort"
      for (p in total) {
        score = 100.0 * killed[p] / total[p]
        req = (p in need) ? need[p] "%" : "-"
        flag = ((p in need) && score < need[p]) ? "  BELOW" : ""
        if (flag != "") fail = 1
        line = sprintf("  %-24s %8d %8d %9d %9d %6.1f%% %9s%s", p, total[p], killed[p], survived[p], uncovered[p], score, req, flag)
        print line | cmd
        all += total[p]; allk += killed[p]
      }
      close(cmd)
      for (p in need) if (!(p in total)) { printf "  %-24s not mutated  BELOW\n", p; fail = 1 }
      if (all > 0) printf "  %-24s %8d %8d %28.1f%%\n", "all", all, allk, 100.0 * allk / all
      exit fail
    }'
