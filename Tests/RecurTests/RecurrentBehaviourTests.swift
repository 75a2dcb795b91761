import Testing
import Recur
import _RecurTestSupport

struct RecurrentBehaviourTests {
    /// Float networks built alike, with `seed` fixing the weights.
    static func network(_ cell: CellKind, layers: Int = 2, bidirectional: Bool = false, input: Int = 6,
                        hidden: Int = 8, seed: UInt64 = 77) -> RecurrentNetwork<Float> {
        var g = RandomGenerator(seed: seed)
        return RecurrentNetwork<Float>(cell: cell, inputSize: input, hiddenSize: hidden, layers: layers,
                                       bidirectional: bidirectional, using: &g)
    }

    static func random(_ shape: [Int], seed: UInt64) -> Tensor<Float> {
        var g = RandomGenerator(seed: seed)
        return Initializer.uniform(shape: shape, bound: 1, using: &g)
    }

    @Test("a sequence in one piece equals the same sequence in three chunks with the state carried",
          arguments: CellKind.allCases)
    func chunks(cell: CellKind) {
        let (T, B) = (12, 3)
        let x = Self.random([T, B, 6], seed: 1)
        let whole = Self.network(cell)
        let (y, final) = whole.forward(x)

        let chunked = Self.network(cell)
        var state = chunked.zeroState(batch: B)
        var pieces: [Float] = []
        for range in [0..<5, 5..<9, 9..<12] {
            let chunk = Tensor(shape: [range.count, B, 6], scalars: Array(x.scalars[(range.lowerBound * B * 6)..<(range.upperBound * B * 6)]))
            let (yChunk, next) = chunked.forward(chunk, initialState: state)
            pieces += yChunk.scalars
            state = next
        }
        // Per step, both runs do the same arithmetic on the same values; only the blocking of the
        // one input-projection GEMM differs, so they agree to a few units in the last place.
        let output = closeness(Tensor(shape: y.shape, scalars: pieces), y, absolute: 1e-6, relative: 1e-6)
        #expect(output.passes, "\(cell) output: \(output)")
        #expect(closeness(state.h, final.h, absolute: 1e-6, relative: 1e-6).passes)
        if cell.hasCellState { #expect(closeness(state.c!, final.c!, absolute: 1e-6, relative: 1e-6).passes) }
    }

    @Test("on the reference engine, chunks reproduce the whole run bit for bit", arguments: CellKind.allCases)
    func chunksExact(cell: CellKind) {
        let (T, B) = (9, 2)
        let x = Self.random([T, B, 6], seed: 2)
        let whole = Self.network(cell), chunked = Self.network(cell)
        whole.engine = .reference
        chunked.engine = .reference
        let (y, final) = whole.forward(x)
        var state = chunked.zeroState(batch: B)
        var pieces: [Float] = []
        for start in stride(from: 0, to: T, by: 3) {
            let chunk = Tensor(shape: [3, B, 6], scalars: Array(x.scalars[(start * B * 6)..<((start + 3) * B * 6)]))
            let (yChunk, next) = chunked.forward(chunk, initialState: state)
            pieces += yChunk.scalars
            state = next
        }
        #expect(pieces == y.scalars)
        #expect(state == final)
    }

    @Test("the fast engine (W_hh packed once per time loop where a packed product keeps it packed: oneDNN's brgemm or the panel kernel) equals the reference engine within 1e-5 relative, forward and backward, in every time-loop split, with odd sizes",
          arguments: CellKind.allCases, TimeLoopSplit.allCases)
    func engines(cell: CellKind, split: TimeLoopSplit) {
        for (T, B, hidden) in [(10, 16, 64), (9, 15, 13)] {
            let x = Self.random([T, B, 32], seed: 3)
            let dy = Self.random([T, B, 2 * hidden], seed: 4)
            var results: [[Tensor<Float>]] = []
            for engine in GEMMEngine.float32 {
                let net = Self.network(cell, bidirectional: true, input: 32, hidden: hidden)
                net.engine = engine
                net.timeLoopSplit = split
                let (y, final) = net.forward(x, lengths: (0..<B).map { 1 + $0 % T })
                let (dx, dState) = net.backward(outputGradient: dy)
                results.append([y, final.h, dx, dState.h] + net.parameters.map(\.gradient))
            }
            for (fast, reference) in zip(results[0], results[1]) {
                let scale = worst(reference.scalars.map { abs(Double($0)) })
                let difference = largestDifference(fast.scalars, reference.scalars)
                #expect(difference <= 1e-5 * worse(scale, 1), "\(cell) \(split) T \(T) B \(B) H \(hidden): difference \(difference) at scale \(scale)")
            }
        }
    }

    @Test("dropout between layers acts in training mode only")
    func dropoutModes() {
        var g = RandomGenerator(seed: 9)
        let net = LSTM<Float>(inputSize: 4, hiddenSize: 16, layers: 2, dropout: 0.5, using: &g)
        let x = Self.random([6, 4, 4], seed: 5)
        net.isTraining = false
        let (evaluation1, _) = net.forward(x)
        let (evaluation2, _) = net.forward(x)
        #expect(evaluation1 == evaluation2)
        net.isTraining = true
        let (training1, _) = net.forward(x)
        let (training2, _) = net.forward(x)
        #expect(training1 != evaluation1)
        #expect(training1 != training2)  // fresh masks each pass

        let dropout = Dropout<Float>(probability: 0.25)
        var ones = Tensor<Float>(shape: [100_000], repeating: 1)
        dropout.forward(&ones, training: true, using: &g)
        let dropped = ones.scalars.filter { $0 == 0 }.count
        #expect(abs(Double(dropped) / 100_000 - 0.25) < 0.01)
        #expect(ones.scalars.allSatisfy { $0 == 0 || abs($0 - 4 / 3) < 1e-6 })
        var unchanged = Tensor<Float>(shape: [10], repeating: 1)
        dropout.forward(&unchanged, training: false, using: &g)
        #expect(unchanged.scalars.allSatisfy { $0 == 1 })
    }

    @Test("state shapes, parameter names and counts follow PyTorch")
    func layout() {
        var g = RandomGenerator(seed: 10)
        let gru = GRU<Float>(inputSize: 5, hiddenSize: 7, layers: 2, bidirectional: true, using: &g)
        #expect(gru.namedParameters.map(\.name) == [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
            "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
        ])
        #expect(gru.namedParameters[0].parameter.shape == [21, 5])
        #expect(gru.namedParameters[8].parameter.shape == [21, 14])
        // nn.GRU(5, 7, num_layers=2, bidirectional=True) has 2 * (21*5 + 21*7 + 42) + 2 * (21*14 + 21*7 + 42) parameters.
        #expect(gru.parameterCount == 2 * (21 * 5 + 21 * 7 + 42) + 2 * (21 * 14 + 21 * 7 + 42))
        let (y, state) = gru.forward(Self.random([3, 2, 5], seed: 6))
        #expect(y.shape == [3, 2, 14] && state.h.shape == [4, 2, 7] && state.c == nil)
        let lstm = LSTM<Float>(inputSize: 5, hiddenSize: 7, using: &g)
        #expect(lstm.forward(Self.random([3, 2, 5], seed: 7)).finalState.c?.shape == [1, 2, 7])
        let relu = RNN<Float>(inputSize: 5, hiddenSize: 7, nonlinearity: .relu, using: &g)
        #expect(relu.cell == .rnnReLU)
        #expect(relu.forward(Self.random([3, 2, 5], seed: 8)).output.scalars.allSatisfy { $0 >= 0 })
    }
}

