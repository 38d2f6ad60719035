using System.Text.RegularExpressions;
using System.Xml.Linq;
using MLNetVideo.Tests.TestSupport;

namespace MLNetVideo.Tests.Structure;

/// <summary>
/// Issue 16, item 2: the source tree reads like the namespaces and the types. Every C# file of every project (src, tests,
/// examples, benchmarks) declares the namespace its folder names: the project's root namespace, then one segment per folder
/// below the project file. Every file holds one top-level type and is named after it (<c>Type.cs</c>, or <c>Type.Part.cs</c>
/// for a part of a partial type); nested types stay with their parent. The few exceptions are listed here, each with its reason.
/// </summary>
[TestClass]
public sealed class SourceLayoutTests
{
    /// <summary>Files whose namespace differs from their folder on purpose (path relative to the repository root → namespace).</summary>
    private static readonly Dictionary<string, string> NamespaceExceptions = new(StringComparer.Ordinal)
    {
        // The runtime recognises this attribute only under its own name in System.Runtime.CompilerServices.
        ["src/Core/Interop/IgnoresAccessChecksToAttribute.cs"] = "System.Runtime.CompilerServices",
        // The catalog extensions (mlContext.Transforms.LoadVideoFrames, mlContext.MulticlassClassification.Trainers.S3D, ...)
        // live in the root namespace, as ML.NET's own live in Microsoft.ML: one `using MLNetVideo;` brings every entry point.
        ["src/Transforms/VideoTransformsCatalog.cs"] = "MLNetVideo",
        ["src/Featurizers/VideoFeaturizersCatalog.cs"] = "MLNetVideo",
        ["src/Featurizers.Onnx/VideoOnnxFeaturizersCatalog.cs"] = "MLNetVideo",
        ["src/Trainers/VideoTrainersCatalog.cs"] = "MLNetVideo",
    };

    private static readonly Regex NamespaceLine = new(@"^namespace\s+(?<name>[\w.]+)\s*(?<scoped>;)?\s*\{?\s*$", RegexOptions.Multiline);
    private static readonly Regex TypeDeclaration = new(
        @"^\s*(?:(?:public|internal|private|protected|file|static|sealed|abstract|partial|readonly|unsafe|ref)\s+)*(?:record|class|struct|interface|enum)\s+\w",
        RegexOptions.Multiline);

    // With file-scoped namespaces (the house style, checked below), a top-level type is declared at the start of a line and a
    // nested one is indented. Generic arities of one name (VideoBackbone, VideoBackbone<TSpec>) count as one type.
    private static readonly Regex TopLevelType = new(
        @"^(?:(?:public|internal|file|static|sealed|abstract|partial|readonly|unsafe|ref)\s+)*(?:(?:record\s+(?:struct|class)|record|class|struct|interface|enum)\s+(?<name>\w+)|delegate\s+[\w<>\[\],.? ]+?\s+(?<name>\w+)\s*[<(])",
        RegexOptions.Multiline);

    [TestMethod]
    public void Every_file_declares_the_namespace_of_its_folder()
    {
        var problems = new List<string>();
        foreach (var file in SourceFiles())
        {
            string text = File.ReadAllText(file.FullPath);
            var declared = NamespaceLine.Matches(text).Select(m => m.Groups["name"].Value).Distinct().ToList();
            string expected = NamespaceExceptions.GetValueOrDefault(file.RelativePath, file.FolderNamespace);
            if (declared.Count == 0)
            {
                // Apps (examples, benchmarks, the CLI, test hosts) keep their top-level statements and the small types beside them in
                // the global namespace; a library or test project file that declares a type must name its namespace.
                if (!file.Project.IsApp && TypeDeclaration.IsMatch(text))
                    problems.Add($"{file.RelativePath}: declares a type but no namespace (expected {expected})");
                continue;
            }
            if (declared.Count > 1 || declared[0] != expected)
                problems.Add($"{file.RelativePath}: namespace {string.Join(", ", declared)}, expected {expected}");
            else if (!NamespaceLine.Match(text).Groups["scoped"].Success && !NamespaceExceptions.ContainsKey(file.RelativePath))
                problems.Add($"{file.RelativePath}: a block namespace (the house style is file-scoped: `namespace {expected};`)");
        }
        Assert.IsEmpty(problems, "Namespaces that do not follow their folders:\n" + string.Join("\n", problems));
    }

    [TestMethod]
    public void Every_file_holds_one_top_level_type_named_like_the_file()
    {
        var problems = new List<string>();
        foreach (var file in SourceFiles())
        {
            string name = Path.GetFileName(file.RelativePath);
            // An app's Program.cs keeps its top-level statements and the small records only they use.
            if (file.Project.IsApp && name == "Program.cs") continue;
            var types = TopLevelType.Matches(File.ReadAllText(file.FullPath)).Select(m => m.Groups["name"].Value).Distinct().ToList();
            if (types.Count == 0) continue;   // assembly attributes or settings only
            string expected = name.Split('.')[0];
            if (types.Count > 1 || types[0] != expected)
                problems.Add($"{file.RelativePath}: holds {string.Join(", ", types)}");
        }
        Assert.IsEmpty(problems, "Files that hold several top-level types, or another type than their name says:\n" + string.Join("\n", problems));
    }

