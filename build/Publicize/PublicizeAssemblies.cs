using System;
using System.IO;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Mono.Cecil;

/// <summary>Writes copies of assemblies with every type, method and field made public (compile-time only).</summary>
public sealed class PublicizeAssemblies : Task
{
    [Required] public ITaskItem[] Assemblies { get; set; }
    [Required] public string OutputFolder { get; set; }
    [Output] public ITaskItem[] Publicized { get; set; }

    public override bool Execute()
    {
        Directory.CreateDirectory(OutputFolder);
        var result = new ITaskItem[Assemblies.Length];
        for (int i = 0; i < Assemblies.Length; i++)
        {
            var src = Assemblies[i].ItemSpec;
            var dst = Path.Combine(OutputFolder, Path.GetFileName(src));
            if (!File.Exists(dst) || File.GetLastWriteTimeUtc(dst) < File.GetLastWriteTimeUtc(src))
            {
                var resolver = new DefaultAssemblyResolver();
                resolver.AddSearchDirectory(Path.GetDirectoryName(src));
                using (var asm = AssemblyDefinition.ReadAssembly(src, new ReaderParameters { AssemblyResolver = resolver }))
                {
                    foreach (var module in asm.Modules)
                        foreach (var type in module.GetTypes())
                            Open(type);
                    asm.Write(dst);
                }
            }
            var item = new TaskItem(Assemblies[i]);
            item.ItemSpec = dst;
            result[i] = item;
        }
        Publicized = result;
        return true;
    }

    private static void Open(TypeDefinition type)
    {
        if (type.IsNested) type.IsNestedPublic = true; else type.IsPublic = true;
        foreach (var m in type.Methods) if (!m.IsPublic) m.IsPublic = true;
        foreach (var f in type.Fields) if (!f.IsPublic && !IsEventBacking(type, f)) f.IsPublic = true;
    }

    private static bool IsEventBacking(TypeDefinition type, FieldDefinition f)
    {
        foreach (var e in type.Events) if (e.Name == f.Name) return true;
        return false;
    }
}