extension RecurrentBehaviourTests {
    @Test("sharing a time loop among threads by rows, by columns or as a team changes no bit (reference engine, lengths, 2 layers, both directions)",
          arguments: CellKind.allCases)
    func timeLoopSplitExact(cell: CellKind) {
        // 9 rows: shares of 5 and 4 on two threads. 24 hidden units: the forward product's columns
        // (G*24) and the backward's (24) split into blocks of 8, unevenly for the backward.
        let (T, B, H) = (7, 9, 24)
        let x = Self.random([T, B, 6], seed: 5)
        let dy = Self.random([T, B, 2 * H], seed: 6)
        let lengths = (0..<B).map { 1 + ($0 * 3) % T }
        var results: [TimeLoopSplit: [Tensor<Float>]] = [:]
        for split in TimeLoopSplit.allCases {
            let net = Self.network(cell, bidirectional: true, hidden: H)
            net.engine = .reference
            net.timeLoopSplit = split
            let (y, final) = net.forward(x, lengths: lengths)
            let (dx, dState) = net.backward(outputGradient: dy, finalStateGradient: final)
            results[split] = [y, final.h, dx, dState.h] + (cell.hasCellState ? [final.c!, dState.c!] : [])
                + net.parameters.map(\.gradient)
        }
        for split in TimeLoopSplit.allCases where split != .none {
            for (shared, whole) in zip(results[split]!, results[.none]!) {
                #expect(shared == whole, "\(cell): the \(split) run differs")
            }
        }
    }

