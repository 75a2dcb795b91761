import Foundation
import RecurCore

/// Keras models as Recur models: Embedding -> SimpleRNN / LSTM / GRU (stacked, Bidirectional) ->
/// Dense, read from a Keras 3 `.keras` or `.weights.h5` file (through the HDF5 library) and turned
/// into a character model (`lm`), a classifier (`classify`, the last recurrent layer returning its
/// final output) or a tagger (`tag`, a Dense at every step).
///
/// Weights: Keras keeps `x W` kernels `[I, G*H]`; Recur (PyTorch) keeps `W x`, so kernels are
/// transposed. Keras's LSTM gate order (i, f, c, o) is PyTorch's; its GRU's (z, r, h) becomes r, z, n.
/// Keras's one bias per gate goes to `bias_ih`, with `bias_hh` zero; a GRU with `reset_after=True`
/// (Keras's default) has both biases, as PyTorch's. What Recur cannot compute the same way is refused
/// with the reason: a GRU with `reset_after=False`, `hard_sigmoid` gates, other activations, a Dense
/// other than linear or softmax (softmax is dropped: Recur's models give logits), Bidirectional merges
/// other than `concat`, other layers.
public enum KerasImport {
    /// The kind of Recur model a Keras model becomes.
    public enum Task: String, CaseIterable, Sendable {
        case lm, classify, tag
    }

    /// An imported model.
    public enum Model {
        case languageModel(CharRNN<Float>)
        case classifier(SequenceClassifier<Float>)
        case tagger(SequenceTagger<Float>)

        public var task: Task {
            switch self {
            case .languageModel: return .lm
            case .classifier: return .classify
            case .tagger: return .tag
            }
        }

        /// The model's parameters under their PyTorch names.
        public var namedParameters: [(name: String, parameter: Parameter<Float>)] {
            switch self {
            case let .languageModel(model): return model.namedParameters
            case let .classifier(model): return model.namedParameters
            case let .tagger(model): return model.namedParameters
            }
        }

        /// Writes the model as a Recur checkpoint (version 2); `extra` adds metadata.
        public func save(to url: URL, extra: [String: String] = [:]) throws(FileError) {
            switch self {
            case let .languageModel(model): try ModelCheckpoint.save(model, extra: extra, to: url)
            case let .classifier(model): try ModelCheckpoint.save(model, extra: extra, to: url)
            case let .tagger(model): try ModelCheckpoint.save(model, extra: extra, to: url)
            }
        }
    }

