using MLNetVideo.Weights;

namespace MLNetVideo.Tests.OfficialFixtures;

/// <summary>One entry of an official key list.</summary>
internal sealed record FixtureKey(string Key, long[] Shape, TensorDType DType);
