#!/bin/sh
# Resource check of the CUDA kernels, from ptxas's report that nvcc-lib.sh keeps at build time:
# prints every kernel's registers, stack and spills, and fails when a hot kernel spills registers
# to local memory (or is missing from the report, so a rename cannot hide it).
# usage: check-resources.sh REPORT HOT-KERNEL-PATTERN...
report=$1
shift
[ -s "$report" ] || { echo "no resource report at $report"; exit 1; }
table=$(awk '
  /Function properties for/ { name = $NF }
  /bytes stack frame/ { stack[name] = $1; st[name] = $5; ld[name] = $9 }
  /Used [0-9]+ registers/ && name != "" { for (i = 1; i <= NF; i++) if ($(i + 1) == "registers,") regs[name] = $i }
  END { for (n in stack) if (n !~ /^__internal/) printf "%s %s %s %s %s\n", n, (n in regs ? regs[n] : "-"), stack[n], st[n], ld[n] }
' "$report" | sort)
printf '%-60s %5s %6s %6s %6s\n' kernel regs stack spill_st spill_ld
echo "$table" | while read -r n r s st ld; do printf '%-60s %5s %6s %6s %6s\n' "$n" "$r" "$s" "$st" "$ld"; done
bad=0
for pat in "$@"; do
  line=$(echo "$table" | grep -E "$pat" || true)
  if [ -z "$line" ]; then
    echo "FAIL: no kernel matches $pat"
    bad=1
    continue
  fi
  echo "$line" | while read -r n r s st ld; do
    if [ "$st" != 0 ] || [ "$ld" != 0 ]; then echo "FAIL: hot kernel $n spills ($st bytes stored, $ld loaded)"; exit 1; fi
    echo "ok: $n does not spill"
  done || bad=1
done
[ $bad -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $bad
