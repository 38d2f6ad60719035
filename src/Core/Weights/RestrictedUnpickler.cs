using System.Buffers.Binary;
using System.Text;

namespace MLNetVideo.Weights;

/// <summary>
/// A pickle virtual machine that understands only what a PyTorch state dict needs: dicts and ordered dicts, lists, tuples,
/// None, booleans, 64-bit integers, floats, strings, bytes, tensors and storages. It never imports or calls Python code:
/// <c>GLOBAL</c> resolves only names on a fixed allowlist to constructors implemented here in C#, and every other global
/// (<c>os.system</c>, <c>builtins.eval</c>, ...) and every other opcode is refused with an <see cref="InvalidDataException"/>.
/// This is the same promise as PyTorch's <c>torch.load(weights_only=True)</c>.
/// </summary>
internal sealed class RestrictedUnpickler
{
    /// <summary>A storage referenced by a persistent id: <c>('storage', torch.FloatStorage, key, location, numel)</c>.</summary>
    internal readonly record struct StorageRequest(string Key, TensorDType DType, long ElementCount, string Location);

    private enum GlobalKind { OrderedDict, RebuildTensorV2, RebuildParameter, Storage, TorchScriptClass }

    /// <summary>A resolved, allowlisted Python global. Only these can be called by REDUCE.</summary>
    private sealed record AllowedGlobal(string Module, string Name, GlobalKind Kind, TensorDType StorageType)
    {
        public override string ToString() => $"{Module}.{Name}";
    }

    private static readonly Dictionary<string, AllowedGlobal> Allowlist = BuildAllowlist();
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _data;
    private readonly string _source;
    private readonly WeightsReadLimits _limits;
    private readonly Func<StorageRequest, TensorData> _loadStorage;
    private readonly List<object?> _stack = [];
    private readonly List<int> _marks = [];
    private readonly Dictionary<uint, object?> _memo = [];
    private int _pos;
    private int _opcodeAt;
    private long _objects;
    private long _copiedBytes;
    private long _storageBytes;
    private readonly HashSet<TensorData> _storages = new(ReferenceEqualityComparer.Instance);

    /// <summary>Prepares to read one pickle.</summary>
    /// <param name="data">The pickle bytes (for example <c>data.pkl</c>).</param>
    /// <param name="source">The file name for error messages.</param>
    /// <param name="limits">Bounds on stack, memo, objects and strings.</param>
    /// <param name="loadStorage">Loads a storage named by a persistent id as a 1-D tensor of its elements.</param>
    /// <param name="start">Where the pickle starts in <paramref name="data"/> (legacy checkpoints hold several pickles in a row).</param>
    public RestrictedUnpickler(byte[] data, string source, WeightsReadLimits limits, Func<StorageRequest, TensorData> loadStorage, int start = 0)
    {
        _data = data;
        _pos = start;
        _source = source;
        _limits = limits;
        _loadStorage = loadStorage;
    }

    /// <summary>The byte after the STOP opcode, once <see cref="Load"/> has returned.</summary>
    public int End => _pos;

    /// <summary>The allowlisted globals, for documentation and messages.</summary>
    public static IReadOnlyCollection<string> AllowedGlobals => Allowlist.Keys;

