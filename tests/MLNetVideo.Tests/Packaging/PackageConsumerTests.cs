using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Packaging;

/// <summary>
/// A user's first hour with the packages (issue 18): the libraries are packed into a local folder feed; a new console app
/// outside the repository, made of exactly the README's <c>Program.cs</c> and project file blocks, references only those
/// packages and TorchSharp-cpu, restores, builds (on Linux the package's buildTransitive step patches libtorch when the
/// system libstdc++ is too old; the ML.NET 5.0.1 app also runs from its <c>dotnet publish</c> folder), trains on generated
/// videos, saves, then loads the zip in a fresh process from another working directory and predicts. Once on ML.NET 5.0.1 (the packages' lowest) and once on 6.0.0 (the app's own
/// reference), and each version's zip is loaded and scored by the other.
/// </summary>
[TestClass, TestCategory(TestCategories.Package), TestCategory(TestCategories.Process)]
public sealed class PackageConsumerTests
{
    private static readonly string[] Classes = ["left", "right", "up", "down"];
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(3);
    private static CancellationToken s_cancellation;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(600_000, CooperativeCancellation = true)]   // about 35 s on the 2-core machine (a warm NuGet cache); a busy one is several times slower
    public void ReadmeProgram_FromPackedPackages_TrainsSavesLoadsAndPredicts_OnMLNet5And6_AndZipsCrossVersions()
    {
        s_cancellation = TestContext.CancellationToken;   // a timed-out test kills the step it is waiting for
        string repo = RepositoryRoot();
        var blocks = ReadmeBlocks(File.ReadAllText(Path.Combine(repo, "README.md")));
        Assert.IsTrue(blocks.ContainsKey("Program.cs") && blocks.ContainsKey("App.csproj"),
            "README.md must hold the consumer-test blocks 'Program.cs' and 'App.csproj'.");

        using var work = new TempFolder("mlnetvideo-consumer");
        // A prerelease version unique to this run: the NuGet cache can never hand back packages of an earlier run.
        string suffix = $"ci{DateTime.UtcNow:yyyyMMddHHmmss}{Environment.ProcessId}";
        string feed = Path.Combine(work.Path, "feed");
        Run("dotnet", ["pack", Path.Combine(repo, "MLNetVideo.Libraries.slnf"), "-c", Configuration, "--no-build", "--nologo",
            "-v", "q", "-nodeReuse:false", "-o", feed, "--version-suffix", suffix], repo);
        string version = PackedVersion(feed, "MLNetVideo.Trainers");
        StringAssert.EndsWith(version, "-" + suffix);
        // Every package names the project's home (no placeholder metadata).
        foreach (var package in Directory.EnumerateFiles(feed, "*.nupkg"))
        {
            using var archive = System.IO.Compression.ZipFile.OpenRead(package);
            using var reader = new StreamReader(archive.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            string nuspec = reader.ReadToEnd();
            StringAssert.Contains(nuspec, "<projectUrl>https://github.com/mlnetvideo/mlnetvideo</projectUrl>", package);
            StringAssert.Contains(nuspec, "url=\"https://github.com/mlnetvideo/mlnetvideo\"", package);
            Assert.DoesNotContain("example.com", nuspec, package);
        }
        try
        {
            // The README's project file names the version being packed (without the CI suffix).
            string readmeVersion = Regex.Match(blocks["App.csproj"], "Include=\"MLNetVideo.Trainers\" Version=\"([^\"]+)\"").Groups[1].Value;
            Assert.AreEqual(version[..version.IndexOf('-')], readmeVersion, "README.md's project file names another MLNetVideo version than the one packed.");

            string videos = Path.Combine(work.Path, "videos");
            SyntheticActionVideos.Generate(videos, new SyntheticActionOptions
            {
                Classes = [SyntheticAction.Left, SyntheticAction.Right, SyntheticAction.Up, SyntheticAction.Down],
                VideosPerClass = 2, Frames = 8, Size = 32, Seed = 18,
            });
            string[] toPredict = ["left/000.mp4", "up/001.mp4", "down/001.mp4"];
            foreach (var v in toPredict)
                Assert.IsTrue(File.Exists(Path.Combine(videos, v)), $"sample video {v} was not generated");

            var apps = BuildApps(work.Path, blocks, feed, version, ["5.0.1", "6.0.0"]);

            // Train and save in one working directory, with a relative video folder ...
            var zips = new Dictionary<string, string>();
            foreach (var (mlnet, app) in apps)
            {
                string zip = Path.Combine(work.Path, $"model-{mlnet}.zip");
                string output = Run("dotnet", [app, "train", Path.GetRelativePath(work.Path, videos), zip], work.Path);
                StringAssert.Contains(output, "saved " + zip);
                Assert.IsTrue(new FileInfo(zip).Length > 10_000, $"{zip} is too small to hold the weights");
                zips[mlnet] = zip;
            }

            // ... then load and predict in fresh processes that run elsewhere: every zip under every version. (Running these
            // steps two at a time was measured: no faster on 2 cores, as each is CPU-bound.)
            string elsewhere = Directory.CreateDirectory(Path.Combine(work.Path, "elsewhere")).FullName;
            foreach (var (savedWith, zip) in zips)
            {
                var scores = new Dictionary<string, string>();
                foreach (var (loadedWith, app) in apps)
                {
                    string output = Run("dotnet", [app, "predict", zip, videos, .. toPredict], elsewhere);
                    var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Where(l => toPredict.Any(v => l.StartsWith(v + ": ", StringComparison.Ordinal))).ToArray();
                    Assert.HasCount(toPredict.Length, lines, $"ML.NET {loadedWith} predicting with the zip of {savedWith}:\n{output}");
                    foreach (var line in lines)
                    {
                        var m = Regex.Match(line, @"^\S+: (\w+) \[([-0-9., ]+)\]$");
                        Assert.IsTrue(m.Success, $"unexpected prediction line '{line}'");
                        CollectionAssert.Contains(Classes, m.Groups[1].Value, line);
                        var probabilities = m.Groups[2].Value.Split(", ").Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                        Assert.HasCount(Classes.Length, probabilities, line);
                        Assert.AreEqual(1.0, probabilities.Sum(), 2e-3, line);
                    }
                    scores[loadedWith] = string.Join("\n", lines);
                }
                // The same zip scores the same under both ML.NET versions.
                Assert.AreEqual(scores["5.0.1"], scores["6.0.0"], $"the zip saved under ML.NET {savedWith} scores differently under 5.0.1 and 6.0.0");
            }
        }
        finally
        {
            // The run's packages were extracted into the NuGet cache under the unique version: remove them.
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (var id in Directory.EnumerateFiles(feed, "*.nupkg").Select(f => Path.GetFileName(f)[..^(version.Length + ".nupkg".Length + 1)]))
            {
                try { Directory.Delete(Path.Combine(cache, id.ToLowerInvariant(), version), recursive: true); }
                catch (DirectoryNotFoundException) { }
                catch (IOException) { }
            }
        }
    }

    /// <summary>Writes the README's two blocks as one new app per ML.NET version (adding only the ML.NET reference for
    /// 6.0.0), builds them, returns each app's dll by version.</summary>
    private static Dictionary<string, string> BuildApps(string work, IReadOnlyDictionary<string, string> blocks, string feed, string version, string[] versions)
    {
        var folders = new Dictionary<string, string>();
        foreach (var mlnet in versions)
        {
            string folder = Directory.CreateDirectory(Path.Combine(work, $"app-mlnet{mlnet}")).FullName;
            File.WriteAllText(Path.Combine(folder, "Program.cs"), blocks["Program.cs"]);
            string project = blocks["App.csproj"].Replace("Include=\"MLNetVideo.Trainers\" Version=\"" + version[..version.IndexOf('-')] + "\"",
                "Include=\"MLNetVideo.Trainers\" Version=\"" + version + "\"", StringComparison.Ordinal);
            if (mlnet != "5.0.1")
                project = project.Replace("    <PackageReference Include=\"TorchSharp-cpu\"",
                    $"    <PackageReference Include=\"Microsoft.ML\" Version=\"{mlnet}\" />\n    <PackageReference Include=\"TorchSharp-cpu\"", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(folder, "App.csproj"), project);
            folders[mlnet] = folder;
        }
        // Each app is its own project, restored and built exactly as alone; a two-line traversal project builds them in one
        // MSBuild run (one start instead of one per app). The machine's configured sources plus the local feed; everything
        // else is already in the NuGet cache.
        string apps = string.Join(";", folders.Values.Select(f => Path.Combine(f, "App.csproj")));
        File.WriteAllText(Path.Combine(work, "Apps.proj"), $"""
            <Project DefaultTargets="Build">
              <Target Name="Restore"><MSBuild Projects="{apps}" Targets="Restore" /></Target>
              <Target Name="Build"><MSBuild Projects="{apps}" Targets="Build" BuildInParallel="true" /></Target>
            </Project>
            """);
        Run("dotnet", ["build", "Apps.proj", "-c", "Release", "--nologo", "-v", "q", "-clp:ErrorsOnly", "-nodeReuse:false", "-p:UseSharedCompilation=false",
            $"-p:RestoreAdditionalProjectSources={feed}"], work);
        var dlls = new Dictionary<string, string>();
        foreach (var (mlnet, folder) in folders)
        {
            string output = Path.Combine(folder, "bin", "Release", "net10.0");
            string copied = FileVersionInfo.GetVersionInfo(Path.Combine(output, "Microsoft.ML.Data.dll")).ProductVersion ?? "";
            StringAssert.StartsWith(copied, mlnet, $"the app for ML.NET {mlnet} copied Microsoft.ML.Data {copied}");
            AssertPatchedWhereNeeded(output, "build");
            if (mlnet != "5.0.1")
            {
                dlls[mlnet] = Path.Combine(output, "App.dll");
                continue;
            }
            // The 5.0.1 app runs from its `dotnet publish` folder, which the package's step patches as well.
            string published = Path.Combine(folder, "publish");
            Run("dotnet", ["publish", "-c", "Release", "--no-build", "--nologo", "-v", "q", "-nodeReuse:false", "-o", published], folder);
            AssertPatchedWhereNeeded(published, "publish");
            dlls[mlnet] = Path.Combine(published, "App.dll");
        }
        return dlls;
    }

    private static void AssertPatchedWhereNeeded(string output, string step)
    {
        if (OperatingSystem.IsLinux() && !SystemLibStdCxxHas("GLIBCXX_3.4.32"))
            Assert.IsTrue(File.Exists(Path.Combine(output, "runtimes", "linux-x64", "native", "libmlnetvideo_glibcxx_compat.so")),
                $"the MLNetVideo.Core package's buildTransitive step did not patch libLibTorchSharp.so in the {step} output {output}");
    }

    /// <summary>The fenced blocks that follow a <c>&lt;!-- consumer-test: NAME --&gt;</c> line in README.md, by name.</summary>
    internal static Dictionary<string, string> ReadmeBlocks(string readme)
        => Regex.Matches(readme.Replace("\r\n", "\n"), @"<!-- consumer-test: (\S+) -->\n```\w*\n(.*?)\n```", RegexOptions.Singleline)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value + "\n");

    private static string PackedVersion(string feed, string id)
    {
        var file = Directory.EnumerateFiles(feed, id + ".*.nupkg")
            .Select(Path.GetFileName).Single(f => Regex.IsMatch(f!, "^" + Regex.Escape(id) + @"\.\d"))!;
        return file[(id.Length + 1)..^".nupkg".Length];
    }

    private static bool SystemLibStdCxxHas(string version)
    {
        foreach (var path in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6" })
            if (File.Exists(path))
                return Encoding.ASCII.GetString(File.ReadAllBytes(path)).Contains(version + "\0", StringComparison.Ordinal);
        return true;
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MLNetVideo.sln")))
                return dir.FullName;
        throw new AssertFailedException($"No MLNetVideo.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Runs a command to its end (killed after <see cref="StepTimeout"/>); fails the test with its output unless it exits 0.</summary>
    private static string Run(string program, IEnumerable<string> arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        // The test host runs under `dotnet test`: its MSBuild settings must not leak into a user's build.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) || k is "DOTNET_HOST_PATH").ToList())
            start.Environment.Remove(name);
        // No MSBuild node or build server may outlive the step: it would keep the test's files (and any lock the test
        // process holds) open after the test.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        var watch = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!ChildProcess.WaitOrKill(process, StepTimeout, s_cancellation))
            Assert.Fail($"'{program} {string.Join(' ', arguments)}' did not finish {(s_cancellation.IsCancellationRequested ? "before the test timed out" : $"within {StepTimeout}")}:\n{output}");
        process.WaitForExit();
        string text;
        lock (output) text = output.ToString();
        Assert.AreEqual(0, process.ExitCode, $"'{program} {string.Join(' ', arguments)}' in {workingDirectory} failed:\n{text}");
        Console.WriteLine($"{watch.Elapsed.TotalSeconds,6:F1} s  {program} {string.Join(' ', arguments.Take(3))}");
        return text;
    }
}
