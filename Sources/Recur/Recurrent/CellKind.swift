import RecurCore

/// The recurrent cells, with PyTorch's gate order: the one place it is written down.
///
/// | cell | G | gate blocks along the `G*H` rows of `weight_ih`, `weight_hh`, the biases |
/// |---|---|---|
/// | `rnnTanh`, `rnnReLU` | 1 | (h) |
/// | `lstm` | 4 | input i, forget f, cell candidate g, output o |
/// | `gru` | 3 | reset r, update z, new n |
public enum CellKind: String, Sendable, CaseIterable, Codable {
    case rnnTanh = "rnn_tanh"
    case rnnReLU = "rnn_relu"
    case lstm
    case gru

    /// G: how many H-wide blocks the weight matrices stack.
    public var gateCount: Int {
        switch self {
        case .rnnTanh, .rnnReLU: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    /// Whether the state has a cell part c besides h.
    public var hasCellState: Bool { self == .lstm }

    /// The block index of the LSTM forget gate (for forget-gate bias initialisation).
    public static let lstmForgetGate = 1

    /// The activation of the vanilla RNN cell; nil for the gated cells.
    var rnnActivation: Activation? {
        switch self {
        case .rnnTanh: return .tanh
        case .rnnReLU: return .relu
        case .lstm, .gru: return nil
        }
    }
}

extension CellKind {
    /// ONNX's gate order (LSTM i, o, f, c; GRU z, r, h) as indices into this cell's blocks.
    var onnxGateOrder: [Int] {
        switch self {
        case .lstm: return [0, 3, 1, 2]
        case .gru: return [1, 0, 2]
        case .rnnTanh, .rnnReLU: return [0]
        }
    }

    /// Keras's gate order as indices into this cell's blocks, and this cell's as indices into Keras's
    /// (the LSTM's i, f, c, o is PyTorch's; the GRU's z, r, h and PyTorch's r, z, n swap the first two).
    var kerasGateOrder: [Int] { self == .gru ? [1, 0, 2] : Array(0..<gateCount) }

    /// The `G` row blocks of `t` (`[G*H, ...]` weights or a `[G*H]` bias) in the order `blocks`.
    static func reorderingGates(_ t: Tensor<Float>, _ blocks: [Int]) -> Tensor<Float> {
        let size = t.count / blocks.count, values = t.scalars
        return Tensor(shape: t.shape, scalars: blocks.flatMap { values[($0 * size)..<(($0 + 1) * size)] })
    }
}

