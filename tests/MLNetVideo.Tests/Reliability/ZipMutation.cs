using System.Text.Json.Nodes;

namespace MLNetVideo.Tests.Reliability;

/// <summary>One value of one JSON entry of one component, changed (or added).</summary>
/// <param name="Subject">The component.</param>
/// <param name="Entry">The zip entry.</param>
/// <param name="Path">Where in the JSON ("Options.VideoFolder", "ClassNames[1]").</param>
/// <param name="Kind">What the change is ("trap-absolute", "huge", "executable-insert", ...).</param>
/// <param name="Apply">Makes the change on a parsed copy of the entry.</param>
internal sealed record ZipMutation(ZipSubject Subject, string Entry, string Path, string Kind, Action<JsonNode> Apply)
{
    public override string ToString() => $"{Subject.Component} {Entry[(Entry.LastIndexOf('/') + 1)..]} {Path} ← {Kind}";
}
