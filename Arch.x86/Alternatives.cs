using Kernel.Lib;

namespace Kernel.Arch
{
    public enum AlternativesMode
    {
        Smp,    // lock prefixes and sequences as built
        Up,     // one CPU: lock prefixes 0xF0 → 0x3E (DS, same length), sequences replaced by their one-CPU form
        Off,    // `noalternatives`, or no tables in the image: the code stays exactly as built
    }

    /// <summary>
    /// The kernel rewriting its own code. Three kinds of site, all listed in tables generated at build time:
    /// lock prefixes tools/KernelImage found in the linked image (.alt_locks), UP/SMP sequences and CPU-feature
    /// variants the asm ALTERNATIVE macros recorded (.alt_replacements). Feature variants are chosen once at
    /// boot; the UP⇄SMP switch runs whenever exactly one CPU is online, which the kernel decides and checks
    /// (Kernel/Smp/UpSmpSwitch.cs): this file only patches. Every write goes through a temporary
    /// writable alias of the read-only text, is followed by a serialising instruction (CPUID), and is re-read
    /// through the executable mapping; lengths never change. Following Linux, the swap is F0 → 3E rather than
    /// a NOP, so instruction boundaries and saved return addresses stay where they were.
    /// </summary>
    public static unsafe class Alternatives
    {
        private const byte LockPrefix = 0xF0, DsPrefix = 0x3E;

        private static ImageLayout* s_image;
        private static AltReplacement* s_records;
        private static int s_recordCount;
        private static uint* s_lockOffsets;
        private static int s_lockCount;
        private static int s_managedLockCount;
        private static int s_sequenceCount;
        private static byte[] s_pristineText;      // the text as built, for verification and the way back
        private static byte[] s_expectedText;      // FindMismatch's scratch: the heap never frees, so it is made once
        private static bool[] s_featureChosen;     // per record: the feature variant is in place
        private static ulong s_textPages;
        private static uint s_chosenFeatures;      // bit per AltFeature: survives the tables' release
        private static bool s_pvLocks;             // the kernel's choice of halting lock waits (Kernel/Sync/SpinThenHalt.cs)

        public static AlternativesMode Mode { get; private set; } = AlternativesMode.Off;

        /// <summary>The mode as the log and the shell name it.</summary>
        public static string ModeName => Mode == AlternativesMode.Up ? "UP" : Mode == AlternativesMode.Smp ? "SMP" : "off (as built)";
        public static bool TablesReleased { get; private set; }
        public static int LockSiteCount => s_lockCount;
        public static int ManagedLockSiteCount => s_managedLockCount;
        public static int SequenceCount => s_sequenceCount;
        public static int FeatureSiteCount => s_recordCount - s_sequenceCount;
        public static ulong LastSwitchMicros { get; private set; }     // how long the last UP⇄SMP switch took
        public static ulong LastSwitchAtMicros { get; private set; }   // when it ended, since boot
        public static ulong Switches { get; private set; }

        /// <summary>
        /// Reads the tables, keeps a pristine copy of the text and applies the CPU-feature variants, and the paravirtual
        /// lock waits if <paramref name="pvLocks"/> (a choice the kernel makes: Linux's pv_ops half of its alternatives).
        /// </summary>
        public static void Initialize(ImageLayout* image, bool disabled, bool pvLocks)
        {
            s_image = image;
            s_pvLocks = pvLocks;
            if (disabled)
            {
                Log.Info("alternatives", "off (noalternatives): the code runs exactly as built");
                return;
            }
            var table = (AltLockTable*)image->AltLocksStart;
            if (table->Magic != AlternativesLayout.LockTableMagic || table->Count > table->Capacity)
            {
                Log.Warn("alternatives", "no valid lock-site table in the image: the code runs exactly as built");
                return;
            }
            s_lockOffsets = (uint*)(table + 1);
            s_lockCount = (int)table->Count;
            s_managedLockCount = (int)table->FromManagedCode;
            s_records = (AltReplacement*)image->AltReplacementsStart;
            s_recordCount = (int)((image->AltReplacementsEnd - image->AltReplacementsStart) / (ulong)sizeof(AltReplacement));
            for (int i = 0; i < s_recordCount; i++)
                if (s_records[i].Kind == AltKind.UpSequence) s_sequenceCount++;

            ulong textSize = image->TextEnd - image->TextStart;
            s_textPages = textSize / PageTables.PageSize;
            s_pristineText = new byte[(int)textSize];
            fixed (byte* pristine = s_pristineText) Lib.Memory.Move(pristine, (void*)image->TextStart, (nuint)textSize);
            s_featureChosen = new bool[s_recordCount];

            Mode = AlternativesMode.Smp;
            ulong start = Tsc.Read();
            Patch(&ApplyFeatures);
            Log.Info("alternatives", $"{s_lockCount} lock sites ({s_managedLockCount} in C#), {s_sequenceCount} UP/SMP sequences, {FeatureSiteCount} feature sites; features applied in {Tsc.ToMicroseconds(Tsc.Read() - start)} us (SSE2 fence {FeatureChosen(AltFeature.Sse2)}, x2APIC EOI {FeatureChosen(AltFeature.X2Apic)}, unfenced x2APIC ICR {FeatureChosen(AltFeature.ApicMsrWritesOrdered)}, halting lock waits {FeatureChosen(AltFeature.PvLocks)})");
        }

