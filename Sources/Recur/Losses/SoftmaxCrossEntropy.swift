import RecurCore

/// Softmax cross-entropy from logits with integer targets, fused with its gradient.
///
/// Shapes: logits `[..., V]` flattened to N rows; targets N class ids; mask N flags (nil: all).
/// The loss is the mean over unmasked rows of `-log softmax(logits)[target]`; the gradient of that
/// mean is `(softmax - onehot) / count` on unmasked rows and zero on masked ones. The log-sum-exp is
/// shifted by the row maximum, so large logits do not overflow. With no unmasked row the loss is 0.
///
/// With `classWeights` (V weights), row r counts `w[target_r]` times: the loss is
/// `sum_r w[t_r] nll_r / sum_r w[t_r]` over unmasked rows, as PyTorch's `cross_entropy(weight=w)`.
public enum SoftmaxCrossEntropy {
    @_specialize(where Scalar == Float)
    public static func compute<Scalar: RecurScalar>(
        logits: Tensor<Scalar>, targets: [Int], mask: [Bool]? = nil, classWeights: [Double]? = nil
    ) -> (loss: Double, gradient: Tensor<Scalar>) {
        guard let classes = logits.shape.last, classes > 0 else {
            preconditionFailure("SoftmaxCrossEntropy: expected logits [..., V], got \(logits.shape)")
        }
        let rows = logits.count / classes
        precondition(targets.count == rows, "SoftmaxCrossEntropy: expected \(rows) targets, got \(targets.count)")
        let counted = unmaskedCount(mask, rows: rows, in: "SoftmaxCrossEntropy")
        var gradient = Tensor<Scalar>(shape: logits.shape)
        guard counted > 0 else { return (0, gradient) }
        if let classWeights {
            precondition(classWeights.count == classes && classWeights.allSatisfy { $0 >= 0 && $0.isFinite },
                         "SoftmaxCrossEntropy: expected \(classes) non-negative class weights, got \(classWeights)")
        }
        /// The weight of row r: 1, or its target's class weight.
        func weight(_ r: Int) -> Double { classWeights.map { $0[targets[r]] } ?? 1 }
        let total = classWeights == nil ? Double(counted) : (0..<rows).reduce(0.0) { sum, r in
            (mask?[r] ?? true) && targets[r] >= 0 && targets[r] < classes ? sum + weight(r) : sum
        }
        guard total > 0 else { return (0, gradient) }
        let scale = 1 / total
        var weightedLoss = 0.0
        logits.withUnsafeBufferPointer { lb in
            gradient.withUnsafeMutableBufferPointer { gb in
                let logits = lb.baseAddress!, gradient = gb.baseAddress!
                // Rows are independent: shares of them run on the compute threads.
                weightedLoss = ComputeThreads.sum(count: rows, minimumShare: 256) { share in
                    var partial = 0.0
                    for r in share where mask?[r] ?? true {
                        let target = targets[r]
                        precondition(target >= 0 && target < classes,
                                     "SoftmaxCrossEntropy: expected targets in 0..<\(classes), got \(target) at row \(r)")
                        let row = logits + r * classes
                        let g = gradient + r * classes
                        // e^(z - max) (Float: in the run-time instruction set); the sum in Double.
                        let (maximum, sum) = numerators(row, count: classes, into: g)
                        let w = weight(r)
                        partial += w * (Double.log(sum) - Double(row[target] - maximum))
                        // dL/dz = w (softmax - onehot) / total
                        let normaliser = Scalar(w * scale / sum)
                        for j in 0..<classes { g[j] *= normaliser }
                        g[target] -= Scalar(w * scale)
                    }
                    return partial
                }
            }
        }
        return (weightedLoss * scale, gradient)
    }
}

/// The rows a loss averages over: all of them, or the ones whose mask flag is set.
/// A softmax row's numerators e^(x - max) into `out`, with the row's maximum and their sum (in Double).
@inline(__always)
func numerators<Scalar: RecurScalar>(_ x: UnsafePointer<Scalar>, count: Int, into out: UnsafeMutablePointer<Scalar>) -> (maximum: Scalar, sum: Double) {
    if Scalar.self == Float.self {
        let (maximum, sum) = softmaxNumerators(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), count: count,
                                               into: UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self))
        return (Scalar(maximum), sum)
    }
    var maximum = x[0]
    for j in 1..<count where x[j] > maximum { maximum = x[j] }
    var sum = 0.0
    var j = 0
    while j < count {
        let n = min(8, count - j)
        let e = Scalar.exp(load8(x + j, count: n) - maximum)
        store8(e, out + j, count: n)
        for l in 0..<n { sum += Double(e[l]) }
        j += 8
    }
    return (maximum, sum)
}

func unmaskedCount(_ mask: [Bool]?, rows: Int, in loss: String) -> Int {
    guard let mask else { return rows }
    precondition(mask.count == rows, "\(loss): expected \(rows) mask flags, got \(mask.count)")
    return mask.lazy.filter { $0 }.count
}

/// `log(sum_j exp(row[j]))` of `count` logits, shifted by their maximum and summed in Double: the
/// normaliser of a log-softmax (`log p_j = row[j] - logSumExp(row)`).
@inlinable
public func logSumExp<Scalar: RecurScalar>(_ row: UnsafePointer<Scalar>, count: Int) -> Double {
    var maximum = Double(row[0])
    for j in 1..<count { maximum = max(maximum, Double(row[j])) }
    var total = 0.0
    for j in 0..<count { total += Double.exp(Double(row[j]) - maximum) }
    return Double.log(total) + maximum
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
