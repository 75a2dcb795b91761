import RecurCore

/// Draws text from a character model one symbol at a time, feeding each draw back as the next input.
///
/// Each layer is a single-step cell (`RecurrentCell`, with the model's weights) advanced in place on
/// buffers allocated at construction (per layer h, c and the gate rows; logits, probabilities and an
/// index heap of V entries), so producing a character allocates nothing. The first layer's input
/// projection of every symbol (`embedding W_ih^T + b`, `[V, G*H]`) is computed once, so a step reads
/// one row of it; the rest is one matrix-vector product per weight matrix (`[1, in] x [in, G*H]`), the
/// fused gate kernel, and the output layer. A step streams every weight once: its speed is that of
/// memory. The products use copies of the weights (`VectorProduct`: bf16 on the bf16 engine, half the
/// bytes); every layer's recurrent product depends only on the previous state, so they run together
/// in one parallel region, then each layer's input product and gate kernel in turn.
///
/// The choice of the next symbol: logits divided by `temperature`, softmax, then optionally only the
/// `topK` likeliest symbols, and/or the smallest set of likeliest symbols whose probabilities reach
/// `topP` (nucleus sampling), renormalised; `argmax` takes the likeliest symbol outright.
///
/// A model of independent sequences (`sequenceBoundaries`) generates with `generateSequence`: from its
/// condition's initial state (zero without one), the begin symbol is fed and symbols are drawn until
/// the end symbol (the begin symbol is never drawn). With `conditionEveryStep` the table holds
/// `[embedding, c] W_ih^T + b` for the current condition `c`, recomputed by `reset(condition:)`.
public final class Sampler {
    public let configuration: CharRNNConfiguration
    public var temperature: Double {
        didSet { precondition(temperature > 0 && temperature.isFinite, "Sampler: expected a positive temperature") }
    }
    public var topK: Int?
    public var topP: Double?
    public var argmax: Bool

    private let inputTable: ScratchBuffer<Float>  // [V, G*H]: embedding W_ih^T + b of the first layer
    private let layers: [LayerBuffers]
    private let headWeight: ScratchBuffer<Float>  // [V, H]
    private let headProduct: VectorProduct?       // headWeight copied for one row
    private let headBias: ScratchBuffer<Float>    // [V]
    private let logits: ScratchBuffer<Float>      // [V]
    private let probabilities: ScratchBuffer<Double>  // [V]
    private let order: UnsafeMutablePointer<Int>  // [V], symbol ids for top-k / top-p
    private let conditionWeight: ScratchBuffer<Float>?  // [S, F]: the condition map
    private let conditionBias: ScratchBuffer<Float>?    // [S]
    private let embeddingTable: ScratchBuffer<Float>?   // [V, E], kept when the condition joins every step's input
    private let firstCell: RecurrentCell<Float>         // the first layer's weights (to rebuild the table)
    private var vocabularySize: Int { configuration.vocabulary.count }

    private struct LayerBuffers {
        var cell: RecurrentCell<Float>
        var h: ScratchBuffer<Float>         // [H]
        var c: ScratchBuffer<Float>         // [H] (LSTM)
        var gates: ScratchBuffer<Float>     // [G*H]
        var hiddenGates: ScratchBuffer<Float>  // [G*H] (GRU)
        var cache: ScratchBuffer<Float>     // [4H]: tanh(c) for the LSTM, r z n h_n for the GRU
        var products: (input: VectorProduct, recurrent: VectorProduct)?  // W_ih, W_hh copied for one row
        var inputBias: ScratchBuffer<Float>  // [G*H]: b_ih (+ b_hh but for the GRU), where the input side starts
    }
    /// Every layer's recurrent product (into its gates, or the GRU's hidden gates), run together.
    private let recurrentJobs: [VectorProduct.Job]

