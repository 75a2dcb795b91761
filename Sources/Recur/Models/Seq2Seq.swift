import RecurCore

/// One mini-batch of source-target pairs, padded, time-major.
public struct Seq2SeqBatch: Sendable {
    /// Source ids `[S * B]`, 0 past each row's length.
    public var source: [Int]
    public var sourceSteps: Int
    public var sourceLengths: [Int]
    /// Target ids `[T * B]`: each row's target symbols then the end symbol, 0 past its length.
    public var targets: [Int]
    public var targetSteps: Int
    /// Per row, its target symbols plus one (the end symbol).
    public var targetLengths: [Int]
    /// The pair indices, one per row.
    public var rows: [Int]

    public var batch: Int { sourceLengths.count }

    public init(source: [Int], sourceSteps: Int, sourceLengths: [Int], targets: [Int], targetSteps: Int, targetLengths: [Int], rows: [Int]) {
        self.source = source
        self.sourceSteps = sourceSteps
        self.sourceLengths = sourceLengths
        self.targets = targets
        self.targetSteps = targetSteps
        self.targetLengths = targetLengths
        self.rows = rows
    }

    /// Which of the T*B target positions count (time-major).
    public var mask: [Bool] { (0..<(targetSteps * batch)).map { $0 / batch < targetLengths[$0 % batch] } }
}

/// Many-to-many through an encoder and a decoder, with attention (docs/seq2seq.md).
///
/// Encoder: embedding -> stacked, optionally bidirectional RNN/LSTM/GRU over the source (the
/// whole-sequence layers, with per-row lengths): outputs `[S, B, K]` (K = D*H) and final states.
/// Bridge (when the shapes differ: two directions, or other layer counts): decoder layer l starts
/// from `tanh(W_b f + b_b)` (and, for the LSTM, `c = W_bc f_c + b_bc`), where f is encoder layer l's
/// final states of both directions side by side (the top layer's, when the layer counts differ);
/// otherwise from the encoder's final state as it is. Decoder: embedding -> stacked single-step cells,
/// one step per target symbol, its input the previous target symbol (`<s>` first), or with
/// probability 1 - `teacherForcing` the model's own previous choice (scheduled sampling; a constant,
/// no gradient flows through the choice). Attention and the output layer as `AttentionKind` says:
/// - none: `logits = W_o s_t + b_o`;
/// - bahdanau: `c_t = attend(s_{t-1})`, the first cell reads `[E y_{t-1}; c_t]`, `logits = W_o [s_t; c_t] + b_o`;
/// - luong-dot / luong-general: `c_t = attend(s_t)`, `h~_t = tanh(W_c [c_t; s_t] + b_c)`, `logits = W_o h~_t + b_o`;
/// with `s_t` the top decoder layer's h. Loss: cross-entropy over the real target positions.
///
/// Parameter names (PyTorch's module in docs/seq2seq.md): `encoder.embedding.weight`,
/// `encoder.rnn.*`, `bridge.weight`, `bridge.bias`, `bridge_cell.*` (LSTM), `decoder.embedding.weight`,
/// `decoder.cells.{l}.weight_ih` (...), `attention.*`, `combine.weight`, `combine.bias` (Luong),
/// `head.weight`, `head.bias`.
public final class Seq2Seq<Scalar: RecurScalar>: Module, ModelModes {
    public let configuration: Seq2SeqConfiguration
    public let sourceEmbedding: Embedding<Scalar>
    public let encoder: RecurrentNetwork<Scalar>
    public let bridge: Linear<Scalar>?
    public let bridgeCell: Linear<Scalar>?
    public let targetEmbedding: Embedding<Scalar>
    public let cells: [RecurrentCell<Scalar>]
    public let attention: Attention<Scalar>?
    public let combine: Linear<Scalar>?
    public let head: Linear<Scalar>
    /// The probability of feeding the true previous symbol in training (1: always, teacher forcing).
    public var teacherForcing = 1.0

    private var pass: Pass?

