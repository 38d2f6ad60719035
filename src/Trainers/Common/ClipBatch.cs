using Microsoft.ML;

namespace MLNetVideo.Trainers.Common;

/// <summary>A batch of rows read from an <see cref="IDataView"/>: flat clip floats and 0-based class indices.</summary>
/// <param name="Clips">Count × RowSize floats (views of a row are consecutive).</param>
/// <param name="Labels">0-based class index per row (-1 when the batch was read without labels).</param>
/// <param name="Count">Rows in the batch.</param>
internal sealed record ClipBatch(float[] Clips, long[] Labels, int Count);
