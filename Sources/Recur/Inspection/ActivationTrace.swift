import RecurCore

/// What a character model computes, step by step, as it reads a text: every layer's hidden state h,
/// cell state c (LSTM) and gate activations, and its likeliest next symbols. The raw material of
/// `recur viz` (Karpathy, Johnson and Fei-Fei, "Visualizing and Understanding Recurrent Networks", 2015).
///
/// The text is fed one symbol at a time through a `Sampler` (the model's own step, from a zero state),
/// so step t's record is the state after reading symbols 0...t and the distribution of symbol t+1.
/// Layouts, per layer: `hidden[l]` and `cells[l]` `[T, H]`; `gates[l]` `[T, G, H]` with the gate blocks
/// named by `gateNames` (LSTM input | forget | cell | output, as PyTorch orders them; GRU reset |
/// update | new; RNN none).
public struct ActivationTrace: Sendable {
    public let cell: CellKind
    public let hiddenSize: Int
    public let layerCount: Int
    /// The symbols read, one per step.
    public let ids: [Int]
    /// Per layer `[T, H]`.
    public private(set) var hidden: [[Float]]
    /// Per layer `[T, H]`; empty for cells without a cell state.
    public private(set) var cells: [[Float]]
    /// Per layer `[T, G, H]` gate activations.
    public private(set) var gates: [[Float]]
    /// After step t, the `top` likeliest next symbols and their probabilities (temperature 1), likeliest first.
    public private(set) var next: [[(id: Int, probability: Float)]]

    public var steps: Int { ids.count }

    /// The gate blocks recorded, in order; `isSigmoid` marks the gates that open and close (0...1), the
    /// others are tanh candidates (-1...1).
    public var gateNames: [(name: String, isSigmoid: Bool)] { Self.gateNames(of: cell) }

    public static func gateNames(of cell: CellKind) -> [(name: String, isSigmoid: Bool)] {
        switch cell {
        case .lstm: [("input", true), ("forget", true), ("cell", false), ("output", true)]
        case .gru: [("reset", true), ("update", true), ("new", false)]
        case .rnnTanh, .rnnReLU: []
        }
    }

    /// Reads `ids` through `model` from a zero state, recording every step (batch 1; the model's engine).
    /// - restarts: steps at which the state starts again (a model of independent sequences: each
    ///   sequence's begin symbol), from zero or from `condition`'s state.
    /// - condition: a conditioned model's condition vector (`GenerationCondition.vector`).
    public init(model: CharRNN<Float>, configuration: CharRNNConfiguration, ids: [Int], top: Int = 5,
                restarts: Set<Int> = [], condition: [Float]? = nil) {
        precondition(!model.rnn.bidirectional, "ActivationTrace: a bidirectional model does not read left to right")
        precondition((condition != nil) == (configuration.condition != nil), "ActivationTrace: a conditioned model needs its condition, and only it takes one")
        cell = configuration.cell
        hiddenSize = configuration.hiddenSize
        layerCount = configuration.layers
        self.ids = ids
        let H = hiddenSize, T = ids.count, G = Self.gateNames(of: cell).count, V = configuration.vocabulary.count
        hidden = Array(repeating: [Float](repeating: 0, count: T * H), count: layerCount)
        cells = cell.hasCellState ? Array(repeating: [Float](repeating: 0, count: T * H), count: layerCount) : []
        gates = Array(repeating: [Float](repeating: 0, count: T * G * H), count: layerCount)
        next = []
        next.reserveCapacity(T)
        let sampler = Sampler(model: model, configuration: configuration)
        let k = min(max(top, 0), V)
        var probabilities = [Float](repeating: 0, count: V)
        for (t, id) in ids.enumerated() {
            if t == 0 || restarts.contains(t) {
                if let condition { sampler.reset(condition: condition) } else { sampler.reset() }
            }
            sampler.feed(id)
            for l in 0..<layerCount {
                let a = sampler.activations(layer: l)
                hidden[l].withUnsafeMutableBufferPointer { ($0.baseAddress! + t * H).update(from: a.h.baseAddress!, count: H) }
                if let c = a.c {
                    cells[l].withUnsafeMutableBufferPointer { ($0.baseAddress! + t * H).update(from: c.baseAddress!, count: H) }
                }
                if G > 0 {
                    gates[l].withUnsafeMutableBufferPointer { ($0.baseAddress! + t * G * H).update(from: a.gates.baseAddress!, count: G * H) }
                }
            }
            let logits = sampler.currentLogits
            let maximum = logits.max() ?? 0
            var sum: Float = 0
            for j in 0..<V {
                probabilities[j] = (logits[j] - maximum).exp
                sum += probabilities[j]
            }
            let likeliest = (0..<V).sorted { probabilities[$0] > probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 < $1) }
            next.append(likeliest.prefix(k).map { ($0, probabilities[$0] / sum) })
        }
    }

    /// Unit `unit` of layer `layer` over the steps: its h, or its c where `cellState` (LSTM).
    public func series(layer: Int, unit: Int, cellState: Bool = false) -> [Float] {
        let values = cellState ? cells[layer] : hidden[layer]
        return (0..<steps).map { values[$0 * hiddenSize + unit] }
    }

    /// Gate `gate` (an index into `gateNames`) of unit `unit` in layer `layer`, over the steps.
    public func gateSeries(layer: Int, gate: Int, unit: Int) -> [Float] {
        let G = gateNames.count, H = hiddenSize
        return (0..<steps).map { gates[layer][($0 * G + gate) * H + unit] }
    }
}

extension Float {
    fileprivate var exp: Float { Float(Double.exp(Double(self))) }
}
