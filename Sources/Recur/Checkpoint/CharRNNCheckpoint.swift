import Foundation
import RecurCore

/// The shape of a character model, as stored in a checkpoint's `__metadata__`.
public struct CharRNNConfiguration: Codable, Equatable, Sendable {
    public var cell: CellKind
    public var layers: Int
    public var hiddenSize: Int
    public var embeddingSize: Int
    public var vocabulary: Vocabulary
    public var dropout: Double
    public var initialization: WeightInitialization
    /// Trained on independent sequences, each begun with `beginSymbol` and ended with `endSymbol`
    /// (both in the vocabulary), rather than on one continuous text.
    public var sequenceBoundaries: Bool
    /// What the sequences are conditioned on (its vector sets the initial state), or nil.
    public var condition: GenerationCondition?
    /// The condition vector is also concatenated to every step's embedded input.
    public var conditionEveryStep: Bool

    /// The symbol that begins every sequence of a model with sequence boundaries: U+0002, START OF TEXT.
    public static let beginSymbol: Unicode.Scalar = "\u{02}"
    /// The symbol that ends every sequence of a model with sequence boundaries: U+0003, END OF TEXT.
    public static let endSymbol: Unicode.Scalar = "\u{03}"

    public init(cell: CellKind, layers: Int, hiddenSize: Int, embeddingSize: Int, vocabulary: Vocabulary,
                dropout: Double = 0, initialization: WeightInitialization = .pytorch, sequenceBoundaries: Bool = false,
                condition: GenerationCondition? = nil, conditionEveryStep: Bool = false) {
        self.cell = cell
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.embeddingSize = embeddingSize
        self.vocabulary = vocabulary
        self.dropout = dropout
        self.initialization = initialization
        self.sequenceBoundaries = sequenceBoundaries
        self.condition = condition
        self.conditionEveryStep = conditionEveryStep
    }

    enum CodingKeys: String, CodingKey {
        case cell, layers, hiddenSize, embeddingSize, vocabulary, dropout, initialization, sequenceBoundaries, condition, conditionEveryStep
    }

    /// The last three are written only when set: a character model of a text is stored as it was
    /// before sequence models existed, and checkpoints of that time lack them.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cell, forKey: .cell)
        try c.encode(layers, forKey: .layers)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(embeddingSize, forKey: .embeddingSize)
        try c.encode(vocabulary, forKey: .vocabulary)
        try c.encode(dropout, forKey: .dropout)
        try c.encode(initialization, forKey: .initialization)
        if sequenceBoundaries { try c.encode(true, forKey: .sequenceBoundaries) }
        try c.encodeIfPresent(condition, forKey: .condition)
        if conditionEveryStep { try c.encode(true, forKey: .conditionEveryStep) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(cell: try c.decode(CellKind.self, forKey: .cell), layers: try c.decode(Int.self, forKey: .layers),
                  hiddenSize: try c.decode(Int.self, forKey: .hiddenSize), embeddingSize: try c.decode(Int.self, forKey: .embeddingSize),
                  vocabulary: try c.decode(Vocabulary.self, forKey: .vocabulary), dropout: try c.decode(Double.self, forKey: .dropout),
                  initialization: try c.decode(WeightInitialization.self, forKey: .initialization),
                  sequenceBoundaries: try c.decodeIfPresent(Bool.self, forKey: .sequenceBoundaries) ?? false,
                  condition: try c.decodeIfPresent(GenerationCondition.self, forKey: .condition),
                  conditionEveryStep: try c.decodeIfPresent(Bool.self, forKey: .conditionEveryStep) ?? false)
    }

    /// The ids of the begin and end symbols (a model with sequence boundaries).
    public var boundaryIDs: (begin: Int, end: Int)? {
        guard sequenceBoundaries, let begin = vocabulary.id(of: Self.beginSymbol), let end = vocabulary.id(of: Self.endSymbol) else { return nil }
        return (begin, end)
    }

    /// The width of the state that a condition sets: every layer's h, then (LSTM) every layer's c.
    public var conditionedStateWidth: Int { layers * hiddenSize * (cell.hasCellState ? 2 : 1) }

    /// The first layer's input width: the embedding, plus the condition when it is fed at every step.
    public var inputWidth: Int { embeddingSize + (conditionEveryStep ? condition?.width ?? 0 : 0) }

    /// A freshly initialised model of this shape.
    public func makeModel(using generator: inout RandomGenerator) -> CharRNN<Float> {
        CharRNN(configuration: self, using: &generator)
    }

