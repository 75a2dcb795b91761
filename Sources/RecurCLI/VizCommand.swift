import ArgumentParser
import Foundation
import Recur

/// `recur viz`: a trained model's insides as one self-contained HTML page.
struct VizCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "viz",
        abstract: "Draw what a trained model computes, step by step, as one self-contained HTML page.",
        discussion: """
        A character model: the text coloured by any unit's activation (h or c, any layer), the units \
        ranked by how well they track line position, quotes, brackets and word position, on hover the \
        next-character probabilities and the gates, and each layer's gate saturation.
          recur viz runs/shakespeare/model.safetensors --data data/shakespeare.txt --out viz.html

        A classifier, tagger or encoder-decoder: --data is a file in its training format; the page shows \
        per-step predictions of the first --examples examples (and, for an encoder-decoder, its \
        attention maps).
        """)

    @Argument(help: "A checkpoint written by recur train (model.safetensors, best.safetensors).") var checkpoint: String
    @Option(help: "The text to read (a character model), or a data file in the task's training format.") var data: String
    @Option(help: "The page to write (.html).") var out: String
    @Option(help: "A character model: how many characters of --data to read.") var length: Int = 1000
    @Option(help: "A character model: where in --data to start, in characters.") var offset: Int = 0
    @Option(help: "A conditioned character model: the condition, a label or comma-separated numbers.") var condition: String?
    @Option(help: "A classifier, tagger or encoder-decoder: how many examples of --data to show.") var examples: Int = 20
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try compute.apply()
        try HTMLPage.checkExtension(out, option: "--out", ["html", "htm"])
        guard length >= 1 && length <= 100_000 else { throw UserError("--length: must be an integer in 1...100000, got \(length)") }
        guard offset >= 0 else { throw UserError("--offset: must be 0 or more, got \(offset)") }
        guard examples >= 1 && examples <= 1000 else { throw UserError("--examples: must be an integer in 1...1000, got \(examples)") }
        let file = try readCheckpointFile(checkpoint)
        let task = try checkpointTask(file, path: checkpoint)
        let page: String
        switch task {
        case "lm":
            let loaded = try loadCheckpoint(file, path: checkpoint, engine: compute.engine)
            page = try characterPage(loaded)
        default:
            throw UserError("\(checkpoint): a \(task) model; recur viz draws character models, classifiers, taggers and encoder-decoders")
        }
        try HTMLPage.write(page, to: out, option: "--out")
        print("wrote \(out)")
    }

    /// The text page of a character model.
    func characterPage(_ loaded: CharRNNCheckpoint.Loaded) throws -> String {
        let configuration = loaded.configuration
        if loaded.model.rnn.bidirectional {
            throw UserError("\(checkpoint): a bidirectional character model does not read left to right; recur viz draws one-directional ones")
        }
        var vector: [Float]? = nil
        if let model = configuration.condition {
            guard let condition else { throw UserError("--condition: \(checkpoint) is a conditioned model; give the condition to read --data under") }
            vector = try SampleCommand.conditionVector(condition, for: model, checkpoint: checkpoint)
        } else if condition != nil {
            throw UserError("--condition: \(checkpoint) is not a conditioned model")
        }
        let text = try readText(data)
        guard !text.isEmpty else { throw UserError("--data \(data): is empty") }
        let scalars = Array(text.unicodeScalars)
        guard offset < scalars.count else {
            throw UserError("--offset: \(offset) is past the end of --data \(data) (\(scalars.count) characters)")
        }
        var shown = Array(scalars[offset..<min(scalars.count, offset + length)])
        var restarts: Set<Int> = []
        if let (begin, _) = configuration.boundaryIDs {
            // A model of independent sequences reads each line as one sequence, from its begin symbol.
            var withBegins: [Unicode.Scalar] = []
            for line in String(String.UnicodeScalarView(shown)).split(separator: "\n", omittingEmptySubsequences: true) {
                restarts.insert(withBegins.count)
                withBegins.append(configuration.vocabulary.symbols[begin])
                withBegins += line.unicodeScalars
            }
            guard !withBegins.isEmpty else { throw UserError("--data \(data): has no lines to read") }
            shown = withBegins
        }
        let ids = try encode(String(String.UnicodeScalarView(shown)), with: configuration.vocabulary, what: "--data \(data)")
        let trace = ActivationTrace(model: loaded.model, configuration: configuration, ids: ids, restarts: restarts, condition: vector)
        return try CharacterVizPage.html(trace: trace, text: shown, vocabulary: configuration.vocabulary, restarts: restarts,
                                         title: "\(checkpoint) reading \(data)")
    }
}
