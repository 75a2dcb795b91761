import Foundation
import Testing
import Recur
import _RecurTestSupport

/// Tagging below the command: the readers, conlleval's chunk F1, and the tagger's gradients.
struct TaggingTests {
    static func refusal(_ text: String, _ format: TaggedSequenceFormat, characters: Bool = false, tagColumn: Int? = nil) -> DataError? {
        do {
            _ = try TaggedSequenceFile.parse(text, format: format, path: "f", characters: characters, tagColumn: tagColumn)
            return nil
        } catch {
            return error
        }
    }

    @Test("JSON Lines: tokens, text (split at white space, or characters), numeric frames; CoNLL with the tag in any column")
    func readers() throws {
        let json = try TaggedSequenceFile.parse("{\"tokens\": [\"Paris\", \"is\"], \"tags\": [\"B-LOC\", \"O\"]}\n{\"text\": \"a b\", \"tags\": [\"X\", \"Y\"]}\n",
                                                format: .jsonl, path: "f")
        #expect(json[0].content == .tokens(["Paris", "is"]) && json[0].tags == ["B-LOC", "O"] && json[1].content == .tokens(["a", "b"]))
        let chars = try TaggedSequenceFile.parse("{\"text\": \"ab\", \"tags\": [\"X\", \"Y\"]}", format: .jsonl, path: "f", characters: true)
        #expect(chars[0].content == .text("ab") && chars[0].steps == 2)
        let frames = try TaggedSequenceFile.parse("{\"sequence\": [[1, 2], [3, 4], [5, 6]], \"tags\": [\"a\", \"a\", \"b\"]}", format: .jsonl, path: "f")
        #expect(frames[0].content == .frames([[1, 2], [3, 4], [5, 6]]))
        let conll = try TaggedSequenceFile.parse("-DOCSTART- O\n\nEU NNP B-ORG\nrejects VBZ O\n\n\nGerman JJ B-MISC\n", format: .conll, path: "f")
        #expect(conll.count == 2 && conll[0].content == .tokens(["EU", "rejects"]) && conll[0].tags == ["B-ORG", "O"] && conll[0].line == 3)
        #expect(conll[1].line == 7 && conll[1].tags == ["B-MISC"])
        let column = try TaggedSequenceFile.parse("EU\tNNP\tB-ORG\nrejects\tVBZ\tO\n", format: .conll, path: "f", tagColumn: 2)
        #expect(column[0].tags == ["NNP", "VBZ"])
        let untagged = try TaggedSequenceFile.parse("EU\nrejects\n", format: .conll, path: "f", requireTags: false)
        #expect(untagged[0].content == .tokens(["EU", "rejects"]) && untagged[0].tags == nil)
    }

    @Test("refusals name the line: tokens and tags of different lengths, an empty sequence, too few columns, bad JSON", arguments: [
        ("{\"tokens\": [\"a\", \"b\"], \"tags\": [\"X\"]}", TaggedSequenceFormat.jsonl, false, 1, "has 2 steps but 1 tags"),
        ("{\"text\": \"abc\", \"tags\": [\"X\"]}", .jsonl, true, 1, "has 3 characters but 1 tags"),
        ("{\"tokens\": [], \"tags\": []}", .jsonl, false, 1, "has an empty sequence"),
        ("{\"tokens\": [\"a\"]}", .jsonl, false, 1, "has no \"tags\""),
        ("{\"tokens\": [\"a\"], \"tags\": [\"X\"], \"pos\": [\"N\"]}", .jsonl, false, 1, "unexpected field 'pos'"),
        ("{\"tokens\": [\"a\"], \"text\": \"a\", \"tags\": [\"X\"]}", .jsonl, false, 1, "more than one of"),
        ("{\"tokens\": [\"a\"] \"tags\": [\"X\"]}", .jsonl, false, 1, "is not valid JSON"),
        ("a\tX\nb\n", .conll, false, 2, "has 1 column; a line needs a token and a tag"),
        ("a\tN\tX\n", .conll, false, 1, "in column 4"),
        ("\n\n", .conll, false, 0, "holds no sequences"),
    ])
    func refusals(text: String, format: TaggedSequenceFormat, characters: Bool, line: Int, phrase: String) {
        let error = Self.refusal(text, format, characters: characters, tagColumn: phrase == "in column 4" ? 4 : nil)
        #expect(error?.line == line, "\(String(describing: error))")
        #expect(error?.problem.contains(phrase) == true, "\(String(describing: error))")
    }

