import Foundation
import Testing
@testable import Recur

/// Keras import against Keras, on fixtures written by scripts/make_keras_import_fixtures.py (Keras 3):
/// models trained a few steps in Keras (an LSTM language model of the seed article's shape, stacked
/// GRUs with both biases, a ReLU SimpleRNN, a stacked bidirectional LSTM tagger, a bidirectional GRU
/// classifier with a softmax Dense, an LSTM without biases), saved as `.keras` and `.weights.h5`, and
/// Keras's outputs on random ids. The imported model must give Keras's outputs within 1e-5 (relative
/// above 1); the weights file must import to the same parameters as the `.keras` file; and the models
/// Recur cannot compute the same way must be refused with the reason.
struct KerasImportTests {
    static let tolerance: Float = 1e-5

    struct Case: Decodable {
        var `case`: String
        var task: String
        var ids: [[Int]]
        var outputs_shape: [Int]
        var outputs: [Float]
        var probabilities: Bool
    }

    static let folder = "Fixtures/keras"
    static let cases = ["lm_lstm_seed", "lm_gru_stacked", "lm_rnn_relu", "tag_bilstm_stacked", "classify_bigru_softmax", "classify_lstm_no_bias"]

    static func path(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: folder)).path
    }

    @Test("imported models give Keras's outputs; the weights file imports to the same parameters", arguments: cases)
    func matchesKeras(_ name: String) throws {
        let fixture = try JSONDecoder().decode(Case.self, from: Data(contentsOf: URL(fileURLWithPath: try Self.path(name + ".json"))))
        let task = try #require(KerasImport.Task(rawValue: fixture.task))
        let vocabulary = task == .lm ? Vocabulary(text: try String(contentsOfFile: try Self.path(name + ".txt"), encoding: .utf8)) : nil
        let model = try KerasImport.load(path: try Self.path(name + ".keras"), vocabulary: vocabulary)
        #expect(model.task == task, "\(name): imported as \(model.task), Keras's model is \(task)")
        let B = fixture.ids.count, T = fixture.ids[0].count
        let ids = (0..<(T * B)).map { fixture.ids[$0 % B][$0 / B] }   // time-major
        let lengths = [Int](repeating: T, count: B)
        var actual: [Float]   // in Keras's batch-major order
        switch model {
        case let .languageModel(m):
            let logits = m.forward(ids, steps: T, batch: B).logits
            actual = Self.batchMajor(logits)
        case let .tagger(m):
            actual = Self.batchMajor(m.logits(SequenceBatch(steps: T, rows: Array(0..<B), lengths: lengths, tokens: ids, labels: [])))
        case let .classifier(m):
            actual = m.forward(tokens: ids, steps: T, batch: B, lengths: lengths).scalars
        }
        if fixture.probabilities {
            let C = fixture.outputs_shape.last!
            actual = stride(from: 0, to: actual.count, by: C).flatMap { start -> [Float] in
                let row = actual[start..<(start + C)], top = row.max()!
                let exps = row.map { Foundation.exp($0 - top) }, sum = exps.reduce(0, +)
                return exps.map { $0 / sum }
            }
        }
        #expect(actual.count == fixture.outputs.count, "\(name): \(actual.count) outputs vs Keras's \(fixture.outputs.count)")
        var worst: Float = 0
        for (a, e) in zip(actual, fixture.outputs) {
            let error = abs(a - e) / max(1, abs(e))
            if !(error <= worst) { worst = error }
        }
        #expect(worst <= Self.tolerance, "\(name): largest difference from Keras \(worst)")

        // The weights alone (with the task) give the same parameters, bit for bit.
        let fromWeights = try KerasImport.load(path: try Self.path(name + ".weights.h5"), task: task, vocabulary: vocabulary)
        let a = model.namedParameters, b = fromWeights.namedParameters
        #expect(a.map(\.name) == b.map(\.name))
        for (x, y) in zip(a, b) { #expect(x.parameter.value == y.parameter.value, "\(name): \(x.name) differs between .keras and .weights.h5") }
    }

    /// `[T, B, C]` time-major logits in Keras's `[B, T, C]` order.
    static func batchMajor(_ t: Tensor<Float>) -> [Float] {
        let T = t.shape[0], B = t.shape[1], C = t.shape[2], values = t.scalars
        var out: [Float] = []
        for b in 0..<B {
            for s in 0..<T { out += values[((s * B + b) * C)..<((s * B + b + 1) * C)] }
        }
        return out
    }

    @Test("models Recur cannot compute the same way are refused with the reason")
    func refusals() throws {
        let reasons = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: try Self.path("refusals.json"))))
        #expect(reasons.count == 6)
        for (name, reason) in reasons {
            #expect(throws: KerasImport.Problem.self, "\(name)") { try KerasImport.load(path: try Self.path(name + ".keras")) }
            do {
                _ = try KerasImport.load(path: try Self.path(name + ".keras"))
            } catch {
                #expect("\(error)".contains(reason), "\(name): \(error) does not name \(reason)")
            }
        }
        // What the file needs besides itself.
        let weights = try Self.path("lm_lstm_seed.weights.h5"), keras = try Self.path("lm_lstm_seed.keras")
        for (path, task, vocabulary, phrase) in [(weights, nil, nil, "give --task"), (keras, nil, nil, "give --vocabulary"),
                                                 (keras, KerasImport.Task.classify, nil, "return_sequences=True"),
                                                 (keras, nil, Vocabulary(text: "abc"), "3 distinct characters"),
                                                 (try Self.path("lm_lstm_seed.json"), nil, nil, "neither a .keras file nor"),
                                                 (try Self.path("tag_bilstm_stacked.keras"), KerasImport.Task.lm, nil, "is bidirectional"),
                                                 (try Self.path("refuse_huge.weights.h5"), KerasImport.Task.lm, nil, "too large")] as [(String, KerasImport.Task?, Vocabulary?, String)] {
            do {
                _ = try KerasImport.load(path: path, task: task, vocabulary: vocabulary)
                Issue.record("\(path) \(String(describing: task)): imported; expected a refusal naming \(phrase)")
            } catch {
                #expect("\(error)".contains(phrase), "\(path): \(error) does not name \(phrase)")
            }
        }
    }

    @Test("Keras's class names in snake case, as its weights files use them")
    func snakeCase() {
        #expect(KerasModelFile.snakeCase("SimpleRNN") == "simple_rnn")
        #expect(KerasModelFile.snakeCase("LSTM") == "lstm")
        #expect(KerasModelFile.snakeCase("Bidirectional") == "bidirectional")
        #expect(KerasModelFile.snakeCase("InputLayer") == "input_layer")
    }
}
