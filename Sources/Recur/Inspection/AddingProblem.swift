import RecurCore

/// The adding problem (Hochreiter and Schmidhuber 1997; Le, Jaitly and Hinton 2015): a task whose
/// answer depends on inputs far back in the sequence. Each step reads two numbers: a value drawn
/// uniformly from [0, 1) and a marker, 1 at exactly two steps (one in the first half, one in the second)
/// and 0 elsewhere. The target, read after the last step, is the sum of the two marked values. Always
/// answering 1 (the mean sum) gives a mean squared error of 1/6; a prediction within 0.04 of the
/// target counts as correct (about 10% of guesses at the mean do).
public enum AddingProblem {
    /// A prediction this close to the target counts as correct.
    public static let tolerance = 0.04
    /// The mean squared error of always answering 1.
    public static let baselineError = 1.0 / 6

    /// A batch: inputs `[T, B, 2]` (value, marker) and targets `[B, 1]`.
    public static func batch<Scalar: RecurScalar>(length T: Int, batch B: Int, using generator: inout RandomGenerator)
        -> (inputs: Tensor<Scalar>, targets: Tensor<Scalar>) {
        precondition(T >= 2 && B >= 1, "AddingProblem: expected a length of 2 or more and a batch of 1 or more")
        var inputs = Tensor<Scalar>(shape: [T, B, 2]), targets = Tensor<Scalar>(shape: [B, 1])
        inputs.withUnsafeMutableBufferPointer { x in
            for t in 0..<T { for b in 0..<B { x[(t * B + b) * 2] = generator.uniform(Scalar.self) } }
            targets.withUnsafeMutableBufferPointer { y in
                for b in 0..<B {
                    let first = Int(generator.uniform(Double.self) * Double(T / 2)) % (T / 2)
                    let second = T / 2 + Int(generator.uniform(Double.self) * Double(T - T / 2)) % (T - T / 2)
                    x[(first * B + b) * 2 + 1] = 1
                    x[(second * B + b) * 2 + 1] = 1
                    y[b] = x[(first * B + b) * 2] + x[(second * B + b) * 2]
                }
            }
        }
        return (inputs, targets)
    }
}
