import Foundation
import Recur

/// Reads a checkpoint file named on the command line (format still unchecked), or throws a one-line UserError.
func readCheckpointFile(_ path: String) throws -> SafeTensors {
    try checkCheckpointPath(path)
    do {
        return try SafeTensors(contentsOf: URL(fileURLWithPath: path))
    } catch {
        if case .unreadable = error { throw UserError("\(path): \(error)", kind: .ioError) }
        throw UserError("\(path): \(error)")
    }
}

/// The task of a checkpoint file: `lm` (version 1 or 2) or `classify`, ...
func checkpointTask(_ file: SafeTensors, path: String) throws -> String {
    do {
        return try ModelCheckpoint.header(of: file).task
    } catch {
        throw UserError("\(path): \(error)")
    }
}

/// Loads a version-2 checkpoint of model type `M`, refusing a configuration with a `problem`, or
/// throws a one-line UserError. Its products run on `engine`.
func loadModel<M: RecurModel>(_ type: M.Type, _ file: SafeTensors, path: String, engine: GEMMEngine,
                              problem: (M.Configuration) -> String?) throws -> ModelCheckpoint.Loaded<M> {
    do {
        let loaded = try ModelCheckpoint.load(M.self, from: file, validate: problem)
        loaded.model.engine = engine
        return loaded
    } catch {
        throw UserError("\(path): \(error)")
    }
}

/// Loads a classifier checkpoint, or throws a one-line UserError.
func loadClassifier(_ file: SafeTensors, path: String, engine: GEMMEngine) throws -> ModelCheckpoint.Loaded<SequenceClassifier<Float>> {
    try loadModel(SequenceClassifier<Float>.self, file, path: path, engine: engine) { $0.problem }
}

/// Loads a tagger checkpoint, or throws a one-line UserError.
func loadTagger(_ file: SafeTensors, path: String, engine: GEMMEngine) throws -> ModelCheckpoint.Loaded<SequenceTagger<Float>> {
    try loadModel(SequenceTagger<Float>.self, file, path: path, engine: engine) { $0.problem }
}

/// Loads an encoder-decoder checkpoint, or throws a one-line UserError.
func loadSeq2Seq(_ file: SafeTensors, path: String, engine: GEMMEngine) throws -> ModelCheckpoint.Loaded<Seq2Seq<Float>> {
    try loadModel(Seq2Seq<Float>.self, file, path: path, engine: engine) { $0.problem }
}

/// Loads a forecaster checkpoint, or throws a one-line UserError.
func loadForecaster(_ file: SafeTensors, path: String, engine: GEMMEngine) throws -> ModelCheckpoint.Loaded<Forecaster<Float>> {
    try loadModel(Forecaster<Float>.self, file, path: path, engine: engine) { $0.problem }
}

/// Refuses a missing path or a folder with the one-line error for it.
func checkCheckpointPath(_ path: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw UserError("\(path): no such file; give a .safetensors checkpoint written by recur train", kind: .missingInput)
    }
    if isDirectory.boolValue {
        let inside = URL(fileURLWithPath: path).appendingPathComponent("model.safetensors")
        if FileManager.default.fileExists(atPath: inside.path) {
            throw UserError("\(path): is a folder; give the checkpoint inside it, \(inside.path)")
        }
        throw UserError("\(path): is a folder; give a .safetensors checkpoint written by recur train")
    }
}

/// Loads a character-model checkpoint named on the command line, or throws a one-line UserError.
func loadCheckpoint(_ path: String, engine: GEMMEngine) throws -> CharRNNCheckpoint.Loaded {
    try checkCheckpointPath(path)
    do {
        let loaded = try CharRNNCheckpoint.load(URL(fileURLWithPath: path))
        loaded.model.engine = engine
        return loaded
    } catch {
        if case .file(.unreadable) = error { throw UserError("\(path): \(error)", kind: .ioError) }
        throw UserError("\(path): \(error)")
    }
}

/// Loads a character model from a checkpoint file already read, or throws a one-line UserError.
func loadCheckpoint(_ file: SafeTensors, path: String, engine: GEMMEngine) throws -> CharRNNCheckpoint.Loaded {
    do {
        let loaded = try CharRNNCheckpoint.load(file)
        loaded.model.engine = engine
        return loaded
    } catch {
        throw UserError("\(path): \(error)")
    }
}

/// The ids of a text under a checkpoint's vocabulary, or a UserError naming the unknown characters.
func encode(_ text: String, with vocabulary: Vocabulary, what: String) throws -> [Int] {
    do {
        return try vocabulary.encode(text)
    } catch {
        let unknown = Array(Set(text.unicodeScalars.filter { vocabulary.id(of: $0) == nil })).sorted { $0.value < $1.value }
        let named = unknown.prefix(10).map { "'\($0.escaped(asASCII: false))' (U+\(String($0.value, radix: 16, uppercase: true)))" }
        throw UserError("\(what): has \(unknown.count) character\(unknown.count == 1 ? "" : "s") outside the model's vocabulary: \(named.joined(separator: ", "))\(unknown.count > 10 ? ", ..." : ""); the first at position \(error.position)")
    }
}
