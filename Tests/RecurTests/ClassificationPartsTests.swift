import Foundation
import Testing
import Recur
import _RecurTestSupport

/// The parts of classification training below the command: encodings, batches, metrics, the
/// weighted loss, and the trainer's schedules and exact resume.
struct ClassificationPartsTests {
    static func examples(_ items: [(String, String)]) -> [LabelledSequence] {
        items.enumerated().map { LabelledSequence(content: .text($0.element.0), label: $0.element.1, line: $0.offset + 1) }
    }

    @Test("fitting: sorted labels, a frequency-ranked vocabulary with the unknown token first, scaling statistics")
    func fitting() throws {
        let data = Self.examples([("the cat, the dog", "b"), ("The bird!", "a"), ("a cat", "b")])
        let fitted = try ClassificationData.fit(data, tokenization: .words, maxVocabulary: 4, path: "f")
        #expect(fitted.labels == ["a", "b"])
        #expect(fitted.vocabulary?.tokens == ["<unk>", "the", "cat", "a"])  // the 3, cat 2, then a < bird < dog
        #expect(fitted.vocabulary?.encode("THE dog cat") == [1, 0, 2])
        #expect(Tokenization.words.tokens(of: "Don't stop--now.") == ["don't", "stop", "now"])
        #expect(Tokenization.chars.tokens(of: "né") == ["n", "é"])
        let frames = [LabelledSequence(content: .frames([[1, 10], [3, 10]]), label: "x", line: 1),
                      LabelledSequence(content: .frames([[5, 10]]), label: "y", line: 2)]
        let scaling = try #require(try ClassificationData.fit(frames, tokenization: .chars, maxVocabulary: nil, path: "f").scaling)
        #expect(scaling.mean == [3, 10])
        #expect(abs(scaling.standardDeviation[0] - (8.0 / 3).squareRoot()) < 1e-12 && scaling.standardDeviation[1] == 1)
    }