        public static bool FeaturePresent(ushort feature) => feature switch
        {
            AltFeature.Sse2 => Cpuid.HasSse2,
            AltFeature.X2Apic => LocalApic.X2ApicMode,
            AltFeature.ApicMsrWritesOrdered => LocalApic.X2ApicMode && Cpuid.IsAmd,
            AltFeature.PvLocks => s_pvLocks,
            _ => false,
        };

        /// <summary>Whether the sites of <paramref name="feature"/> carry its feature variant.</summary>
        public static bool FeatureChosen(ushort feature) => (s_chosenFeatures & (1u << feature)) != 0;

        /// <summary>Whether the UP⇄SMP switch can still patch: in SMP or UP mode with the tables kept.</summary>
        public static bool CanSwitch => Mode != AlternativesMode.Off && !TablesReleased;

        /// <summary>
        /// Drops the lock prefixes and installs the one-CPU sequences. Only with every other CPU halted for good: the
        /// caller checks that (Kernel/Smp/UpSmpSwitch.cs). True if the code is in its UP form afterwards.
        /// </summary>
        public static bool SwitchToUp()
        {
            if (Mode != AlternativesMode.Smp || TablesReleased) return Mode == AlternativesMode.Up;
            Switch(AlternativesMode.Up);
            return true;
        }

        /// <summary>Restores every lock prefix and SMP sequence, with one CPU online. False if the tables are gone.</summary>
        public static bool SwitchToSmp()
        {
            if (Mode != AlternativesMode.Up) return true;   // as built (or off): already safe for several CPUs
            if (TablesReleased) return false;
            Switch(AlternativesMode.Smp);
            return true;
        }

        /// <summary>
        /// No CPU can ever join (nosmp, or a firmware with no other CPU and no hot-plug slot): the tables are no longer
        /// needed and the switch becomes permanent. Returns their pages (made ordinary writable data) for the caller to
        /// free, as Linux's original SMP alternatives did; false if they are still needed or already released.
        /// </summary>
        public static bool ReleaseTables(out ulong start, out ulong pages)
        {
            start = s_image->AlternativesStart;
            pages = (s_image->AlternativesEnd - start) / PageTables.PageSize;
            if (Mode != AlternativesMode.Up || TablesReleased) return false;
            TablesReleased = true;
            s_records = null;
            s_recordCount = 0;
            s_lockOffsets = null;
            Paging.MakeWritableData(start, s_image->AlternativesEnd);
            return true;
        }

        /// <summary>
        /// Checks every byte of the text: each site holds exactly what the current mode and feature choices say,
        /// and every other byte equals the text as built. Returns the first wrong address, or 0.
        /// </summary>
        public static ulong FindMismatch()
        {
            if (s_pristineText == null || TablesReleased) return 0;
            ulong textSize = s_image->TextEnd - s_image->TextStart;
            s_expectedText ??= new byte[(int)textSize];
            fixed (byte* expected = s_expectedText, pristine = s_pristineText)
            {
                Lib.Memory.Move(expected, pristine, (nuint)textSize);
                for (int i = 0; i < s_recordCount; i++)
                {
                    AltReplacement* record = &s_records[i];
                    bool replaced = record->Kind == AltKind.UpSequence ? Mode == AlternativesMode.Up : s_featureChosen[i];
                    if (replaced) Lib.Memory.Move(expected + (record->Site - s_image->TextStart), record->Replacement, record->Length);
                }
                if (Mode == AlternativesMode.Up)
                    for (int i = 0; i < s_lockCount; i++) expected[s_lockOffsets[i]] = DsPrefix;
                var text = (byte*)s_image->TextStart;
                for (ulong offset = 0; offset < textSize; offset++)
                    if (text[offset] != expected[offset]) return s_image->TextStart + offset;
            }
            return 0;
        }

