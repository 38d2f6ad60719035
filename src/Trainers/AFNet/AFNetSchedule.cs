namespace MLNetVideo.Trainers.AFNet;

/// <summary>How <see cref="AFNetTrainer"/> schedules the navigation's training: the ratio-target curriculum, the Gumbel
/// temperature and noise, the gate initialisation, the ratio-loss weight and the navigation learning rate.</summary>
public enum AFNetSchedule
{
    /// <summary>Sized to the run the user asked for (default): every schedule is a fraction of Epochs × batches per epoch; the
    /// target falls linearly from 1 to RT over the first half of the run; the gates start near the decision boundary
    /// (keep − skip bias 3); τ stays at 1 so the straight-through gradient reaches the gates; the Gumbel noise is annealed
    /// to 0 between 50 % and 80 % of the run so that the decisions trained on last are the noise-free ones used at
    /// inference; λ = 16 and the navigation learns 100× (SGD) or 30× (AdamW) faster than the rest. Reaches <see cref="AFNetTrainer.Options.TargetRatio"/> within
    /// a few hundred iterations (see docs/components/AFNet.md).</summary>
    ShortRun,

    /// <summary>The reference recipe (official <c>main.py</c>, <c>train_sth.sh</c>): gate bias [1, 10] (every frame selected),
    /// target 1 until 10/55 of the epochs, then RT + ⅔(1 − RT), RT + ⅓(1 − RT), RT from 20/55; τ from 1 to 0.01 over 50/55 of
    /// the epochs (per iteration); Gumbel noise throughout; λ = 0.5; navigation learning rate ×10 (<c>lr_mult</c>). Made for
    /// ~150k iterations (55 epochs of Something-Something from ImageNet weights): in a run of a few hundred iterations the
    /// gates do not move.</summary>
    OfficialRecipe,
}
