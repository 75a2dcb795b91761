import ArgumentParser
import Foundation
import Recur

/// Where `recur import` reads a model from.
enum ImportSource: String, CaseIterable, ExpressibleByArgument {
    case keras
}

extension KerasImport.Task: ExpressibleByArgument {}

/// `recur import keras`: a Keras model as a Recur checkpoint.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a Keras model (.keras or .weights.h5) into a Recur checkpoint (docs/keras-import.md).",
        discussion: """
            Embedding -> SimpleRNN/LSTM/GRU (stacked, Bidirectional) -> Dense models become a character \
            model (lm), a classifier or a tagger. Needs the HDF5 library (Debian: libhdf5-dev).
            """)

    @Argument(help: "The kind of model file: keras.") var source: ImportSource
    @Argument(help: "A Keras 3 .keras file, or a .weights.h5 file (then --task).") var model: String
    @Option(help: "The checkpoint to write (replaced atomically).") var out: String
    @Option(help: "lm, classify or tag. [default: from the .keras file's configuration]") var task: KerasImport.Task?
    @Option(help: "lm: the text whose sorted distinct characters the model's ids number.") var vocabulary: String?
    @Option(help: "classify, tag: the class or tag names in id order, comma-separated. [default: 0, 1, ...]") var labels: String?

    func run() throws {
        guard FileManager.default.fileExists(atPath: model) else {
            throw UserError("\(model): no such file; give a Keras .keras or .weights.h5 file", kind: .missingInput)
        }
        let characters = try vocabulary.map { path -> Vocabulary in
            let text = try readText(path)
            guard !text.isEmpty else { throw UserError("--vocabulary \(path): is empty") }
            return Vocabulary(text: text)
        }
        if vocabulary != nil && task != nil && task != .lm { throw UserError("--vocabulary is for --task lm; a \(task!.rawValue) model reads ids") }
        let names = labels.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
        let imported: KerasImport.Model
        do {
            imported = try KerasImport.load(path: model, task: task, vocabulary: characters, labels: names)
        } catch {
            throw UserError("\(model): \(error)")
        }
        // What the inferred task does not read is refused, not ignored (labels: by the import).
        if imported.task != .lm && vocabulary != nil {
            throw UserError("--vocabulary is for a language model; \(model) is a \(imported.task.rawValue) model")
        }
        do {
            try imported.save(to: URL(fileURLWithPath: out), extra: ["imported_from": "keras", "source": URL(fileURLWithPath: model).lastPathComponent])
        } catch {
            throw UserError("\(out): \(error)", kind: .ioError)
        }
        print("wrote \(out): \(imported.task.rawValue) model imported from \(model)")
    }
}
