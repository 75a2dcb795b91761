import Testing
import Recur
import _RecurTestSupport

/// The batch-1 sampling path against the sequence path, and the sampling rules.
struct SamplerTests {
    static let vocabulary = Vocabulary(text: "abcdefghij")

    static func model(_ cell: CellKind, layers: Int = 2) -> (CharRNN<Float>, CharRNNConfiguration) {
        let configuration = CharRNNConfiguration(cell: cell, layers: layers, hiddenSize: 16, embeddingSize: 6, vocabulary: vocabulary)
        var g = RandomGenerator(seed: 21)
        return (configuration.makeModel(using: &g), configuration)
    }

    @Test("the batch-1 path gives the logits of the whole-sequence path at every step", arguments: CellKind.allCases)
    func matchesSequencePath(cell: CellKind) {
        let (model, configuration) = Self.model(cell)
        model.isTraining = false
        let ids = [3, 1, 4, 1, 5, 9, 2, 6]
        let (logits, _) = model.forward(ids, steps: ids.count, batch: 1)
        let sampler = Sampler(model: model, configuration: configuration)
        sampler.reset()
        for (t, id) in ids.enumerated() {
            sampler.feed(id)
            for v in 0..<10 {
                #expect(abs(sampler.currentLogits[v] - logits[t, 0, v]) < 1e-5, "\(cell) step \(t)")
            }
        }
    }

    @Test("on the reference engine (its products gemm's, layer after layer) the batch-1 path gives the sequence path's logits too",
          arguments: CellKind.allCases)
    func referenceEngineMatchesSequencePath(cell: CellKind) {
        let (model, configuration) = Self.model(cell)
        model.isTraining = false
        model.engine = .reference
        let ids = [2, 7, 1, 8, 2, 8]
        let (logits, _) = model.forward(ids, steps: ids.count, batch: 1)
        let sampler = Sampler(model: model, configuration: configuration)
        sampler.reset()
        for (t, id) in ids.enumerated() {
            sampler.feed(id)
            let difference = largestDifference(Array(sampler.currentLogits), (0..<10).map { logits[t, 0, $0] })
            #expect(difference <= 1e-5, "\(cell) step \(t): \(difference)")
        }
    }

    @Test("on the bf16 engine, the batch-1 path (weights copied once in bf16) gives the bf16 sequence path's logits within 2e-5, 1e-4 or more from float32's",
          arguments: CellKind.allCases)
    func bfloat16MatchesSequencePath(cell: CellKind) throws {
        let (model, configuration) = Self.model(cell)
        model.isTraining = false
        let ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
        let (float32, _) = model.forward(ids, steps: ids.count, batch: 1)
        model.engine = .bfloat16
        let (bfloat16, _) = model.forward(ids, steps: ids.count, batch: 1)
        let sampler = Sampler(model: model, configuration: configuration)
        sampler.reset()
        var fromFloat32 = 0.0
        for (t, id) in ids.enumerated() {
            sampler.feed(id)
            let row = (0..<10).map { bfloat16[t, 0, $0] }
            let difference = largestDifference(Array(sampler.currentLogits), row)
            #expect(difference <= 2e-5, "\(cell) step \(t): \(difference)")
            fromFloat32 = max(fromFloat32, largestDifference(Array(sampler.currentLogits), (0..<10).map { float32[t, 0, $0] }))
        }
        // Without a bf16 product (an AVX2-only CPU) the engine multiplies in float, as documented.
        if BFloat16Products.isAvailable {
            #expect(fromFloat32 >= 1e-4, "\(cell): the bf16 sampler is only \(fromFloat32) from float32")
        } else {
            #expect(fromFloat32 <= 1e-5, "\(cell): \(fromFloat32) from float32 without bf16 products")
        }
    }

