import Foundation
import Testing
import Recur
import RecurCore
import _RecurTestSupport

/// Conditioned generation (one-to-many): the condition-to-state map and the masked loss under central
/// differences, PyTorch's twin on packed lengths, the sampler against the model, the JSON Lines reader
/// and the encoding's refusals, and the checkpoint.
struct GenerationTests {
    static let tolerance = 1e-6

    struct Case: CustomStringConvertible, Sendable {
        var cell: CellKind
        var everyStep: Bool
        var description: String { "\(cell)\(everyStep ? " every step" : "")" }
    }

    static let cases = CellKind.allCases.flatMap { cell in [false, true].map { Case(cell: cell, everyStep: $0) } }

    @Test("the condition-to-state map and every weight of a conditioned 2-layer model: masked loss over variable lengths",
          arguments: cases)
    func gradientCheck(_ c: Case) {
        let (T, B, V, E, H, F) = (5, 3, 6, 3, 4, 3)
        let lengths = [5, 2, 4]
        var g = RandomGenerator(seed: 51)
        let model = CharRNN<Double>(vocabularySize: V, embeddingSize: E, hiddenSize: H, layers: 2, cell: c.cell,
                                    conditionWidth: F, conditionEveryStep: c.everyStep, using: &g)
        model.rnn.engine = .reference
        model.head.engine = .reference
        model.condition!.engine = .reference
        let ids = (0..<(T * B)).map { _ in g.integer(below: V) }
        let targets = (0..<(T * B)).map { _ in g.integer(below: V) }
        let mask = (0..<(T * B)).map { $0 / B < lengths[$0 % B] }
        let conditions = randomTensor([B, F], using: &g)
        func loss() -> (Double, Tensor<Double>) {
            let (logits, _) = model.forward(ids, steps: T, batch: B, lengths: lengths, conditions: conditions)
            return SoftmaxCrossEntropy.compute(logits: logits, targets: targets, mask: mask)
        }
        model.zeroGradients()
        model.backward(logitsGradient: loss().1)
        let reports = _RecurTestSupport.gradientCheck(
            targets: model.namedParameters.map { GradientCheckTarget(name: $0.name, parameter: $0.parameter) }) { loss().0 }
        #expect(reports.count == 1 + 8 + 2 + 2)
        #expect(reports.contains { $0.name == "condition.weight" } && reports.contains { $0.name == "condition.bias" })
        for report in reports {
            #expect(report.relativeError < Self.tolerance, "\(c): \(report)")
            #expect(report.scale > 1e-9, "\(c): \(report.name) has no gradient to check")
        }
    }

