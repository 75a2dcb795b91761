import Testing
import Recur
import _RecurTestSupport

/// A whole model on `GEMMEngine.bfloat16` against the same model in float32: the stated bounds are what
/// bf16 operands (8 significant bits, relative rounding 2^-9) allow through a 20-step BPTT.
struct BFloat16ModelTests {
    @Test("a character model's loss is within 0.02% and every gradient within 2% (relative L2) of float32, on the bf16 engine",
          arguments: [CellKind.lstm, .gru, .rnnTanh])
    func lossAndGradients(cell: CellKind) throws {
        let text = String(repeating: "a stitch in time saves nine; many hands make light work. ", count: 8)
        let vocabulary = Vocabulary(text: text)
        let tokens = try vocabulary.encode(text)
        var generator = RandomGenerator(seed: 21)
        let model = CharRNNConfiguration(cell: cell, layers: 2, hiddenSize: 48, embeddingSize: 16, vocabulary: vocabulary)
            .makeModel(using: &generator)
        let steps = 20, batch = 4
        let inputs = (0..<(steps * batch)).map { tokens[($0 % batch) * 60 + $0 / batch] }
        let targets = (0..<(steps * batch)).map { tokens[($0 % batch) * 60 + $0 / batch + 1] }
        let input = CharRNN<Float>.Batch(inputs: inputs, targets: targets, steps: steps, batch: batch)
        func run(_ engine: GEMMEngine) -> (loss: Double, gradients: [[Float]]) {
            model.engine = engine
            model.zeroGradients()
            let (loss, _) = model.lossAndGradients(input)
            return (loss, model.parameters.map { $0.gradient.scalars })
        }
        let float32 = run(.fast), bfloat16 = run(.bfloat16)
        guard BFloat16Products.isAvailable else {
            // No bf16 product on this CPU (AVX2 only): the engine multiplies in float, as documented.
            #expect(abs(bfloat16.loss - float32.loss) <= 1e-5 * float32.loss)
            for (b, f) in zip(bfloat16.gradients, float32.gradients) { #expect(largestDifference(b, f) <= 1e-5) }
            return
        }
        let lossError = abs(bfloat16.loss - float32.loss) / float32.loss
        #expect(lossError <= 2e-4, "loss \(bfloat16.loss) vs \(float32.loss)")
        var smallest = Double.infinity
        for (index, (b, f)) in zip(bfloat16.gradients, float32.gradients).enumerated() {
            let norm = f.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let error = zip(b, f).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
            #expect(error <= 2e-2 * norm, "\(model.namedParameters[index].name): relative \(error / norm)")
            smallest = min(smallest, error / max(norm, 1e-30))
        }
        // The products really ran in bf16: no gradient is float32's to the last bits.
        #expect(lossError > 0 && smallest > 1e-6, "loss error \(lossError), smallest gradient error \(smallest)")
        #expect(model.engine == .bfloat16)
    }
}
