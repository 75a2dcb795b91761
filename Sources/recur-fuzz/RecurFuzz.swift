import Foundation
import Recur

/// Fuzz targets for Recur's readers, one binary for all of them.
///
/// Built normally, `recur-fuzz TARGET FILE...` replays files through a target (the tests replay the
/// committed corpus this way). Built by scripts/fuzz with `--sanitize=fuzzer -Xswiftc -DFUZZING`,
/// libFuzzer drives `LLVMFuzzerTestOneInput`, and the environment variable RECUR_FUZZ_TARGET picks the
/// target. A thrown error is a refusal, which is the right answer to bad bytes; a trap, a sanitizer
/// report or a failed invariant (`precondition`) is a bug.
enum FuzzTarget: String, CaseIterable {
    /// Parse as safetensors, read every tensor as Float, then load as a character-model checkpoint.
    case safetensors
    /// Decode as a text file, build its vocabulary, encode and decode (must round-trip), cut streams.
    case text
    /// Parse as JSON Lines, TSV and .ts labelled sequences; what parses is fitted, encoded and batched,
    /// and every batch must hold each sequence at its length.
    case sequences
    /// Parse as JSON Lines and CoNLL tagged sequences (tokens, then characters); what parses is fitted,
    /// encoded and batched, and every batch's tags must sit at the real steps only.
    case tagged
    /// Parse as JSON Lines conditioned texts; what parses is fitted (with and without its conditions),
    /// encoded and batched: every sequence must run from the begin to the end symbol, every batch's
    /// positions past a row's length must be masked, and its condition rows must be the encoded ones.
    case conditioned
    /// Parse as TSV and JSON Lines pairs (with targets required, and as sources alone); what parses is
    /// fitted (characters; words with a shared vocabulary), encoded and batched: every target must end
    /// with the end symbol and every batch must hold each pair at its lengths.
    case pairs
    /// Parse as a CSV (the first column the time, the second the target, a third a feature; gaps
    /// refused, then filled both ways); what reads must be finite and in increasing time, and is
    /// split, scaled and cut into windows that stay inside the series, with the time continued.
    case series

