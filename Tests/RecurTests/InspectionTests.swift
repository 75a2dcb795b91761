import Foundation
import Testing
import Recur
import _RecurTestSupport

/// What `recur viz` draws: the activation trace against the model's own sequence path and against
/// gates recomputed in Double from the weights, the saturation counts and the unit measures.
struct InspectionTests {
    static let vocabulary = Vocabulary(text: "ab(c)\"d e\nfg")

    static func model(_ cell: CellKind, layers: Int = 2) -> (CharRNN<Float>, CharRNNConfiguration) {
        let configuration = CharRNNConfiguration(cell: cell, layers: layers, hiddenSize: 7, embeddingSize: 5, vocabulary: vocabulary)
        var g = RandomGenerator(seed: 5)
        let model = configuration.makeModel(using: &g) as CharRNN<Float>
        model.isTraining = false
        return (model, configuration)
    }

    static let ids = [0, 2, 3, 4, 5, 1, 6, 7, 8, 9, 10, 11, 3, 0, 1]

    @Test("the trace's top-layer h at every step, every layer's final h and c, and the next-symbol probabilities are the sequence path's",
          arguments: CellKind.allCases)
    func traceMatchesSequencePath(cell: CellKind) {
        let (model, configuration) = Self.model(cell)
        let ids = Self.ids, T = ids.count, H = 7, L = 2, V = Self.vocabulary.count
        let (logits, final) = model.forward(ids, steps: T, batch: 1)
        let (hidden, _) = model.rnn.forward(tokens: ids, steps: T, batch: 1, embedding: model.embedding, initialState: nil, lengths: nil)
        let trace = ActivationTrace(model: model, configuration: configuration, ids: ids, top: 4)
        var worst = 0.0
        for t in 0..<T {
            for u in 0..<H { worst = max(worst, Double(abs(trace.hidden[L - 1][t * H + u] - hidden[t, 0, u]))) }
            // softmax of the sequence path's logits, the four likeliest
            let z = (0..<V).map { Double(logits[t, 0, $0]) }
            let m = z.max()!, e = z.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
            let expected = (0..<V).sorted { e[$0] > e[$1] }.prefix(4)
            #expect(trace.next[t].map(\.id) == Array(expected), "\(cell) step \(t)")
            for (k, id) in expected.enumerated() { worst = max(worst, abs(Double(trace.next[t][k].probability) - e[id] / s)) }
        }
        for l in 0..<L {
            for u in 0..<H {
                worst = max(worst, Double(abs(trace.hidden[l][(T - 1) * H + u] - final.h[l, 0, u])))
                if let c = final.c { worst = max(worst, Double(abs(trace.cells[l][(T - 1) * H + u] - c[l, 0, u]))) }
            }
        }
        #expect(worst <= 2e-5, "\(cell): largest difference \(worst)")
        #expect(trace.cells.isEmpty == !cell.hasCellState)
    }

