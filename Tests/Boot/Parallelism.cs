using NUnit.Framework;

// Boot fixtures run in parallel, one QEMU each; two at a time matches the two host cores
// (KernelBoot also caps concurrent QEMUs at two).
[assembly: LevelOfParallelism(2)]
