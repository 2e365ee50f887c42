#!/usr/bin/env pwsh
# build.ps1 — the same verbs as build.sh for PowerShell users (on Linux: the toolchain is nasm, ld.lld,
# grub-mkrescue and QEMU). No build logic lives here either: dotnet build/test and tools/KernelRunner.
#
#   ./build.ps1 run [--smp N] [--uefi] [--machine q35|pc] [--cpu qemu64|Haswell|EPYC] [--no-pit] [--no-serial] [--gdb] [--hotplug] [--cmdline "..."] [-- qemu args]
#   ./build.ps1 test [dotnet test options]
#   ./build.ps1 build
#   ./build.ps1 bench [--smp 1,2,2-pvoff,4,4-pvoff,8,8-pvoff,noalt,maxcpus1] [--uefi] [--timeout SECONDS] [--output DIR]
param(
    [Parameter(Position = 0)] [string] $Verb = "help",
    [Parameter(Position = 1, ValueFromRemainingArguments = $true)] [string[]] $Rest = @()
)
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = "1"
$env:DOTNET_NOLOGO = "1"

function Assert-HostPackages {
    & bash tools/host-packages.sh --install
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) { Write-Error "build.ps1: the .NET 10 SDK (dotnet) is required" }

switch ($Verb) {
    "build" {
        Assert-HostPackages
        & dotnet build Kernel.sln -nologo -v minimal @Rest
        exit $LASTEXITCODE
    }
    "run" {
        Assert-HostPackages
        & dotnet build Kernel.sln -nologo -v quiet -clp:NoSummary
        if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
        & dotnet tools/KernelRunner/bin/Debug/net10.0/KernelRunner.dll run @Rest
        exit $LASTEXITCODE
    }
    "bench" {
        Assert-HostPackages
        & dotnet build Kernel.sln -nologo -v quiet -clp:NoSummary
        if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
        & dotnet tools/BenchReport/bin/Debug/net10.0/BenchReport.dll @Rest
        exit $LASTEXITCODE
    }
    "test" {
        Assert-HostPackages
        & dotnet test Kernel.sln -nologo @Rest
        exit $LASTEXITCODE
    }
    default {
        Get-Content $PSCommandPath | Select-Object -Skip 1 -First 8 | ForEach-Object { $_ -replace '^# ?', '' }
        if ($Verb -notin @("help", "-h", "--help")) { exit 2 }
    }
}
