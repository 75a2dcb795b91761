import Foundation
import Recur

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
