import ArgumentParser
import Foundation
import Recur

/// What `recur export` writes.
enum ExportFormat: String, CaseIterable, ExpressibleByArgument {
    case onnx
}

extension ONNXGraphKind: ExpressibleByArgument {}

/// `recur export`: a checkpoint as an ONNX file for onnxruntime and other runtimes.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's model as an ONNX file (docs/onnx.md).",
        discussion: """
            Every task's model: lm (--graph sequence, or step: one step with the state as input and output, \
            for streaming generation), classify, tag, forecast (sequence), seq2seq (--graph encoder and \
            --graph step, which a decoding loop drives). The file's metadata holds the task and the \
            configuration (vocabulary, labels, scaling) as recur.task and recur.config.
            """)

    @Argument(help: "A checkpoint written by recur train.") var checkpoint: String
    @Option(help: "The file format.") var format: ExportFormat = .onnx
    @Option(help: "Where to write the file (replaced atomically).") var out: String
    @Option(help: "Which graph: sequence, step (lm, seq2seq) or encoder (seq2seq).") var graph: ONNXGraphKind = .sequence

    func run() throws {
        let file = try readCheckpointFile(checkpoint)
        let task = try checkpointTask(file, path: checkpoint)
        if task != "lm" && task != Seq2Seq<Float>.task && graph != .sequence {
            throw UserError("--graph \(graph.rawValue) is for lm and seq2seq models; a \(task) model exports as --graph sequence")
        }
        let bytes: Data
        do {
            switch task {
            case SequenceClassifier<Float>.task: bytes = ONNXExport.classifier(try loadClassifier(file, path: checkpoint, engine: .fast).model)
            case SequenceTagger<Float>.task: bytes = ONNXExport.tagger(try loadTagger(file, path: checkpoint, engine: .fast).model)
            case Forecaster<Float>.task: bytes = ONNXExport.forecaster(try loadForecaster(file, path: checkpoint, engine: .fast).model)
            case Seq2Seq<Float>.task: bytes = try ONNXExport.seq2seq(try loadSeq2Seq(file, path: checkpoint, engine: .fast).model, graph: graph)
            default: bytes = try ONNXExport.characterModel(try loadCheckpoint(file, path: checkpoint, engine: .fast).model, graph: graph)
            }
        } catch let error as ONNXExportError {
            throw UserError("\(checkpoint): \(error)")
        }
        do {
            try AtomicFile.write([UInt8](bytes), to: URL(fileURLWithPath: out))
        } catch {
            throw UserError("\(out): \(error)", kind: .ioError)
        }
        print("wrote \(out): \(task) model, \(graph.rawValue) graph, \(bytes.count) bytes (ONNX opset 17)")
    }
}