    public init(model: CharRNN<Float>, configuration: CharRNNConfiguration, temperature: Double = 1,
                topK: Int? = nil, topP: Double? = nil, argmax: Bool = false) {
        precondition(temperature > 0 && temperature.isFinite, "Sampler: expected a positive temperature, got \(temperature)")
        precondition(topK.map { $0 > 0 } ?? true, "Sampler: expected top-k > 0")
        precondition(topP.map { $0 > 0 && $0 <= 1 } ?? true, "Sampler: expected top-p in (0, 1]")
        precondition(!model.rnn.bidirectional, "Sampler: a bidirectional model cannot generate")
        self.configuration = configuration
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.argmax = argmax
        func copy(_ tensor: Tensor<Float>) -> ScratchBuffer<Float> {
            let buffer = ScratchBuffer<Float>(count: tensor.count)
            tensor.withUnsafeBufferPointer { buffer.pointer.update(from: $0.baseAddress!, count: tensor.count) }
            return buffer
        }
        let H = configuration.hiddenSize, GH = configuration.cell.gateCount * H, V = configuration.vocabulary.count
        let inputTable = ScratchBuffer<Float>(count: V * GH)
        if !configuration.conditionEveryStep {
            model.embedding.weight.value.withUnsafeBufferPointer { table in
                model.rnn.layers[0][0].project(table.baseAddress!, rows: V, into: inputTable.pointer)
            }
        }
        self.inputTable = inputTable
        let layers = model.rnn.layers.map { directions in
            let layer = directions[0]
            let cell = RecurrentCell(cell: layer.cell, weightIH: layer.weightIH.value, weightHH: layer.weightHH.value,
                                     biasIH: layer.biasIH.value, biasHH: layer.biasHH.value)
            cell.engine = model.engine
            let inputBias = ScratchBuffer<Float>(count: GH)
            cell.inputBias(into: inputBias.pointer)
            return LayerBuffers(
                cell: cell, h: ScratchBuffer(count: H), c: ScratchBuffer(count: H), gates: ScratchBuffer(count: GH),
                hiddenGates: ScratchBuffer(count: GH), cache: ScratchBuffer(count: 4 * H), products: cell.vectorProducts(),
                inputBias: inputBias)
        }
        self.layers = layers
        headWeight = copy(model.head.weight.value)
        headProduct = VectorProduct(weight: headWeight.pointer, outputs: V, inputs: H, engine: model.engine)
        headBias = copy(model.head.bias!.value)
        logits = ScratchBuffer(count: V)
        let gru = configuration.cell == .gru
        recurrentJobs = layers.compactMap { layer in
            layer.products.map { .init($0.recurrent, into: gru ? layer.hiddenGates.pointer : layer.gates.pointer) }
        }
        probabilities = ScratchBuffer(count: V)
        order = .allocate(capacity: V)
        conditionWeight = model.condition.map { copy($0.weight.value) }
        conditionBias = model.condition.map { copy($0.bias!.value) }
        embeddingTable = configuration.conditionEveryStep ? copy(model.embedding.weight.value) : nil
        firstCell = layers[0].cell
        if configuration.conditionEveryStep, let width = configuration.condition?.width {
            // Until a condition is set: the all-zero one.
            reset(condition: [Float](repeating: 0, count: width))
        }
    }

    deinit { order.deallocate() }

    /// Sets the state to zero.
    public func reset() {
        for layer in layers {
            layer.h.fill(0)
            layer.c.fill(0)
        }
    }

    /// Sets the state to what a conditioned model's condition vector `c` (`GenerationCondition.vector`)
    /// makes of it, `W c + b`, and with `conditionEveryStep` rebuilds the input table for `c`.
    public func reset(condition c: [Float]) {
        guard let conditionWeight, let conditionBias, let width = configuration.condition?.width else {
            preconditionFailure("Sampler: the model is not conditioned")
        }
        precondition(c.count == width, "Sampler: expected a condition of \(width) numbers, got \(c.count)")
        let L = layers.count, H = configuration.hiddenSize, S = configuration.conditionedStateWidth
        let s = ScratchBuffer<Float>(count: S)
        s.pointer.update(from: conditionBias.pointer, count: S)
        c.withUnsafeBufferPointer { cb in
            gemm(transB: true, m: 1, n: S, k: width, a: cb.baseAddress!, lda: width, b: conditionWeight.pointer, ldb: width,
                 beta: 1, c: s.pointer, ldc: S)
        }
        for (l, layer) in layers.enumerated() {
            layer.h.pointer.update(from: s.pointer + l * H, count: H)
            if configuration.cell.hasCellState { layer.c.pointer.update(from: s.pointer + (L + l) * H, count: H) }
        }
        if let embeddingTable {
            let V = vocabularySize, E = configuration.embeddingSize, I = E + width
            let rows = ScratchBuffer<Float>(count: V * I)
            for v in 0..<V {
                (rows.pointer + v * I).update(from: embeddingTable.pointer + v * E, count: E)
                for j in 0..<width { rows.pointer[v * I + E + j] = c[j] }
            }
            firstCell.projectInput(rows.pointer, batch: V, into: inputTable.pointer)
        }
    }