    /// <summary>Runs the pickle to its STOP opcode and returns the value it produced.</summary>
    public object? Load()
    {
        while (true)
        {
            if (_pos >= _data.Length)
                throw Invalid("it ends without a STOP opcode (truncated)");
            _opcodeAt = _pos;
            byte op = _data[_pos++];
            switch (op)
            {
                case 0x80: // PROTO
                    {
                        byte protocol = ReadByte();
                        if (protocol > 5) throw Invalid($"it uses pickle protocol {protocol}; protocols 2 to 5 are supported");
                        break;
                    }
                case 0x95: // FRAME
                    {
                        ulong length = ReadUInt64();
                        if (length > (ulong)(_data.Length - _pos)) throw Invalid($"a FRAME at byte {_opcodeAt} claims {length} bytes but only {_data.Length - _pos} remain");
                        break;
                    }
                case (byte)'.': // STOP
                    {
                        if (_marks.Count != 0 || _stack.Count != 1)
                            throw Invalid($"it stops with {_stack.Count} values on the stack and {_marks.Count} open marks instead of one value");
                        var result = _stack[0];
                        CheckGraph(result);
                        return result;
                    }
                case (byte)'(': // MARK
                    if (_marks.Count >= _limits.MaxStackDepth) throw Invalid($"it nests more than WeightsReadLimits.MaxStackDepth ({_limits.MaxStackDepth}) marks");
                    _marks.Add(_stack.Count);
                    break;
                case (byte)'0': // POP
                    Pop();
                    break;
                case (byte)'1': // POP_MARK
                    PopMark();
                    break;
                case (byte)'2': // DUP
                    Push(Peek(), counts: false);
                    break;
                case (byte)'N': Push(null); break;                // NONE
                case 0x88: Push(true); break;                      // NEWTRUE
                case 0x89: Push(false); break;                     // NEWFALSE
                case (byte)'K': Push((long)ReadByte()); break;     // BININT1
                case (byte)'M': Push((long)ReadUInt16()); break;   // BININT2
                case (byte)'J': Push((long)ReadInt32()); break;    // BININT
                case 0x8a: Push(ReadLong(ReadByte())); break;      // LONG1
                case 0x8b: Push(ReadLong(ReadUInt32())); break;    // LONG4
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;   // BINFLOAT
                case (byte)'X': Push(ReadText(ReadUInt32())); break;     // BINUNICODE
                case 0x8c: Push(ReadText(ReadByte())); break;            // SHORT_BINUNICODE
                case 0x8d: Push(ReadText(ReadUInt64())); break;          // BINUNICODE8
                case (byte)'B': Push(ReadBytes(ReadUInt32())); break;    // BINBYTES
                case (byte)'C': Push(ReadBytes(ReadByte())); break;      // SHORT_BINBYTES
                case 0x8e: Push(ReadBytes(ReadUInt64())); break;         // BINBYTES8
                case (byte)'}': Push(new CheckpointDictionary()); break; // EMPTY_DICT
                case (byte)']': Push(new List<object?>()); break;        // EMPTY_LIST
                case (byte)')': Push(Array.Empty<object?>()); break;     // EMPTY_TUPLE
                case (byte)'d': // DICT
                    {
                        var items = PopMark();
                        Push(FillDictionary(new CheckpointDictionary(), items));
                        break;
                    }
                case (byte)'l': Push(PopMark()); break;                  // LIST
                case (byte)'t': Push(PopMark().ToArray()); break;        // TUPLE
                case 0x85: Push(new[] { Pop() }); break;                 // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }              // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; } // TUPLE3
                case (byte)'s': // SETITEM
                    {
                        var value = Pop();
                        var key = Pop();
                        FillDictionary(PeekAs<CheckpointDictionary>("SETITEM"), [key, value]);
                        break;
                    }
                case (byte)'u': // SETITEMS
                    {
                        var items = PopMark();
                        FillDictionary(PeekAs<CheckpointDictionary>("SETITEMS"), items);
                        break;
                    }
                case (byte)'a': // APPEND
                    {
                        var value = Pop();
                        PeekAs<List<object?>>("APPEND").Add(value);
                        break;
                    }
                case (byte)'e': // APPENDS
                    {
                        var items = PopMark();
                        PeekAs<List<object?>>("APPENDS").AddRange(items);
                        break;
                    }
                case (byte)'q': Memoize(ReadByte()); break;       // BINPUT
                case (byte)'r': Memoize(ReadUInt32()); break;     // LONG_BINPUT
                case 0x94: Memoize((uint)_memo.Count); break;     // MEMOIZE
                case (byte)'h': Push(Recall(ReadByte()), counts: false); break;     // BINGET
                case (byte)'j': Push(Recall(ReadUInt32()), counts: false); break;   // LONG_BINGET
                case (byte)'c': // GLOBAL
                    {
                        string module = ReadLine();
                        string name = ReadLine();
                        Push(Resolve(module, name));
                        break;
                    }
                case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop();
                        var module = Pop();
                        if (module is not string m || name is not string n)
                            throw Invalid($"STACK_GLOBAL at byte {_opcodeAt} needs two strings");
                        Push(Resolve(m, n));
                        break;
                    }
                case (byte)'Q': // BINPERSID
                    Push(PersistentLoad(Pop()));
                    break;
                case (byte)'R': // REDUCE
                    {
                        var args = Pop();
                        var callable = Pop();
                        Push(Reduce(callable, args));
                        break;
                    }
                case 0x81: // NEWOBJ: only TorchScript classes, which become inert records (no constructor runs)
                    {
                        if (_stack.Count - (_marks.Count > 0 ? _marks[^1] : 0) < 2)
                            throw Invalid($"NEWOBJ (0x81) at byte {_opcodeAt} needs a class and its arguments on the stack");
                        var args = Pop();
                        var cls = Pop();
                        if (cls is not AllowedGlobal { Kind: GlobalKind.TorchScriptClass } scriptClass || args is not object?[] { Length: 0 })
                            throw Invalid($"NEWOBJ (0x81) at byte {_opcodeAt} creates a {TypeName(cls)}; only TorchScript module records (no arguments) are created");
                        Push(new TorchScriptObject(scriptClass.ToString()));
                        break;
                    }
                case (byte)'b': // BUILD
                    {
                        var state = Pop();
                        Build(Peek(), state);
                        break;
                    }
                default:
                    throw Invalid($"it uses the pickle opcode {DescribeOpcode(op)} at byte {_opcodeAt}, which a weights-only reader does not run");
            }
        }
    }

    private static Dictionary<string, AllowedGlobal> BuildAllowlist()
    {
        var list = new List<AllowedGlobal>
        {
            new("collections", "OrderedDict", GlobalKind.OrderedDict, default),
            new("torch._utils", "_rebuild_tensor_v2", GlobalKind.RebuildTensorV2, default),
            new("torch._utils", "_rebuild_parameter", GlobalKind.RebuildParameter, default),
            new("torch", "DoubleStorage", GlobalKind.Storage, TensorDType.Float64),
            new("torch", "FloatStorage", GlobalKind.Storage, TensorDType.Float32),
            new("torch", "HalfStorage", GlobalKind.Storage, TensorDType.Float16),
            new("torch", "BFloat16Storage", GlobalKind.Storage, TensorDType.BFloat16),
            new("torch", "LongStorage", GlobalKind.Storage, TensorDType.Int64),
            new("torch", "IntStorage", GlobalKind.Storage, TensorDType.Int32),
            new("torch", "ShortStorage", GlobalKind.Storage, TensorDType.Int16),
            new("torch", "CharStorage", GlobalKind.Storage, TensorDType.Int8),
            new("torch", "ByteStorage", GlobalKind.Storage, TensorDType.UInt8),
            new("torch", "BoolStorage", GlobalKind.Storage, TensorDType.Bool),
        };
        // Checkpoints saved from a GPU (legacy files, and zip files of PyTorch 1.6 to 1.12) name the CUDA storage types;
        // the bytes are the same and nothing is ever placed on a GPU here.
        list.AddRange(list.Where(g => g.Kind == GlobalKind.Storage).Select(g => g with { Module = "torch.cuda" }).ToList());
        return list.ToDictionary(g => g.ToString(), StringComparer.Ordinal);
    }

    private AllowedGlobal Resolve(string module, string name)
    {
        if (Allowlist.TryGetValue($"{module}.{name}", out var allowed))
            return allowed;
        if (TorchScriptObject.IsClassName(module, name))
            return new AllowedGlobal(module, name, GlobalKind.TorchScriptClass, default);
        string hint = module.StartsWith("__torch__", StringComparison.Ordinal)
            ? " TorchScript class names must be dotted Python identifiers."
            : " The file may be malicious, or it stores Python objects other than tensors and plain values: re-save it with torch.save(model.state_dict(), path) or convert it to safetensors.";
        throw Invalid($"it refers to the Python global '{Shorten(module)}.{Shorten(name)}', which a weights-only reader never loads " +
            $"(allowed: {string.Join(", ", Allowlist.Keys)}); nothing was executed.{hint}".TrimEnd('.'));
    }

    private object? Reduce(object? callable, object? args)
    {
        if (callable is not AllowedGlobal function)
            throw Invalid($"REDUCE at byte {_opcodeAt} calls a {TypeName(callable)}, which is not an allowed global");
        if (args is not object?[] arguments)
            throw Invalid($"REDUCE at byte {_opcodeAt} passes a {TypeName(args)} instead of an argument tuple to {function}");
        switch (function.Kind)
        {
            case GlobalKind.OrderedDict:
                {
                    var dict = new CheckpointDictionary();
                    if (arguments.Length == 0) return dict;
                    if (arguments.Length == 1 && arguments[0] is IReadOnlyList<object?> pairs)
                    {
                        foreach (var pair in pairs)
                        {
                            if (pair is not IReadOnlyList<object?> { Count: 2 } kv)
                                throw Invalid($"collections.OrderedDict at byte {_opcodeAt} is given an item that is not a (key, value) pair");
                            FillDictionary(dict, [kv[0], kv[1]]);
                        }
                        return dict;
                    }
                    throw Invalid($"collections.OrderedDict at byte {_opcodeAt} is called with unsupported arguments");
                }
            case GlobalKind.RebuildTensorV2:
                return RebuildTensor(arguments);
            case GlobalKind.RebuildParameter:
                if (arguments.Length is < 2 or > 3 || arguments[0] is not TensorData data || arguments[1] is not bool)
                    throw Invalid($"torch._utils._rebuild_parameter at byte {_opcodeAt} is called with unsupported arguments");
                return data;
            default:
                throw Invalid($"{function} at byte {_opcodeAt} is called directly, which a weights-only reader never does (storages appear only in persistent ids, TorchScript objects only through NEWOBJ)");
        }
    }

    private TensorData RebuildTensor(object?[] a)
    {
        // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (a.Length is < 6 or > 7 || a[0] is not TensorData storage || a[1] is not long offset
            || a[2] is not object?[] size || a[3] is not object?[] stride || a[4] is not bool)
            throw Invalid($"torch._utils._rebuild_tensor_v2 at byte {_opcodeAt} is called with unsupported arguments");
        if (a[5] is not CheckpointDictionary { Count: 0 })
            throw Invalid($"the tensor rebuilt at byte {_opcodeAt} carries backward hooks, which a weights-only reader never restores");
        if (a.Length == 7 && a[6] is not (null or CheckpointDictionary))
            throw Invalid($"the tensor rebuilt at byte {_opcodeAt} carries unsupported metadata");
        if (size.Length != stride.Length || size.Length > _limits.MaxDimensions)
            throw Invalid($"the tensor rebuilt at byte {_opcodeAt} has {size.Length} sizes and {stride.Length} strides (at most {_limits.MaxDimensions} dimensions)");
        var shape = new long[size.Length];
        var strides = new long[size.Length];
        for (int i = 0; i < size.Length; i++)
        {
            if (size[i] is not long s || s < 0 || stride[i] is not long st || st < 0)
                throw Invalid($"the tensor rebuilt at byte {_opcodeAt} has a size or stride that is not a non-negative integer");
            shape[i] = s;
            strides[i] = st;
        }
        var dtype = storage.DType;
        int itemSize = dtype.ItemSize();
        if (!TensorData.TryGetByteCount(dtype, shape, out long byteCount) || byteCount > _limits.MaxTensorBytes)
            throw Invalid($"the tensor rebuilt at byte {_opcodeAt} has shape {TensorData.FormatShape(shape)}, larger than WeightsReadLimits.MaxTensorBytes ({_limits.MaxTensorBytes} bytes)");
        long count = byteCount / itemSize;
        if (count == 0)
            return new TensorData(dtype, shape, Array.Empty<byte>());

        // Highest element index touched: offset + sum((size - 1) * stride), computed without overflow.
        long storageCount = storage.ElementCount;
        long last = offset;
        bool fits = offset >= 0;
        for (int i = 0; i < shape.Length && fits; i++)
        {
            long span = shape[i] - 1;
            if (span != 0 && strides[i] > (long.MaxValue - last) / span) fits = false;
            else last += span * strides[i];
        }
        if (!fits || last >= storageCount)
            throw Invalid($"the tensor rebuilt at byte {_opcodeAt} (offset {offset}, shape {TensorData.FormatShape(shape)}, strides {TensorData.FormatShape(strides)}) reaches outside its storage of {storageCount} elements");

        bool contiguous = true;
        long expectedStride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] != 1 && strides[i] != expectedStride) contiguous = false;
            expectedStride *= shape[i];
        }
        if (contiguous)
            return new TensorData(dtype, shape, storage.Bytes.Slice(checked((int)(offset * itemSize)), (int)byteCount));

        // A strided view: gather element by element. Views can be larger than their storage (stride 0 expands one element),
        // so before anything is allocated a view may hold at most MaxViewExpansion times its storage's bytes, all views
        // together at most MaxViewExpansion times the bytes of all storages read, and at most MaxTotalBytes (small views pass).
        long storageBytes = storage.Bytes.Length;
        if (byteCount > Math.Max(SmallViewBytes, _limits.MaxViewExpansion * storageBytes))
            throw Invalid($"the tensor view rebuilt at byte {_opcodeAt} (shape {TensorData.FormatShape(shape)}, strides {TensorData.FormatShape(strides)}) holds {byteCount} bytes, " +
                $"more than WeightsReadLimits.MaxViewExpansion ({_limits.MaxViewExpansion}) times its storage of {storageBytes} bytes");
        _copiedBytes += byteCount;
        if (_copiedBytes > _limits.MaxTotalBytes)
            throw Invalid($"its strided tensor views expand to more than WeightsReadLimits.MaxTotalBytes ({_limits.MaxTotalBytes} bytes) of copies");
        if (_copiedBytes > Math.Max(SmallViewBytes, _limits.MaxViewExpansion * _storageBytes))
            throw Invalid($"its strided tensor views expand to {_copiedBytes} bytes of copies, more than WeightsReadLimits.MaxViewExpansion ({_limits.MaxViewExpansion}) times the {_storageBytes} bytes of its storages");
        var bytes = new byte[byteCount];
        var source = storage.Bytes.Span;
        var index = new long[shape.Length];
        for (long n = 0; n < count; n++)
        {
            long element = offset;
            for (int i = 0; i < shape.Length; i++) element += index[i] * strides[i];
            source.Slice((int)(element * itemSize), itemSize).CopyTo(bytes.AsSpan((int)(n * itemSize), itemSize));
            for (int i = shape.Length - 1; i >= 0; i--)
            {
                if (++index[i] < shape[i]) break;
                index[i] = 0;
            }
        }
        return new TensorData(dtype, shape, bytes);
    }

    private TensorData PersistentLoad(object? pid)
    {
        // ('storage', type, key, location, size) since PyTorch 1.6; legacy files add view metadata: None, or
        // (view key, offset, view size) for a storage that is a slice of another.
        if (pid is not object?[] { Length: 5 or 6 } t || t[0] is not "storage" || t[1] is not AllowedGlobal { Kind: GlobalKind.Storage } storageType
            || t[2] is not string key || t[3] is not string location || t[4] is not long count || count < 0)
            throw Invalid($"the persistent id at byte {_opcodeAt} is not ('storage', <torch storage type>, key, location, size[, view])");
        var storage = _loadStorage(new StorageRequest(key, storageType.StorageType, count, location));
        // Bytes stored, counted once per storage, bound what strided views may expand to.
        if (_storages.Add(storage))
            _storageBytes += storage.Bytes.Length;
        if (t.Length == 5 || t[5] is null)
            return storage;
        if (t[5] is not object?[] { Length: 3 } view || view[1] is not long offset || view[2] is not long viewCount
            || offset < 0 || viewCount < 0 || offset > count - viewCount)
            throw Invalid($"the storage view at byte {_opcodeAt} is not (key, offset, size) inside its storage of {count} elements");
        int itemSize = storageType.StorageType.ItemSize();
        return new TensorData(storage.DType, [viewCount], storage.Bytes.Slice(checked((int)(offset * itemSize)), checked((int)(viewCount * itemSize))));
    }

    /// <summary>Views up to this size are never refused for expanding their storage.</summary>
    private const long SmallViewBytes = 4096;

    private void Build(object? target, object? state)
    {
        if (target is TorchScriptObject record && state is CheckpointDictionary fields)
        {
            foreach (var (name, value) in fields)
            {
                if (name is not string field)
                    throw Invalid($"BUILD at byte {_opcodeAt} sets a TorchScript attribute whose name is not a string");
                record.Set(field, value);
            }
            return;
        }
        if (target is CheckpointDictionary dict && state is CheckpointDictionary attributes)
        {
            foreach (var (name, value) in attributes)
            {
                if (name is not string attribute)
                    throw Invalid($"BUILD at byte {_opcodeAt} sets an attribute whose name is not a string");
                dict.SetAttribute(attribute, value);
            }
            return;
        }
        throw Invalid($"BUILD at byte {_opcodeAt} sets the state of a {TypeName(target)} from a {TypeName(state)}, which a weights-only reader does not do");
    }

    private CheckpointDictionary FillDictionary(CheckpointDictionary dict, List<object?> items)
    {
        if (items.Count % 2 != 0)
            throw Invalid($"the dictionary items at byte {_opcodeAt} are not key/value pairs");
        for (int i = 0; i < items.Count; i += 2)
        {
            var key = items[i];
            if (key is not (null or string or long or double or bool))
                throw Invalid($"a dictionary at byte {_opcodeAt} uses a {TypeName(key)} as a key; only strings, numbers, booleans and None are supported");
            dict.Set(key, items[i + 1]);
        }
        return dict;
    }

    /// <summary>Refuses reference cycles, nesting beyond <see cref="WeightsReadLimits.MaxNesting"/> and leftover globals.
    /// Iterative, and linear in the number of objects and references (shared objects are walked once and their height
    /// remembered), so a hostile graph can neither overflow the stack nor take exponential time.</summary>
    private void CheckGraph(object? root)
    {
        var height = new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
        var onPath = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var work = new Stack<Frame>();

        void Reached(int childHeight)
        {
            if (work.Count + childHeight > _limits.MaxNesting)
                throw Invalid($"its containers nest more than WeightsReadLimits.MaxNesting ({_limits.MaxNesting}) levels deep");
            if (work.Count > 0 && work.Peek().MaxChildHeight < childHeight)
                work.Peek().MaxChildHeight = childHeight;
        }

        void Enter(object? value)
        {
            switch (value)
            {
                case null or bool or long or double or string or byte[] or TensorData:
                    return;
                case AllowedGlobal g:
                    throw Invalid($"it leaves the Python global '{g}' in the result instead of calling it");
                case CheckpointDictionary or object?[] or List<object?> or TorchScriptObject:
                    if (height.TryGetValue(value, out int known))
                    {
                        Reached(known);
                        return;
                    }
                    if (!onPath.Add(value))
                        throw Invalid("it contains a reference cycle (a container that holds itself), which state dicts never do");
                    Reached(1);
                    work.Push(new Frame(value, Children(value).GetEnumerator()));
                    return;
                default:
                    throw Invalid($"it produced an unsupported {TypeName(value)}");
            }
        }

        Enter(root);
        while (work.Count > 0)
        {
            var frame = work.Peek();
            if (frame.Children.MoveNext())
            {
                Enter(frame.Children.Current);
                continue;
            }
            work.Pop();
            onPath.Remove(frame.Node);
            int h = frame.MaxChildHeight + 1;
            height[frame.Node] = h;
            Reached(h);
        }
    }

    private sealed class Frame(object node, IEnumerator<object?> children)
    {
        public object Node { get; } = node;
        public IEnumerator<object?> Children { get; } = children;
        public int MaxChildHeight { get; set; }
    }

    private static IEnumerable<object?> Children(object container) => container switch
    {
        CheckpointDictionary d => d.Keys.Cast<object?>().Concat(d.Values).Concat(d.Attributes.Values),
        TorchScriptObject o => o.Attributes.Values,
        IEnumerable<object?> items => items,
        _ => [],
    };

    private void Push(object? value, bool counts = true)
    {
        if (_stack.Count >= _limits.MaxStackDepth)
            throw Invalid($"its stack grows beyond WeightsReadLimits.MaxStackDepth ({_limits.MaxStackDepth}) values");
        if (counts && ++_objects > _limits.MaxObjects)
            throw Invalid($"it creates more than WeightsReadLimits.MaxObjects ({_limits.MaxObjects}) objects");
        _stack.Add(value);
    }

    private object? Pop()
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor)
            throw Invalid($"an opcode at byte {_opcodeAt} pops from an empty stack");
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Peek()
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor)
            throw Invalid($"an opcode at byte {_opcodeAt} reads from an empty stack");
        return _stack[^1];
    }

    private T PeekAs<T>(string opcode) where T : class
        => Peek() as T ?? throw Invalid($"{opcode} at byte {_opcodeAt} applies to a {TypeName(Peek())}");

    private List<object?> PopMark()
    {
        if (_marks.Count == 0)
            throw Invalid($"an opcode at byte {_opcodeAt} needs a MARK that was never set");
        int start = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        var items = _stack.GetRange(start, _stack.Count - start);
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private void Memoize(uint index)
    {
        if (!_memo.ContainsKey(index) && _memo.Count >= _limits.MaxMemoEntries)
            throw Invalid($"its memo grows beyond WeightsReadLimits.MaxMemoEntries ({_limits.MaxMemoEntries}) entries");
        _memo[index] = Peek();
    }

    private object? Recall(uint index)
        => _memo.TryGetValue(index, out var value) ? value : throw Invalid($"it reads memo entry {index}, which was never stored (byte {_opcodeAt})");

    private ReadOnlySpan<byte> Take(ulong count)
    {
        if (count > (ulong)(_data.Length - _pos))
            throw Invalid($"the opcode at byte {_opcodeAt} needs {count} more bytes than remain (truncated)");
        var span = _data.AsSpan(_pos, (int)count);
        _pos += (int)count;
        return span;
    }

    private byte ReadByte() => Take(1)[0];
    private ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
    private int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
    private uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    private ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    private long ReadLong(uint length)
    {
        if (length > 8)
            throw Invalid($"the integer at byte {_opcodeAt} is {length} bytes wide; at most 64 bits are supported");
        var bytes = Take(length);
        if (length == 0) return 0;
        long value = (sbyte)bytes[^1];   // sign-extend the most significant byte
        for (int i = bytes.Length - 2; i >= 0; i--) value = (value << 8) | bytes[i];
        return value;
    }

    private string ReadText(ulong length)
    {
        CheckStringLength(length);
        try
        {
            return StrictUtf8.GetString(Take(length));
        }
        catch (DecoderFallbackException)
        {
            throw Invalid($"the string at byte {_opcodeAt} is not valid UTF-8");
        }
    }

    private byte[] ReadBytes(ulong length)
    {
        CheckStringLength(length);
        return Take(length).ToArray();
    }

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos, (int)Math.Min(_data.Length - _pos, Math.Min(_limits.MaxStringBytes, 4096)));
        if (end < 0)
            throw Invalid($"the GLOBAL at byte {_opcodeAt} has no line end within 4096 bytes");
        var text = ReadText((ulong)(end - _pos));
        _pos++;   // the newline
        return text;
    }

    private void CheckStringLength(ulong length)
    {
        if (length > (ulong)_limits.MaxStringBytes)
            throw Invalid($"the string at byte {_opcodeAt} claims {length} bytes, more than WeightsReadLimits.MaxStringBytes ({_limits.MaxStringBytes})");
    }

    private static string DescribeOpcode(byte op)
    {
        string? name = op switch
        {
            (byte)'i' => "INST", (byte)'o' => "OBJ", 0x81 => "NEWOBJ", 0x92 => "NEWOBJ_EX", 0x82 => "EXT1", 0x83 => "EXT2", 0x84 => "EXT4",
            (byte)'P' => "PERSID", (byte)'S' => "STRING", (byte)'T' => "BINSTRING", (byte)'U' => "SHORT_BINSTRING", (byte)'V' => "UNICODE",
            (byte)'I' => "INT", (byte)'L' => "LONG", (byte)'F' => "FLOAT", (byte)'g' => "GET", (byte)'p' => "PUT",
            0x8f => "EMPTY_SET", 0x90 => "ADDITEMS", 0x91 => "FROZENSET", 0x96 => "BYTEARRAY8", 0x97 => "NEXT_BUFFER", 0x98 => "READONLY_BUFFER",
            _ => null,
        };
        return name is null ? $"0x{op:x2}" : $"{name} (0x{op:x2})";
    }

    private static string TypeName(object? value) => value switch
    {
        null => "None",
        AllowedGlobal g => $"global {g}",
        CheckpointDictionary => "dict",
        TorchScriptObject o => $"TorchScript object {o.ClassName}",
        object?[] => "tuple",
        List<object?> => "list",
        TensorData => "tensor",
        string => "string",
        long => "int",
        double => "float",
        bool => "bool",
        byte[] => "bytes",
        _ => value.GetType().Name,
    };

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";

    private InvalidDataException Invalid(string reason)
        => new($"PyTorch checkpoint '{_source}' was refused: {reason}.");
}