    @Test("argmax is deterministic; top-k 1 equals argmax; the same seed draws the same text")
    func rules() {
        let (model, configuration) = Self.model(.lstm)
        var drawn: [[Int]] = []
        for (topK, argmax, seed) in [(nil, true, 1), (1, false, 2), (nil, false, 3), (nil, false, 3)] as [(Int?, Bool, UInt64)] {
            let sampler = Sampler(model: model, configuration: configuration, temperature: 0.9, topK: topK, argmax: argmax)
            var g = RandomGenerator(seed: seed)
            var ids: [Int] = []
            sampler.generate(prime: [0, 1], count: 40, using: &g) { ids.append($0) }
            drawn.append(ids)
        }
        #expect(drawn[0] == drawn[1])
        #expect(drawn[2] == drawn[3])
        #expect(drawn[2] != drawn[0])
    }

    @Test("top-k and top-p draw only among the likeliest symbols")
    func truncation() {
        let (model, configuration) = Self.model(.gru, layers: 1)
        let sampler = Sampler(model: model, configuration: configuration, temperature: 3)
        sampler.reset()
        sampler.feed(4)
        let logits = Array(sampler.currentLogits)
        let ranked = logits.indices.sorted { logits[$0] > logits[$1] }
        var g = RandomGenerator(seed: 5)
        sampler.topK = 3
        let withK = Set((0..<400).map { _ in sampler.draw(using: &g) })
        #expect(withK == Set(ranked.prefix(3)))
        sampler.topK = nil
        sampler.topP = 1e-9
        #expect(Set((0..<50).map { _ in sampler.draw(using: &g) }) == [ranked[0]])
        sampler.topP = nil
        #expect(Set((0..<2000).map { _ in sampler.draw(using: &g) }).count == 10)  // hot: every symbol appears
    }

    @Test("temperature sharpens and flattens the distribution")
    func temperature() {
        let (model, configuration) = Self.model(.rnnTanh, layers: 1)
        func entropy(_ t: Double) -> Double {
            let sampler = Sampler(model: model, configuration: configuration, temperature: t)
            sampler.reset()
            sampler.feed(2)
            var g = RandomGenerator(seed: 8)
            var counts = [Double](repeating: 0, count: 10)
            for _ in 0..<4000 { counts[sampler.draw(using: &g)] += 1 }
            return counts.filter { $0 > 0 }.reduce(0) { $0 - $1 / 4000 * Double.log($1 / 4000) }
        }
        #expect(entropy(0.2) < entropy(1) && entropy(1) < entropy(5))
    }
}

struct TextTests {
    @Test("vocabulary: sorted by code point, round trip, unknown symbols named with their position")
    func vocabulary() {
        let v = Vocabulary(text: "hello, wörld")
        #expect(v.symbols.map { String($0) } == [" ", ",", "d", "e", "h", "l", "o", "r", "w", "ö"])
        let ids = try! v.encode("hello")
        #expect(v.decode(ids) == "hello")
        #expect(throws: Vocabulary.UnknownSymbol(symbol: "x", position: 3)) { try v.encode("hewx") }
    }

    @Test("UTF-8 decoding reports the byte offset of the first invalid sequence")
    func invalidUTF8() {
        #expect(TextFile.decode(Array("héllo".utf8)) == .success("héllo"))
        #expect(TextFile.decode([0x61, 0x62, 0xC3, 0x28]) == .failure(.init(offset: 2)))
        #expect(TextFile.decode([0xE2, 0x82, 0xAC, 0x61, 0xFF]) == .failure(.init(offset: 4)))
    }

    @Test("parallel streams: each row continues its own stretch of text, targets are the next token")
    func streams() {
        let tokens = Array(0..<41)
        let s = TextStreams(tokens: tokens, batch: 4, steps: 3)
        #expect(s.streamLength == 10 && s.batchesPerEpoch == 3)
        let (inputs, targets) = s.batch(1)
        // time-major [T = 3, B = 4]: row b starts at b * 10 + 3
        #expect(inputs == [3, 13, 23, 33, 4, 14, 24, 34, 5, 15, 25, 35])
        #expect(targets == inputs.map { $0 + 1 })
    }
}