    @Test("a single class, an unknown label and a kind the model does not read are refused with the line")
    func refusals() throws {
        #expect(throws: DataError(path: "f", line: 0, "has a single label, 'x'; a classifier needs examples of at least two classes")) {
            try ClassificationData.fit(Self.examples([("a", "x"), ("b", "x")]), tokenization: .chars, maxVocabulary: nil, path: "f")
        }
        let fitted = try ClassificationData.fit(Self.examples([("ab", "x"), ("ba", "y")]), tokenization: .chars, maxVocabulary: nil, path: "f")
        let configuration = SequenceClassifierConfiguration(input: .tokens(vocabularySize: 3, embeddingSize: 2), hiddenSize: 3,
                                                            labels: fitted.labels, vocabulary: fitted.vocabulary)
        #expect(throws: DataError.self) { try ClassificationData.encode(Self.examples([("ab", "x"), ("ab", "z")]), for: configuration, path: "g") }
        do {
            _ = try ClassificationData.encode(Self.examples([("ab", "x"), ("ab", "z")]), for: configuration, path: "g")
        } catch {
            #expect(error.line == 2 && error.problem.contains("the label 'z', which the model does not know"))
        }
        let numeric = [LabelledSequence(content: .frames([[1]]), label: "x", line: 7)]
        do {
            _ = try ClassificationData.encode(numeric, for: configuration, path: "g")
            Issue.record("numeric input to a text model was accepted")
        } catch {
            #expect(error.line == 7 && error.problem.contains("the model reads text"))
        }
        let encoded = try ClassificationData.encode(Self.examples([("abc", "y")]), for: configuration, path: "g")
        guard case let .tokens(ids) = encoded.inputs else { Issue.record("expected tokens"); return }
        #expect(ids == [[1, 2, 0]] && encoded.labels == [1])  // 'c' is unknown
        #expect(ClassificationData.balancedWeights(labels: [0, 0, 0, 1], classCount: 3) == [4.0 / 9, 4.0 / 3, 0])
    }

    @Test("shards: each rank's part of every batch, disjoint, nearly equal, together the whole batch in order", arguments: [1, 2, 3, 5, 9])
    func shards(count: Int) {
        let lengths = (0..<103).map { 1 + ($0 * 7) % 23 }
        let whole = SequenceBatches(lengths: lengths, batchSize: 8, seed: 5)
        let parts = (0..<count).map { index in
            let order = SequenceBatches(lengths: lengths, batchSize: 8, seed: 5)
            (order.shard, order.shards) = (index, count)
            return order
        }
        for step in 0..<30 {
            let rows = parts.map { $0.shardRows(step: step) }
            #expect(rows.flatMap { $0 } == whole.rows(step: step), "step \(step)")
            let sizes = rows.map(\.count)
            #expect(sizes.max()! - sizes.min()! <= 1, "step \(step): \(sizes)")
        }
    }

    @Test("batches: every example once per epoch, the same order for the same seed and epoch, padded time-major")
    func batches() {
        let lengths = (0..<103).map { 1 + ($0 * 7) % 23 }
        let order = SequenceBatches(lengths: lengths, batchSize: 8, seed: 5, bucketBatches: 3)
        #expect(order.batchesPerEpoch == 13)
        let epoch0 = order.batches(epoch: 0), epoch1 = order.batches(epoch: 1)
        #expect(epoch0.flatMap { $0 }.sorted() == Array(0..<103) && epoch1.flatMap { $0 }.sorted() == Array(0..<103))
        #expect(epoch0 == order.batches(epoch: 0) && epoch0 != epoch1)
        #expect(epoch0 == SequenceBatches(lengths: lengths, batchSize: 8, seed: 5, bucketBatches: 3).batches(epoch: 0))
        // Bucketing: within a bucket of 24 examples the batches are length-sorted, so a batch spans
        // far less than the full range of lengths on average.
        let spread = epoch0.map { rows in rows.map { lengths[$0] }.max()! - rows.map { lengths[$0] }.min()! }
        #expect(Double(spread.reduce(0, +)) / Double(spread.count) < 12, "\(spread)")

        let data = EncodedSequences(inputs: .tokens([[4, 5, 6], [7]]), labels: [1, 0])
        let batch = data.batch([0, 1])
        #expect(batch.steps == 3 && batch.lengths == [3, 1] && batch.labels == [1, 0])
        #expect(batch.tokens == [4, 7, 5, 0, 6, 0])
        let frames = EncodedSequences(inputs: .features(width: 2, [[1, 2, 3, 4], [5, 6]]), labels: [0, 1]).batch([1, 0])
        #expect(frames.features?.shape == [2, 2, 2] && frames.features?.scalars == [5, 6, 1, 2, 0, 0, 3, 4])
    }

    @Test("accuracy, per-class and macro F1 as scikit-learn computes them")
    func metrics() {
        // sklearn: f1_score([0,1,2,0,1,2], [0,2,1,0,0,1], average="macro") = 0.26666...
        let m = ClassificationMetrics(classCount: 3, truth: [0, 1, 2, 0, 1, 2], predictions: [0, 2, 1, 0, 0, 1])
        #expect(abs(m.accuracy - 2.0 / 6) < 1e-12)
        #expect(abs(m.macroF1 - 0.26666666666666666) < 1e-12, "\(m.macroF1)")
        #expect(m.confusion == [[2, 0, 0], [1, 0, 1], [0, 2, 0]])
        // A class that is never the truth nor predicted does not count in the mean.
        let absent = ClassificationMetrics(classCount: 3, truth: [0, 1], predictions: [0, 1])
        #expect(absent.macroF1 == 1)
    }

    @Test("class-weighted cross-entropy matches PyTorch's cross_entropy(weight=)")
    func weightedLoss() throws {
        let url = try #require(Bundle.module.url(forResource: "weighted_losses", withExtension: "json", subdirectory: "Fixtures"))
        let f = try Fixture.load(url)
        let weights = (f.tensor("weights") as Tensor<Double>).scalars
        let (loss, gradient) = SoftmaxCrossEntropy.compute(logits: f.tensor("logits") as Tensor<Float>, targets: try #require(f.ints("targets")),
                                                           classWeights: weights)
        #expect(abs(loss - f.double("loss")) < 1e-6, "\(loss) vs \(f.double("loss"))")
        let close = closeness(gradient, f.tensor("grad.logits", as: Float.self), absolute: 1e-6, relative: 1e-5)
        #expect(close.passes, "\(close)")
    }
}