    @Test("a tag unseen in training is refused at evaluation with its line")
    func unseenTag() throws {
        let train = try TaggedSequenceFile.parse("a\tX\nb\tY\n", format: .conll, path: "t")
        let fitted = try TaggingData.fit(train, tokenization: .given, maxVocabulary: nil, path: "t")
        let configuration = SequenceTaggerConfiguration(input: .tokens(vocabularySize: 3, embeddingSize: 2), hiddenSize: 3,
                                                        tags: fitted.tags, vocabulary: fitted.vocabulary)
        let test = try TaggedSequenceFile.parse("a\tX\n\nb\tZ\n", format: .conll, path: "e")
        #expect(throws: DataError(path: "e", line: 3, "has the tag 'Z', which the model does not know (its tags: X, Y)")) {
            try TaggingData.encode(test, for: configuration, path: "e")
        }
        #expect(throws: DataError(path: "t", line: 0, "has a single tag, 'X'; a tagger needs at least two")) {
            try TaggingData.fit(try TaggedSequenceFile.parse("a\tX\n", format: .conll, path: "t"), tokenization: .given, maxVocabulary: nil, path: "t")
        }
    }

    @Test("chunk F1 as conlleval counts: types, boundaries, I- after O starting a chunk")
    func chunkF1() {
        #expect(ChunkF1.chunks(["B-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-LOC", "I-PER"]).map { "\($0.start)-\($0.end)-\($0.type)" }
                == ["0-1-PER", "3-4-LOC", "5-5-LOC", "6-6-PER"])
        // Truth: PER(0-1), LOC(3-3); predicted: PER(0-0) (wrong end), LOC(3-3) (right), MISC(5-5) (spurious).
        let score = ChunkF1.score(truth: [["B-PER", "I-PER", "O", "B-LOC", "O", "O"]],
                                  predictions: [["B-PER", "O", "O", "B-LOC", "O", "B-MISC"]])
        #expect(abs(score.precision - 1.0 / 3) < 1e-12 && abs(score.recall - 0.5) < 1e-12 && abs(score.f1 - 0.4) < 1e-12)
        #expect(ChunkF1.isBIO(["O", "B-X", "I-X"]) && !ChunkF1.isBIO(["COMMA|Cap", "O"]) && !ChunkF1.isBIO(["B-"]))
    }

    @Test("a bidirectional 2-layer tagger with variable lengths passes the central-difference check of the masked per-step loss",
          arguments: [CellKind.lstm, .gru, .rnnTanh], [false, true])
    func gradients(cell: CellKind, tokens: Bool) {
        let (T, B, F, V, C) = (5, 4, 3, 7, 3)
        let lengths = [5, 2, 1, 4]
        var g = RandomGenerator(seed: 71)
        let configuration = SequenceTaggerConfiguration(
            input: tokens ? .tokens(vocabularySize: V, embeddingSize: F) : .features(F), cell: cell, layers: 2, hiddenSize: 4,
            tags: ["a", "b", "c"])
        let model = SequenceTagger<Double>(configuration, using: &g)
        model.rnn.engine = .reference
        model.head.engine = .reference
        var stepTags = (0..<(T * B)).map { _ in g.integer(below: C) }
        for (b, n) in lengths.enumerated() { for t in n..<T { stepTags[t * B + b] = -1 } }  // padding
        stepTags[1 * B + 0] = -1  // an untagged real step counts for nothing either
        let ids = (0..<(T * B)).map { _ in g.integer(below: V) }
        let x = Tensor<Float>(shape: [T, B, F], scalars: (0..<(T * B * F)).map { _ in Float(g.uniform(in: -1.0, 1.0)) })
        let batch = SequenceBatch(steps: T, rows: Array(0..<B), lengths: lengths, tokens: tokens ? ids : nil,
                                  features: tokens ? nil : x, labels: [-1, -1, -1, -1], stepTags: stepTags)
        model.zeroGradients()
        _ = model.maskedLossAndGradients(batch)
        let targets = model.namedParameters.map { GradientCheckTarget(name: $0.name, parameter: $0.parameter) }
        let reports = gradientCheck(targets: targets) {
            SoftmaxCrossEntropy.compute(logits: model.logits(batch), targets: stepTags.map { max($0, 0) },
                                        mask: stepTags.map { $0 >= 0 }).loss
        }
        #expect(reports.count == 16 + 2 + (tokens ? 1 : 0))
        for report in reports {
            #expect(report.relativeError < 1e-6, "\(cell) tokens \(tokens): \(report)")
            #expect(report.scale > 1e-9, "\(cell) tokens \(tokens): \(report.name) has no gradient")
        }
    }
}
