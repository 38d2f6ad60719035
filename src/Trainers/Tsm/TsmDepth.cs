namespace MLNetVideo.Trainers.Tsm;

/// <summary>Depth of the ResNet backbone of a TSM network (torchvision's ResNet-18/34 with basic blocks, ResNet-50 with bottlenecks).</summary>
public enum TsmDepth
{
    /// <summary>ResNet-18: basic blocks [2, 2, 2, 2], 512 features.</summary>
    ResNet18 = 18,

    /// <summary>ResNet-34: basic blocks [3, 4, 6, 3], 512 features.</summary>
    ResNet34 = 34,

    /// <summary>ResNet-50: bottleneck blocks [3, 4, 6, 3], 2048 features (the backbone of the TSM reference checkpoints).</summary>
    ResNet50 = 50,
}
