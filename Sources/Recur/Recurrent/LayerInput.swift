import RecurCore

/// What a recurrent layer reads: a dense sequence, or token ids standing for the rows of an embedding
/// table.
///
/// With token ids the embedded sequence is never formed. The input projection of step t, row b is
/// `table[id] W_ih^T + b`, a row of the `[V, G*H]` product `table W_ih^T`, which is computed once per
/// forward pass (V rows instead of T*B) and gathered by id. Backward, the gate gradients are first
/// summed per token (`S^T dGates`, `[V, G*H]`, S being the one-hot matrix of the ids); then
/// `dW_ih += (S^T dGates)^T table` and `dL/dtable = (S^T dGates) W_ih` are products of V rows too.
/// The arithmetic is that of the dense path regrouped: the gradients agree to rounding.
enum LayerInput<Scalar: RecurScalar> {
    /// `[T, B, I]`.
    case dense(Tensor<Scalar>)
    /// `ids`: `T * B` ids in `0..<V`, time-major; `table`: `[V, I]`.
    case tokens(ids: [Int], steps: Int, batch: Int, table: Tensor<Scalar>)

    var steps: Int {
        switch self {
        case .dense(let x): return x.shape[0]
        case .tokens(_, let steps, _, _): return steps
        }
    }

    var batch: Int {
        switch self {
        case .dense(let x): return x.shape[1]
        case .tokens(_, _, let batch, _): return batch
        }
    }

    /// I, the features of one step of one row.
    var features: Int {
        switch self {
        case .dense(let x): return x.shape[2]
        case .tokens(_, _, _, let table): return table.shape[1]
        }
    }

    /// The shape of dL/d(input): `[T, B, I]`, or the table's `[V, I]`.
    var gradientShape: [Int] {
        switch self {
        case .dense(let x): return x.shape
        case .tokens(_, _, _, let table): return table.shape
        }
    }
}

extension Embedding {
    /// The input of a recurrent network reading `ids` (of shape `[T, B]`) through this table: the
    /// network's first layer gathers its input projection by id (`LayerInput.tokens`) instead of
    /// reading `forward(ids:shape:)`'s rows. Checks the ids as `forward` does.
    func tokens(_ ids: [Int], steps: Int, batch: Int) -> LayerInput<Scalar> {
        checkIDs(ids, count: steps * batch)
        return .tokens(ids: ids, steps: steps, batch: batch, table: weight.value)
    }
}