    @Test("conditioned generators reproduce PyTorch's logits, masked loss and every gradient (packed lengths)",
          arguments: ["generator_lstm", "generator_gru_every_step"], GEMMEngine.float32)
    func golden(name: String, engine: GEMMEngine) throws {
        let f = try PyTorchGoldenTests.fixture(name)
        var g = RandomGenerator(seed: 0)
        let model = CharRNN<Float>(vocabularySize: f.int("vocabulary"), embeddingSize: f.int("embedding"),
                                   hiddenSize: f.int("hidden_size"), layers: f.int("layers"), cell: name.contains("lstm") ? .lstm : .gru,
                                   conditionWidth: f.int("features"), conditionEveryStep: f.bool("every_step"), using: &g)
        model.rnn.engine = engine
        model.head.engine = engine
        model.condition!.engine = engine
        for (name, parameter) in model.namedParameters { parameter.value = f.tensor(name) }
        let (T, B) = (f.int("steps"), f.int("batch"))
        let targets = try #require(f.ints("targets"))
        let batch = CharRNN<Float>.Batch(inputs: try #require(f.ints("ids")), targets: targets.map { max($0, 0) }, steps: T, batch: B,
                                         lengths: try #require(f.ints("lengths")), conditions: f.tensor("conditions"))
        let (logits, _) = model.forward(batch.inputs, steps: T, batch: B, lengths: batch.lengths, conditions: batch.conditions)
        let close = closeness(logits, f.tensor("logits", as: Float.self), absolute: 1e-4, relative: 0)
        #expect(close.passes, "\(name) logits [\(engine)]: \(close)")
        model.zeroGradients()
        let (loss, count) = model.lossAndGradients(batch)
        #expect(abs(loss - f.double("loss")) < 1e-5, "\(loss) vs \(f.double("loss"))")
        #expect(count == targets.filter { $0 >= 0 }.count)
        for (parameterName, parameter) in model.namedParameters {
            let result = closeness(parameter.gradient, f.tensor("grad." + parameterName, as: Float.self),
                                   absolute: PyTorchGoldenTests.absolute, relative: PyTorchGoldenTests.relative)
            #expect(result.passes, "\(name) grad.\(parameterName) [\(engine)]: \(result)")
        }
        #expect(model.namedParameters.count == 1 + 8 + 2 + 2)
        print("golden \(name) [\(engine)]: largest logit difference from PyTorch \(close.maxDifference)")
    }

    /// A conditioned configuration over the letters a-e with the boundary symbols.
    static func configuration(cell: CellKind, condition: GenerationCondition, everyStep: Bool) -> CharRNNConfiguration {
        CharRNNConfiguration(cell: cell, layers: 2, hiddenSize: 12, embeddingSize: 5,
                             vocabulary: Vocabulary(symbols: Array("abcde".unicodeScalars) + [CharRNNConfiguration.beginSymbol, CharRNNConfiguration.endSymbol]),
                             sequenceBoundaries: true, condition: condition, conditionEveryStep: everyStep)
    }

    @Test("the sampler's step logits under a condition equal the model's whole-sequence logits", arguments: cases)
    func samplerMatchesModel(_ c: Case) throws {
        let scaling = FeatureScaling(mean: [1, -2, 0], standardDeviation: [2, 1, 0.5])
        let configuration = Self.configuration(cell: c.cell, condition: .features(size: 3, scaling: scaling), everyStep: c.everyStep)
        var g = RandomGenerator(seed: 52)
        let model = CharRNN<Float>(configuration: configuration, using: &g)
        model.isTraining = false
        let vector = try configuration.condition!.vector(.features([0.5, -1, 2]))
        #expect(vector == [Float(-0.25), 1, 4])
        let (begin, _) = try #require(configuration.boundaryIDs)
        let ids = [begin, 0, 3, 1, 4]
        let (logits, _) = model.forward(ids, steps: ids.count, batch: 1, lengths: [ids.count],
                                        conditions: Tensor(shape: [1, 3], scalars: vector))
        let sampler = Sampler(model: model, configuration: configuration)
        sampler.reset(condition: vector)
        let V = configuration.vocabulary.count
        for (t, id) in ids.enumerated() {
            sampler.feed(id)
            let step = Tensor<Float>(shape: [V], scalars: Array(sampler.currentLogits))
            let expected = Tensor<Float>(shape: [V], scalars: Array(logits.scalars[(t * V)..<((t + 1) * V)]))
            let close = closeness(step, expected, absolute: 1e-5, relative: 1e-5)
            #expect(close.passes, "\(c) step \(t): \(close)")
        }
        // Another condition gives other logits: the condition reaches the output.
        let other = try configuration.condition!.vector(.features([-3, 4, -1]))
        sampler.reset(condition: other)
        sampler.feed(begin)
        let changed = zip(Array(sampler.currentLogits), logits.scalars.prefix(V)).map { abs($0 - $1) }.max()!
        #expect(changed > 1e-3, "\(c): the condition changes nothing (\(changed))")
    }

    @Test("generated sequences stop at the end symbol, never hold the begin symbol, and follow the condition's seed")
    func generateSequence() throws {
        let configuration = Self.configuration(cell: .lstm, condition: .labels(["x", "y"]), everyStep: false)
        var g = RandomGenerator(seed: 53)
        let model = CharRNN<Float>(configuration: configuration, using: &g)
        let sampler = Sampler(model: model, configuration: configuration)
        let (begin, end) = try #require(configuration.boundaryIDs)
        var generator = RandomGenerator(seed: 7)
        var ended = 0
        for _ in 0..<50 {
            let drawn = sampler.generateSequence(condition: try configuration.condition!.vector(.label("y")), maxLength: 30, using: &generator)
            #expect(!drawn.ids.contains(begin) && !drawn.ids.contains(end))
            #expect(drawn.ended || drawn.ids.count == 30)
            if drawn.ended { ended += 1 }
        }
        #expect(ended > 0)
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        let x = try configuration.condition!.vector(.label("x"))
        #expect(sampler.generateSequence(condition: x, maxLength: 40, using: &a).ids
                == sampler.generateSequence(condition: x, maxLength: 40, using: &b).ids)
    }

