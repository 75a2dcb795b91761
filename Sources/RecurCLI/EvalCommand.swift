import ArgumentParser
import Foundation
import Recur

/// `recur eval`: the loss of a trained model on a text.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure a character model's loss on a text: nats and bits per character, perplexity.",
        discussion: """
        The model reads the whole file from a zero state (in chunks, the state carried) and predicts \
        every character after the first; the loss is the mean negative log-likelihood of those.
        """)

    @Argument(help: "A checkpoint written by recur train.") var checkpoint: String
    @Option(help: "The UTF-8 text to evaluate on.") var data: String
    @Option(help: "Steps per chunk.") var chunk: Int = 1000
    @Flag(help: "Print one JSON line: chars, loss_nats, bits_per_char, perplexity.") var json = false

    func run() throws {
        guard chunk > 0 && chunk <= 1 << 20 else { throw UserError("--chunk: must be an integer in 1...1048576, got \(chunk)") }
        let loaded = try loadCheckpoint(checkpoint)
        let text: String
        do {
            text = try TextFile.read(data)
        } catch {
            throw textFileError(data, error)
        }
        let ids = try encode(text, with: loaded.configuration.vocabulary, what: data)
        guard ids.count >= 2 else { throw UserError("\(data): has \(ids.count) character; at least two are needed to predict one") }
        let (nats, count) = Evaluation.loss(of: loaded.model, tokens: ids, streams: 1, chunk: chunk)
        let bits = nats / Foundation.log(2)
        let perplexity = Foundation.exp(nats)
        if json {
            print("{\"chars\": \(count), \"loss_nats\": \(nats), \"bits_per_char\": \(bits), \"perplexity\": \(perplexity)}")
        } else {
            print(String(format: "%@: %d characters predicted, loss %.6f nats/char, %.6f bits/char, perplexity %.4f",
                         data, count, nats, bits, perplexity))
        }
    }
}