    [TestMethod]
    public void The_type_rule_sees_top_level_types_and_not_nested_ones()
    {
        const string text = """
            namespace A;

            /// <summary>Doc.</summary>
            public sealed class Outer<T>
            {
                private sealed class Nested;
                public enum Kind { One }
            }

            internal static partial class Outer
            {
            }

            public sealed record Second(int X);
            internal readonly record struct Third(int Y);
            public delegate void Handler<T>(T value);
            """;
        var names = TopLevelType.Matches(text).Select(m => m.Groups["name"].Value).ToList();
        CollectionAssert.AreEqual(new[] { "Outer", "Outer", "Second", "Third", "Handler" }, names);
        Assert.IsTrue(NamespaceLine.Match(text).Groups["scoped"].Success);
        Assert.IsFalse(NamespaceLine.Match("namespace A\n{\n}\n").Groups["scoped"].Success);
    }

    [TestMethod]
    public void The_walk_sees_every_project_and_the_exceptions_exist()
    {
        var files = SourceFiles().ToList();
        var projects = files.Select(f => f.Project.Folder).Distinct().ToList();
        // The projects the walk must reach (a broken walk that finds nothing would pass the test above).
        foreach (string project in new[] { "src/Core", "src/Trainers", "src/Cli", "src/Distributed", "tests/MLNetVideo.Tests", "examples/Consume", "benchmarks/TsmBenchmarks" })
            CollectionAssert.Contains(projects, project);
        Assert.IsGreaterThan(300, files.Count);
        foreach (string path in NamespaceExceptions.Keys)
            Assert.IsTrue(files.Any(f => f.RelativePath == path), $"The exception {path} names no file; remove it from the list.");
        // Folder → namespace, including the root namespace and a nested folder.
        var loop = files.Single(f => f.RelativePath == "src/Trainers/Common/TorchTrainingLoop.cs");
        Assert.AreEqual("MLNetVideo.Trainers.Common", loop.FolderNamespace);
        var runtime = files.Single(f => f.RelativePath == "src/Core/VideoRuntime.cs");
        Assert.AreEqual("MLNetVideo", runtime.FolderNamespace);
        Assert.IsTrue(files.Single(f => f.RelativePath == "src/Cli/Program.cs").Project.IsApp);
        Assert.IsFalse(files.Single(f => f.RelativePath == "tests/MLNetVideo.Tests/Structure/SourceLayoutTests.cs").Project.IsApp);
    }

    internal sealed record Project(string Folder, string RootNamespace, bool IsApp);

    internal sealed record SourceFile(string FullPath, string RelativePath, Project Project, string FolderNamespace);

    /// <summary>Every .cs file below a project file of src, tests, examples or benchmarks (bin and obj left out), with the
    /// project that compiles it (the nearest project file above it) and the namespace its folder names.</summary>
    internal static IEnumerable<SourceFile> SourceFiles()
    {
        string root = ChildProcess.RepositoryRoot;
        var projects = new Dictionary<string, Project>(StringComparer.Ordinal);
        foreach (string top in new[] { "src", "tests", "examples", "benchmarks" })
        {
            foreach (string csproj in Directory.EnumerateFiles(Path.Combine(root, top), "*.csproj", SearchOption.AllDirectories))
            {
                string folder = Relative(root, Path.GetDirectoryName(csproj)!);
                if (IsBuildOutput(folder)) continue;
                var xml = XDocument.Load(csproj);
                string? Property(string name) => xml.Descendants(name).Select(e => e.Value.Trim()).FirstOrDefault(v => v.Length > 0);
                string rootNamespace = Property("RootNamespace") ?? Property("AssemblyName") ?? Path.GetFileNameWithoutExtension(csproj);
                bool isApp = Property("OutputType") is "Exe" or "WinExe" && Property("IsTestProject") != "true";
                projects[folder] = new Project(folder, rootNamespace, isApp);
            }
        }
        foreach (var project in projects.Values.OrderBy(p => p.Folder, StringComparer.Ordinal))
        {
            foreach (string path in Directory.EnumerateFiles(Path.Combine(root, project.Folder), "*.cs", SearchOption.AllDirectories))
            {
                string relative = Relative(root, path);
                string folder = Path.GetDirectoryName(relative)!.Replace('\\', '/');
                if (IsBuildOutput(folder)) continue;
                // The nearest project above the file compiles it (a project folder inside another is its own project).
                var owner = projects.Values.Where(p => folder == p.Folder || folder.StartsWith(p.Folder + "/", StringComparison.Ordinal))
                    .MaxBy(p => p.Folder.Length)!;
                if (owner != project) continue;
                string below = folder.Length == project.Folder.Length ? "" : folder[(project.Folder.Length + 1)..];
                string ns = below.Length == 0 ? project.RootNamespace : project.RootNamespace + "." + below.Replace('/', '.');
                yield return new SourceFile(path, relative, project, ns);
            }
        }
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

    private static bool IsBuildOutput(string folder)
        => folder.Split('/').Any(part => part is "bin" or "obj");
}
