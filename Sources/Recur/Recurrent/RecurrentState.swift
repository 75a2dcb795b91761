import RecurCore

/// The state of a recurrent network between sequences (or between chunks of one sequence):
/// `h [L*D, B, H]` and, for an LSTM, `c [L*D, B, H]`, indexed like PyTorch's `h_n`: row
/// `layer * D + direction`, where D is 2 for a bidirectional network and direction 1 runs backwards.
public struct RecurrentState<Scalar: RecurScalar>: Equatable, Sendable {
    public var h: Tensor<Scalar>
    public var c: Tensor<Scalar>?

    public init(h: Tensor<Scalar>, c: Tensor<Scalar>? = nil) {
        if let c {
            precondition(c.shape == h.shape, "RecurrentState: expected c of shape \(h.shape), got \(c.shape)")
        }
        self.h = h
        self.c = c
    }

    /// An all-zero state of shape `[stateCount, batch, hidden]`.
    public static func zeros(stateCount: Int, batch: Int, hidden: Int, withCell: Bool) -> RecurrentState {
        let shape = [stateCount, batch, hidden]
        return RecurrentState(h: Tensor(shape: shape), c: withCell ? Tensor(shape: shape) : nil)
    }

    /// Whether every value of h (and c) is finite.
    public var isFinite: Bool {
        h.scalars.allSatisfy(\.isFinite) && (c?.scalars.allSatisfy(\.isFinite) ?? true)
    }
}