    /// Why a file could not be imported: one line.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Reads a Keras model file and builds the Recur model it is.
    /// - Parameters:
    ///   - path: a `.keras` file, or a `.weights.h5` file (then `task` is needed: the weights do not
    ///     say whether the last recurrent layer returns sequences, and Keras's default settings are assumed).
    ///   - task: the model to make; from a `.keras` file, nil infers it (a sequence out of the last
    ///     recurrent layer: `tag` when bidirectional, else `lm`; a final output: `classify`).
    ///   - vocabulary: a language model's characters (ids are their positions, as `sorted(set(text))`
    ///     numbers them in the seed article's code); required for `lm`.
    ///   - labels: a classifier's classes or a tagger's tags in id order (default "0", "1", ...).
    public static func load(path: String, task: Task? = nil, vocabulary: Vocabulary? = nil, labels: [String]? = nil) throws(Problem) -> Model {
        let file: KerasModelFile
        do { file = try KerasModelFile(path: path) } catch { throw Problem(description: error.description) }
        guard file.hasConfiguration || task != nil else {
            throw Problem(description: "is a weights file, which does not say what the model computes; give --task lm, classify or tag (Keras's default settings are assumed), or the .keras file")
        }
        // The chain: [Embedding] -> recurrent layers -> Dense.
        var layers = file.layers[...]
        var table: Tensor<Float>?
        if case let .embedding(_, t)? = layers.first {
            table = t
            layers = layers.dropFirst()
        }
        var recurrent: [KerasModelFile.Recurrent] = []
        while case let .recurrent(layer)? = layers.first {
            recurrent.append(layer)
            layers = layers.dropFirst()
        }
        guard let first = recurrent.first, layers.count == 1, case let .dense(denseName, activation, kernel, bias) = layers.first! else {
            throw Problem(description: "is not an [Embedding ->] recurrent layers -> Dense chain (found \(file.layers.map(\.summary).joined(separator: " -> ")))")
        }
        for layer in recurrent.dropFirst() where layer.kind != first.kind || layer.units != first.units
            || layer.bidirectional != first.bidirectional || layer.activation != first.activation {
            throw Problem(description: "mixes recurrent layers ('\(first.name)': \(first.description); '\(layer.name)': \(layer.description)); Recur's network is one kind of recurrent layer of one size, all bidirectional or none")
        }
        for layer in recurrent.dropLast() where !layer.returnSequences {
            throw Problem(description: "layer '\(layer.name)' returns only its last output (return_sequences=False) to the recurrent layer after it")
        }
        guard activation == "linear" || activation == "softmax" else {
            throw Problem(description: "layer '\(denseName)' (Dense) has activation '\(activation)'; Recur's heads give logits (a linear Dense, or one with softmax, which Recur applies when it predicts)")
        }
        let returnsSequences = recurrent.last!.returnSequences
        let resolved = task ?? (returnsSequences ? (first.bidirectional ? .tag : .lm) : .classify)
        if file.hasConfiguration && (resolved == .classify) == returnsSequences {
            throw Problem(description: "its last recurrent layer has return_sequences=\(returnsSequences ? "True" : "False"), so it is not a \(resolved.rawValue) model (try --task \(returnsSequences ? (first.bidirectional ? "tag" : "lm") : "classify"))")
        }
        let cell: CellKind
        switch first.kind {
        case "LSTM": cell = .lstm
        case "GRU": cell = .gru
        default: cell = first.activation == "relu" ? .rnnReLU : .rnnTanh
        }
        guard kernel.rank == 2, kernel.shape[0] == first.units * (first.bidirectional ? 2 : 1), bias.map({ $0.shape == [kernel.shape[1]] }) ?? true else {
            throw Problem(description: "layer '\(denseName)' (Dense) has weights of shapes \(kernel.shape), \(bias.map { "\($0.shape)" } ?? "no bias") after \(first.units * (first.bidirectional ? 2 : 1)) features")
        }
        let H = first.units, L = recurrent.count, outputs = kernel.shape[1]
        let inputWidth = first.weights[0].kernel.shape[0]
        if let table, table.rank != 2 || table.shape[1] != inputWidth {
            throw Problem(description: "has an embedding of shape \(table.shape) before a recurrent layer reading \(inputWidth) features")
        }
        let input: SequenceInput = table.map { .tokens(vocabularySize: $0.shape[0], embeddingSize: $0.shape[1]) } ?? .features(inputWidth)
        if resolved == .lm && labels != nil {
            throw Problem(description: "is a language model; labels are for a classifier's classes or a tagger's tags")
        }
        if let labels, labels.count != outputs {
            throw Problem(description: "has \(outputs) outputs but \(labels.count) labels were given")
        }
        let names = labels ?? (0..<outputs).map(String.init)
        var generator = RandomGenerator(seed: 0)
        let model: Model
        switch resolved {
        case .lm:
            guard let table else { throw Problem(description: "has no Embedding, which a language model of characters starts with") }
            guard !first.bidirectional else { throw Problem(description: "is bidirectional: a language model reads left to right (import it as --task tag)") }
            guard let vocabulary else {
                throw Problem(description: "is a language model of \(table.shape[0]) ids; give --vocabulary TEXT, the text whose sorted distinct characters they number")
            }
            guard vocabulary.count == table.shape[0], outputs == table.shape[0] else {
                throw Problem(description: "has \(table.shape[0]) embedding rows and \(outputs) outputs, but the vocabulary text has \(vocabulary.count) distinct characters")
            }
            let configuration = CharRNNConfiguration(cell: cell, layers: L, hiddenSize: H, embeddingSize: table.shape[1],
                                                     vocabulary: vocabulary, initialization: .keras)
            model = .languageModel(CharRNN(configuration: configuration, using: &generator))
        case .classify:
            let configuration = SequenceClassifierConfiguration(input: input, cell: cell, layers: L, hiddenSize: H, bidirectional: first.bidirectional,
                                                                pooling: .last, labels: names, initialization: .keras)
            if let problem = configuration.problem { throw Problem(description: "cannot be a classifier: \(problem)") }
            model = .classifier(SequenceClassifier(configuration, using: &generator))
        case .tag:
            let configuration = SequenceTaggerConfiguration(input: input, cell: cell, layers: L, hiddenSize: H, bidirectional: first.bidirectional,
                                                            tags: names, initialization: .keras)
            if let problem = configuration.problem { throw Problem(description: "cannot be a tagger: \(problem)") }
            model = .tagger(SequenceTagger(configuration, using: &generator))
        }
        // Every parameter under its PyTorch name, the gates in PyTorch's order.
        func pytorchGates(_ t: Tensor<Float>) -> Tensor<Float> { CellKind.reorderingGates(t, cell.kerasGateOrder) }
        var tensors: [String: Tensor<Float>] = [:]
        if let table { tensors["embedding.weight"] = table }
        for (l, layer) in recurrent.enumerated() {
            for (d, weights) in layer.weights.enumerated() {
                let suffix = "_l\(l)" + (d == 1 ? "_reverse" : "")
                tensors["rnn.weight_ih" + suffix] = pytorchGates(weights.kernel.transposed())
                tensors["rnn.weight_hh" + suffix] = pytorchGates(weights.recurrent.transposed())
                let zero = Tensor<Float>(shape: [cell.gateCount * H])
                if let bias = weights.bias, bias.rank == 2 {   // GRU, reset_after: input bias, recurrent bias
                    let rows = bias.scalars.count / 2
                    tensors["rnn.bias_ih" + suffix] = pytorchGates(Tensor(shape: [rows], scalars: Array(bias.scalars[..<rows])))
                    tensors["rnn.bias_hh" + suffix] = pytorchGates(Tensor(shape: [rows], scalars: Array(bias.scalars[rows...])))
                } else {
                    tensors["rnn.bias_ih" + suffix] = weights.bias.map { pytorchGates($0) } ?? zero
                    tensors["rnn.bias_hh" + suffix] = zero
                }
            }
        }
        tensors["head.weight"] = kernel.transposed()
        tensors["head.bias"] = bias ?? Tensor(shape: [outputs])
        do {
            switch model {
            case let .languageModel(m): try ModelCheckpoint.assign(tensors, to: m)
            case let .classifier(m): try ModelCheckpoint.assign(tensors, to: m)
            case let .tagger(m): try ModelCheckpoint.assign(tensors, to: m)
            }
        } catch {
            throw Problem(description: "does not fit Recur's \(resolved.rawValue) model: \(error)")
        }
        return model
    }

}

extension KerasModelFile.Layer {
    /// The layer in a few words, for messages.
    var summary: String {
        switch self {
        case let .embedding(name, _): return "\(name) (Embedding)"
        case let .recurrent(layer): return "\(layer.name) (\(layer.bidirectional ? "Bidirectional " : "")\(layer.kind))"
        case let .dense(name, _, _, _): return "\(name) (Dense)"
        }
    }
}

extension KerasModelFile.Recurrent {
    /// Its kind, size and direction, for messages.
    var description: String {
        "\(bidirectional ? "Bidirectional " : "")\(kind) of \(units) units\(kind == "SimpleRNN" ? " (\(activation))" : "")"
    }
}
