// Usage: KernelImage symbols <kernel.elf> <out.sym>
//        KernelImage alternatives [--verify] <kernel.elf> <keep-locked.txt>   (Alternatives/AlternativesCommand.cs)
// symbols writes the kernel's symbol map for panic reports (Arch.x86/SymbolMap.cs reads it):
// one "<16 hex digits> <name>" line per defined code or data symbol, sorted by address.
using System.Text;
using Kernel.Tools;
using Kernel.Tools.Alternatives;

if (args.Length > 0 && args[0] == "alternatives")
    return AlternativesCommand.Run(args[1..], Console.Out, Console.Error);

if (args.Length != 3 || args[0] != "symbols")
{
    Console.Error.WriteLine($"usage: KernelImage symbols <kernel.elf> <out.sym>\n       {AlternativesCommand.Usage}");
    return 2;
}

var image = ElfImage.Load(args[1]);
var lines = new StringBuilder();
foreach (var symbol in image.Symbols()
             .Where(s => s.Type is ElfSymbolType.Function or ElfSymbolType.Object or ElfSymbolType.NoType)
             .Where(s => s.Address != 0 && s.Name.Length > 0 && !s.Name.StartsWith(".L", StringComparison.Ordinal))
             .DistinctBy(s => s.Address)
             .OrderBy(s => s.Address))
    lines.Append(symbol.Address.ToString("x16")).Append(' ').Append(symbol.Name).Append('\n');
File.WriteAllText(args[2], lines.ToString());
return 0;
