import Foundation
import RecurCore

/// Which graph of a model an ONNX export writes.
public enum ONNXGraphKind: String, CaseIterable, Sendable {
    /// The whole model over whole sequences (every model but the encoder-decoder).
    case sequence
    /// One step with the state as input and output: a character model's streaming generation, or an
    /// encoder-decoder's decoder step (with the encoder's outputs as input).
    case step
    /// An encoder-decoder's encoder: its outputs and the decoder's initial state.
    case encoder
}

/// A model that ONNX cannot be written for in the form asked.
public struct ONNXExportError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Recur's models as ONNX files (opset 17) that onnxruntime and any ONNX runtime run: the recurrent
/// layers as ONNX's `LSTM`, `GRU` and `RNN` operators, the embedding as `Gather`, the heads as `MatMul`.
/// Inputs and outputs are time-major like Recur's (`[steps, batch, ...]`), token ids int64, lengths
/// int64; each file's metadata holds the task and the model's configuration (vocabulary, label names,
/// scaling) under `recur.task` and `recur.config`. docs/onnx.md lists every graph's inputs and outputs.
public enum ONNXExport {
    /// A character (or token) language model.
    ///
    /// `sequence`: `ids [steps, batch]` and the state carried in, `h0` (and `c0`, LSTM) `[L, batch, H]`
    /// (zeros to start) -> `logits [steps, batch, V]`, `h_n`, `c_n`. A conditioned model reads
    /// `condition [batch, F]` instead of the state (it sets the initial state; with every-step
    /// conditioning it is also part of every step's input).
    /// `step`: `ids [batch]`, `h`, `c` (and `condition` with every-step conditioning) -> `logits
    /// [batch, V]`, `h_n`, `c_n`: one step of streaming generation. A conditioned model's first state
    /// comes from its sequence graph run over the first symbol.
    public static func characterModel(_ model: CharRNN<Float>, graph kind: ONNXGraphKind = .sequence) throws(ONNXExportError) -> Data {
        guard kind != .encoder else { throw ONNXExportError(description: "a character model has no encoder graph; export --graph sequence or step") }
        let rnn = model.rnn, L = rnn.layerCount, H = rnn.hiddenSize, V = model.vocabularySize, lstm = rnn.cell.hasCellState
        let stepGraph = kind == .step
        var g = ONNXGraph(name: stepGraph ? "recur_lm_step" : "recur_lm")
        let stepsAxis: [ONNXGraph.Dimension] = stepGraph ? [] : ["steps"]
        let ids = g.input("ids", .int64, stepsAxis + ["batch"], doc: "symbol ids")
        let timeMajorIDs = stepGraph ? g.apply("Unsqueeze", ids, g.integers([0])) : ids
        let conditioned = model.condition != nil && !stepGraph
        var h0: String?, c0: String?, condition: String?
        if conditioned || (stepGraph && model.conditionEveryStep) {
            condition = g.input("condition", .float, ["batch", .fixed(model.condition!.inputSize)], doc: "the condition vectors")
        }
        if conditioned {
            // s = W c + b [B, S] -> [B, P, L, H] -> [P, L, B, H]: h of every layer, then c (LSTM).
            let P = lstm ? 2 : 1
            let s = g.linear(condition!, model.condition!, name: "condition")
            let parts = g.apply("Transpose", g.apply("Reshape", s, g.integers([0, P, L, H])), attributes: [.ints("perm", [1, 2, 0, 3])])
            h0 = g.apply("Squeeze", g.slice(parts, axis: 0, from: 0, to: 1), g.integers([0]))
            if lstm { c0 = g.apply("Squeeze", g.slice(parts, axis: 0, from: 1, to: 2), g.integers([0])) }
        } else {
            h0 = g.input(stepGraph ? "h" : "h0", .float, [.fixed(L), "batch", .fixed(H)], doc: "h of every layer")
            if lstm { c0 = g.input(stepGraph ? "c" : "c0", .float, [.fixed(L), "batch", .fixed(H)], doc: "c of every layer") }
        }
        var x = g.embedding(timeMajorIDs, model.embedding)
        if model.conditionEveryStep, let condition {
            // The condition beside every step's embedding: [1, B, F] expanded to [T, B, F].
            let F = model.condition!.inputSize
            let shape = g.concat([g.slice(g.apply("Shape", x), axis: 0, from: 0, to: 2), g.integers([F])], axis: 0)
            let everyStep = g.apply("Expand", g.apply("Unsqueeze", condition, g.integers([0])), shape)
            x = g.concat([x, everyStep], axis: 2)
        }
        let outputs = g.recurrent(x, rnn, initial: g.layerStates(h: h0!, c: c0, layers: L))
        let final = g.joined(outputs.final)
        var logits = g.linear(outputs.output, model.head, name: "head")
        if stepGraph { logits = g.apply("Squeeze", logits, g.integers([0])) }
        g.output(logits, as: "logits", .float, stepsAxis + ["batch", .fixed(V)], doc: "next-symbol logits (before softmax)")
        g.output(final.h, as: "h_n", .float, [.fixed(L), "batch", .fixed(H)], doc: "the final h of every layer")
        if let c = final.c { g.output(c, as: "c_n", .float, [.fixed(L), "batch", .fixed(H)], doc: "the final c of every layer") }
        let config = model.configurationStorage.map { ModelCheckpoint.json($0) }
        return g.serialized(doc: "Recur character model (\(rnn.cell.rawValue), \(L)x\(H)), \(kind.rawValue) graph",
                            metadata: metadata(task: "lm", config: config, graph: kind))
    }

