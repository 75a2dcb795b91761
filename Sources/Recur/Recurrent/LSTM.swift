import RecurCore

/// Long short-term memory (PyTorch's nn.LSTM):
///
///     i = σ(W_ii x + b_ii + W_hi h + b_hi)    f = σ(W_if x + b_if + W_hf h + b_hf)
///     g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
///     c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')
///
/// Gate blocks i | f | g | o. The state is (h, c). See `RecurrentNetwork` for shapes, stacking,
/// bidirectionality and lengths, `LSTMGates` for the fused kernels, docs/cells/lstm.md for BPTT.
public final class LSTM<Scalar: RecurScalar>: RecurrentNetwork<Scalar> {
    public init(
        inputSize: Int, hiddenSize: Int, layers: Int = 1, bidirectional: Bool = false, dropout: Double = 0,
        initialization: WeightInitialization = .pytorch, using generator: inout RandomGenerator
    ) {
        super.init(cell: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers,
                   bidirectional: bidirectional, dropout: dropout, initialization: initialization, using: &generator)
    }
}