    @Test("the recorded gates are those recomputed in Double from the weights (LSTM i f g o, GRU r z n), for both layers",
          arguments: [CellKind.lstm, .gru, .rnnTanh])
    func gatesMatchTheirDefinition(cell: CellKind) {
        let (model, configuration) = Self.model(cell)
        let ids = Self.ids, T = ids.count, H = 7
        let trace = ActivationTrace(model: model, configuration: configuration, ids: ids)
        let G = trace.gateNames.count
        #expect(G == (cell == .lstm ? 4 : cell == .gru ? 3 : 0))
        #expect(trace.gateNames.map(\.name) == (cell == .lstm ? ["input", "forget", "cell", "output"] : cell == .gru ? ["reset", "update", "new"] : []))
        func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
        var worst = 0.0
        for l in 0..<2 {
            let named = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.value) })
            let wih = named["rnn.weight_ih_l\(l)"]!, whh = named["rnn.weight_hh_l\(l)"]!
            let bih = named["rnn.bias_ih_l\(l)"]!, bhh = named["rnn.bias_hh_l\(l)"]!
            let I = wih.shape[1]
            let embedding = named["embedding.weight"]!
            for t in 0..<T {
                var x = [Double](repeating: 0, count: I), h = [Double](repeating: 0, count: H)
                for j in 0..<I { x[j] = l == 0 ? Double(embedding[ids[t], j]) : Double(trace.hidden[l - 1][t * H + j]) }
                if t > 0 { for j in 0..<H { h[j] = Double(trace.hidden[l][(t - 1) * H + j]) } }
                func input(_ row: Int) -> Double {
                    var sum = Double(bih[row])
                    for j in 0..<I { sum += Double(wih[row, j]) * x[j] }
                    return sum
                }
                func recurrent(_ row: Int) -> Double {
                    var sum = Double(bhh[row])
                    for j in 0..<H { sum += Double(whh[row, j]) * h[j] }
                    return sum
                }
                for u in 0..<H {
                    var expected: [Double] = []
                    switch cell {
                    case .lstm:
                        expected = (0..<4).map { g in
                            let a = input(g * H + u) + recurrent(g * H + u)
                            return g == 2 ? tanh(a) : sigmoid(a)
                        }
                    case .gru:
                        let r = sigmoid(input(u) + recurrent(u)), z = sigmoid(input(H + u) + recurrent(H + u))
                        expected = [r, z, tanh(input(2 * H + u) + r * recurrent(2 * H + u))]
                    case .rnnTanh, .rnnReLU:
                        break
                    }
                    for g in 0..<G { worst = max(worst, abs(Double(trace.gates[l][(t * G + g) * H + u]) - expected[g])) }
                    for g in 0..<G { #expect(trace.gateSeries(layer: l, gate: g, unit: u)[t] == trace.gates[l][(t * G + g) * H + u]) }
                }
            }
        }
        #expect(worst <= 1e-5, "\(cell): largest gate difference \(worst)")
    }

    @Test("a restart reads the rest as if from the start: the state after it is the suffix's own trace")
    func restartsStartAgain() {
        let (model, configuration) = Self.model(.lstm)
        let whole = ActivationTrace(model: model, configuration: configuration, ids: Self.ids, restarts: [6])
        let suffix = ActivationTrace(model: model, configuration: configuration, ids: Array(Self.ids[6...]))
        let unrestarted = ActivationTrace(model: model, configuration: configuration, ids: Self.ids)
        let H = 7, offset = 6 * H
        var worst: Float = 0, moved: Float = 0
        for i in 0..<suffix.hidden[1].count {
            worst = max(worst, abs(whole.hidden[1][offset + i] - suffix.hidden[1][i]))
            moved = max(moved, abs(unrestarted.hidden[1][offset + i] - suffix.hidden[1][i]))
        }
        #expect(worst <= 1e-6, "restart differs from a fresh start by \(worst)")
        #expect(moved >= 1e-4, "without the restart the state should carry over (\(moved))")
    }

    @Test("saturation: each gate unit's fractions below 0.1 and above 0.9 are those counted from its series; sigmoid gates only")
    func saturationCounts() {
        for cell in [CellKind.lstm, .gru] {
            let (model, configuration) = Self.model(cell)
            let trace = ActivationTrace(model: model, configuration: configuration, ids: Self.ids + Self.ids.reversed())
            let saturation = GateSaturation(trace)
            let sigmoidGates = trace.gateNames.enumerated().filter { $0.element.isSigmoid }
            #expect(saturation.layers.count == 2)
            for l in 0..<2 {
                #expect(saturation.layers[l].map(\.name) == sigmoidGates.map(\.element.name))
                for (k, gate) in sigmoidGates.enumerated() {
                    for u in 0..<7 {
                        let series = trace.gateSeries(layer: l, gate: gate.offset, unit: u)
                        let left = Double(series.filter { $0 < 0.1 }.count) / Double(series.count)
                        let right = Double(series.filter { $0 > 0.9 }.count) / Double(series.count)
                        #expect(saturation.layers[l][k].left[u] == left && saturation.layers[l][k].right[u] == right)
                    }
                }
            }
        }
        let (rnn, configuration) = Self.model(.rnnTanh)
        let none = GateSaturation(ActivationTrace(model: rnn, configuration: configuration, ids: Self.ids))
        #expect(none.layers.count == 2 && none.layers.allSatisfy { $0.isEmpty })
    }

    @Test("the text properties: line position, quotes (straight and curly), nested brackets, word position")
    func textProperties() {
        let p = UnitMeasures.properties(of: Array("ab \"c(d)\"\n(x(y)z)\u{201C}q\u{201D}".unicodeScalars))
        //                                        a  b  _  "  c  (  d  )  "  \n (  x  (  y  )  z  )  “  q  ”
        #expect(p[0] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        #expect(p[1] == [0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0])
        #expect(p[2] == [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
        #expect(p[3] == [1, 2, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0])
        // A sequence's begin symbol (U+0002) starts the line again and closes quotes and brackets.
        let q = UnitMeasures.properties(of: Array("a(\"b\u{02}cd".unicodeScalars))
        #expect(q[0] == [1, 2, 3, 4, 0, 1, 2] && q[1] == [0, 0, 1, 1, 0, 0, 0] && q[2] == [0, 1, 1, 1, 0, 0, 0])
    }

    @Test("Pearson's r: 1 and -1 for linear series, nil for a constant one, and the ranking puts the largest |r| first")
    func correlationsAndRanking() throws {
        let x: [Double] = [1, 2, 3, 4, 5]
        let one = try #require(UnitMeasures.correlation(x, x.map { 3 * $0 + 1 }))
        let minusOne = try #require(UnitMeasures.correlation(x, x.map { -$0 }))
        #expect(abs(one - 1) <= 1e-12 && abs(minusOne + 1) <= 1e-12)
        #expect(UnitMeasures.correlation(x, [2, 2, 2, 2, 2]) == nil)
        let r = try #require(UnitMeasures.correlation([1, 2, 3, 4], [1, 3, 2, 4]))
        #expect(abs(r - 0.8) <= 1e-12)
        let (model, configuration) = Self.model(.lstm)
        let text = Array(Self.vocabulary.decode(Self.ids).unicodeScalars)
        let trace = ActivationTrace(model: model, configuration: configuration, ids: Self.ids)
        let measures = UnitMeasures(trace: trace, text: text)
        #expect(measures.ranked.count == 2 * 2 * 7)
        let scores = measures.ranked.map { $0.best.map { abs($0.r) } ?? -1 }
        #expect(scores == scores.sorted(by: >))
        let top = try #require(measures.ranked.first)
        let series = trace.series(layer: top.layer, unit: top.unit, cellState: top.cellState).map(Double.init)
        let best = try #require(top.best)
        let recomputed = try #require(UnitMeasures.correlation(series, measures.properties[best.measure]))
        #expect(abs(recomputed - best.r) <= 1e-12)
    }
}
