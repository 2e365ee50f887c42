// AcpiTool: decodes a machine's MADT or FADT with the kernel's own parsers (see AcpiToolCli for the command line).
return AcpiTool.AcpiToolCli.Run(args, Console.Out, Console.Error);
