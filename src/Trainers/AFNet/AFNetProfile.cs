using System.Diagnostics;

namespace MLNetVideo.Trainers.AFNet;

/// <summary>
/// Wall time of an <see cref="AFNetNetwork"/> forward split by part (stem, navigation, ample blocks, focal shortcut, focal
/// gather, focal branch, focal scatter, fusion, layer4, head), summed over the calls it is passed to through
/// <see cref="AFNetRunOptions.Profile"/>. For the benchmark's "where the time goes" table: on the CPU every op runs when it is
/// called, so the time between two marks is the time of the ops in between.
/// </summary>
internal sealed class AFNetProfile
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<string, double> _milliseconds = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private double _last;

    /// <summary>Milliseconds per part, in the order the parts were first seen.</summary>
    public IEnumerable<(string Part, double Milliseconds)> Parts => _order.Select(p => (p, _milliseconds[p]));

    /// <summary>Forwards recorded.</summary>
    public int Calls { get; private set; }

    internal void Begin()
    {
        Calls++;
        _last = _clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>Charges the time since the previous mark to <paramref name="part"/>.</summary>
    internal void Mark(string part)
    {
        double now = _clock.Elapsed.TotalMilliseconds;
        if (_milliseconds.TryGetValue(part, out double sum))
            _milliseconds[part] = sum + now - _last;
        else
        {
            _milliseconds[part] = now - _last;
            _order.Add(part);
        }
        _last = now;
    }
}
