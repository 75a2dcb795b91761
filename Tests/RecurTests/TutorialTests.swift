import Foundation
import Testing
import Recur

/// The DocC tutorial's program (Sources/Recur/Recur.docc/Resources/train-06.swift), compiled and run
/// here: the code between the markers below must be that file's, line for line.
struct TutorialTests {
    static let docc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/Recur/Recur.docc")

    @Test("the tutorial's program trains (validation loss well under log V), samples 100 characters and saves a checkpoint that loads")
    func tutorialProgram() throws {
        // tutorial begins
        // The text to learn from, and an id for every character in it.
        let text = String(repeating: "To be, or not to be, that is the question. ", count: 200)
        let vocabulary = Vocabulary(text: text)
        let ids = try vocabulary.encode(text)

        // The last tenth validates; the rest becomes 16 parallel streams, read 32 steps at a time.
        let split = ids.count * 9 / 10
        let streams = TextStreams(tokens: Array(ids[..<split]), batch: 16, steps: 32)

        // Embedding -> 2 LSTM layers of 64 units -> a linear layer over the vocabulary.
        let configuration = CharRNNConfiguration(cell: .lstm, layers: 2, hiddenSize: 64, embeddingSize: 16,
                                                 vocabulary: vocabulary)
        var generator = RandomGenerator(seed: 1)
        let model = configuration.makeModel(using: &generator)

        // Truncated BPTT with the state carried between chunks, Adam, the gradient clipped at a norm of 5.
        let task = LanguageModelTask(model: model, streams: streams, validationTokens: Array(ids[split...]))
        let trainer = Trainer(task: task, optimizer: .adam, learningRate: 0.01, clipNorm: 5)
        for step in 1...200 {
            let result = trainer.trainStep()
            if step % 50 == 0 { print("step \(step): loss \(result.loss)") }
        }
        let validation = trainer.validate()!
        print("validation loss \(validation.result.loss) nats per character")

        // Write 100 characters after a prime, at temperature 0.8.
        let sampler = Sampler(model: model, configuration: configuration, temperature: 0.8)
        var sample = String.UnicodeScalarView()
        sampler.generate(prime: try vocabulary.encode("To be"), count: 100, using: &generator) { id in
            sample.append(vocabulary.symbols[id])
        }
        print("To be" + String(sample))

        // Save it: recur sample, recur viz and PyTorch's load_file read this file.
        let checkpoint = FileManager.default.temporaryDirectory.appendingPathComponent("to-be.safetensors")
        try ModelCheckpoint.save(model, to: checkpoint)
        // tutorial ends

        #expect(validation.result.loss <= 0.3 * log(Double(vocabulary.count)), "validation loss \(validation.result.loss)")
        #expect(sample.count == 100)
        let loaded = try CharRNNCheckpoint.load(checkpoint)
        #expect(loaded.configuration == configuration)
        try? FileManager.default.removeItem(at: checkpoint)
    }

    @Test("the tutorial's steps show this program: the last step is it, line for line, and each step begins the next")
    func tutorialFilesMatch() throws {
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let start = try #require(source.range(of: "        // tutorial begins\n"))
        let end = try #require(source.range(of: "        // tutorial ends\n"))
        let tested = source[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("        ") ? String($0.dropFirst(8)) : String($0) }
        let steps = try (1...6).map { try String(contentsOf: Self.docc.appendingPathComponent("Resources/train-0\($0).swift"), encoding: .utf8) }
        let program = steps[5].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(Array(program.dropFirst(3)) == tested, "train-06.swift differs from the tested program")
        #expect(program.prefix(3) == ["import Foundation", "import Recur", ""])
        for k in 0..<5 { #expect(steps[k + 1].hasPrefix(steps[k].trimmingCharacters(in: .newlines)), "step \(k + 2) must extend step \(k + 1)") }
    }
}