    @Test("reading the embedding by id equals embedding then network: the forward bit for bit (reference engine), the gradients to rounding; with a table smaller (7) and larger (45) than the batch's 30 tokens",
          arguments: CellKind.allCases, [7, 45])
    func tokensEqualDense(cell: CellKind, V: Int) {
        let (T, B, E) = (6, 5, 6)
        var g = RandomGenerator(seed: 9)
        let embedding = Embedding<Float>(vocabularySize: V, embeddingSize: E, using: &g)
        let ids = (0..<(T * B)).map { _ in g.integer(below: V - 1) }  // the last id never occurs
        let lengths = [6, 3, 1, 6, 4]
        let dy = Self.random([T, B, 2 * 8], seed: 10)
        var results: [[Tensor<Float>]] = []
        for byID in [false, true] {
            let net = Self.network(cell, bidirectional: true)
            net.engine = .reference
            let (y, final) = byID
                ? net.forward(tokens: ids, steps: T, batch: B, embedding: embedding, lengths: lengths)
                : net.forward(embedding.forward(ids, shape: [T, B]), lengths: lengths)
            let (dInput, dState) = net.backward(outputGradient: dy, finalStateGradient: final)
            embedding.weight.zeroGradient()
            if byID { embedding.accumulate(weightGradient: dInput) } else { embedding.backward(dInput) }
            results.append([y, final.h, dState.h, embedding.weight.gradient] + net.parameters.map(\.gradient))
        }
        #expect(results[0][0] == results[1][0] && results[0][1] == results[1][1], "\(cell): the forward differs")
        #expect(results[1][3][flat: (V - 1) * E] == 0, "\(cell): an unused id got a gradient")
        for (index, (dense, byID)) in zip(results[0], results[1]).enumerated().dropFirst(2) {
            let close = closeness(byID, dense, absolute: 1e-6, relative: 1e-5)
            #expect(close.passes, "\(cell) tensor \(index): \(close)")
        }
    }

    @Test("with recordsForBackward false the output and final state are the recording pass's bit for bit (features and token ids, lengths, two directions, two layers), and a recording pass after it back-propagates as before",
          arguments: CellKind.allCases)
    func inferenceEqualsRecording(cell: CellKind) {
        let (T, B, V) = (7, 4, 5)
        let x = Self.random([T, B, 6], seed: 21), lengths = [7, 2, 5, 7]
        var g = RandomGenerator(seed: 22)
        let embedding = Embedding<Float>(vocabularySize: V, embeddingSize: 6, using: &g)
        let ids = (0..<(T * B)).map { _ in g.integer(below: V) }
        let dy = Self.random([T, B, 2 * 8], seed: 23)
        let net = Self.network(cell, bidirectional: true)
        func passes() -> [Tensor<Float>] {
            let (y, final) = net.forward(x, lengths: lengths)
            let (yIDs, finalIDs) = net.forward(tokens: ids, steps: T, batch: B, embedding: embedding, lengths: lengths)
            return [y, final.h, final.c ?? Tensor(shape: [0]), yIDs, finalIDs.h, finalIDs.c ?? Tensor(shape: [0])]
        }
        func gradients() -> [Tensor<Float>] {
            for p in net.parameters { p.zeroGradient() }
            _ = net.forward(x, lengths: lengths)
            let (dx, dState) = net.backward(outputGradient: dy)
            return [dx, dState.h] + net.parameters.map(\.gradient)
        }
        let recording = passes(), before = gradients()
        net.recordsForBackward = false
        let inference = passes()
        net.recordsForBackward = true
        let after = gradients()
        for (index, (a, b)) in zip(inference, recording).enumerated() {
            #expect(sameBits(a.scalars, b.scalars), "\(cell) tensor \(index): inference differs by \(largestDifference(a.scalars, b.scalars))")
        }
        for (index, (a, b)) in zip(after, before).enumerated() {
            #expect(sameBits(a.scalars, b.scalars), "\(cell) gradient \(index) after an inference pass differs")
        }
    }

    @Test("backward after a forward pass that kept no record stops the process instead of reading stale caches")
    func backwardAfterInferenceStops() async {
        await #expect(processExitsWith: .failure) {
            let net = RecurrentBehaviourTests.network(.lstm)
            net.recordsForBackward = false
            let x = RecurrentBehaviourTests.random([3, 2, 6], seed: 1)
            _ = net.forward(x)
            _ = net.backward(outputGradient: RecurrentBehaviourTests.random([3, 2, 8], seed: 2))
        }
    }

    @Test("enterInference turns evaluation mode on and recording off, restore puts back what it found, and a validation leaves a training model recording")
    func inferenceModes() {
        var g = RandomGenerator(seed: 31)
        let model = CharRNN<Float>(vocabularySize: 5, embeddingSize: 3, hiddenSize: 4, layers: 2, using: &g)
        for (training, recording) in [(true, true), (false, true), (true, false)] {
            model.isTraining = training
            model.recordsForBackward = recording
            let mode = model.enterInference()
            #expect(!model.isTraining && !model.recordsForBackward && !model.rnn.recordsForBackward)
            model.restore(mode)
            #expect(model.isTraining == training && model.recordsForBackward == recording && model.rnn.recordsForBackward == recording)
        }
        model.isTraining = true
        model.recordsForBackward = true
        let (nats, count) = Evaluation.loss(of: model, tokens: [0, 1, 2, 3, 4, 0, 1], streams: 2, chunk: 2)
        #expect(nats > 0 && count == 6)
        #expect(model.isTraining && model.recordsForBackward)
        let (_, counted) = model.lossAndGradients(CharRNN<Float>.Batch(inputs: [0, 1, 2, 3], targets: [1, 2, 3, 4], steps: 2, batch: 2))
        #expect(counted == 4)
    }
}
