#!/usr/bin/env bash
# The README's C example must be the code tests/readme_example.c runs: every line of the
# README's ```c block appears, in the same order, among the test's lines (the test may
# add lines, e.g. to print and check the cost). Lines are compared with their leading
# and trailing blanks removed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
readme=$root/README.md test=$root/tests/readme_example.c
trim() { sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//'; }
snippet=$(awk '/^```c$/ {inside = 1; next} /^```/ {inside = 0} inside' "$readme" | trim)
if [ -z "$snippet" ]; then
    echo "readme_sync: no \`\`\`c block in README.md" >&2
    exit 1
fi
mapfile -t want <<<"$snippet"
mapfile -t have < <(trim <"$test")
i=0
for line in "${have[@]}"; do
    if [ "$i" -lt "${#want[@]}" ] && [ "$line" = "${want[$i]}" ]; then
        i=$((i + 1))
    fi
done
if [ "$i" -lt "${#want[@]}" ]; then
    echo "readme_sync: README.md's C example differs from tests/readme_example.c:" >&2
    echo "  first README line not found in order: ${want[$i]}" >&2
    exit 1
fi
echo "readme_sync: the README's ${#want[@]} lines of C are in tests/readme_example.c"
