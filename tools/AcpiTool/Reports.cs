#nullable enable
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kernel.Arch.Acpi;

namespace AcpiTool;

/// <summary>The decoded tables as text for people and as one JSON object for scripts; both say the same things.</summary>
public static class Reports
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string MadtText(MadtInfo madt)
    {
        var s = new StringBuilder();
        s.AppendLine($"MADT: {madt.Header.Length} bytes, revision {madt.Header.Revision}, OEM \"{madt.Header.OemId}\" \"{madt.Header.OemTableId}\"");
        s.AppendLine($"checksum: {Verdict(madt.Status, madt.Error)}");
        s.AppendLine($"local APIC address: 0x{madt.LocalApicAddress:x}{(madt.LocalApicAddressOverridden ? $" (type-5 override; the header field says 0x{madt.LocalApicAddressField:x})" : "")}");
        s.AppendLine($"flags: 0x{madt.Flags:x}{(madt.PcAtCompat ? " (PCAT_COMPAT: dual 8259s present)" : "")}");

        s.AppendLine($"CPUs: {madt.BootCpuCount} enabled (started at boot), {madt.HotplugSlotCount} online-capable (hot-plug slots), " +
                     $"{madt.DisabledCount} disabled; ignored {madt.IgnoredDisabledCount} disabled duplicates or placeholders, " +
                     $"{madt.IgnoredX2ApicCount} x2APIC entries below ID 255, dropped {madt.DroppedOverLimitCount} over the limit");
        var highest = ApicMode.HighestUsableApicId(madt.Cpus, Madt.UnknownApicId);
        s.AppendLine($"APIC mode: {(highest > ApicMode.MaxXApicId ? "x2APIC needed" : "xAPIC suffices")} (highest usable APIC ID {highest}; the kernel uses x2APIC wherever the CPU offers it)");
        if (madt.UseBootCpuOnly) s.AppendLine("  no enabled CPU: the kernel runs on the boot CPU alone");
        if (madt.Cpus.Length > 0) s.AppendLine("  APIC ID       UID  entry   state");
        foreach (var cpu in madt.Cpus)
            s.AppendLine($"  {cpu.ApicId,7} {cpu.Uid,9}  {(cpu.IsX2Apic ? "x2APIC" : "xAPIC "),-6}  {CpuState(cpu)}{(cpu.IsBootCpu ? ", boot CPU" : "")}");

        s.AppendLine(madt.IoApics.Length == 0 ? "I/O APICs: none" : "I/O APICs:");
        foreach (var io in madt.IoApics)
            s.AppendLine($"  ID {io.Id} at 0x{io.Address:x}, GSI base {io.GsiBase}");

        s.AppendLine(madt.Overrides.Length == 0 ? "interrupt source overrides: none" : "interrupt source overrides:");
        foreach (var o in madt.Overrides)
            s.AppendLine($"  bus {o.Bus} IRQ {o.SourceIrq} -> GSI {o.Gsi}, flags 0x{o.Flags:x} ({Name(o.Polarity)}, {Name(o.Trigger)})");

        s.AppendLine(madt.NmiSources.Length == 0 ? "NMI sources: none" : "NMI sources:");
        foreach (var n in madt.NmiSources)
            s.AppendLine($"  GSI {n.Gsi}, flags 0x{n.Flags:x} ({Name(n.Polarity)}, {Name(n.Trigger)})");

        s.AppendLine(madt.LocalNmis.Length == 0 ? "local APIC NMIs: none" : "local APIC NMIs:");
        foreach (var n in madt.LocalNmis)
            s.AppendLine($"  {(n.AllProcessors ? "all processors" : $"processor UID {n.Uid}")}: LINT{n.Lint}, flags 0x{n.Flags:x} " +
                         $"({Name(n.Polarity)}, {Name(n.Trigger)}){(n.IsX2Apic ? ", x2APIC entry" : "")}");

        if (madt.SkippedEntryCount > 0) s.AppendLine($"skipped {madt.SkippedEntryCount} entries of types not used here");
        foreach (var n in madt.Notes) s.AppendLine($"note: {n}");
        AppendWarnings(s, madt.Warnings);
        return s.ToString();
    }

    public static string MadtJson(MadtInfo madt, string file, string format)
    {
        var cpus = new JsonArray();
        foreach (var cpu in madt.Cpus)
            cpus.Add(new JsonObject
            {
                ["apicId"] = cpu.ApicId, ["uid"] = cpu.Uid, ["flags"] = cpu.Flags, ["enabled"] = cpu.Enabled,
                ["onlineCapable"] = cpu.OnlineCapable, ["x2apic"] = cpu.IsX2Apic, ["bootCpu"] = cpu.IsBootCpu,
            });
        var ioApics = new JsonArray();
        foreach (var io in madt.IoApics)
            ioApics.Add(new JsonObject { ["id"] = io.Id, ["address"] = io.Address, ["gsiBase"] = io.GsiBase });
        var overrides = new JsonArray();
        foreach (var o in madt.Overrides)
            overrides.Add(new JsonObject
            {
                ["bus"] = o.Bus, ["sourceIrq"] = o.SourceIrq, ["gsi"] = o.Gsi, ["flags"] = o.Flags,
                ["polarity"] = Name(o.Polarity), ["trigger"] = Name(o.Trigger),
            });
        var nmiSources = new JsonArray();
        foreach (var n in madt.NmiSources)
            nmiSources.Add(new JsonObject { ["gsi"] = n.Gsi, ["flags"] = n.Flags, ["polarity"] = Name(n.Polarity), ["trigger"] = Name(n.Trigger) });
        var localNmis = new JsonArray();
        foreach (var n in madt.LocalNmis)
            localNmis.Add(new JsonObject
            {
                ["uid"] = n.Uid, ["allProcessors"] = n.AllProcessors, ["lint"] = n.Lint, ["flags"] = n.Flags,
                ["polarity"] = Name(n.Polarity), ["trigger"] = Name(n.Trigger), ["x2apic"] = n.IsX2Apic,
            });

        var root = new JsonObject
        {
            ["file"] = file,
            ["format"] = format,
            ["table"] = Header(madt.Header, madt.Status, madt.Error),
            ["localApicAddress"] = madt.LocalApicAddress,
            ["localApicAddressOverridden"] = madt.LocalApicAddressOverridden,
            ["flags"] = madt.Flags,
            ["pcatCompat"] = madt.PcAtCompat,
            ["cpus"] = cpus,
            ["ioApics"] = ioApics,
            ["interruptSourceOverrides"] = overrides,
            ["nmiSources"] = nmiSources,
            ["localApicNmis"] = localNmis,
            ["counts"] = new JsonObject
            {
                ["enabled"] = madt.BootCpuCount,
                ["hotplugSlots"] = madt.HotplugSlotCount,
                ["disabled"] = madt.DisabledCount,
                ["ignoredDisabled"] = madt.IgnoredDisabledCount,
                ["ignoredX2apic"] = madt.IgnoredX2ApicCount,
                ["droppedOverLimit"] = madt.DroppedOverLimitCount,
                ["skippedEntries"] = madt.SkippedEntryCount,
            },
            ["useBootCpuOnly"] = madt.UseBootCpuOnly,
            ["x2apicNeeded"] = ApicMode.HighestUsableApicId(madt.Cpus, Madt.UnknownApicId) > ApicMode.MaxXApicId,
            ["warnings"] = Strings(madt.Warnings),
            ["notes"] = Strings(madt.Notes),
        };
        return root.ToJsonString(Indented);
    }

    public static string FadtText(FadtInfo fadt)
    {
        var s = new StringBuilder();
        s.AppendLine($"FADT: {fadt.Header.Length} bytes, revision {fadt.Header.Revision}, OEM \"{fadt.Header.OemId}\" \"{fadt.Header.OemTableId}\"");
        s.AppendLine($"checksum: {Verdict(fadt.Status, fadt.Error)}");
        s.AppendLine($"SCI_INT {fadt.SciInterrupt}, SMI_CMD 0x{fadt.SmiCommandPort:x}, ACPI_ENABLE 0x{fadt.AcpiEnable:x}, ACPI_DISABLE 0x{fadt.AcpiDisable:x}");
        s.AppendLine($"PM1a_EVT_BLK port 0x{fadt.Pm1aEventPort:x} (length {fadt.Pm1EventLength}), PM1a_CNT_BLK port 0x{fadt.Pm1aControlPort:x} (length {fadt.Pm1ControlLength})");
        s.AppendLine($"PM_TMR_BLK port 0x{fadt.PmTimerPort:x} (length {fadt.PmTimerLength}, {(fadt.PmTimer32Bit ? "32" : "24")}-bit)");
        s.AppendLine($"GPE0_BLK port 0x{fadt.Gpe0Port:x} (length {fadt.Gpe0BlockLength})");
        s.AppendLine($"flags 0x{fadt.Flags:x}, IAPC_BOOT_ARCH 0x{fadt.IaPcBootArch:x}");
        s.AppendLine(fadt.HasResetRegister
            ? $"RESET_REG {Gas(fadt.ResetRegister)}, RESET_VALUE 0x{fadt.ResetValue:x}{(fadt.ResetRegisterSupported ? "" : " (RESET_REG_SUP clear)")}"
            : "RESET_REG: not in this table (ACPI 1.0)");
        s.AppendLine(fadt.HasExtendedBlocks
            ? $"X_PM1a_EVT_BLK {Gas(fadt.XPm1aEventBlock)}, X_PM1a_CNT_BLK {Gas(fadt.XPm1aControlBlock)}, X_PM_TMR_BLK {Gas(fadt.XPmTimerBlock)}, X_GPE0_BLK {Gas(fadt.XGpe0Block)}"
            : "X_ blocks: not in this table (ACPI 1.0)");
        AppendWarnings(s, fadt.Warnings);
        return s.ToString();
    }

    public static string FadtJson(FadtInfo fadt, string file, string format)
    {
        var root = new JsonObject
        {
            ["file"] = file,
            ["format"] = format,
            ["table"] = Header(fadt.Header, fadt.Status, fadt.Error),
            ["sciInt"] = fadt.SciInterrupt,
            ["smiCmd"] = fadt.SmiCommandPort,
            ["acpiEnable"] = fadt.AcpiEnable,
            ["acpiDisable"] = fadt.AcpiDisable,
            ["pm1aEventPort"] = fadt.Pm1aEventPort,
            ["pm1aControlPort"] = fadt.Pm1aControlPort,
            ["pmTimerPort"] = fadt.PmTimerPort,
            ["pmTimerLength"] = fadt.PmTimerLength,
            ["pmTimer32Bit"] = fadt.PmTimer32Bit,
            ["gpe0Port"] = fadt.Gpe0Port,
            ["gpe0BlockLength"] = fadt.Gpe0BlockLength,
            ["flags"] = fadt.Flags,
            ["iapcBootArch"] = fadt.IaPcBootArch,
            ["resetRegister"] = fadt.HasResetRegister ? GasJson(fadt.ResetRegister) : null,
            ["resetValue"] = fadt.HasResetRegister ? fadt.ResetValue : null,
            ["extendedBlocks"] = fadt.HasExtendedBlocks
                ? new JsonObject
                {
                    ["xPm1aEventBlock"] = GasJson(fadt.XPm1aEventBlock), ["xPm1aControlBlock"] = GasJson(fadt.XPm1aControlBlock),
                    ["xPmTimerBlock"] = GasJson(fadt.XPmTimerBlock), ["xGpe0Block"] = GasJson(fadt.XGpe0Block),
                }
                : null,
            ["warnings"] = Strings(fadt.Warnings),
        };
        return root.ToJsonString(Indented);
    }

    private static JsonObject Header(AcpiTableHeader header, AcpiTableStatus status, string? error) => new()
    {
        ["signature"] = header.SignatureText,
        ["length"] = header.Length,
        ["revision"] = header.Revision,
        ["oemId"] = header.OemId,
        ["oemTableId"] = header.OemTableId,
        ["status"] = status.ToString(),
        ["checksumValid"] = status == AcpiTableStatus.Valid,
        ["error"] = error,
    };

    private static string Verdict(AcpiTableStatus status, string? error) =>
        status == AcpiTableStatus.Valid ? "valid" : $"{status}: {error}";

    private static string CpuState(MadtCpu cpu) =>
        cpu.Enabled ? "enabled" : cpu.OnlineCapable ? "online-capable (hot-plug slot)" : "disabled";

    private static string Name(InterruptPolarity p) => p switch
    {
        InterruptPolarity.BusDefault => "bus-default polarity",
        InterruptPolarity.ActiveHigh => "active-high",
        InterruptPolarity.ActiveLow => "active-low",
        _ => "reserved polarity",
    };

    private static string Name(InterruptTrigger t) => t switch
    {
        InterruptTrigger.BusDefault => "bus-default trigger",
        InterruptTrigger.Edge => "edge",
        InterruptTrigger.Level => "level",
        _ => "reserved trigger",
    };

    private static string Gas(GenericAddress g) =>
        $"{(g.IsIo ? "io" : g.SpaceId == GenericAddress.SystemMemory ? "mem" : $"space {g.SpaceId}")} 0x{g.Address:x} ({g.BitWidth} bits at {g.BitOffset}, access size {g.AccessSize})";

    private static JsonObject GasJson(GenericAddress g) => new()
    {
        ["spaceId"] = g.SpaceId, ["bitWidth"] = g.BitWidth, ["bitOffset"] = g.BitOffset, ["accessSize"] = g.AccessSize, ["address"] = g.Address,
    };

    private static JsonArray Strings(string[] lines)
    {
        var array = new JsonArray();
        foreach (var line in lines) array.Add(line);
        return array;
    }

    private static void AppendWarnings(StringBuilder s, string[] warnings)
    {
        s.AppendLine(warnings.Length == 0 ? "warnings: none" : "warnings:");
        foreach (var w in warnings) s.AppendLine($"  {w}");
    }
}
