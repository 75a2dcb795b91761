import RecurCore

/// Draws text from a character model one symbol at a time, feeding each draw back as the next input.
///
/// The prime ids warm the state first (their predictions are not sampled). Each draw divides the
/// logits by the temperature before the softmax: below 1 the choice sharpens towards the likeliest
/// symbol, above 1 it flattens; `argmax` always takes the likeliest.
public struct Sampler<Scalar: RecurScalar> {
    public let model: CharRNN<Scalar>
    public var temperature: Double
    public var argmax: Bool

    public init(model: CharRNN<Scalar>, temperature: Double = 1, argmax: Bool = false) {
        precondition(temperature > 0 && temperature.isFinite, "Sampler: expected a positive temperature, got \(temperature)")
        self.model = model
        self.temperature = temperature
        self.argmax = argmax
    }

    /// `count` ids following `prime` (which must not be empty), each passed to `emit` as it is drawn.
    public func sample(
        prime: [Int], count: Int, using generator: inout RandomGenerator, emit: (Int) -> Void = { _ in }
    ) -> [Int] {
        precondition(!prime.isEmpty, "Sampler: expected at least one prime id")
        let wasTraining = model.isTraining
        model.isTraining = false
        defer { model.isTraining = wasTraining }
        var state: RecurrentState<Scalar>? = nil
        var logits = Tensor<Scalar>(shape: [0])
        for id in prime {
            (logits, state) = model.forward([id], steps: 1, batch: 1, state: state)
        }
        var drawn: [Int] = []
        for _ in 0..<count {
            let next = choose(from: logits, using: &generator)
            drawn.append(next)
            emit(next)
            (logits, state) = model.forward([next], steps: 1, batch: 1, state: state)
        }
        return drawn
    }

    /// One draw from `softmax(logits / temperature)` (or the arg max).
    func choose(from logits: Tensor<Scalar>, using generator: inout RandomGenerator) -> Int {
        if argmax {
            return logits.scalars.indices.max { logits.scalars[$0] < logits.scalars[$1] }!
        }
        let probabilities = softmax(logits, temperature: temperature).scalars
        var u = generator.uniform(Double.self)
        for (id, p) in probabilities.enumerated() {
            u -= Double(p)
            if u < 0 { return id }
        }
        return probabilities.count - 1
    }
}
