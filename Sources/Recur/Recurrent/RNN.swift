import RecurCore

/// The vanilla (Elman) recurrent network: `h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`,
/// with `act` tanh or relu, one weight set shared by every step. See `RecurrentNetwork` for shapes,
/// stacking, bidirectionality and lengths, and docs/cells/rnn.md for the backward pass.
public final class RNN<Scalar: RecurScalar>: RecurrentNetwork<Scalar> {
    public init(
        inputSize: Int, hiddenSize: Int, layers: Int = 1, nonlinearity: Activation = .tanh,
        bidirectional: Bool = false, dropout: Double = 0, initialization: WeightInitialization = .pytorch,
        using generator: inout RandomGenerator
    ) {
        let cell: CellKind
        switch nonlinearity {
        case .tanh: cell = .rnnTanh
        case .relu: cell = .rnnReLU
        case .sigmoid: preconditionFailure("RNN: expected nonlinearity tanh or relu, got sigmoid")
        }
        super.init(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers,
                   bidirectional: bidirectional, dropout: dropout, initialization: initialization, using: &generator)
    }
}
