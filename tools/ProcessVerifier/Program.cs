using ProcessVerifier;

// ProcessVerifier <assembly> [<referenced assembly>...]: prints each boundary violation as an MSBuild error, exits 1 if any.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: ProcessVerifier <assembly> [<referenced assembly>...]");
    return 2;
}
var violations = ProcessBoundary.Check(args[0], args[1..]);
foreach (var violation in violations) Console.WriteLine($"{args[0]}: error PROCESS: {violation}");
return violations.Count == 0 ? 0 : 1;