    /// A many-to-one classifier: `tokens [steps, batch]` (int64 ids) or `features [steps, batch, F]`
    /// (as read from the files: the graph standardises them with the model's scaling), with `lengths
    /// [batch]` (int64, 1...steps) -> `logits [batch, C]`.
    public static func classifier(_ model: SequenceClassifier<Float>) -> Data {
        let c = model.configuration
        var g = ONNXGraph(name: "recur_classifier")
        let (x, lengths) = sequenceInputs(&g, c.input, embedding: model.embedding, scaling: c.scaling)
        let outputs = g.recurrent(x, model.rnn, lengths: g.sequenceLengths(lengths))
        let D = model.rnn.directionCount, H = model.rnn.hiddenSize
        let pooled: String
        switch c.pooling {
        case .last:
            // Each direction's final state (the forward one at the row's last step, the reverse one
            // at step 0): the top layer's Y_h [D, B, H] -> [B, D*H].
            let top = outputs.final.last!.h
            pooled = g.apply("Reshape", g.apply("Transpose", top, attributes: [.ints("perm", [1, 0, 2])]), g.integers([0, D * H]))
        case .mean:
            // Outputs are zero past each row's length: their sum over time over the length.
            let sum = g.apply("ReduceSum", outputs.output, g.integers([0]), attributes: [.int("keepdims", 0)])
            let count = g.apply("Unsqueeze", g.apply("Cast", lengths, attributes: [.int("to", Int(ONNXGraph.ElementType.float.rawValue))]), g.integers([1]))
            pooled = g.apply("Div", sum, count)
        case .max:
            let valid = g.apply("Unsqueeze", g.validSteps(outputs.output, lengths: lengths), g.integers([2]))
            let masked = g.apply("Where", valid, outputs.output, g.scalar(-.infinity))
            pooled = g.apply("ReduceMax", masked, attributes: [.ints("axes", [0]), .int("keepdims", 0)])
        }
        let logits = g.linear(pooled, model.head, name: "head")
        g.output(logits, as: "logits", .float, ["batch", .fixed(c.classCount)], doc: "class logits (before softmax), classes in the order of recur.config's labels")
        return g.serialized(doc: "Recur sequence classifier (\(c.cell.rawValue), \(c.layers)x\(c.hiddenSize), \(c.bidirectional ? "bidirectional, " : "")\(c.pooling.rawValue) pooling)",
                            metadata: metadata(task: SequenceClassifier<Float>.task, config: ModelCheckpoint.json(c), graph: .sequence))
    }

    /// A tagger: the classifier's inputs -> `logits [steps, batch, C]`, a tag's logits at every step.
    public static func tagger(_ model: SequenceTagger<Float>) -> Data {
        let c = model.configuration
        var g = ONNXGraph(name: "recur_tagger")
        let (x, lengths) = sequenceInputs(&g, c.input, embedding: model.embedding, scaling: c.scaling)
        let outputs = g.recurrent(x, model.rnn, lengths: g.sequenceLengths(lengths))
        let logits = g.linear(outputs.output, model.head, name: "head")
        g.output(logits, as: "logits", .float, ["steps", "batch", .fixed(c.tagCount)], doc: "tag logits at every step (before softmax), tags in the order of recur.config's tags")
        return g.serialized(doc: "Recur sequence tagger (\(c.cell.rawValue), \(c.layers)x\(c.hiddenSize)\(c.bidirectional ? ", bidirectional" : ""))",
                            metadata: metadata(task: SequenceTagger<Float>.task, config: ModelCheckpoint.json(c), graph: .sequence))
    }

    /// The token or feature input of a whole-sequence model and its lengths; features are
    /// standardised as `FeatureScaling.apply` does.
    static func sequenceInputs(_ g: inout ONNXGraph, _ input: SequenceInput, embedding: Embedding<Float>?, scaling: FeatureScaling?) -> (x: String, lengths: String) {
        let x: String
        switch input {
        case let .tokens(vocabularySize, _):
            x = g.embedding(g.input("tokens", .int64, ["steps", "batch"], doc: "token ids in 0..<\(vocabularySize)"), embedding!)
        case let .features(count):
            let features = g.input("features", .float, ["steps", "batch", .fixed(count)], doc: "the frames as read from the files")
            if let scaling {
                let mean = g.weight("feature_mean", scaling.mean.map { Float($0) }, shape: [count])
                let deviation = g.weight("feature_standard_deviation", scaling.standardDeviation.map { Float($0) }, shape: [count])
                x = g.apply("Div", g.apply("Sub", features, mean), deviation)
            } else {
                x = features
            }
        }
        let lengths = g.input("lengths", .int64, ["batch"], doc: "each row's length, 1...steps")
        return (x, lengths)
    }

    /// The metadata every exported file carries.
    static func metadata(task: String, config: String?, graph: ONNXGraphKind) -> [String: String] {
        var entries = ["recur.task": task, "recur.graph": graph.rawValue]
        if let config { entries["recur.config"] = config }
        return entries
    }
}