        /// <summary>The address of the first replacement site for <paramref name="feature"/> (0 if none).</summary>
        public static ulong SiteOf(ushort feature, byte kind)
        {
            for (int i = 0; i < s_recordCount; i++)
                if (s_records[i].Kind == kind && s_records[i].Feature == feature) return s_records[i].Site;
            return 0;
        }

        private static void Switch(AlternativesMode target)
        {
            ulong start = Tsc.Read();
            Mode = target;
            Patch(&ApplyMode);
            LastSwitchMicros = Tsc.ToMicroseconds(Tsc.Read() - start);
            LastSwitchAtMicros = Tsc.MicrosecondsSinceBoot;
            Switches++;
        }

        // Maps the alias, lets `apply` write through it, serialises, unmaps it, then verifies every site. The CPUID comes
        // straight after the writes: code written through another linear address may run stale until a serialising
        // instruction (SDM Vol. 3A §9.1.3), and whatever runs next may be a patched site.
        private static void Patch(delegate*<byte*, void> apply)
        {
            var interrupts = InterruptState.Disable();
            byte* alias = (byte*)Paging.MapWritableAlias(s_image->TextStart, s_textPages);
            apply(alias);
            CpuidResult serialise;
            CpuNative.Cpuid(0, 0, &serialise);
            Paging.UnmapAlias(s_textPages);
            interrupts.Restore();
            VerifySites();
        }

        private static void ApplyFeatures(byte* alias)
        {
            for (int i = 0; i < s_recordCount; i++)
            {
                AltReplacement* record = &s_records[i];
                if (record->Kind != AltKind.Feature || !FeaturePresent(record->Feature)) continue;
                Lib.Memory.Move(alias + (record->Site - s_image->TextStart), record->Replacement, record->Length);
                s_featureChosen[i] = true;
                s_chosenFeatures |= 1u << record->Feature;
            }
        }

        private static void ApplyMode(byte* alias)
        {
            bool up = Mode == AlternativesMode.Up;
            for (int i = 0; i < s_lockCount; i++) alias[s_lockOffsets[i]] = up ? DsPrefix : LockPrefix;
            for (int i = 0; i < s_recordCount; i++)
            {
                AltReplacement* record = &s_records[i];
                if (record->Kind != AltKind.UpSequence) continue;
                ulong offset = record->Site - s_image->TextStart;
                fixed (byte* pristine = s_pristineText) Lib.Memory.Move(alias + offset, up ? record->Replacement : pristine + offset, record->Length);
            }
        }

        // Re-reads each patched site through the executable mapping: a write that did not land is a panic, not a surprise later.
        private static void VerifySites()
        {
            var text = (byte*)s_image->TextStart;
            bool up = Mode == AlternativesMode.Up;
            for (int i = 0; i < s_lockCount; i++)
                if (text[s_lockOffsets[i]] != (up ? DsPrefix : LockPrefix)) Fail(s_image->TextStart + s_lockOffsets[i]);
            for (int i = 0; i < s_recordCount; i++)
            {
                AltReplacement* record = &s_records[i];
                bool replaced = record->Kind == AltKind.UpSequence ? up : s_featureChosen[i];
                fixed (byte* pristine = s_pristineText)
                {
                    byte* want = replaced ? record->Replacement : pristine + (record->Site - s_image->TextStart);
                    if (!Lib.Memory.Equal((void*)record->Site, want, record->Length)) Fail(record->Site);
                }
            }
        }

        private static void Fail(ulong address)
        {
            var text = new TextBuffer();
            text.Append("alternatives: the patch at 0x");
            text.AppendHex(address);
            text.Append(' ');
            SymbolMap.AppendSymbol(ref text, address);
            text.Append(" did not take");
            KernelEntry.Panic(ref text);
        }
    }
}