    public init(_ c: Seq2SeqConfiguration, using generator: inout RandomGenerator) {
        precondition(c.problem == nil, "Seq2Seq: \(c.problem ?? "")")
        configuration = c
        let H = c.hiddenSize, E = c.embeddingSize, K = c.keyWidth
        sourceEmbedding = Embedding(vocabularySize: c.sourceVocabulary.count, embeddingSize: E, initialization: c.initialization, using: &generator)
        encoder = RecurrentNetwork(cell: c.cell, inputSize: E, hiddenSize: H, layers: c.encoderLayers, bidirectional: c.bidirectional,
                                   dropout: c.dropout, initialization: c.initialization, using: &generator)
        bridge = c.hasBridge ? Linear(inputSize: K, outputSize: H, initialization: c.initialization, using: &generator) : nil
        bridgeCell = c.hasBridge && c.cell.hasCellState ? Linear(inputSize: K, outputSize: H, initialization: c.initialization, using: &generator) : nil
        targetEmbedding = Embedding(vocabularySize: c.targetVocabulary.count, embeddingSize: E, initialization: c.initialization, using: &generator)
        cells = (0..<c.decoderLayers).map { l in
            RecurrentCell(cell: c.cell, inputSize: l > 0 ? H : E + (c.attention == .bahdanau ? K : 0), hiddenSize: H,
                          initialization: c.initialization, using: &generator)
        }
        attention = c.attention == .none ? nil
            : Attention(kind: c.attention, queryWidth: H, keyWidth: K, initialization: c.initialization, using: &generator)
        combine = c.attention == .luongDot || c.attention == .luongGeneral
            ? Linear(inputSize: K + H, outputSize: H, initialization: c.initialization, using: &generator) : nil
        head = Linear(inputSize: c.outputWidth, outputSize: c.targetVocabulary.count, initialization: c.initialization, using: &generator)
    }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        func prefixed(_ prefix: String, _ list: [(name: String, parameter: Parameter<Scalar>)]) -> [(name: String, parameter: Parameter<Scalar>)] {
            list.map { (prefix + $0.name, $0.parameter) }
        }
        var all = prefixed("encoder.embedding.", sourceEmbedding.namedParameters) + prefixed("encoder.rnn.", encoder.namedParameters)
        if let bridge { all += prefixed("bridge.", bridge.namedParameters) }
        if let bridgeCell { all += prefixed("bridge_cell.", bridgeCell.namedParameters) }
        all += prefixed("decoder.embedding.", targetEmbedding.namedParameters)
        for (l, cell) in cells.enumerated() { all += prefixed("decoder.cells.\(l).", cell.namedParameters) }
        if let attention { all += prefixed("attention.", attention.namedParameters) }
        if let combine { all += prefixed("combine.", combine.namedParameters) }
        return all + prefixed("head.", head.namedParameters)
    }

    public var isTraining: Bool {
        get { encoder.isTraining }
        set { encoder.isTraining = newValue }
    }

    /// Whether forward passes keep what the backward pass needs (`RecurrentNetwork.recordsForBackward`).
    public var recordsForBackward: Bool {
        get { encoder.recordsForBackward }
        set { encoder.recordsForBackward = newValue }
    }

    /// Whether the attention keeps its record for the backward pass: in training mode, and only while
    /// forward passes record (`recordsForBackward`).
    private var keepsAttentionRecord: Bool { isTraining && recordsForBackward }

    /// Every GEMM of the model on one engine (tests compare them; `.bfloat16` multiplies in bf16).
    public var engine: GEMMEngine {
        get { head.engine }
        set {
            encoder.engine = newValue
            for cell in cells { cell.engine = newValue }
            attention?.engine = newValue
            for linear in [bridge, bridgeCell, combine, head].compactMap({ $0 }) { linear.engine = newValue }
        }
    }

    // MARK: Encoding

    /// The encoder's outputs and the decoder's initial state, with what their backward needs.
    public struct Encoded {
        public let outputs: Tensor<Scalar>          // [S, B, K]
        public let lengths: [Int]
        let final: RecurrentState<Scalar>            // [Le*D, B, H]
        /// Per decoder layer: the bridge's input (f, and f_c for the LSTM) when there is a bridge.
        let bridgeInputs: [(h: Tensor<Scalar>, c: Tensor<Scalar>?)]
        /// Per decoder layer, its initial state `[B, H]`.
        public let initial: [RecurrentState<Scalar>]
        let memory: Attention<Scalar>.Memory?
    }

    /// Encodes source ids `[S * B]` with B lengths in 1...S.
    public func encode(source: [Int], steps: Int, lengths: [Int]) -> Encoded {
        let B = lengths.count, H = configuration.hiddenSize, D = configuration.bidirectional ? 2 : 1
        let (outputs, final) = encoder.forward(tokens: source, steps: steps, batch: B, embedding: sourceEmbedding, lengths: lengths)
        let Le = configuration.encoderLayers, Ld = configuration.decoderLayers
        var initial: [RecurrentState<Scalar>] = [], inputs: [(h: Tensor<Scalar>, c: Tensor<Scalar>?)] = []
        /// Encoder layer l's final states of every direction side by side, `[B, D*H]`.
        func sideBySide(_ states: Tensor<Scalar>, layer l: Int) -> Tensor<Scalar> {
            var f = Tensor<Scalar>(shape: [B, D * H])
            states.withUnsafeBufferPointer { s in
                f.withUnsafeMutableBufferPointer { fb in
                    for d in 0..<D { for b in 0..<B {
                        (fb.baseAddress! + b * D * H + d * H).update(from: s.baseAddress! + ((l * D + d) * B + b) * H, count: H)
                    } }
                }
            }
            return f
        }
        for l in 0..<Ld {
            let source = Le == Ld ? l : Le - 1
            let fh = sideBySide(final.h, layer: source), fc = final.c.map { sideBySide($0, layer: source) }
            if let bridge {
                var h = bridge.apply(fh)
                h.withUnsafeMutableBufferPointer { for i in 0..<$0.count { $0[i] = Scalar.tanh($0[i]) } }
                initial.append(RecurrentState(h: h, c: fc.map { bridgeCell!.apply($0) }))
                inputs.append((fh, fc))
            } else {
                initial.append(RecurrentState(h: fh, c: fc))
            }
        }
        return Encoded(outputs: outputs, lengths: lengths, final: final, bridgeInputs: inputs, initial: initial,
                       memory: attention?.prepare(keys: outputs, lengths: lengths))
    }

    // MARK: One decoder step

    /// What one decoder step computed, for its backward step.
    struct StepRecord {
        var ids: [Int]
        var cells: [RecurrentCell<Scalar>.Step]
        var attention: Attention<Scalar>.Record?
        var context: Tensor<Scalar>?
        /// Luong: the attentional state h~ `[B, H]`.
        var attentional: Tensor<Scalar>?
    }

    /// Feeds ids `[B]` to the decoder in `states`: returns what the output layer reads `[B, O]` and
    /// the step's record (whose attention weights a caller may keep).
    func step(_ ids: [Int], states: inout [RecurrentState<Scalar>], _ encoded: Encoded) -> (output: Tensor<Scalar>, record: StepRecord) {
        let B = ids.count, E = configuration.embeddingSize
        var embedded = Tensor<Scalar>(shape: [B, E])
        targetEmbedding.weight.value.withUnsafeBufferPointer { table in
            embedded.withUnsafeMutableBufferPointer { e in
                for (b, id) in ids.enumerated() { (e.baseAddress! + b * E).update(from: table.baseAddress! + id * E, count: E) }
            }
        }
        var record = StepRecord(ids: ids, cells: [], attention: nil, context: nil, attentional: nil)
        var input = embedded
        if configuration.attention == .bahdanau {
            let (context, attended) = attention!.attend(states[cells.count - 1].h, encoded.memory!, keepForBackward: keepsAttentionRecord)
            record.attention = attended
            record.context = context
            input = Self.sideBySide(embedded, context)
        }
        for (l, cell) in cells.enumerated() {
            let step = cell.forward(input, state: states[l])
            states[l] = step.state
            record.cells.append(step)
            input = step.state.h
        }
        let top = input
        switch configuration.attention {
        case .none:
            return (top, record)
        case .bahdanau:
            return (Self.sideBySide(top, record.context!), record)
        case .luongDot, .luongGeneral:
            let (context, attended) = attention!.attend(top, encoded.memory!, keepForBackward: keepsAttentionRecord)
            record.attention = attended
            record.context = context
            var attentional = combine!.apply(Self.sideBySide(context, top))
            attentional.withUnsafeMutableBufferPointer { for i in 0..<$0.count { $0[i] = Scalar.tanh($0[i]) } }
            record.attentional = attentional
            return (attentional, record)
        }
    }

    /// `[B, X]` and `[B, Y]` side by side: `[B, X + Y]`.
    static func sideBySide(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>) -> Tensor<Scalar> {
        let B = a.shape[0], X = a.shape[1], Y = b.shape[1]
        var out = Tensor<Scalar>(shape: [B, X + Y])
        a.withUnsafeBufferPointer { ab in
            b.withUnsafeBufferPointer { bb in
                out.withUnsafeMutableBufferPointer { o in
                    for r in 0..<B {
                        (o.baseAddress! + r * (X + Y)).update(from: ab.baseAddress! + r * X, count: X)
                        (o.baseAddress! + r * (X + Y) + X).update(from: bb.baseAddress! + r * Y, count: Y)
                    }
                }
            }
        }
        return out
    }

    /// The columns `[B, X + Y]` split at X.
    static func split(_ t: Tensor<Scalar>, at X: Int) -> (Tensor<Scalar>, Tensor<Scalar>) {
        let B = t.shape[0], W = t.shape[1]
        var a = Tensor<Scalar>(shape: [B, X]), b = Tensor<Scalar>(shape: [B, W - X])
        t.withUnsafeBufferPointer { tb in
            a.withUnsafeMutableBufferPointer { ab in
                b.withUnsafeMutableBufferPointer { bb in
                    for r in 0..<B {
                        (ab.baseAddress! + r * X).update(from: tb.baseAddress! + r * W, count: X)
                        (bb.baseAddress! + r * (W - X)).update(from: tb.baseAddress! + r * W + X, count: W - X)
                    }
                }
            }
        }
        return (a, b)
    }

    // MARK: Training pass

    private struct Pass {
        var encoded: Encoded
        var records: [StepRecord]
    }

    /// Logits `[T, B, V]` of a batch, the decoder fed the true previous symbols (or, with probability
    /// 1 - `teacherForcing`, its own previous choices); keeps what `backward` needs.
    public func forward(_ batch: Seq2SeqBatch) -> Tensor<Scalar> {
        let B = batch.batch, T = batch.targetSteps, O = configuration.outputWidth
        let encoded = encode(source: batch.source, steps: batch.sourceSteps, lengths: batch.sourceLengths)
        var states = encoded.initial
        var records: [StepRecord] = []
        var outputs = Tensor<Scalar>(shape: [T, B, O])
        var previous = [Int](repeating: Seq2SeqConfiguration.beginID, count: B)
        for t in 0..<T {
            var ids = previous
            if t > 0 {
                for b in 0..<B {
                    let truth = batch.targets[(t - 1) * B + b]
                    ids[b] = teacherForcing >= 1 || encoder.generator.uniform(Double.self) < teacherForcing ? truth : previous[b]
                }
            }
            let (output, record) = step(ids, states: &states, encoded)
            records.append(record)
            outputs.withUnsafeMutableBufferPointer { o in
                output.withUnsafeBufferPointer { (o.baseAddress! + t * B * O).update(from: $0.baseAddress!, count: B * O) }
            }
            if teacherForcing < 1 {
                // The model's own choice, for the next step's input when it is not forced.
                let logits = head.apply(output), V = logits.shape[1]
                logits.withUnsafeBufferPointer { z in
                    for b in 0..<B {
                        var best = 0
                        for v in 1..<V where z[b * V + v] > z[b * V + best] { best = v }
                        previous[b] = best
                    }
                }
            } else {
                previous = ids
            }
        }
        pass = Pass(encoded: encoded, records: records)
        return head.forward(outputs)
    }

    /// Back-propagates dL/dlogits `[T, B, V]` through the last `forward`: the output layer, every
    /// decoder step in reverse (cells, attention, the combination), the bridge and the encoder.
    public func backward(logitsGradient: Tensor<Scalar>) {
        guard let pass else { preconditionFailure("Seq2Seq.backward: call forward first") }
        let dOutputs = head.backward(logitsGradient)
        let T = pass.records.count, B = pass.encoded.lengths.count, O = configuration.outputWidth
        let H = configuration.hiddenSize, E = configuration.embeddingSize, L = cells.count
        let hasCell = configuration.cell.hasCellState
        var carried = (0..<L).map { _ in RecurrentState<Scalar>(h: Tensor(shape: [B, H]), c: hasCell ? Tensor(shape: [B, H]) : nil) }
        for t in stride(from: T - 1, through: 0, by: -1) {
            let record = pass.records[t]
            var dOutput = Tensor<Scalar>(shape: [B, O])
            dOutputs.withUnsafeBufferPointer { d in
                dOutput.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: d.baseAddress! + t * B * O, count: B * O) }
            }
            var dTop: Tensor<Scalar>
            var dContextOut: Tensor<Scalar>? = nil
            switch configuration.attention {
            case .none:
                dTop = dOutput
            case .bahdanau:
                (dTop, dContextOut) = Self.split(dOutput, at: H)
            case .luongDot, .luongGeneral:
                let attentional = record.attentional!
                var dPre = dOutput
                dPre.withUnsafeMutableBufferPointer { d in
                    attentional.withUnsafeBufferPointer { a in for i in 0..<d.count { d[i] *= 1 - a[i] * a[i] } }
                }
                let top = record.cells[L - 1].state.h
                let dCombined = combine!.backward(dPre, input: Self.sideBySide(record.context!, top))
                let (dContext, dFromCombine) = Self.split(dCombined, at: configuration.keyWidth)
                dTop = dFromCombine
                let dQuery = attention!.backward(record.attention!, contextGradient: dContext, pass.encoded.memory!)
                dTop.add(dQuery)
            }
            // The cells, top layer first: each layer's output gradient is its carried state gradient
            // plus what the layer above (or the output) sends down.
            var dFromAbove = dTop
            for l in stride(from: L - 1, through: 0, by: -1) {
                var gradient = carried[l]
                gradient.h.add(dFromAbove)
                let (dInput, dPrevious) = cells[l].backward(record.cells[l], stateGradient: gradient)
                carried[l] = dPrevious
                dFromAbove = dInput
            }
            var dEmbedded = dFromAbove
            if configuration.attention == .bahdanau {
                var dContext: Tensor<Scalar>
                (dEmbedded, dContext) = Self.split(dFromAbove, at: E)
                dContext.add(dContextOut!)
                // The query was the top layer's state before this step.
                let dQuery = attention!.backward(record.attention!, contextGradient: dContext, pass.encoded.memory!)
                carried[L - 1].h.add(dQuery)
            }
            targetEmbedding.weight.gradient.withUnsafeMutableBufferPointer { g in
                dEmbedded.withUnsafeBufferPointer { d in
                    for (b, id) in record.ids.enumerated() {
                        for j in 0..<E { g[id * E + j] += d[b * E + j] }
                    }
                }
            }
        }
        // Into the encoder: its outputs (through attention) and its final state (through the bridge).
        let Le = configuration.encoderLayers, D = configuration.bidirectional ? 2 : 1
        var dFinal = encoder.zeroState(batch: B)
        func addSideBySide(_ f: Tensor<Scalar>, into states: inout Tensor<Scalar>, layer l: Int) {
            f.withUnsafeBufferPointer { fb in
                states.withUnsafeMutableBufferPointer { s in
                    for d in 0..<D { for b in 0..<B { for j in 0..<H {
                        s[((l * D + d) * B + b) * H + j] += fb[b * D * H + d * H + j]
                    } } }
                }
            }
        }
        for l in 0..<L {
            let source = Le == L ? l : Le - 1
            if let bridge {
                let inputs = pass.encoded.bridgeInputs[l]
                var dPre = carried[l].h
                pass.encoded.initial[l].h.withUnsafeBufferPointer { h in
                    dPre.withUnsafeMutableBufferPointer { d in for i in 0..<d.count { d[i] *= 1 - h[i] * h[i] } }
                }
                addSideBySide(bridge.backward(dPre, input: inputs.h), into: &dFinal.h, layer: source)
                if let dc = carried[l].c {
                    addSideBySide(bridgeCell!.backward(dc, input: inputs.c!), into: &dFinal.c!, layer: source)
                }
            } else {
                addSideBySide(carried[l].h, into: &dFinal.h, layer: source)
                if let dc = carried[l].c { addSideBySide(dc, into: &dFinal.c!, layer: source) }
            }
        }
        let dKeys = attention.map { $0.finish(pass.encoded.memory!) } ?? Tensor(shape: pass.encoded.outputs.shape)
        let (dTable, _) = encoder.backward(outputGradient: dKeys, finalStateGradient: dFinal)
        sourceEmbedding.accumulate(weightGradient: dTable)
        self.pass = nil
    }

    /// Mean cross-entropy over the batch's real target positions, and its gradients.
    public func lossAndGradients(_ batch: Seq2SeqBatch) -> (loss: Double, count: Int) {
        let mask = batch.mask
        let (loss, dLogits) = SoftmaxCrossEntropy.compute(logits: forward(batch), targets: batch.targets, mask: mask)
        backward(logitsGradient: dLogits)
        return (loss, mask.filter { $0 }.count)
    }
}

extension Tensor {
    /// Adds `other` (of the same shape) element by element.
    mutating func add(_ other: Tensor<Scalar>) {
        precondition(shape == other.shape, "Tensor.add: shapes \(shape) and \(other.shape) differ")
        withUnsafeMutableBufferPointer { a in
            other.withUnsafeBufferPointer { b in for i in 0..<a.count { a[i] += b[i] } }
        }
    }
}

extension Seq2Seq: RecurModel where Scalar == Float {
    public static var task: String { "seq2seq" }

    public convenience init(configuration: Seq2SeqConfiguration, using generator: inout RandomGenerator) {
        self.init(configuration, using: &generator)
    }

    public var dropoutGenerator: RandomGenerator {
        get { encoder.generator }
        set { encoder.generator = newValue }
    }
}