    @Test("a conditioned model's checkpoint keeps the condition, its map and its outputs")
    func checkpointRoundTrip() throws {
        let configuration = Self.configuration(cell: .gru, condition: .labels(["cold", "warm"]), everyStep: true)
        var g = RandomGenerator(seed: 54)
        let model = CharRNN<Float>(configuration: configuration, using: &g)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recur-generation-\(getpid()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try CharRNNCheckpoint.save(model, configuration: configuration, to: url)
        let loaded = try CharRNNCheckpoint.load(url)
        #expect(loaded.configuration == configuration)
        let json = try #require(loaded.metadata["config"])
        #expect(json.contains("\"condition\":{\"names\":[\"cold\",\"warm\"],\"type\":\"labels\"}") || json.contains("\"type\":\"labels\""))
        #expect(json.contains("\"sequence_boundaries\":true") && json.contains("\"condition_every_step\":true"))
        #expect(loaded.model.namedParameters.map(\.name) == model.namedParameters.map(\.name))
        let texts = [ConditionedText(text: "abc", condition: .label("warm"), line: 1), ConditionedText(text: "e", condition: .label("cold"), line: 2)]
        let set = try GenerationData.encode(texts, for: configuration, path: "t.jsonl")
        #expect(GenerationTask.evaluate(model, on: set).loss == GenerationTask.evaluate(loaded.model, on: set).loss)
        // A character model of a text writes none of the new keys.
        let plain = CharRNNConfiguration(cell: .lstm, layers: 1, hiddenSize: 4, embeddingSize: 3, vocabulary: Vocabulary(text: "ab"))
        let plainJSON = ModelCheckpoint.json(plain)
        #expect(!plainJSON.contains("sequence") && !plainJSON.contains("condition"))
    }

    @Test("refused configurations: a condition without boundaries, boundaries without their symbols, every step without a condition")
    func configurationProblems() {
        let letters = Vocabulary(text: "abc")
        #expect(CharRNNConfiguration(cell: .lstm, layers: 1, hiddenSize: 4, embeddingSize: 3, vocabulary: letters,
                                     condition: .labels(["a", "b"])).problem != nil)
        #expect(CharRNNConfiguration(cell: .lstm, layers: 1, hiddenSize: 4, embeddingSize: 3, vocabulary: letters,
                                     sequenceBoundaries: true).problem != nil)
        #expect(CharRNNConfiguration(cell: .lstm, layers: 1, hiddenSize: 4, embeddingSize: 3, vocabulary: letters,
                                     conditionEveryStep: true).problem != nil)
        #expect(Self.configuration(cell: .lstm, condition: .labels(["a", "a"]), everyStep: false).problem != nil)
        #expect(Self.configuration(cell: .lstm, condition: .labels(["a", "b"]), everyStep: true).problem == nil)
    }
}

extension GenerationTests {
    static func parseError(_ text: String) -> String? {
        do {
            _ = try ConditionedTextFile.parse(text, path: "c.jsonl")
            return nil
        } catch {
            return error.description
        }
    }

    @Test("the JSON Lines reader: labels, numbers as labels, features, no condition")
    func reader() throws {
        let lines = try ConditionedTextFile.parse("{\"text\": \"un\", \"condition\": \"fr\"}\n\n{\"text\": \"one\", \"condition\": 7}\n", path: "c.jsonl")
        #expect(lines == [ConditionedText(text: "un", condition: .label("fr"), line: 1), ConditionedText(text: "one", condition: .label("7"), line: 3)])
        let features = try ConditionedTextFile.parse("{\"text\": \"a\", \"features\": [1, 2.5]}\n{\"features\": [0, -1], \"text\": \"b\"}", path: "c.jsonl")
        #expect(features[1].condition == .features([0, -1]))
        #expect(try ConditionedTextFile.parse("{\"text\": \"a\"}", path: "c.jsonl")[0].condition == nil)
    }

    @Test("the JSON Lines reader refuses bad lines with file and line", arguments: [
        ("{\"text\": \"a\", \"condition\": \"x\"}\n{\"text\": \"\", \"condition\": \"x\"}", "c.jsonl:2: has an empty \"text\""),
        ("{\"text\": \"a\"}\n{\"txt\": \"b\"}", "c.jsonl:2: has an unexpected field 'txt'"),
        ("{\"text\": \"a\"}\n{\"condition\": \"x\"}", "c.jsonl:2: has no \"text\""),
        ("{\"text\": \"a\", \"condition\": \"x\", \"features\": [1]}", "c.jsonl:1: has both \"condition\" and \"features\""),
        ("{\"text\": \"a\", \"features\": [1, \"x\"]}", "c.jsonl:1: feature 1 of \"features\" is not a number"),
        ("{\"text\": \"a\", \"features\": [1e39]}", "c.jsonl:1: feature 0 of \"features\" is 1e39, which is not a finite 32-bit number"),
        ("{\"text\": \"a\", \"features\": [1]}\n{\"text\": \"b\", \"features\": [1, 2]}", "c.jsonl:2: has 2 features, but the first line has 1"),
        ("{\"text\": \"a\", \"condition\": \"x\"}\n{\"text\": \"b\"}", "c.jsonl:2: has no condition, but the first line has a \"condition\""),
        ("{\"text\": \"a\\u0003b\"}", "c.jsonl:1: has U+0003 at position 1 of \"text\""),
        ("{\"text\": \"a\", \"condition\": \"\"}", "c.jsonl:1: has an empty \"condition\""),
        ("{\"text\": \"a\", \"condition\": [1]}", "c.jsonl:1: has a \"condition\" that is neither a string nor a number"),
        ("{\"text\": 5}", "c.jsonl:1: has a \"text\" that is not a string"),
        ("{\"text\": \"a\"", "c.jsonl:1: is not valid JSON"),
        ("\n\n", "c.jsonl: holds no sequences"),
    ])
    func readerRefusals(text: String, expected: String) {
        let error = Self.parseError(text)
        #expect(error?.hasPrefix(expected) == true, "\(error ?? "accepted")")
    }

