import Foundation
import Testing
@testable import Recur

/// ONNX export against onnxruntime, on fixtures written by scripts/make_onnx_fixtures.py: for every
/// case (each cell; lm sequence and step graphs, conditioned; classifiers with each pooling, token
/// and numeric input, bidirectional and stacked; taggers; forecasters of each strategy; encoder-decoders
/// with each attention, their encoder and decoder-step graphs) the fixture holds a checkpoint, the ONNX
/// file exported from it, random inputs and onnxruntime's outputs for that file. Exporting the same
/// checkpoint here must give the same bytes (so the file onnxruntime ran is the one Recur writes), and
/// Recur's model on the same inputs must give onnxruntime's outputs within 1e-5 (relative above 1).
struct ONNXExportTests {
    static let tolerance: Float = 1e-5

    /// One fixture tensor: its shape, and its values as Float or Int.
    struct Value: Decodable {
        var shape: [Int]
        var type: String
        var values: [Double]
        var floats: Tensor<Float> { Tensor(shape: shape, scalars: values.map { Float($0) }) }
        var ints: [Int] { values.map { Int($0) } }
    }

    struct Case: Decodable {
        var `case`: String
        var graph: String
        var inputs: [String: Value]
        var outputs: [String: Value]
    }

    static let cases: [String] = {
        guard let folder = Bundle.module.url(forResource: "onnx", withExtension: nil, subdirectory: "Fixtures"),
              let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }()

