#!/bin/sh
# Builds the CUDA static library with nvcc and keeps ptxas's resource usage of every kernel (its
# registers, stack and spills) for the resource check (check-resources.sh).
# usage: nvcc-lib.sh NVCC LIBRARY REPORT NVCC-ARGS... SOURCES...
nvcc=$1 lib=$2 report=$3
shift 3
if "$nvcc" --lib --resource-usage -o "$lib" "$@" >"$report" 2>&1; then
  grep -v "ptxas info\|bytes stack frame" "$report" >&2 # warnings, if any
  exit 0
fi
cat "$report" >&2
exit 1
