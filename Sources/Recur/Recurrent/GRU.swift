import RecurCore

/// Gated recurrent unit (PyTorch's nn.GRU):
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
///     h' = (1 - z) ⊙ n + z ⊙ h
///
/// Gate blocks r | z | n. See `RecurrentNetwork` for shapes, stacking, bidirectionality and lengths,
/// `GRUGates` for the fused kernels, docs/cells/gru.md for BPTT.
public final class GRU<Scalar: RecurScalar>: RecurrentNetwork<Scalar> {
    public init(
        inputSize: Int, hiddenSize: Int, layers: Int = 1, bidirectional: Bool = false, dropout: Double = 0,
        initialization: WeightInitialization = .pytorch, using generator: inout RandomGenerator
    ) {
        super.init(cell: .gru, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers,
                   bidirectional: bidirectional, dropout: dropout, initialization: initialization, using: &generator)
    }
}
