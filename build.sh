#!/usr/bin/env bash
# build.sh — the two commands of the README, plus a plain build. No build logic lives here: the build
# is `dotnet build Kernel.sln` (MSBuild produces the ISO), the tests are `dotnet test Kernel.sln`, and
# QEMU is launched by tools/KernelRunner, the same code the boot tests use.
#
#   ./build.sh run [--smp N] [--uefi] [--machine q35|pc] [--cpu qemu64|Haswell|EPYC] [--no-pit] [--no-serial] [--gdb] [--hotplug] [--cmdline "..."] [-- qemu args]
#   ./build.sh test [dotnet test options]
#   ./build.sh build
#   ./build.sh bench [--smp 1,2,2-pvoff,4,4-pvoff,8,8-pvoff,noalt,maxcpus1] [--uefi] [--timeout SECONDS] [--output DIR]   (report and plots in artifacts/bench)
#   ./build.sh acpi madt|fadt FILE [--json] [--max-cpus N] [--boot-apic-id N]   (a binary table or an acpidump text)
set -euo pipefail
cd "$(dirname "$0")"

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}

# Installs (as root) or names (otherwise) the Debian packages the build and tests need.
ensure_host_packages() {
    tools/host-packages.sh --install
}

command -v dotnet >/dev/null 2>&1 || { echo "build.sh: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

verb="${1:-help}"
[[ $# -gt 0 ]] && shift
case "$verb" in
    build)
        ensure_host_packages
        dotnet build Kernel.sln -nologo -v minimal "$@"
        ;;
    run)
        ensure_host_packages
        dotnet build Kernel.sln -nologo -v quiet -clp:NoSummary
        exec dotnet tools/KernelRunner/bin/Debug/net10.0/KernelRunner.dll run "$@"
        ;;
    bench)
        ensure_host_packages
        dotnet build Kernel.sln -nologo -v quiet -clp:NoSummary
        exec dotnet tools/BenchReport/bin/Debug/net10.0/BenchReport.dll "$@"
        ;;
    test)
        ensure_host_packages
        exec dotnet test Kernel.sln -nologo "$@"
        ;;
    acpi)
        exec dotnet run --project tools/AcpiTool -v quiet -- "$@"
        ;;
    help|-h|--help)
        usage
        ;;
    *)
        echo "build.sh: unknown command '$verb'" >&2
        usage >&2
        exit 2
        ;;
esac
