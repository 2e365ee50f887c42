#!/usr/bin/env pwsh
# build.ps1 — the same verbs as build.sh for PowerShell users (on Linux: the toolchain is nasm, ld.lld,
# grub-mkrescue and QEMU). No build logic lives here either: dotnet build/test and tools/KernelRunner.
#
#   ./build.ps1 run [--smp N] [--uefi] [--machine q35|pc] [--cpu qemu64|Haswell|EPYC] [--no-pit] [--no-serial] [--gdb] [--hotplug] [--cmdline "..."] [-- qemu args]
#   ./build.ps1 test [dotnet test options]
#   ./build.ps1 build
#   ./build.ps1 bench [--smp 1,2,4,8,noalt] [--uefi] [--timeout SECONDS] [--output DIR]
param(
    [Parameter(Position = 0)] [string] $Verb = "help",
    [Parameter(Position = 1, ValueFromRemainingArguments = $true)] [string[]] $Rest = @()
)
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = "1"
$env:DOTNET_NOLOGO = "1"

function Assert-HostPackages {
    $missing = @(& bash tools/host-packages.sh)
    if ($LASTEXITCODE -eq 0) { return }
    $isRoot = (& id -u) -eq "0"
    if ($isRoot -and (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Host "build.ps1: installing $($missing -join ' ')"
        & apt-get update -qq
        $env:DEBIAN_FRONTEND = "noninteractive"
        & apt-get install -y -qq --no-install-recommends @missing | Out-Null
        if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    } else {
        Write-Error "build.ps1: missing Debian packages. Install them with:`n  sudo apt-get install -y $($missing -join ' ')"
    }
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
