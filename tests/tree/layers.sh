#!/usr/bin/env bash
# The include rules of src/ (docs/DESIGN.md): each folder includes only the public
# headers (include/dnn*) and the folders below it, so the graph has no cycle and no
# upward include; include/ never reaches into src/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
declare -A allowed=(
    [kernels]="kernels"
    [core]="core kernels"
    [exact]="exact core"
    [train]="train exact core kernels"
    [comm]="comm"
    [io]="io"
    [programs]="programs train comm io exact core kernels"
)
bad=0
for dir in "${!allowed[@]}"; do
    while IFS=: read -r file inc; do
        folder=${inc%%/*}
        [[ $folder == dnn || $folder == dnn.h ]] && continue
        if [[ " ${allowed[$dir]} " != *" $folder "* ]]; then
            echo "FAILED: ${file#$root/} includes \"$inc\": $dir may include only ${allowed[$dir]}"
            bad=1
        fi
    done < <(grep -Ho '^#include "[^"]*"' "$root/src/$dir"/*.[ch] | sed 's/#include "//; s/"$//')
done
if grep -Hn '^#include "' "$root"/include/dnn.h "$root"/include/dnn/*.h | grep -v '"dnn/'; then
    echo "FAILED: a public header includes something outside include/"
    bad=1
fi
unknown=$(ls "$root/src" | grep -vxE 'kernels|core|exact|train|comm|io|programs' || true)
[ -z "$unknown" ] || { echo "FAILED: src/ has folders without a layer: $unknown"; bad=1; }
[ $bad -eq 0 ] && echo "ok: src/ includes follow the layers"
exit $bad