    func run(_ bytes: [UInt8]) {
        switch self {
        case .safetensors:
            guard let file = try? SafeTensors(bytes: bytes) else { return }
            for name in file.names {
                if let tensor = try? file.tensor(name, as: Float.self) {
                    precondition(tensor.count == file.entries[name]!.shape.reduce(1, *), "tensor \(name): wrong element count")
                }
            }
            _ = try? CharRNNCheckpoint.load(file)
        case .text:
            guard let text = try? TextFile.text(from: bytes) else { return }
            let vocabulary = Vocabulary(text: text)
            let ids = try! vocabulary.encode(text)
            precondition(vocabulary.decode(ids) == text, "encode/decode does not round-trip")
            if ids.count >= 2 * 3 + 1 {
                let streams = TextStreams(tokens: ids, batch: 2, steps: 3)
                for k in 0..<min(streams.batchesPerEpoch, 4) { _ = streams.batch(k) }
            }
        case .sequences:
            guard let text = try? TextFile.text(from: bytes) else { return }
            for format in LabelledSequenceFormat.allCases {
                guard let examples = try? LabelledSequenceFile.parse(text, format: format, path: "fuzz"),
                      let fitted = try? ClassificationData.fit(examples, tokenization: .words, maxVocabulary: 50, path: "fuzz") else { continue }
                let input = SequenceInput(vocabulary: fitted.vocabulary, scaling: fitted.scaling, embeddingSize: 2)
                let configuration = SequenceClassifierConfiguration(input: input, hiddenSize: 2, labels: fitted.labels,
                                                                    vocabulary: fitted.vocabulary, scaling: fitted.scaling)
                precondition(configuration.problem == nil || fitted.scaling.map { $0.width > 1 << 16 } == true,
                             "a fitted configuration is invalid: \(configuration.problem ?? "")")
                guard let encoded = try? ClassificationData.encode(examples, for: configuration, path: "fuzz") else { continue }
                let lengths = encoded.lengths
                for rows in SequenceBatches(lengths: lengths, batchSize: 3, seed: 1).batches(epoch: 0).prefix(4) {
                    let batch = encoded.batch(rows)
                    precondition(batch.lengths == rows.map { lengths[$0] } && batch.steps == batch.lengths.max(), "batch lengths")
                }
            }
        case .tagged:
            guard let text = try? TextFile.text(from: bytes) else { return }
            for (format, characters) in [(TaggedSequenceFormat.jsonl, false), (.jsonl, true), (.conll, false)] {
                guard let examples = try? TaggedSequenceFile.parse(text, format: format, path: "fuzz", characters: characters),
                      let fitted = try? TaggingData.fit(examples, tokenization: characters ? .chars : .given, maxVocabulary: 50, path: "fuzz") else { continue }
                let input = SequenceInput(vocabulary: fitted.vocabulary, scaling: fitted.scaling, embeddingSize: 2)
                let configuration = SequenceTaggerConfiguration(input: input, hiddenSize: 2, tags: fitted.tags,
                                                                vocabulary: fitted.vocabulary, scaling: fitted.scaling)
                guard configuration.problem == nil, let encoded = try? TaggingData.encode(examples, for: configuration, path: "fuzz") else { continue }
                for rows in SequenceBatches(lengths: encoded.lengths, batchSize: 3, seed: 1).batches(epoch: 0).prefix(4) {
                    let batch = encoded.batch(rows)
                    for (b, n) in batch.lengths.enumerated() {
                        for t in 0..<batch.steps {
                            precondition((batch.stepTags![t * rows.count + b] >= 0) == (t < n), "a tag outside the real steps")
                        }
                    }
                }
            }
        case .conditioned:
            guard let text = try? TextFile.text(from: bytes),
                  let sequences = try? ConditionedTextFile.parse(text, path: "fuzz") else { return }
            for ignore in [false, true] {
                guard let fitted = try? GenerationData.fit(sequences, ignoreConditions: ignore, path: "fuzz") else { continue }
                let configuration = CharRNNConfiguration(cell: .gru, layers: 1, hiddenSize: 2, embeddingSize: 2, vocabulary: fitted.vocabulary,
                                                         sequenceBoundaries: true, condition: fitted.condition)
                precondition(configuration.problem == nil || fitted.condition.map { $0.width > 1 << 16 } == true,
                             "a fitted configuration is invalid: \(configuration.problem ?? "")")
                guard configuration.problem == nil, let set = try? GenerationData.encode(sequences, for: configuration, path: "fuzz") else { continue }
                let (begin, end) = configuration.boundaryIDs!
                for (row, ids) in set.sequences.enumerated() {
                    precondition(ids.first == begin && ids.last == end && ids.count == sequences[row].text.unicodeScalars.count + 2, "boundaries")
                }
                for rows in SequenceBatches(lengths: set.lengths, batchSize: 3, seed: 1).batches(epoch: 0).prefix(4) {
                    let batch = set.batch(rows)
                    let mask = batch.mask ?? [Bool](repeating: true, count: batch.steps * batch.batch)
                    for (b, n) in batch.lengths!.enumerated() {
                        for t in 0..<batch.steps { precondition(mask[t * rows.count + b] == (t < n), "a position outside the real steps counts") }
                    }
                    if let conditions = set.conditions {
                        for (b, row) in rows.enumerated() {
                            precondition(Array(batch.conditions!.scalars[(b * conditions[row].count)..<((b + 1) * conditions[row].count)]) == conditions[row],
                                         "condition rows")
                        }
                    }
                }
            }
        case .pairs:
            guard let text = try? TextFile.text(from: bytes) else { return }
            for format in [LabelledSequenceFormat.tsv, .jsonl] {
                if let sources = try? PairFile.parse(text, format: format, path: "fuzz", requireTargets: false) {
                    precondition(sources.allSatisfy { !$0.source.isEmpty }, "an empty source was accepted")
                }
                guard let pairs = try? PairFile.parse(text, format: format, path: "fuzz") else { continue }
                for (tokens, shared) in [(Tokenization.chars, false), (.words, true)] {
                    let (source, target) = Seq2SeqData.fit(pairs, sourceTokenization: tokens, targetTokenization: tokens, shared: shared, maxVocabulary: 60)
                    let configuration = Seq2SeqConfiguration(sourceVocabulary: source, targetVocabulary: target, hiddenSize: 2, embeddingSize: 2)
                    guard configuration.problem == nil, let set = try? Seq2SeqData.encode(pairs, for: configuration, path: "fuzz") else { continue }
                    precondition(set.targets!.allSatisfy { $0.last == Seq2SeqConfiguration.endID && !$0.isEmpty }, "a target without its end symbol")
                    for rows in SequenceBatches(lengths: set.sourceLengths, batchSize: 3, seed: 1).batches(epoch: 0).prefix(4) {
                        let batch = set.batch(rows)
                        precondition(batch.sourceLengths == rows.map { set.sources[$0].count } && batch.sourceSteps == batch.sourceLengths.max()
                                     && batch.targetLengths == rows.map { set.targets![$0].count }, "batch lengths")
                    }
                }
            }
        case .series:
            guard let text = try? TextFile.text(from: bytes), let csv = try? CSVTable.parse(text, path: "fuzz"), csv.columns.count >= 2 else { return }
            precondition(csv.rows.allSatisfy { $0.count == csv.columns.count } && csv.rows.count == csv.rowNumbers.count, "ragged rows accepted")
            let features = csv.columns.count >= 3 ? [csv.columns[2]] : []
            for fill in MissingValueFill.allCases {
                guard let table = try? TimeSeriesTable.read(csv, path: "fuzz", time: csv.columns[0], targets: [csv.columns[1]],
                                                            features: features, fill: fill) else { continue }
                precondition((table.targets + table.features).allSatisfy { $0.count == table.count && $0.allSatisfy(\.isFinite) }, "a value is not finite")
                let times = table.time!.values
                precondition(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "times do not increase")
                let following = table.time!.following(3)
                precondition(following.count == 3, "time continuation")
                var c = ForecasterConfiguration(hiddenSize: 2, context: 2, horizon: 2, targetNames: [csv.columns[1]], featureNames: features,
                                                difference: fill == .linear ? 1 : 0, testSize: 1)
                guard let split = try? ForecastData.split(rows: table.count, c, validationFraction: 0.2).get() else { continue }
                let scaling = ForecastData.fitScaling(table, modelRows: split.trainingEnd, kind: .standard, difference: c.difference)
                c.targetScaling = scaling.targets
                c.featureScaling = scaling.features
                guard c.problem == nil else { continue }  // statistics beyond Double's range
                let series = ForecastData.series(table, c)
                let origins = ForecastData.origins(split, c)
                precondition(origins.training.allSatisfy { $0 >= 2 && $0 + 2 <= split.trainingEnd } && origins.validation.allSatisfy { $0 + 2 <= split.testStart },
                             "a window reaches the test rows")
                let windows = ForecastWindows(series: series, origins: origins.training, context: 2, horizon: 2)
                _ = windows.batch(Array(0..<min(windows.count, 3)))
            }
        }
    }
}

#if FUZZING
private let selected: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["RECUR_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        fatalError("set RECUR_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selected.run(size == 0 ? [] : [UInt8](UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
struct RecurFuzz {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("usage: recur-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE...\n".utf8))
            exit(64)
        }
        var count = 0
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("error: \(path): cannot be read\n".utf8))
                exit(66)
            }
            target.run([UInt8](data))
            count += 1
        }
        print("recur-fuzz \(name): \(count) inputs, no crash")
    }
}
#endif
