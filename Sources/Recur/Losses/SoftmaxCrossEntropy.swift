import RecurCore

/// Softmax cross-entropy from logits with integer targets, fused with its gradient.
///
/// Shapes: logits `[..., V]` flattened to N rows; targets N class ids; mask N flags (nil: all).
/// The loss is the mean over unmasked rows of `-log softmax(logits)[target]`; the gradient of that
/// mean is `(softmax - onehot) / count` on unmasked rows and zero on masked ones. The log-sum-exp is
/// shifted by the row maximum, so large logits do not overflow. With no unmasked row the loss is 0.
public enum SoftmaxCrossEntropy {
    @_specialize(where Scalar == Float)
    public static func compute<Scalar: RecurScalar>(
        logits: Tensor<Scalar>, targets: [Int], mask: [Bool]? = nil
    ) -> (loss: Double, gradient: Tensor<Scalar>) {
        guard let classes = logits.shape.last, classes > 0 else {
            preconditionFailure("SoftmaxCrossEntropy: expected logits [..., V], got \(logits.shape)")
        }
        let rows = logits.count / classes
        precondition(targets.count == rows, "SoftmaxCrossEntropy: expected \(rows) targets, got \(targets.count)")
        let counted = unmaskedCount(mask, rows: rows, in: "SoftmaxCrossEntropy")
        var gradient = Tensor<Scalar>(shape: logits.shape)
        guard counted > 0 else { return (0, gradient) }
        let scale = 1 / Double(counted)
        var total = 0.0
        logits.withUnsafeBufferPointer { lb in
            gradient.withUnsafeMutableBufferPointer { gb in
                let logits = lb.baseAddress!, gradient = gb.baseAddress!
                // Rows are independent: shares of them run on the compute threads.
                total = ComputeThreads.sum(count: rows, minimumShare: 256) { share in
                    var partial = 0.0
                    for r in share where mask?[r] ?? true {
                        let target = targets[r]
                        precondition(target >= 0 && target < classes,
                                     "SoftmaxCrossEntropy: expected targets in 0..<\(classes), got \(target) at row \(r)")
                        let row = logits + r * classes
                        let g = gradient + r * classes
                        var maximum = row[0]
                        for j in 1..<classes where row[j] > maximum { maximum = row[j] }
                        // e^(z - max), eight lanes at a time; the sum in Double.
                        var sum = 0.0
                        var j = 0
                        while j < classes {
                            let n = min(8, classes - j)
                            let e = Scalar.exp(load8(row + j, count: n) - maximum)
                            store8(e, g + j, count: n)
                            for l in 0..<n { sum += Double(e[l]) }
                            j += 8
                        }
                        partial += Double.log(sum) - Double(row[target] - maximum)
                        // dL/dz = (softmax - onehot) / count
                        let normaliser = Scalar(scale / sum)
                        for j in 0..<classes { g[j] *= normaliser }
                        g[target] -= Scalar(scale)
                    }
                    return partial
                }
            }
        }
        return (total * scale, gradient)
    }
}

/// The rows a loss averages over: all of them, or the ones whose mask flag is set.
func unmaskedCount(_ mask: [Bool]?, rows: Int, in loss: String) -> Int {
    guard let mask else { return rows }
    precondition(mask.count == rows, "\(loss): expected \(rows) mask flags, got \(mask.count)")
    return mask.lazy.filter { $0 }.count
}

/// Softmax over the last axis: probabilities from logits (optionally divided by a temperature).
@_specialize(where Scalar == Float)
public func softmax<Scalar: RecurScalar>(_ logits: Tensor<Scalar>, temperature: Double = 1) -> Tensor<Scalar> {
    guard let classes = logits.shape.last, classes > 0 else {
        preconditionFailure("softmax: expected logits [..., V], got \(logits.shape)")
    }
    precondition(temperature > 0, "softmax: expected a positive temperature, got \(temperature)")
    var out = Tensor<Scalar>(shape: logits.shape)
    logits.withUnsafeBufferPointer { lb in
        out.withUnsafeMutableBufferPointer { ob in
            for r in 0..<(logits.count / classes) {
                let row = lb.baseAddress! + r * classes
                let o = ob.baseAddress! + r * classes
                var maximum = Double(row[0])
                for j in 1..<classes { maximum = max(maximum, Double(row[j])) }
                var sum = 0.0
                for j in 0..<classes {
                    let e = Double.exp((Double(row[j]) - maximum) / temperature)
                    o[j] = Scalar(e)
                    sum += e
                }
                for j in 0..<classes { o[j] = Scalar(Double(o[j]) / sum) }
            }
        }
    }
    return out
}
