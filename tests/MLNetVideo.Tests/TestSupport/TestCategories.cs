namespace MLNetVideo.Tests.TestSupport;

/// <summary>
/// The MSTest categories of the slow tests. Every test runs in <c>scripts/test.sh</c>; the categories let a developer run or
/// skip a kind (<c>dotnet test --filter "TestCategory!=Learning"</c>) and say why a test takes seconds.
/// </summary>
internal static class TestCategories
{
    /// <summary>Trains a tiny network for several epochs and asserts that it learned (accuracy, frame-order sensitivity).</summary>
    public const string Learning = "Learning";

    /// <summary>Repeats an operation many times or over a generated corpus (leaks, fuzzing, load).</summary>
    public const string Soak = "Soak";

    /// <summary>Starts child processes (the CLI, an example, a test host, a cluster of silos) as a user would.</summary>
    public const string Process = "Process";

    /// <summary>Packs the libraries and builds an application from the packages.</summary>
    public const string Package = "Package";
}