    /// What is wrong with this configuration (a size out of range, an empty vocabulary), or nil.
    public var problem: String? {
        if !(layers >= 1 && layers <= 64) { return "layers \(layers) is out of range" }
        if !(hiddenSize >= 1 && hiddenSize <= 1 << 20) { return "hidden size \(hiddenSize) is out of range" }
        if !(embeddingSize >= 1 && embeddingSize <= 1 << 20) { return "embedding size \(embeddingSize) is out of range" }
        if vocabulary.count < 1 { return "the vocabulary is empty" }
        if !(dropout >= 0 && dropout < 1) { return "dropout \(dropout) is not in [0, 1)" }
        if sequenceBoundaries && boundaryIDs == nil { return "a model of sequences needs the begin and end symbols in its vocabulary" }
        if condition != nil && !sequenceBoundaries { return "only a model of sequences (sequence_boundaries) can be conditioned" }
        if conditionEveryStep && condition == nil { return "condition_every_step needs a condition" }
        if let problem = condition?.problem { return problem }
        return nil
    }

    /// The tensors a model of this shape has, without building it (for the memory estimate; a test
    /// checks it against the built model's named parameters).
    public var tensorShapes: [(name: String, shape: [Int])] {
        let gh = cell.gateCount * hiddenSize
        var shapes: [(String, [Int])] = [("embedding.weight", [vocabulary.count, embeddingSize])]
        for l in 0..<layers {
            shapes += [("rnn.weight_ih_l\(l)", [gh, l == 0 ? inputWidth : hiddenSize]), ("rnn.weight_hh_l\(l)", [gh, hiddenSize]),
                       ("rnn.bias_ih_l\(l)", [gh]), ("rnn.bias_hh_l\(l)", [gh])]
        }
        shapes += [("head.weight", [vocabulary.count, hiddenSize]), ("head.bias", [vocabulary.count])]
        if let condition {
            shapes += [("condition.weight", [conditionedStateWidth, condition.width]), ("condition.bias", [conditionedStateWidth])]
        }
        return shapes
    }

    /// The version-1 metadata entries that describe the model (docs/checkpoint-format.md; only
    /// tests and fixtures still write them).
    public var metadata: [String: String] {
        [
            "format": CharRNNCheckpoint.format,
            "format_version": String(CharRNNCheckpoint.version),
            "cell": cell.rawValue,
            "num_layers": String(layers),
            "hidden_size": String(hiddenSize),
            "embedding_size": String(embeddingSize),
            "vocab_size": String(vocabulary.count),
            "vocabulary": String(String.UnicodeScalarView(vocabulary.symbols)),
            "dropout": String(dropout),
            "init": initialization.rawValue,
        ]
    }

