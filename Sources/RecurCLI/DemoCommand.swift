import ArgumentParser
import Foundation
import Recur

/// Trains a small character LSTM on a short text for a few hundred steps, printing the falling loss,
/// then prints a sample.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a small character LSTM for a minute and print a sample.",
        discussion: "Without --text it learns a short built-in paragraph about recurrent networks.")

    @Option(help: "A UTF-8 text file to learn instead of the built-in one.") var text: String?
    @Option(help: "The recurrent cell (rnn is tanh).") var cell: CellChoice = .lstm
    @Option(help: "Training steps.") var steps: Int = 300
    @Option(help: "Hidden units per layer.") var hidden: Int = 128
    @Option(help: "Stacked layers.") var layers: Int = 1
    @Option(help: "Embedding size.") var embedding: Int = 32
    @Option(help: "Parallel streams per batch.") var batch: Int = 16
    @Option(name: .customLong("seq-length"), help: "Steps per truncated-BPTT chunk.") var seqLength: Int = 32
    @Option(help: "Adam learning rate.") var lr: Double = 3e-3
    @Option(help: "Random seed (weights, sampling).") var seed: UInt64 = 1
    @Option(help: "Sampling temperature.") var temperature: Double = 0.7
    @Option(name: .customLong("sample-length"), help: "Characters to sample.") var sampleLength: Int = 400
    @Option(name: .customLong("print-every"), help: "Print the loss every N steps.") var printEvery: Int = 25

    func run() throws {
        let cellKind = cell.kind
        for (name, value) in [("--steps", steps), ("--hidden", hidden), ("--layers", layers), ("--embedding", embedding),
                              ("--batch", batch), ("--seq-length", seqLength), ("--print-every", printEvery)] where value <= 0 {
            throw UserError("\(name): must be a positive integer, got \(value)")
        }
        for (name, value, limit) in [("--hidden", hidden, 16384), ("--layers", layers, 64), ("--embedding", embedding, 16384),
                                     ("--batch", batch, 65536), ("--seq-length", seqLength, 1 << 16)] where value > limit {
            throw UserError("\(name): must be an integer in 1...\(limit), got \(value)")
        }
        guard lr.isFinite && lr > 0 else { throw UserError("--lr: must be a positive number, got \(lr)") }
        guard temperature.isFinite && temperature > 0 else {
            throw UserError("--temperature: must be a positive number, got \(temperature)")
        }
        guard sampleLength >= 0 else { throw UserError("--sample-length: must not be negative, got \(sampleLength)") }

        let corpus = try text.map(readText) ?? demoText
        let vocabulary = Vocabulary(text: corpus)
        guard vocabulary.count >= 2 else {
            throw UserError("\(text ?? "text"): has fewer than two distinct characters; nothing to learn")
        }
        let tokens = try vocabulary.encode(corpus)
        guard tokens.count >= batch * seqLength + 1 else {
            throw UserError("\(text ?? "text"): \(tokens.count) characters cannot fill one batch of \(batch) x \(seqLength); lower --batch or --seq-length")
        }

        var generator = RandomGenerator(seed: seed)
        let configuration = CharRNNConfiguration(cell: cellKind, layers: layers, hiddenSize: hidden,
                                                 embeddingSize: embedding, vocabulary: vocabulary)
        try SystemMemory.checkFits(configuration, batch: batch, steps: seqLength)
        let model = configuration.makeModel(using: &generator)
        let trainer = Trainer(task: LanguageModelTask(model: model, streams: TextStreams(tokens: tokens, batch: batch, steps: seqLength)),
                              optimizer: .adam, learningRate: lr, clipNorm: 5)
        print("recur demo: \(cellKind.rawValue) \(layers)x\(hidden), \(model.parameterCount) parameters, "
              + "\(tokens.count) characters, \(vocabulary.count) symbols, batch \(batch) x \(seqLength)")
        let start = Date()
        var window: [Double] = []
        for step in 1...steps {
            let loss = trainer.trainStep().loss
            window.append(loss)
            if step % printEvery == 0 || step == steps {
                let mean = window.reduce(0, +) / Double(window.count)
                let elapsed = Date().timeIntervalSince(start)
                let rate = Double(step * batch * seqLength) / elapsed
                print(String(format: "step %5d/%d  loss %.4f nats/char  %.0f chars/s", step, steps, mean, rate))
                window = []
            }
        }
        guard sampleLength > 0 else { return }
        print("\nsample (temperature \(temperature)):\n")
        let sampler = Sampler(model: model, configuration: configuration, temperature: temperature)
        let prime = try vocabulary.encode(String(corpus.unicodeScalars.prefix(1)))
        print(vocabulary.decode(prime), terminator: "")
        sampler.generate(prime: prime, count: sampleLength, using: &generator) { id in
            print(vocabulary.decode([id]), terminator: "")
            fflush(stdout)
        }
        print()
    }
}
