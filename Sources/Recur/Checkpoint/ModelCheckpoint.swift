import Foundation
import RecurCore

/// Recur's checkpoint format, version 2, for every model: a safetensors file whose tensors are the
/// model's named parameters under the equivalent PyTorch module's `state_dict` names, and whose
/// `__metadata__` holds
///
/// - `format`: `recur`, `format_version`: `2`, `task`: the model's task (`classify`, ...);
/// - `config`: the model's configuration as JSON (sizes, cell, directions, pooling, label names,
///   vocabulary, input scaling): everything needed to build the same model and feed it;
/// - whatever the caller adds (`step`, validation figures, ...).
///
/// A training checkpoint adds the trainer's state under `training.` (docs/checkpoint-format.md).
/// Version-1 character-model files (`recur-char-rnn`) are read by `CharRNNCheckpoint`.
public enum ModelCheckpoint {
    public static let format = "recur"
    public static let version = 2

    /// The configuration's JSON: keys in snake case (`hidden_size`), sorted.
    public static func json<C: Encodable>(_ configuration: C) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try! encoder.encode(configuration), as: UTF8.self)
    }

    /// A configuration read back from `json`.
    public static func configuration<C: Decodable>(_ type: C.Type, from text: String) throws -> C {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(type, from: Data(text.utf8))
    }

    /// The metadata describing a model.
    public static func metadata<M: RecurModel>(of model: M) -> [String: String] {
        ["format": format, "format_version": String(version), "task": M.task, "config": json(model.configuration)]
    }

    /// The model's tensors in storage order.
    public static func tensors<M: RecurModel>(of model: M) -> [(name: String, tensor: Tensor<Float>)] {
        model.namedParameters.map { ($0.name, $0.parameter.value) }
    }

    /// Writes the model atomically; `extra` adds metadata.
    public static func save<M: RecurModel>(_ model: M, extra: [String: String] = [:], to url: URL) throws(FileError) {
        try AtomicFile.write(bytes(of: model, extra: extra), to: url)
    }

    /// The bytes `save` writes, taken now (for a `BackgroundFileWriter`).
    public static func bytes<M: RecurModel>(of model: M, extra: [String: String] = [:]) -> [UInt8] {
        SafeTensors.encode(tensors: tensors(of: model), metadata: metadata(of: model).merging(extra) { own, _ in own })
    }

    /// What a file says about itself before any model is built from it.
    public struct Header: Sendable {
        /// `recur-char-rnn` (version 1) or `recur` (version 2).
        public var format: String
        public var version: Int
        /// `lm` for a character model, else the `task` entry.
        public var task: String
    }

    /// Reads the format, version and task of a checkpoint's metadata.
    public static func header(of file: SafeTensors) throws(CheckpointError) -> Header {
        let metadata = file.metadata
        guard let format = metadata["format"] else { throw .notARecurCheckpoint(reason: "its __metadata__ has no 'format'") }
        switch format {
        case CharRNNCheckpoint.format:
            guard metadata["format_version"] == String(CharRNNCheckpoint.version) else { throw versionError(metadata) }
            return Header(format: format, version: 1, task: "lm")
        case Self.format:
            guard let version = metadata["format_version"].flatMap(Int.init), version == Self.version else { throw versionError(metadata) }
            guard let task = metadata["task"] else { throw .badMetadata(key: "task", reason: "is missing") }
            return Header(format: format, version: version, task: task)
        default:
            throw .notARecurCheckpoint(reason: "its format is '\(format)', not '\(Self.format)' or '\(CharRNNCheckpoint.format)'")
        }
    }

    static func versionError(_ metadata: [String: String]) -> CheckpointError {
        .unsupportedVersion(found: metadata["format_version"] ?? "none")
    }

    /// A model read back with its file.
    public struct Loaded<M: RecurModel> {
        public var model: M
        public var metadata: [String: String]
        public var file: SafeTensors
    }

    /// Reads a version-2 checkpoint of model type `M`: the task must be `M.task`, the configuration must
    /// decode and pass `validate`, and every tensor must be present with its shape and finite values;
    /// any other tensor outside `training.` is refused.
    public static func load<M: RecurModel>(
        _ type: M.Type, from file: SafeTensors, validate: (M.Configuration) -> String? = { _ in nil }
    ) throws(CheckpointError) -> Loaded<M> {
        let header = try header(of: file)
        guard header.format == format else { throw .notARecurCheckpoint(reason: "it is a version-1 character model, not a '\(M.task)' model") }
        guard header.task == M.task else { throw .badMetadata(key: "task", reason: "is '\(header.task)', not '\(M.task)'") }
        guard let text = file.metadata["config"] else { throw .badMetadata(key: "config", reason: "is missing") }
        let configuration: M.Configuration
        do {
            configuration = try Self.configuration(M.Configuration.self, from: text)
        } catch {
            throw .badMetadata(key: "config", reason: "is not a valid \(M.task) configuration (\(describe(error)))")
        }
        if let problem = validate(configuration) { throw .badMetadata(key: "config", reason: problem) }
        var generator = RandomGenerator(seed: 0)
        let model = M(configuration: configuration, using: &generator)
        try assign(file, to: model)
        return Loaded(model: model, metadata: file.metadata, file: file)
    }

    /// Sets every parameter of `model` from the tensor of its name in `file`: each must be present with
    /// the parameter's shape and finite values, and no other tensor outside `training.` may be there.
    public static func assign<M: Module>(_ file: SafeTensors, to model: M) throws(CheckpointError) where M.Scalar == Float {
        try assign(names: file.names, shape: { file.entries[$0]?.shape }, to: model) { name throws(CheckpointError) in
            do throws(SafeTensorsError) { return try file.tensor(name) } catch { throw .file(error) }
        }
    }

    /// Sets every parameter of `model` from the tensor of its name in `tensors`, under the same checks.
    public static func assign<M: Module>(_ tensors: [String: Tensor<Float>], to model: M) throws(CheckpointError) where M.Scalar == Float {
        try assign(names: tensors.keys.sorted(), shape: { tensors[$0]?.shape }, to: model) { tensors[$0]! }
    }

    /// The checks and assignment behind both: every shape is checked before any tensor is read.
    private static func assign<M: Module>(names: [String], shape: (String) -> [Int]?, to model: M,
                                          tensor: (String) throws(CheckpointError) -> Tensor<Float>) throws(CheckpointError) where M.Scalar == Float {
        let expected = Set(model.namedParameters.map(\.name))
        for (name, parameter) in model.namedParameters {
            guard let found = shape(name) else { throw .missingTensor(name: name, expected: parameter.shape) }
            guard found == parameter.shape else { throw .wrongShape(name: name, expected: parameter.shape, found: found) }
        }
        if let extra = names.first(where: { !expected.contains($0) && !$0.hasPrefix(CharRNNCheckpoint.trainingStatePrefix) }) {
            throw .unexpectedTensor(name: extra, shape: shape(extra)!)
        }
        for (name, parameter) in model.namedParameters {
            let value = try tensor(name)
            if let bad = value.scalars.firstIndex(where: { !$0.isFinite }) {
                throw .nonFinite(name: name, index: bad, value: value.scalars[bad])
            }
            parameter.value = value
        }
    }

    public static func load<M: RecurModel>(
        _ type: M.Type, from url: URL, validate: (M.Configuration) -> String? = { _ in nil }
    ) throws(CheckpointError) -> Loaded<M> {
        let file: SafeTensors
        do {
            file = try SafeTensors(contentsOf: url)
        } catch {
            throw .file(error)
        }
        return try load(type, from: file, validate: validate)
    }

    /// A decoding error in a few words: the key path and what was wrong.
    static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func keys(_ context: DecodingError.Context) -> String { context.codingPath.map(\.stringValue).joined(separator: ".") }
        func path(_ context: DecodingError.Context) -> String {
            keys(context).isEmpty ? context.debugDescription : "\(keys(context)): \(context.debugDescription)"
        }
        switch error {
        case let .keyNotFound(key, context): return keys(context).isEmpty ? "no '\(key.stringValue)'" : "\(keys(context)): no '\(key.stringValue)'"
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context): return path(context)
        @unknown default: return "\(error)"
        }
    }
}