    /// Parses the model description of a checkpoint's metadata.
    public init(metadata: [String: String]) throws(CheckpointError) {
        guard let format = metadata["format"] else { throw .notACharModel(reason: "its __metadata__ has no 'format'") }
        guard format == CharRNNCheckpoint.format else {
            throw .notACharModel(reason: "its format is '\(format)', not '\(CharRNNCheckpoint.format)'")
        }
        guard let version = metadata["format_version"].flatMap(Int.init), version == CharRNNCheckpoint.version else {
            throw .unsupportedVersion(found: metadata["format_version"] ?? "none")
        }
        func value(_ key: String) throws(CheckpointError) -> String {
            guard let v = metadata[key] else { throw .badMetadata(key: key, reason: "is missing") }
            return v
        }
        func positive(_ key: String) throws(CheckpointError) -> Int {
            let text = try value(key)
            guard let v = Int(text), v > 0, v <= 1 << 20 else { throw .badMetadata(key: key, reason: "is '\(text)', not a positive integer") }
            return v
        }
        guard let cell = CellKind(rawValue: try value("cell")) else {
            throw .badMetadata(key: "cell", reason: "is '\(metadata["cell"]!)', not one of \(CellKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let symbols = Array(try value("vocabulary").unicodeScalars)
        let vocabulary = Vocabulary(symbols: symbols)
        guard vocabulary.symbols == symbols, symbols.count >= 1 else {
            throw .badMetadata(key: "vocabulary", reason: "is not a non-empty list of distinct symbols sorted by code point")
        }
        let vocabularySize = try positive("vocab_size")
        guard vocabularySize == symbols.count else {
            throw .badMetadata(key: "vocab_size", reason: "is \(vocabularySize) but the vocabulary has \(symbols.count) symbols")
        }
        let dropoutText = metadata["dropout"] ?? "0"
        guard let dropout = Double(dropoutText), dropout >= 0, dropout < 1 else {
            throw .badMetadata(key: "dropout", reason: "is '\(dropoutText)', not a number in [0, 1)")
        }
        let initText = metadata["init"] ?? "pytorch"
        guard let initialization = WeightInitialization(rawValue: initText) else {
            throw .badMetadata(key: "init", reason: "is '\(initText)', not pytorch or keras")
        }
        self.init(cell: cell, layers: try positive("num_layers"), hiddenSize: try positive("hidden_size"),
                  embeddingSize: try positive("embedding_size"), vocabulary: vocabulary,
                  dropout: dropout, initialization: initialization)
    }
}

/// A character model saved as safetensors with PyTorch's parameter names, plus its configuration and
/// vocabulary in `__metadata__` (docs/checkpoint-format.md). Written in Recur's format 2
/// (`ModelCheckpoint`, task `lm`); version-1 files (`recur-char-rnn`, the configuration as separate
/// metadata entries) are still read.
public enum CharRNNCheckpoint {
    /// The version-1 format, read only.
    public static let format = "recur-char-rnn"
    public static let version = 1

    /// The tensors of a model in storage order.
    public static func tensors(of model: CharRNN<Float>) -> [(name: String, tensor: Tensor<Float>)] {
        model.namedParameters.map { ($0.name, $0.parameter.value) }
    }

    /// The format-2 metadata of a character model of this configuration.
    public static func metadata(_ configuration: CharRNNConfiguration) -> [String: String] {
        ["format": ModelCheckpoint.format, "format_version": String(ModelCheckpoint.version),
         "task": CharRNN<Float>.task, "config": ModelCheckpoint.json(configuration)]
    }

    /// Writes the model atomically in format 2. `extra` adds metadata (step, validation loss, ...).
    public static func save(_ model: CharRNN<Float>, configuration: CharRNNConfiguration,
                            extra: [String: String] = [:], to url: URL) throws(FileError) {
        try SafeTensors.write(tensors: tensors(of: model), metadata: metadata(configuration).merging(extra) { own, _ in own }, to: url)
    }

    /// A checkpoint read, validated and turned into a model.
    public struct Loaded {
        public var model: CharRNN<Float>
        public var configuration: CharRNNConfiguration
        public var metadata: [String: String]
        public var file: SafeTensors
    }

    /// Reads a checkpoint: every tensor must be present, with the configuration's shape and finite values.
    public static func load(_ url: URL) throws(CheckpointError) -> Loaded {
        let file: SafeTensors
        do {
            file = try SafeTensors(contentsOf: url)
        } catch {
            throw .file(error)
        }
        return try load(file)
    }

    public static func load(_ file: SafeTensors) throws(CheckpointError) -> Loaded {
        if file.metadata["format"] == ModelCheckpoint.format {
            let header = try ModelCheckpoint.header(of: file)
            guard header.task == CharRNN<Float>.task else {
                throw .notACharModel(reason: "it is a '\(header.task)' model")
            }
            let loaded = try ModelCheckpoint.load(CharRNN<Float>.self, from: file) { $0.problem }
            return Loaded(model: loaded.model, configuration: loaded.model.configuration, metadata: file.metadata, file: file)
        }
        let configuration = try CharRNNConfiguration(metadata: file.metadata)
        var generator = RandomGenerator(seed: 0)
        let model = configuration.makeModel(using: &generator)
        try ModelCheckpoint.assign(file, to: model)
        return Loaded(model: model, configuration: configuration, metadata: file.metadata, file: file)
    }

    /// Tensors whose names start with this belong to the training state (optimizer, carried state).
    public static let trainingStatePrefix = "training."
}

/// Why a checkpoint was refused.
public enum CheckpointError: Error, CustomStringConvertible {
    case file(SafeTensorsError)
    case notACharModel(reason: String)
    case notARecurCheckpoint(reason: String)
    case unsupportedVersion(found: String)
    case badMetadata(key: String, reason: String)
    case missingTensor(name: String, expected: [Int])
    case unexpectedTensor(name: String, shape: [Int])
    case wrongShape(name: String, expected: [Int], found: [Int])
    case nonFinite(name: String, index: Int, value: Float)
    case trainingState(reason: String)

    public var description: String {
        switch self {
        case let .file(error): return error.description
        case let .notACharModel(reason): return "is not a Recur character model: \(reason)"
        case let .notARecurCheckpoint(reason): return "is not a Recur checkpoint: \(reason)"
        case let .unsupportedVersion(found): return "has format_version \(found); this recur reads recur-char-rnn version \(CharRNNCheckpoint.version) and recur version \(ModelCheckpoint.version)"
        case let .badMetadata(key, reason): return "metadata '\(key)' \(reason)"
        case let .missingTensor(name, expected): return "has no tensor '\(name)' (expected shape \(expected)); it was saved for another model"
        case let .unexpectedTensor(name, shape): return "has an unexpected tensor '\(name)' of shape \(shape); it was saved for another model"
        case let .wrongShape(name, expected, found): return "tensor '\(name)' has shape \(found), expected \(expected) for the configuration in its metadata"
        case let .nonFinite(name, index, value): return "tensor '\(name)' holds \(value) at element \(index); the weights are not finite"
        case let .trainingState(reason): return "has no usable training state: \(reason)"
        }
    }
}