    @Test("encoding refuses a condition unseen in training, a missing condition and an unknown character, with the line")
    func encodingRefusals() throws {
        let training = [ConditionedText(text: "ab", condition: .label("x"), line: 1), ConditionedText(text: "ba", condition: .label("y"), line: 2)]
        let fitted = try GenerationData.fit(training, path: "train.jsonl")
        #expect(fitted.condition == .labels(["x", "y"]))
        #expect(fitted.vocabulary.count == 4)
        let configuration = CharRNNConfiguration(cell: .gru, layers: 1, hiddenSize: 4, embeddingSize: 3, vocabulary: fitted.vocabulary,
                                                 sequenceBoundaries: true, condition: fitted.condition)
        func refusal(_ texts: [ConditionedText]) -> String {
            do {
                _ = try GenerationData.encode(texts, for: configuration, path: "test.jsonl")
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(refusal([ConditionedText(text: "ab", condition: .label("z"), line: 4)])
                    .hasPrefix("test.jsonl:4: the condition 'z' was not seen in training (the model's conditions: x, y)"))
        #expect(refusal([ConditionedText(text: "ab", condition: nil, line: 5)]).hasPrefix("test.jsonl:5: has no condition, but the model is conditioned"))
        #expect(refusal([ConditionedText(text: "ac", condition: .label("x"), line: 6)]).hasPrefix("test.jsonl:6: \"text\" has character c"))
        #expect(refusal([ConditionedText(text: "ab", condition: .features([1]), line: 7)]).hasPrefix("test.jsonl:7: the condition is a list of numbers"))
        let set = try GenerationData.encode(training, for: configuration, path: "train.jsonl")
        let (begin, end) = try #require(configuration.boundaryIDs)
        #expect(set.sequences[0].first == begin && set.sequences[0].last == end && set.lengths == [3, 3])
        #expect(set.conditions! == [[1, 0], [0, 1]])
        // One condition is not enough to condition on; --unconditioned ignores them.
        #expect(throws: DataError.self) { try GenerationData.fit([training[0]], path: "one.jsonl") }
        #expect(try GenerationData.fit(training, ignoreConditions: true, path: "train.jsonl").condition == nil)
    }

    @Test("a padded batch's per-sequence losses equal each sequence's alone, padding ignored")
    func paddedBatchEqualsAlone() throws {
        let configuration = Self.configuration(cell: .lstm, condition: .labels(["x", "y", "z"]), everyStep: true)
        var g = RandomGenerator(seed: 55)
        let model = CharRNN<Float>(configuration: configuration, using: &g)
        let texts = ["abcdeabc", "a", "edcb", "bb"].enumerated().map {
            ConditionedText(text: $0.element, condition: .label(["x", "y", "z", "x"][$0.offset]), line: $0.offset + 1)
        }
        let set = try GenerationData.encode(texts, for: configuration, path: "t.jsonl")
        let together = GenerationTask.evaluate(model, on: set)
        var nats = 0.0
        for row in 0..<set.count {
            let alone = GenerationSet(sequences: [set.sequences[row]], conditions: [set.conditions![row]], labels: [set.labels[row]])
            let loss = GenerationTask.evaluate(model, on: alone).overall
            nats += loss.loss * Double(loss.symbols)
        }
        #expect(abs(nats / Double(together.overall.symbols) - together.loss) < 1e-5)
        #expect(together.overall.symbols == (8 + 1) + (1 + 1) + (4 + 1) + (2 + 1))
        #expect(together.perCondition["x"]?.sequences == 2 && together.perCondition["y"]?.symbols == 2)
        // The training loss of the batch is the same mean.
        model.isTraining = false
        let (loss, count) = model.lossAndGradients(set.batch(Array(0..<set.count)))
        #expect(count == together.overall.symbols)
        #expect(abs(loss - together.loss) < 1e-5)
    }
}