    /// Feeds one symbol and leaves the logits of the next in place.
    public func feed(_ id: Int) {
        precondition(id >= 0 && id < vocabularySize, "Sampler: id \(id) outside the vocabulary")
        let GH = configuration.cell.gateCount * configuration.hiddenSize, V = vocabularySize
        guard let headProduct else { return feedOnReferenceEngine(id) }  // with it, every layer's products
        // Each layer's input side starts as its biases (the first layer's as a row of the table); then
        // every layer's recurrent part, which reads only the previous state, is added at once.
        for (l, layer) in layers.enumerated() {
            layer.gates.pointer.update(from: l == 0 ? inputTable.pointer + id * GH : layer.inputBias.pointer, count: GH)
            if configuration.cell == .gru { layer.cell.recurrentBias(into: layer.hiddenGates.pointer) }
            layer.products!.recurrent.load(layer.h.pointer)
        }
        VectorProduct.run(recurrentJobs)
        for (l, layer) in layers.enumerated() {
            if l > 0 {
                layer.products!.input.load(layers[l - 1].h.pointer)
                layer.products!.input.run(into: layer.gates.pointer)
            }
            layer.cell.activate(gates: layer.gates.pointer, hiddenGates: layer.hiddenGates.pointer, h: layer.h.pointer,
                                c: layer.c.pointer, cache: layer.cache.pointer, batch: 1)
        }
        logits.pointer.update(from: headBias.pointer, count: V)
        headProduct.load(layers[layers.count - 1].h.pointer)
        headProduct.run(into: logits.pointer)
    }

    /// `feed` with the reference engine's products (`gemm`), layer after layer.
    private func feedOnReferenceEngine(_ id: Int) {
        let H = configuration.hiddenSize, GH = configuration.cell.gateCount * H, V = vocabularySize
        var input: UnsafePointer<Float>? = nil  // the previous layer's h; the first layer reads inputTable
        for layer in layers {
            // x W_ih^T + b_ih (+ b_hh): a row of the table for the first layer.
            if let input {
                layer.cell.projectInput(input, batch: 1, into: layer.gates.pointer)
            } else {
                layer.gates.pointer.update(from: inputTable.pointer + id * GH, count: GH)
            }
            layer.cell.advance(gates: layer.gates.pointer, hiddenGates: layer.hiddenGates.pointer, h: layer.h.pointer,
                               c: layer.c.pointer, cache: layer.cache.pointer, batch: 1)
            input = UnsafePointer(layer.h.pointer)
        }
        logits.pointer.update(from: headBias.pointer, count: V)
        gemm(engine: .reference, transB: true, m: 1, n: V, k: H, a: input!, lda: H, b: headWeight.pointer, ldb: H, beta: 1,
             c: logits.pointer, ldc: V)
    }

    /// Layer `l`'s state and gates after the last `feed`: h `[H]`, c `[H]` (LSTM; nil otherwise) and the
    /// gate activations of that step: LSTM i | f | g | o `[4H]`, GRU r | z | n `[3H]`, RNN none (empty).
    /// Read-only views of the sampler's buffers, valid until the next `feed`.
    public func activations(layer l: Int) -> (h: UnsafeBufferPointer<Float>, c: UnsafeBufferPointer<Float>?, gates: UnsafeBufferPointer<Float>) {
        let layer = layers[l], H = configuration.hiddenSize
        let gates: UnsafeBufferPointer<Float>
        switch configuration.cell {
        case .lstm: gates = UnsafeBufferPointer(start: layer.gates.pointer, count: 4 * H)
        case .gru: gates = UnsafeBufferPointer(start: layer.cache.pointer, count: 3 * H)
        case .rnnTanh, .rnnReLU: gates = UnsafeBufferPointer(start: layer.gates.pointer, count: 0)
        }
        return (UnsafeBufferPointer(start: layer.h.pointer, count: H),
                configuration.cell.hasCellState ? UnsafeBufferPointer(start: layer.c.pointer, count: H) : nil, gates)
    }

