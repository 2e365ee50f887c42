#!/usr/bin/env bash
# The Debian packages of tools/debian-packages.txt that are missing or too old.
#   tools/host-packages.sh            prints them, one per line; exits 1 if there are any
#   tools/host-packages.sh --install  installs them with apt-get when run as root (adding a Debian suite such
#                                     as bookworm-backports to apt's sources when a package comes from one);
#                                     otherwise prints the exact commands to run and exits 1
# Used by build.sh, build.ps1 and the MSBuild image targets alike.
set -euo pipefail
list="$(dirname "$0")/debian-packages.txt"

# "1.2.3" >= "1.2"? (sort -V orders version strings)
version_at_least() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" == "$2" ]]; }

# The first x.y[.z] number in a command's --version output.
command_version() { "$1" --version 2>/dev/null | grep -Eo '[0-9]+\.[0-9]+(\.[0-9]+)?' | head -1; }

declare -A suite_of=()
missing=()
too_old=()
while read -r package probe options; do
    [[ -z "$package" || "$package" == \#* ]] && continue
    suite="" min=""
    for option in $options; do
        case "$option" in
            suite=*) suite="${option#suite=}" ;;
            min=*) min="${option#min=}" ;;
        esac
    done
    suite_of[$package]="$suite"
    if [[ "$probe" == /* ]]; then
        [[ -e "$probe" ]] && continue
    elif command -v "$probe" >/dev/null 2>&1; then
        [[ -z "$min" ]] && continue
        found=$(command_version "$probe")
        if [[ -n "$found" ]] && version_at_least "$found" "$min"; then continue; fi
        too_old+=("$(command -v "$probe") is version ${found:-unknown}; this project needs $package >= $min")
    fi
    missing+=("$package")
done < "$list"

[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ "${1:-}" != "--install" ]]; then
    printf '%s\n' "${missing[@]}"
    exit 1
fi

for line in "${too_old[@]}"; do echo "host-packages: $line" >&2; done

# The mirror apt already uses for Debian 12 (a deb822 .sources file or a one-line sources.list).
debian_mirror() {
    local uri
    uri=$(grep -hs -E '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
              /etc/apt/sources.list | grep -Eo 'https?://[^ ]+/debian/?' | grep -v security | head -1)
    echo "${uri:-http://deb.debian.org/debian}"
}

suite_listed() { grep -qsE "(Suites:|deb ).*[[:space:]]$1([[:space:]]|\$)" /etc/apt/sources.list /etc/apt/sources.list.d/*; }

plain=() suites=()
for package in "${missing[@]}"; do
    suite="${suite_of[$package]}"
    if [[ -z "$suite" ]]; then plain+=("$package")
    else suites+=("$suite:$package"); fi
done

commands=()
for entry in "${suites[@]}"; do
    suite="${entry%%:*}"
    if ! suite_listed "$suite"; then
        commands+=("echo 'deb $(debian_mirror) $suite main' > /etc/apt/sources.list.d/$suite.list")
    fi
done
commands+=("apt-get update")
for entry in "${suites[@]}"; do
    commands+=("apt-get install -y --no-install-recommends -t ${entry%%:*} ${entry#*:}")
done
[[ ${#plain[@]} -gt 0 ]] && commands+=("apt-get install -y --no-install-recommends ${plain[*]}")

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing Debian packages: ${missing[*]}. Install them with:" >&2
    for command in "${commands[@]}"; do echo "  sudo sh -c \"$command\"" >&2; done
    exit 1
fi
echo "host-packages: installing ${missing[*]}"
for command in "${commands[@]}"; do
    DEBIAN_FRONTEND=noninteractive sh -c "$command" >/dev/null || { echo "host-packages: failed: $command" >&2; exit 1; }
done