    static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/onnx"))
    }

    @Test("the fixtures cover every task, cell and graph")
    func coverage() {
        #expect(Self.cases.count >= 20, "expected the fixtures of scripts/make_onnx_fixtures.py, found \(Self.cases)")
        for part in ["lm_", "classify_", "tag_", "forecast_", "seq2seq_", "lstm", "gru", "rnn", "rnn_relu", ".step", ".encoder", ".sequence",
                     "conditioned", "_bi", "mean", "max", "last", "frames", "direct", "recursive", "bahdanau", "luong_general", "luong_dot", "none"] {
            #expect(Self.cases.contains { $0.contains(part) }, "no ONNX fixture case for \(part)")
        }
    }

    @Test("exported files equal the ones onnxruntime ran, and Recur's outputs equal onnxruntime's", arguments: cases)
    func matchesOnnxRuntime(_ name: String) throws {
        let fixture = try JSONDecoder().decode(Case.self, from: Data(contentsOf: try Self.url(name + ".json")))
        let graph = try #require(ONNXGraphKind(rawValue: fixture.graph))
        let checkpoint = try Self.url(fixture.case + ".safetensors")
        let file = try SafeTensors(contentsOf: checkpoint)
        let task = try ModelCheckpoint.header(of: file).task
        let exported: Data
        var recur: [String: Tensor<Float>] = [:]
        /// Positions of an output to compare (all when nil): a tagger's padded steps are left out.
        var compared: ((String, Int) -> Bool)?
        let input = fixture.inputs
        switch task {
        case "lm":
            let model = try CharRNNCheckpoint.load(checkpoint).model
            exported = try ONNXExport.characterModel(model, graph: graph)
            recur = Self.characterModel(model, graph: graph, input)
        case SequenceClassifier<Float>.task:
            let model = try ModelCheckpoint.load(SequenceClassifier<Float>.self, from: file).model
            exported = ONNXExport.classifier(model)
            let lengths = input["lengths"]!.ints
            if let tokens = input["tokens"] {
                recur["logits"] = model.forward(tokens: tokens.ints, steps: tokens.shape[0], batch: tokens.shape[1], lengths: lengths)
            } else {
                recur["logits"] = model.forward(features: Self.scaled(input["features"]!, model.configuration.scaling), lengths: lengths)
            }
        case SequenceTagger<Float>.task:
            let model = try ModelCheckpoint.load(SequenceTagger<Float>.self, from: file).model
            exported = ONNXExport.tagger(model)
            let tokens = input["tokens"]!, lengths = input["lengths"]!.ints, B = tokens.shape[1], C = model.configuration.tagCount
            recur["logits"] = model.logits(SequenceBatch(steps: tokens.shape[0], rows: Array(0..<B), lengths: lengths, tokens: tokens.ints, labels: []))
            compared = { _, index in index / (B * C) < lengths[(index / C) % B] }
        case Forecaster<Float>.task:
            let model = try ModelCheckpoint.load(Forecaster<Float>.self, from: file).model
            exported = ONNXExport.forecaster(model)
            recur["forecast"] = model.forecastTensor(ForecastBatch(steps: input["context"]!.floats, context: model.configuration.context))
        case Seq2Seq<Float>.task:
            let model = try ModelCheckpoint.load(Seq2Seq<Float>.self, from: file).model
            model.isTraining = false
            exported = try ONNXExport.seq2seq(model, graph: graph)
            recur = Self.seq2seq(model, graph: graph, input)
        default:
            Issue.record("unknown task \(task)")
            return
        }
        let ran = try Data(contentsOf: try Self.url("\(fixture.case).\(fixture.graph).onnx"))
        #expect(exported == ran, "\(name): the exported bytes differ from the file onnxruntime ran (\(exported.count) vs \(ran.count) bytes); rerun scripts/make_onnx_fixtures.py after changing the export")
        #expect(Set(recur.keys) == Set(fixture.outputs.keys), "\(name): outputs \(recur.keys.sorted()) vs onnxruntime's \(fixture.outputs.keys.sorted())")
        for (output, expected) in fixture.outputs {
            guard let actual = recur[output] else { continue }
            #expect(actual.shape == expected.shape, "\(name).\(output): shape \(actual.shape) vs onnxruntime's \(expected.shape)")
            guard actual.shape == expected.shape else { continue }
            var worst: Float = 0
            for (i, (a, e)) in zip(actual.scalars, expected.values).enumerated() where compared?(output, i) ?? true {
                let error = abs(a - Float(e)) / max(1, abs(Float(e)))
                if !(error <= worst) { worst = error }
            }
            #expect(worst <= Self.tolerance, "\(name).\(output): largest difference from onnxruntime \(worst)")
        }
    }

    /// Raw frames `[T, B, F]` standardised as the readers do (in Double, then Float).
    static func scaled(_ frames: Value, _ scaling: FeatureScaling?) -> Tensor<Float> {
        guard let scaling else { return frames.floats }
        let F = frames.shape[2]
        return Tensor(shape: frames.shape, scalars: frames.values.enumerated().map { i, x in
            Float((Double(Float(x)) - scaling.mean[i % F]) / scaling.standardDeviation[i % F])
        })
    }

    /// A character model's outputs on a fixture's inputs, through its forward pass (a conditioned
    /// model's step through its parts: the forward pass takes a condition only in place of a state).
    static func characterModel(_ model: CharRNN<Float>, graph: ONNXGraphKind, _ input: [String: Value]) -> [String: Tensor<Float>] {
        let ids = input["ids"]!
        let (T, B) = graph == .step ? (1, ids.shape[0]) : (ids.shape[0], ids.shape[1])
        let V = model.vocabularySize
        var logits: Tensor<Float>, final: RecurrentState<Float>
        if graph == .sequence, let condition = input["condition"] {
            (logits, final) = model.forward(ids.ints, steps: T, batch: B, conditions: condition.floats)
        } else {
            let state = RecurrentState(h: input[graph == .step ? "h" : "h0"]!.floats, c: input[graph == .step ? "c" : "c0"]?.floats)
            if model.condition != nil {
                // A conditioned model's step: its forward pass takes a condition only in place of a state.
                let E = model.embedding.embeddingSize, F = input["condition"]?.shape[1] ?? 0
                let embedded = model.embedding.forward(ids.ints, shape: [T, B]).scalars, c = input["condition"]?.floats.scalars ?? []
                var x: [Float] = []
                for row in 0..<(T * B) {
                    x += embedded[(row * E)..<((row + 1) * E)]
                    x += c[((row % B) * F)..<((row % B + 1) * F)]
                }
                let (hidden, state) = model.rnn.forward(Tensor(shape: [T, B, E + F], scalars: x), initialState: state)
                (logits, final) = (model.head.forward(hidden), state)
            } else {
                (logits, final) = model.forward(ids.ints, steps: T, batch: B, state: state)
            }
        }
        var outputs = ["logits": graph == .step ? logits.reshaped([B, V]) : logits, "h_n": final.h]
        if let c = final.c { outputs["c_n"] = c }
        return outputs
    }

    /// An encoder-decoder's encoder outputs and decoder-step outputs on a fixture's inputs.
    static func seq2seq(_ model: Seq2Seq<Float>, graph: ONNXGraphKind, _ input: [String: Value]) -> [String: Tensor<Float>] {
        let c = model.configuration, H = c.hiddenSize, Ld = c.decoderLayers
        func stacked(_ states: [Tensor<Float>]) -> Tensor<Float> {
            Tensor(shape: [states.count] + states[0].shape, scalars: states.flatMap(\.scalars))
        }
        func layer(_ t: Tensor<Float>, _ l: Int) -> Tensor<Float> {
            let B = t.shape[1]
            return Tensor(shape: [B, H], scalars: Array(t.scalars[(l * B * H)..<((l + 1) * B * H)]))
        }
        if graph == .encoder {
            let source = input["source"]!
            let encoded = model.encode(source: source.ints, steps: source.shape[0], lengths: input["source_lengths"]!.ints)
            var outputs = ["memory": encoded.outputs, "h0": stacked(encoded.initial.map(\.h))]
            if c.cell.hasCellState { outputs["c0"] = stacked(encoded.initial.map { $0.c! }) }
            return outputs
        }
        let memory = input["memory"]!.floats, lengths = input["source_lengths"]!.ints
        let h = input["h"]!.floats, cState = input["c"]?.floats
        var states = (0..<Ld).map { l in RecurrentState(h: layer(h, l), c: cState.map { layer($0, l) }) }
        let encoded = Seq2Seq<Float>.Encoded(outputs: memory, lengths: lengths, final: RecurrentState(h: h), bridgeInputs: [],
                                             initial: states, memory: model.attention?.prepare(keys: memory, lengths: lengths))
        let (output, record) = model.step(input["previous"]!.ints, states: &states, encoded)
        var outputs = ["logits": model.head.apply(output), "h_n": stacked(states.map(\.h))]
        if c.cell.hasCellState { outputs["c_n"] = stacked(states.map { $0.c! }) }
        if let weights = record.attention?.weights { outputs["attention"] = weights }
        return outputs
    }
}
