import Foundation
import Testing
@testable import Recur
import RecurCore
import _RecurTestSupport

/// The encoder-decoder: each attention variant and whole models under central differences.
struct Seq2SeqTests {
    static let tolerance = 1e-6

    @Test("attention: scores, the softmax over each row's real source steps, the context; every parameter, the queries and the keys",
          arguments: [AttentionKind.bahdanau, .luongDot, .luongGeneral])
    func attentionGradients(kind: AttentionKind) {
        let (S, B, K) = (4, 3, 11)  // widths of a full block of eight lanes and a tail
        let Q = kind == .luongDot ? K : 9
        let lengths = [4, 2, 3]
        var g = RandomGenerator(seed: 61)
        let attention = Attention<Double>(kind: kind, queryWidth: Q, keyWidth: K, attentionWidth: 11, using: &g)  // a full block of eight lanes and a tail
        attention.engine = .reference
        let keys = CheckedTensor(randomTensor([S, B, K], using: &g))
        let queries = [CheckedTensor(randomTensor([B, Q], using: &g)), CheckedTensor(randomTensor([B, Q], using: &g))]
        let weights = [randomTensor([B, K], using: &g), randomTensor([B, K], using: &g)]
        func loss() -> Double {
            let memory = attention.prepare(keys: keys.tensor, lengths: lengths)
            return zip(queries, weights).reduce(0) { $0 + dot(attention.attend($1.0.tensor, memory).context, $1.1) }
        }
        attention.zeroGradients()
        let memory = attention.prepare(keys: keys.tensor, lengths: lengths)
        let records = queries.map { attention.attend($0.tensor, memory).record }
        var dQueries: [Tensor<Double>] = []
        for i in (0..<2).reversed() { dQueries.insert(attention.backward(records[i], contextGradient: weights[i], memory), at: 0) }
        let dKeys = attention.finish(memory)
        // The weights of padded steps are 0, and those steps get no gradient.
        for b in 0..<B { for j in lengths[b]..<S {
            #expect(records[0].weights[b, j] == 0)
            for i in 0..<K { #expect(dKeys[j, b, i] == 0) }
        } }
        let targets = attention.namedParameters.map { GradientCheckTarget(name: $0.name, parameter: $0.parameter) }
            + [queries[0].target("query 0", analytic: dQueries[0]), queries[1].target("query 1", analytic: dQueries[1]),
               keys.target("keys", analytic: dKeys)]
        let reports = gradientCheck(targets: targets, loss: loss)
        #expect(reports.count == [AttentionKind.bahdanau: 7, .luongDot: 3, .luongGeneral: 4][kind])
        for report in reports {
            #expect(report.relativeError < Self.tolerance, "\(kind): \(report)")
            #expect(report.scale > 1e-9, "\(kind): \(report.name) has no gradient to check")
        }
    }

    struct Case: CustomStringConvertible, Sendable {
        var cell: CellKind
        var attention: AttentionKind
        var bidirectional: Bool
        var encoderLayers: Int
        var decoderLayers: Int
        var description: String { "\(cell) \(attention.rawValue) \(bidirectional ? "bi" : "uni") \(encoderLayers)-\(decoderLayers)" }
    }

    static let cases = [
        Case(cell: .gru, attention: .bahdanau, bidirectional: true, encoderLayers: 2, decoderLayers: 1),
        Case(cell: .lstm, attention: .bahdanau, bidirectional: false, encoderLayers: 1, decoderLayers: 2),
        Case(cell: .lstm, attention: .luongGeneral, bidirectional: true, encoderLayers: 2, decoderLayers: 2),
        Case(cell: .gru, attention: .luongDot, bidirectional: false, encoderLayers: 1, decoderLayers: 1),
        Case(cell: .rnnTanh, attention: .none, bidirectional: true, encoderLayers: 1, decoderLayers: 1),
        Case(cell: .lstm, attention: .none, bidirectional: false, encoderLayers: 2, decoderLayers: 2),
    ]

    /// A vocabulary of n symbols: chars "a", "b", ... (with the target's specials first when `target`).
    static func vocabulary(_ n: Int, target: Bool) -> TokenVocabulary {
        let letters = (0..<n).map { String(UnicodeScalar(UInt8(97 + $0))) }
        return TokenVocabulary(tokenization: .chars, tokens: [TokenVocabulary.unknown] + (target ? ["<s>", "</s>"] : []) + letters)
    }

    @Test("a whole encoder-decoder: every weight, variable source and target lengths, masked loss", arguments: cases)
    func modelGradients(_ c: Case) {
        let (S, T, B) = (5, 4, 3)
        var g = RandomGenerator(seed: 62)
        let configuration = Seq2SeqConfiguration(
            sourceVocabulary: Self.vocabulary(5, target: false), targetVocabulary: Self.vocabulary(4, target: true), cell: c.cell,
            encoderLayers: c.encoderLayers, decoderLayers: c.decoderLayers, hiddenSize: 4, embeddingSize: 3,
            bidirectional: c.bidirectional, attention: c.attention)
        let model = Seq2Seq<Double>(configuration, using: &g)
        Self.useReferenceEngine(model)
        // Weights larger than PyTorch's initialisation, so that attention changes the loss enough for
        // its gradients to stand well above the central differences' rounding (about 1e-10 here).
        for (_, parameter) in model.namedParameters { parameter.value.withUnsafeMutableBufferPointer { for i in 0..<$0.count { $0[i] *= 3 } } }
        let sourceLengths = [5, 2, 4], targetLengths = [4, 1, 3]
        let source = (0..<(S * B)).map { i in i / B < sourceLengths[i % B] ? 1 + g.integer(below: 5) : 0 }
        let targets = (0..<(T * B)).map { i in i / B < targetLengths[i % B] ? g.integer(below: 7) : 0 }
        let batch = Seq2SeqBatch(source: source, sourceSteps: S, sourceLengths: sourceLengths, targets: targets, targetSteps: T,
                                 targetLengths: targetLengths, rows: [0, 1, 2])
        model.zeroGradients()
        _ = model.lossAndGradients(batch)
        let reports = gradientCheck(targets: model.namedParameters.map { GradientCheckTarget(name: $0.name, parameter: $0.parameter) }, step: 1e-5) {
            SoftmaxCrossEntropy.compute(logits: model.forward(batch), targets: targets, mask: batch.mask).loss
        }
        #expect(reports.count == model.namedParameters.count && reports.count > 10)
        for report in reports {
            #expect(report.relativeError < Self.tolerance, "\(c): \(report)")
            if !(report.relativeError < Self.tolerance) { print("FAIL \(c): \(report)") }
            // The unknown source token (id 0) never occurs, so its embedding row has no gradient; every
            // tensor as a whole must.
            #expect(report.scale > 1e-9, "\(c): \(report.name) has no gradient to check")
        }
    }

    static func useReferenceEngine(_ model: Seq2Seq<Double>) {
        model.encoder.engine = .reference
        for cell in model.cells { cell.engine = .reference }
        model.attention?.engine = .reference
        for linear in [model.bridge, model.bridgeCell, model.combine, model.head].compactMap({ $0 }) { linear.engine = .reference }
    }

    @Test("a Bahdanau encoder-decoder (bidirectional 2-layer GRU encoder, 2-layer GRU decoder) gives PyTorch's logits, masked loss and every gradient",
          arguments: GEMMEngine.float32)
    func golden(engine: GEMMEngine) throws {
        let f = try PyTorchGoldenTests.fixture("seq2seq_bahdanau_gru")
        var g = RandomGenerator(seed: 0)
        let configuration = Seq2SeqConfiguration(
            sourceVocabulary: Self.vocabulary(f.int("source_vocabulary") - 1, target: false),
            targetVocabulary: Self.vocabulary(f.int("target_vocabulary") - 3, target: true), cell: .gru,
            encoderLayers: f.int("layers"), decoderLayers: f.int("layers"), hiddenSize: f.int("hidden_size"),
            embeddingSize: f.int("embedding"), bidirectional: true, attention: .bahdanau)
        let model = Seq2Seq<Float>(configuration, using: &g)
        model.encoder.engine = engine
        for cell in model.cells { cell.engine = engine }
        model.attention?.engine = engine
        model.bridge?.engine = engine
        model.head.engine = engine
        for (name, parameter) in model.namedParameters { parameter.value = f.tensor(name) }
        let batch = Seq2SeqBatch(source: try #require(f.ints("source")), sourceSteps: f.int("source_steps"),
                                 sourceLengths: try #require(f.ints("source_lengths")), targets: try #require(f.ints("targets")),
                                 targetSteps: f.int("target_steps"), targetLengths: try #require(f.ints("target_lengths")), rows: [0, 1, 2])
        let logits = model.forward(batch)
        let close = closeness(logits, f.tensor("logits", as: Float.self), absolute: 1e-4, relative: 0)
        #expect(close.passes, "logits [\(engine)]: \(close)")
        model.zeroGradients()
        let (loss, count) = model.lossAndGradients(batch)
        #expect(abs(loss - f.double("loss")) < 1e-5, "\(loss) vs \(f.double("loss"))")
        #expect(count == 9)
        for (name, parameter) in model.namedParameters {
            let result = closeness(parameter.gradient, f.tensor("grad." + name, as: Float.self),
                                   absolute: PyTorchGoldenTests.absolute, relative: PyTorchGoldenTests.relative)
            #expect(result.passes, "grad.\(name) [\(engine)]: \(result)")
        }
        #expect(model.namedParameters.count == 1 + 16 + 2 + 1 + 8 + 4 + 2)
        print("golden seq2seq_bahdanau_gru [\(engine)]: largest logit difference from PyTorch \(close.maxDifference)")
    }
}

/// Corpus BLEU and chrF against values sacreBLEU computed (scripts/make_metric_fixtures.py).
struct TranslationMetricsTests {
    static func corpora() throws -> [String: [String: Any]] {
        let url = try #require(Bundle.module.url(forResource: "translation_metrics", withExtension: "json", subdirectory: "Fixtures"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return object.compactMapValues { $0 as? [String: Any] }
    }

    @Test("BLEU, chrF and the 13a tokenization equal sacreBLEU's on eight corpora")
    func sacrebleu() throws {
        let corpora = try Self.corpora()
        #expect(corpora.count == 8)
        for (name, corpus) in corpora.sorted(by: { $0.key < $1.key }) {
            let hypotheses = try #require(corpus["hypotheses"] as? [String]), references = try #require(corpus["references"] as? [String])
            let bleu = TranslationMetrics.bleu(hypotheses: hypotheses, references: references)
            let chrF = TranslationMetrics.chrF(hypotheses: hypotheses, references: references)
            let expectedBLEU = try #require(corpus["bleu"] as? Double), expectedCHRF = try #require(corpus["chrf"] as? Double)
            #expect(abs(bleu - expectedBLEU) <= 1e-9, "\(name): BLEU \(bleu), sacreBLEU \(expectedBLEU)")
            #expect(abs(chrF - expectedCHRF) <= 1e-9, "\(name): chrF \(chrF), sacreBLEU \(expectedCHRF)")
            let tokenized = try #require(corpus["tokenized"] as? [String])
            #expect((hypotheses + references).map(TranslationMetrics.tokenize13a) == tokenized, "\(name)")
        }
    }
}

/// Beam search: a beam of one is greedy decoding; a wider beam finds what greedy misses.
struct BeamSearchTests {
    /// A small model over 6 source and 5 target symbols (bidirectional unless Luong-dot attention needs otherwise).
    static func model(_ attention: AttentionKind, cell: CellKind, encoderLayers: Int, using g: inout RandomGenerator) -> Seq2Seq<Float> {
        let configuration = Seq2SeqConfiguration(sourceVocabulary: Seq2SeqTests.vocabulary(6, target: false),
                                                 targetVocabulary: Seq2SeqTests.vocabulary(5, target: true), cell: cell,
                                                 encoderLayers: encoderLayers, decoderLayers: 1, hiddenSize: 8, embeddingSize: 4,
                                                 bidirectional: attention != .luongDot, attention: attention)
        return Seq2Seq<Float>(configuration, using: &g)
    }

    @Test("a beam of 1 writes what greedy decoding writes, for every attention and a batch of sources", arguments: AttentionKind.allCases)
    func beamOfOneIsGreedy(attention: AttentionKind) {
        var g = RandomGenerator(seed: 71)
        let model = Self.model(attention, cell: .lstm, encoderLayers: 1, using: &g)
        // Sharper distributions than at initialisation, so that the decodings differ from source to source.
        for (_, parameter) in model.namedParameters { parameter.value.withUnsafeMutableBufferPointer { for i in 0..<$0.count { $0[i] *= 4 } } }
        let (S, B) = (6, 5)
        let lengths = [6, 1, 3, 5, 2]
        let source = (0..<(S * B)).map { i in i / B < lengths[i % B] ? 1 + g.integer(below: 6) : 0 }
        let greedy = model.greedy(source: source, steps: S, lengths: lengths, maxLength: 12, keepAttention: true)
        let beam = model.beamSearch(source: source, steps: S, lengths: lengths, beam: 1, lengthPenalty: 1, maxLength: 12, keepAttention: true)
        #expect(beam.ids == greedy.ids)
        #expect(Set(greedy.ids.map { $0.count }).count > 1, "the decodings should differ in length: \(greedy.ids)")
        if attention != .none {
            #expect(beam.attention! == greedy.attention!)
            for (b, steps) in greedy.attention!.enumerated() { for row in steps { #expect(row.count == lengths[b] && abs(row.reduce(0, +) - 1) < 1e-5) } }
        } else {
            #expect(beam.attention == nil)
        }
    }

    @Test("each source encoded once and shared by its K beam rows decodes as the source encoded K times", arguments: AttentionKind.allCases)
    func sharedEncoding(attention: AttentionKind) {
        var g = RandomGenerator(seed: 72)
        let model = Self.model(attention, cell: .gru, encoderLayers: 2, using: &g)
        model.isTraining = false
        let (S, B, K) = (6, 3, 4)
        let lengths = [6, 2, 4]
        let source = (0..<(S * B)).map { i in i / B < lengths[i % B] ? 1 + g.integer(below: 6) : 0 }
        var expanded = [Int](repeating: 0, count: S * B * K)
        for t in 0..<S { for b in 0..<B { for k in 0..<K { expanded[t * B * K + b * K + k] = source[t * B + b] } } }
        let repeated = model.encode(source: expanded, steps: S, lengths: lengths.flatMap { [Int](repeating: $0, count: K) })
        let shared = model.encode(source: source, steps: S, lengths: lengths).repeatingRows(K)
        var (statesA, statesB) = (repeated.initial, shared.initial)
        var worst = 0.0
        for _ in 0..<4 {
            let ids = (0..<(B * K)).map { _ in g.integer(below: 8) }
            let (a, recordA) = model.step(ids, states: &statesA, repeated)
            let (b, recordB) = model.step(ids, states: &statesB, shared)
            worst = Swift.max(worst, largestDifference(a.scalars, b.scalars))
            if let wa = recordA.attention?.weights, let wb = recordB.attention?.weights { worst = Swift.max(worst, largestDifference(wa.scalars, wb.scalars)) }
        }
        #expect(worst < 1e-5, "\(attention): largest difference \(worst)")
    }

    @Test("beam search finds the likeliest sequence that greedy misses (a hand-built decoder)")
    func findsWhatGreedyMisses() {
        // Symbols: 0 end, 1 "a", 2 "b", 3 begin. After begin: a 0.6, b 0.4. After "a": a, b, end each
        // 1/3. After "b": end 0.9. Greedy writes "a" then (ties to the lowest id) "a" ...; the best
        // whole sequence is "b" (0.4 x 0.9 = 0.36 against at most 0.6 x 1/3 = 0.2).
        func distribution(after last: Int) -> [Double] {
            switch last {
            case 3: return [1e-9, 0.6, 0.4, 1e-9]
            case 1: return [1.0 / 3, 1.0 / 3, 1.0 / 3, 1e-9]
            default: return [0.9, 0.05, 0.05, 1e-9]
            }
        }
        func run(beam: Int, lengthPenalty: Double = 0) -> BeamSearch.Result {
            var history: [[Int]] = Array(repeating: [], count: beam)
            return BeamSearch.run(inputs: 1, beam: beam, vocabulary: 4, begin: 3, end: 0, maxLength: 6, lengthPenalty: lengthPenalty) { ids, parents in
                history = parents.map { history[$0] }
                for (r, id) in ids.enumerated() { history[r].append(id) }
                return ids.flatMap { distribution(after: $0).map { Foundation.log($0) } }
            }[0]
        }
        let greedy = run(beam: 1)
        #expect(greedy.ids.first == 1, "greedy starts with the likelier first symbol: \(greedy.ids)")
        let best = run(beam: 2)
        #expect(best.ids == [2] && best.finished)
        #expect(abs(best.logProbability - Foundation.log(0.4 * 0.9)) < 1e-12)
        #expect(best.logProbability > greedy.logProbability)
    }
}

/// The encoder-decoder benchmark runs what it says on a small shape.
struct Seq2SeqBenchmarkTests {
    @Test("a tiny benchmark shape trains and decodes at positive, finite rates")
    func tiny() {
        let c = Seq2SeqBenchmark.Configuration(name: "tiny", cell: .gru, hidden: 8, embedding: 4, attention: .bahdanau, batch: 3,
                                               sourceLength: 5, targetLength: 4)
        let result = Seq2SeqBenchmark.run(c, seconds: 0.02)
        for rate in [result.trainTokensPerSecond, result.greedySentencesPerSecond, result.beamSentencesPerSecond] {
            #expect(rate > 0 && rate.isFinite)
        }
        #expect(result.parameters > 100)
        #expect(Seq2SeqBenchmark.configurations.map(\.name) == ["seq2seq-gru"])
    }
}
