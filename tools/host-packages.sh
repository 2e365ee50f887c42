#!/usr/bin/env bash
# Prints the Debian packages from tools/debian-packages.txt that are not installed, one per line;
# exits 1 if there are any. Used by build.sh, build.ps1 and the MSBuild image targets alike.
set -euo pipefail
list="$(dirname "$0")/debian-packages.txt"
status=0
while read -r package probe; do
    [[ -z "$package" || "$package" == \#* ]] && continue
    if [[ "$probe" == /* ]]; then [[ -e "$probe" ]] && continue
    else command -v "$probe" >/dev/null 2>&1 && continue; fi
    echo "$package"
    status=1
done < "$list"
exit $status
