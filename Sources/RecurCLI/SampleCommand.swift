import ArgumentParser
import Foundation
import Recur

/// `recur sample`: streams text from a trained character model.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate text from a trained character model, streamed as it is drawn.",
        discussion: """
        The prime text warms the state first and is printed before the sample. Without --prime the \
        model starts from a newline (or its first symbol if it has none).
          recur sample runs/shakespeare/model.safetensors --temperature 0.8 --prime "ROMEO:"

        A model of sequences (trained on JSON Lines) draws --count sequences, one per line, each from \
        its begin symbol until its end symbol (or --length symbols); a conditioned one needs \
        --condition: a label it was trained on, or its numbers separated by commas.
          recur sample runs/numbers/best.safetensors --condition fr --count 5
        """)

    @Argument(help: "A checkpoint written by recur train (model.safetensors, best.safetensors).") var checkpoint: String
    @Option(help: "Characters to generate.") var length: Int = 500
    @Option(help: "Divides the logits: below 1 more careful, above 1 bolder.") var temperature: Double = 1
    @Option(name: .customLong("top-k"), help: "Draw only among the K likeliest characters.") var topK: Int?
    @Option(name: .customLong("top-p"), help: "Draw only among the likeliest characters whose probabilities add up to P.") var topP: Double?
    @Option(help: "Text that starts the sample.") var prime: String?
    @Option(help: "Random seed. [default: from the clock]") var seed: UInt64?
    @Flag(help: "Always take the likeliest character (no randomness).") var argmax = false
    @Option(help: "A conditioned model: the condition, a label or comma-separated numbers.") var condition: String?
    @Option(help: "A model of sequences: how many to draw. [default: 10]") var count: Int?
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try compute.apply()
        guard length >= 0 && length <= 100_000_000 else { throw UserError("--length: must be an integer in 0...100000000, got \(length)") }
        guard temperature.isFinite && temperature > 0 && temperature <= 100 else {
            throw UserError("--temperature: must be a number in (0, 100], got \(temperature)")
        }
        if let topK, topK <= 0 { throw UserError("--top-k: must be a positive integer, got \(topK)") }
        if let topP, !(topP > 0 && topP <= 1) { throw UserError("--top-p: must be a number in (0, 1], got \(topP)") }
        let loaded = try loadCheckpoint(checkpoint, engine: compute.engine)
        let vocabulary = loaded.configuration.vocabulary
        let primeIDs: [Int]
        if let prime {
            guard !prime.isEmpty else { throw UserError("--prime: is empty; give some text or leave the option out") }
            primeIDs = try encode(prime, with: vocabulary, what: "--prime")
        } else {
            primeIDs = [vocabulary.id(of: "\n") ?? 0]
        }
        if loaded.configuration.sequenceBoundaries { return try sampleSequences(loaded) }
        if condition != nil { throw UserError("--condition: \(checkpoint) is not a conditioned model") }
        if count != nil { throw UserError("--count: applies to a model of sequences; \(checkpoint) models a continuous text (use --length)") }
        let sampler = Sampler(model: loaded.model, configuration: loaded.configuration, temperature: temperature,
                              topK: topK, topP: topP, argmax: argmax)
        var generator = RandomGenerator(seed: seed ?? UInt64(Date().timeIntervalSince1970 * 1e6))
        let output = StreamingOutput()
        if prime != nil { output.write(prime!) }
        sampler.generate(prime: primeIDs, count: length, using: &generator) { id in
            output.write(vocabulary.symbols[id])
        }
        output.write("\n")
        output.flush()
    }

    /// Draws --count sequences from a model with sequence boundaries, under --condition.
    func sampleSequences(_ loaded: CharRNNCheckpoint.Loaded) throws {
        let configuration = loaded.configuration
        let count = self.count ?? 10
        guard count >= 1 && count <= 1_000_000 else { throw UserError("--count: must be an integer in 1...1000000, got \(count)") }
        var vector: [Float]? = nil
        if let model = configuration.condition {
            guard let condition else {
                let known: String
                if case let .labels(names) = model { known = "one of " + names.prefix(20).joined(separator: ", ") + (names.count > 20 ? ", ..." : "") }
                else { known = "\(model.width) numbers separated by commas" }
                throw UserError("--condition: \(checkpoint) is a conditioned model; give --condition (\(known))")
            }
            vector = try Self.conditionVector(condition, for: model, checkpoint: checkpoint)
        } else if condition != nil {
            throw UserError("--condition: \(checkpoint) is not a conditioned model")
        }
        let primeIDs = try prime.map { text -> [Int] in
            guard !text.isEmpty else { throw UserError("--prime: is empty; give some text or leave the option out") }
            return try encode(text, with: configuration.vocabulary, what: "--prime")
        } ?? []
        let sampler = Sampler(model: loaded.model, configuration: configuration, temperature: temperature,
                              topK: topK, topP: topP, argmax: argmax)
        var generator = RandomGenerator(seed: seed ?? UInt64(Date().timeIntervalSince1970 * 1e6))
        let output = StreamingOutput()
        for _ in 0..<count {
            let drawn = sampler.generateSequence(condition: vector, prime: primeIDs, maxLength: length, using: &generator)
            output.write((prime ?? "") + configuration.vocabulary.decode(drawn.ids) + "\n")
        }
        output.flush()
    }

    /// The model's vector for a condition given on the command line: a label, or numbers separated by
    /// commas; one the model cannot take is refused naming the checkpoint.
    static func conditionVector(_ text: String, for condition: GenerationCondition, checkpoint: String) throws -> [Float] {
        var value = GenerationCondition.Value.label(text)
        if case .features = condition {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let numbers = parts.compactMap { Double($0) }
            guard numbers.count == parts.count, numbers.allSatisfy({ $0.isFinite }) else {
                throw UserError("--condition: '\(text)' is not a list of finite numbers separated by commas; \(checkpoint) is conditioned on \(condition.width) numbers")
            }
            value = .features(numbers)
        }
        do {
            return try condition.vector(value)
        } catch {
            throw UserError("--condition: \(checkpoint): \(error)")
        }
    }
}

/// Standard output with a small buffer of its own, flushed at each line break and at the end, so
/// text appears as it is drawn without a system call per character.
final class StreamingOutput {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(4096) }

    func write(_ scalar: Unicode.Scalar) {
        UTF8.encode(scalar) { buffer.append($0) }
        if scalar == "\n" || buffer.count >= 4000 { flush() }
    }

    func write(_ text: String) {
        for scalar in text.unicodeScalars { write(scalar) }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(1, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
