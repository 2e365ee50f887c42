// Statics need the runtime's help before first use (dotnet/runtime 10.0 StartupCodeHelpers):
// static fields of reference type live in heap objects ("GC static bases") listed in the ReadyToRun
// header's GCStaticRegion, and class constructors ilc could not evaluate at compile time are listed
// in EagerCctor, to be run once at start-up.
using Internal.Runtime;

namespace Kernel.Runtime
{
    internal static unsafe class Statics
    {
        private const uint ReadyToRunSignature = 0x00525452;   // "RTR"
        private const int GcStaticRegionSection = 201;          // ReadyToRunSectionType.GCStaticRegion
        private const int EagerCctorSection = 205;              // ReadyToRunSectionType.EagerCctor
        private const nint Uninitialized = 1;                   // GCStaticRegionConstants.Uninitialized
        private const nint HasPreInitializedData = 2;           // GCStaticRegionConstants.HasPreInitializedData
        private const nint FlagMask = 3;

        // Mirrors of what ilc emits; only ever read through pointers.
#pragma warning disable 649
        private struct ReadyToRunHeader
        {
            public uint Signature;
            public ushort MajorVersion, MinorVersion;
            public uint Flags;
            public ushort NumberOfSections;
            public byte EntrySize, EntryType;
        }

        private struct ModuleInfoRow
        {
            public int SectionId, Flags;
            public byte* Start, End;
        }
#pragma warning restore 649

        /// <summary>
        /// Allocates every GC static base (copying preinitialised data), then runs the eager class
        /// constructors, which may use any static. Runs before any static reference is read. The modules are ilc's
        /// __modules table: pointers to each module's ReadyToRun header.
        /// </summary>
        public static void Initialize(ulong modulesStart, ulong modulesEnd)
        {
            ForEachSection(modulesStart, modulesEnd, GcStaticRegionSection, &InitializeRegion);
            ForEachSection(modulesStart, modulesEnd, EagerCctorSection, &RunClassConstructors);
        }

        private static void ForEachSection(ulong modulesStart, ulong modulesEnd, int sectionId, delegate*<byte*, byte*, void> action)
        {
            for (void** module = (void**)modulesStart; module < (void**)modulesEnd; module++)
            {
                var header = (ReadyToRunHeader*)*module;
                if (header == null) continue;
                if (header->Signature != ReadyToRunSignature) RuntimeHost.Fail("ReadyToRun header signature mismatch: ilc version changed?");
                var rows = (ModuleInfoRow*)(header + 1);
                for (int i = 0; i < header->NumberOfSections; i++)
                    if (rows[i].SectionId == sectionId)
                        action(rows[i].Start, rows[i].End);
            }
        }

        private static void InitializeRegion(byte* start, byte* end)
        {
            for (byte* entry = start; entry < end; entry += sizeof(int))
            {
                nint* block = (nint*)RelativeTarget(entry);
                nint typeAndFlags = (nint)RelativeTarget(block);
                if ((typeAndFlags & Uninitialized) == 0) continue;

                var type = (MethodTable*)(typeAndFlags & ~FlagMask);
                byte* holder = (byte*)ObjectAllocator.AllocateObject(type);
                if ((typeAndFlags & HasPreInitializedData) != 0)
                {
                    byte* preinitialized = RelativeTarget((int*)block + 1);
                    Lib.Memory.Move(holder + sizeof(nint), preinitialized, type->BaseSize - (uint)(2 * sizeof(nint)));
                }
                *block = (nint)holder;
            }
        }

        private static void RunClassConstructors(byte* start, byte* end)
        {
            for (byte* entry = start; entry < end; entry += sizeof(int))
                ((delegate*<void>)RelativeTarget(entry))();
        }

        // ilc's 32-bit self-relative pointers: the target is the field's own address plus its value.
        private static byte* RelativeTarget(void* field) => (byte*)field + *(int*)field;
    }
}
