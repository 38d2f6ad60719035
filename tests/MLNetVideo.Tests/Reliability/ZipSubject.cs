using Microsoft.ML;

namespace MLNetVideo.Tests.Reliability;

/// <summary>One saved component: its zip and what one prediction through it reads.</summary>
/// <param name="Component">Its name.</param>
/// <param name="ZipPath">The untouched zip.</param>
/// <param name="Probe">Input rows for one prediction.</param>
/// <param name="OutputColumn">The column the prediction reads.</param>
internal sealed record ZipSubject(string Component, string ZipPath, Func<MLContext, IDataView> Probe, string OutputColumn);
