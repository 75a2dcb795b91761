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
    @Option(help: "A character model: how many characters of --data to read. [default: 1000]") var length: Int?
    @Option(help: "A character model: where in --data to start, in characters. [default: 0]") var offset: Int?
    @Option(help: "A conditioned character model: the condition, a label or comma-separated numbers.") var condition: String?
    @Option(help: "A classifier, tagger or encoder-decoder: how many examples of --data to show. [default: 20]") var examples: Int?
    @OptionGroup var sequenceFormat: SequenceFormatOptions
    @Option(name: .customLong("tag-column"), help: "CoNLL input (tag): the column holding the tag, from 1. [default: the last]") var tagColumn: Int?
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try compute.apply()
        try HTMLPage.checkExtension(out, option: "--out", ["html", "htm"])
        if let length, !(length >= 1 && length <= 100_000) { throw UserError("--length: must be an integer in 1...100000, got \(length)") }
        if let offset, offset < 0 { throw UserError("--offset: must be 0 or more, got \(offset)") }
        if let examples, !(examples >= 1 && examples <= 1000) { throw UserError("--examples: must be an integer in 1...1000, got \(examples)") }
        let file = try readCheckpointFile(checkpoint)
        let task = try checkpointTask(file, path: checkpoint)
        // An option of the other kind of model is refused rather than ignored.
        let characterOptions = [("length", length != nil), ("offset", offset != nil), ("condition", condition != nil)]
        let sequenceOptions = [("examples", examples != nil), ("format", sequenceFormat.format != nil), ("tag-column", tagColumn != nil)]
        for (name, given) in task == "lm" ? sequenceOptions : characterOptions where given {
            throw UserError("--\(name): does not apply to \(checkpoint), a '\(task)' model")
        }
        let page: String
        switch task {
        case "lm":
            let loaded = try loadCheckpoint(file, path: checkpoint, engine: compute.engine)
            page = try characterPage(loaded)
        case SequenceClassifier<Float>.task:
            page = try classifierPage(try loadClassifier(file, path: checkpoint, engine: compute.engine).model)
        case SequenceTagger<Float>.task:
            page = try taggerPage(try loadTagger(file, path: checkpoint, engine: compute.engine).model)
        case Seq2Seq<Float>.task:
            page = try seq2seqPage(try loadSeq2Seq(file, path: checkpoint, engine: compute.engine).model)
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
        let offset = self.offset ?? 0, length = self.length ?? 1000
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

    /// The steps of an example as the page shows them: its tokens (as the model's tokenization cuts
    /// them), or step numbers for numeric frames or where the cut does not give `count` steps.
    static func shownSteps(_ example: LabelledSequence, tokenization: Tokenization?, count: Int) -> [String] {
        var steps: [String]
        switch example.content {
        case let .text(text): steps = tokenization?.tokens(of: text) ?? []
        case let .tokens(tokens): steps = tokens
        case .frames: steps = []
        }
        if steps.count != count { steps = (1...max(count, 1)).map(String.init).prefix(count).map { $0 } }
        return steps
    }

    /// The first --examples examples of a classifier's data, with every prefix's class probabilities.
    func classifierPage(_ model: SequenceClassifier<Float>) throws -> String {
        let configuration = model.configuration
        let read = try TrainCommand.readSequences(data, format: sequenceFormat.format, requireLabels: false)
        return try stepPage(kind: "classify", classes: configuration.labels, read: read, tokenization: configuration.vocabulary?.tokenization,
                            encode: { (examples) throws(DataError) in try ClassificationData.encode(examples.map { var e = $0; e.label = nil; return e }, for: configuration, path: data, requireLabels: false) },
                            probabilities: { StepPredictions.classifierPrefixes(model, example: $0, in: $1) },
                            note: "A classifier (\(configuration.cell.rawValue), \(configuration.pooling.rawValue) pooling): for each example, the class probabilities after each step, as if the sequence ended there; each step is coloured by the probability of the final prediction. Hover a step for its probabilities.")
    }

    /// The first --examples examples of a tagger's data, with every step's tag probabilities.
    func taggerPage(_ model: SequenceTagger<Float>) throws -> String {
        let configuration = model.configuration
        let read = try TrainCommand.readTaggedSequences(data, format: sequenceFormat.format, characters: configuration.vocabulary?.tokenization == .chars,
                                                        tagColumn: tagColumn, requireTags: false)
        return try stepPage(kind: "tag", classes: configuration.tags, read: read, tokenization: configuration.vocabulary?.tokenization,
                            encode: { (examples) throws(DataError) in try TaggingData.encode(examples.map { var e = $0; e.tags = nil; return e }, for: configuration, path: data, requireTags: false) },
                            probabilities: { StepPredictions.tagger(model, example: $0, in: $1) },
                            note: "A tagger (\(configuration.cell.rawValue)\(configuration.bidirectional ? ", bidirectional" : "")): each step's predicted tag under its token, green where it is the tag given in --data, red where not. Hover a step for its likeliest tags.")
    }

    /// The page of a classifier or a tagger: the first --examples of `read`, encoded without their
    /// labels or tags, with each step's probabilities (rounded to 1e-4).
    func stepPage(kind: String, classes: [String], read all: [LabelledSequence], tokenization: Tokenization?,
                  encode: ([LabelledSequence]) throws(DataError) -> EncodedSequences,
                  probabilities: (Int, EncodedSequences) -> [[Double]], note: String) throws -> String {
        let read = Array(all.prefix(examples ?? 20))
        guard !read.isEmpty else { throw UserError("--data \(data): has no examples") }
        let encoded: EncodedSequences
        do {
            encoded = try encode(read)
        } catch {
            throw UserError(error.description)
        }
        let shown = read.indices.map { i in
            SequenceVizPage.Example(
                line: read[i].line, steps: Self.shownSteps(read[i], tokenization: tokenization, count: encoded.lengths[i]),
                truth: read[i].label, truthSteps: read[i].tags,
                probabilities: probabilities(i, encoded).map { $0.map { ($0 * 1e4).rounded() / 1e4 } })
        }
        return try SequenceVizPage.html(kind: kind, classes: classes, examples: shown, title: "\(checkpoint) on \(data)", note: note)
    }

    /// The first --examples sources of an encoder-decoder's data, decoded greedily, with attention.
    func seq2seqPage(_ model: Seq2Seq<Float>) throws -> String {
        let configuration = model.configuration
        let pairs = Array(try TrainCommand.readPairs(data, format: sequenceFormat.format, requireTargets: false).prefix(examples ?? 20))
        guard !pairs.isEmpty else { throw UserError("--data \(data): has no pairs") }
        let set: Seq2SeqSet
        do {
            set = try Seq2SeqData.encode(pairs, for: configuration, path: data, requireTargets: false)
        } catch {
            throw UserError(error.description)
        }
        let hasAttention = configuration.attention != .none
        let source = configuration.sourceVocabulary, target = configuration.targetVocabulary
        let shown = pairs.indices.map { i -> SequenceVizPage.Example in
            let ids = set.sources[i], S = ids.count
            let decoded = model.greedy(source: ids, steps: S, lengths: [S], maxLength: configuration.maxTargetLength, keepAttention: hasAttention)
            let written = decoded.ids[0]
            let sourceTokens = source.tokenization.tokens(of: pairs[i].source)
            // The written symbols up to and including the end symbol (a batch decodes on past it).
            let rows = written.firstIndex(of: Seq2SeqConfiguration.endID).map { $0 + 1 } ?? written.count
            let map = decoded.attention.map {
                AttentionMap.svg([AttentionMap.Panel(source: sourceTokens, target: written.prefix(rows).map { $0 == Seq2SeqConfiguration.endID ? "⟨end⟩" : target.tokens[$0] },
                                                     weights: Array($0[0].prefix(rows)))])
            }
            return SequenceVizPage.Example(line: pairs[i].line, steps: source.tokenization == .chars ? sourceTokens : sourceTokens.map { $0 + " " },
                                           truth: pairs[i].target, prediction: Seq2SeqData.text(of: written, in: target), attention: map)
        }
        return try SequenceVizPage.html(kind: "seq2seq", classes: [], examples: shown, title: "\(checkpoint) on \(data)",
                                        note: "An encoder-decoder (\(configuration.cell.rawValue), attention \(configuration.attention.rawValue)): each source decoded greedily"
                                            + (hasAttention ? ", and the attention of every written symbol over the source." : "; it has no attention to draw."))
    }
}