    /// The logits `[V]` after the last `feed`.
    public var currentLogits: UnsafeBufferPointer<Float> { UnsafeBufferPointer(logits.buffer) }

    /// Draws the next symbol from the current logits.
    public func draw(using generator: inout RandomGenerator) -> Int {
        let V = vocabularySize, z = logits.pointer
        if argmax {
            var best = 0
            for j in 1..<V where z[j] > z[best] { best = j }
            return best
        }
        let p = probabilities.pointer
        var maximum = z[0]
        for j in 1..<V where z[j] > maximum { maximum = z[j] }
        var sum = 0.0
        for j in 0..<V {
            p[j] = Double.exp(Double(z[j] - maximum) / temperature)
            sum += p[j]
        }
        for j in 0..<V { p[j] /= sum }
        var candidates = V
        if topK != nil || topP != nil {
            // Likeliest first: heap-sort the ids by probability, in place.
            for j in 0..<V { order[j] = j }
            sortDescending(count: V)
            if let topK { candidates = min(candidates, topK) }
            if let topP {
                var mass = 0.0
                var needed = 0
                while needed < candidates {
                    mass += p[order[needed]]
                    needed += 1
                    if mass >= topP { break }
                }
                candidates = needed
            }
            var kept = 0.0
            for r in 0..<candidates { kept += p[order[r]] }
            var u = generator.uniform(Double.self) * kept
            for r in 0..<candidates {
                u -= p[order[r]]
                if u < 0 { return order[r] }
            }
            return order[candidates - 1]
        }
        var u = generator.uniform(Double.self)
        for j in 0..<V {
            u -= p[j]
            if u < 0 { return j }
        }
        var last = V - 1
        while last > 0 && p[last] == 0 { last -= 1 }
        return last
    }

    /// Warms the state on `prime` (from zero), then draws `count` symbols, passing each to `emit` as it
    /// is drawn.
    public func generate(prime: [Int], count: Int, using generator: inout RandomGenerator, emit: (Int) -> Void) {
        precondition(!prime.isEmpty, "Sampler: expected at least one prime symbol")
        reset()
        for id in prime { feed(id) }
        for _ in 0..<count {
            let next = draw(using: &generator)
            emit(next)
            feed(next)
        }
    }

    /// Draws one sequence of a model with sequence boundaries: from the condition's state (`condition`,
    /// the model's vector for it; nil for an unconditioned model), the begin symbol, then symbols until
    /// the end symbol or `maxLength` symbols; `prime` is fed after the begin symbol. Returns the drawn
    /// ids (without the prime and the end symbol), and whether the end symbol came.
    public func generateSequence(condition: [Float]?, prime: [Int] = [], maxLength: Int,
                                 using generator: inout RandomGenerator) -> (ids: [Int], ended: Bool) {
        guard let (begin, end) = configuration.boundaryIDs else { preconditionFailure("Sampler: the model has no sequence boundaries") }
        if let condition { reset(condition: condition) } else { reset() }
        var ids: [Int] = []
        feed(begin)
        for id in prime { feed(id) }
        while ids.count < maxLength {
            logits.pointer[begin] = -.infinity
            let next = draw(using: &generator)
            if next == end { return (ids, true) }
            ids.append(next)
            feed(next)
        }
        return (ids, false)
    }

    /// Heap sort of `order[0..<count]` by descending probability, ties by ascending id (deterministic).
    private func sortDescending(count: Int) {
        let p = probabilities.pointer
        // "Less" puts the element that should come *later* in the result first in the min-heap sense.
        func later(_ a: Int, _ b: Int) -> Bool { p[a] < p[b] || (p[a] == p[b] && a > b) }
        func siftDown(_ start: Int, _ end: Int) {
            var root = start
            while 2 * root + 1 < end {
                var child = 2 * root + 1
                if child + 1 < end && later(order[child + 1], order[child]) { child += 1 }
                guard later(order[child], order[root]) else { return }
                order.swapAt(root, child)
                root = child
            }
        }
        for start in stride(from: count / 2 - 1, through: 0, by: -1) { siftDown(start, count) }
        for end in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(0, end)
            siftDown(0, end)
        }
    }
}

extension UnsafeMutablePointer {
    @inline(__always) fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}
