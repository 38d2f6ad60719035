namespace MLNetVideo.Tests.Featurizers.Onnx;

/// <summary>A minimal reader of ONNX <c>TensorProto</c> (dims = 1, data_type = 2, float_data = 4, raw_data = 9); other fields are skipped.</summary>
internal static class TensorProtoReader
{
    public static (long[] Dims, float[] Values) ReadFloat(byte[] bytes)
    {
        var dims = new List<long>();
        var floats = new List<float>();
        float[]? raw = null;
        long dataType = 1;
        int pos = 0;
        while (pos < bytes.Length)
        {
            ulong key = Varint(bytes, ref pos);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (field, wire)
            {
                case (1, 0): dims.Add((long)Varint(bytes, ref pos)); break;
                case (1, 2):
                    {
                        int end = pos + (int)Varint(bytes, ref pos);
                        end = pos + (end - pos);
                        while (pos < end) dims.Add((long)Varint(bytes, ref pos));
                        break;
                    }
                case (2, 0): dataType = (long)Varint(bytes, ref pos); break;
                case (4, 5): floats.Add(BitConverter.ToSingle(bytes, pos)); pos += 4; break;
                case (4, 2):
                    {
                        int length = (int)Varint(bytes, ref pos);
                        for (int i = 0; i < length; i += 4) floats.Add(BitConverter.ToSingle(bytes, pos + i));
                        pos += length;
                        break;
                    }
                case (9, 2):
                    {
                        int length = (int)Varint(bytes, ref pos);
                        raw = new float[length / 4];
                        Buffer.BlockCopy(bytes, pos, raw, 0, length);
                        pos += length;
                        break;
                    }
                default: Skip(bytes, ref pos, wire); break;
            }
        }
        if (dataType != 1)
            throw new InvalidDataException($"TensorProto data_type {dataType} is not FLOAT (1).");
        return (dims.ToArray(), raw ?? floats.ToArray());
    }

    private static ulong Varint(byte[] bytes, ref int pos)
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = bytes[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
    }

    private static void Skip(byte[] bytes, ref int pos, int wire)
    {
        switch (wire)
        {
            case 0: Varint(bytes, ref pos); break;
            case 1: pos += 8; break;
            case 2: pos += (int)Varint(bytes, ref pos); break;
            case 5: pos += 4; break;
            default: throw new InvalidDataException($"Unsupported protobuf wire type {wire}.");
        }
    }
}
