import Foundation
import Testing
import Recur
import _RecurTestSupport

/// Checkpoints: PyTorch interoperability in both directions (fixtures by
/// scripts/make_checkpoint_fixtures.py), the safetensors reader's checks, and exact training state.
struct CheckpointTests {
    static let cells = ["lstm", "gru", "rnn_tanh", "rnn_relu"]

    static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/checkpoints"))
    }

    static func torchLoss(_ name: String) throws -> Double {
        let data = try Data(contentsOf: url(name + ".torch.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Double])
        return try #require(object["loss_nats"])
    }

    static func text() throws -> String {
        try String(decoding: Data(contentsOf: url("text.txt")), as: UTF8.self)
    }

    /// Format 2 (what recur writes) and the committed version-1 files (what earlier recur wrote).
    static let versions = ["v2_", ""]

    @Test("a checkpoint written by recur evaluates in PyTorch to the loss recur computes (within 1e-4 nats), format 2 and version 1",
          arguments: cells, versions)
    func recurToTorch(cell: String, version: String) throws {
        let loaded = try CharRNNCheckpoint.load(Self.url("recur_\(version)\(cell).safetensors"))
        #expect(loaded.configuration.cell.rawValue == cell)
        #expect(loaded.metadata["format"] == (version.isEmpty ? "recur-char-rnn" : "recur"))
        let ids = try loaded.configuration.vocabulary.encode(Self.text())
        let (loss, count) = Evaluation.loss(of: loaded.model, tokens: ids, chunk: 100)
        #expect(count == ids.count - 1)
        let expected = try Self.torchLoss("recur_\(version)\(cell)")
        #expect(abs(loss - expected) < 1e-4, "recur \(loss), PyTorch \(expected)")
        #expect(loss < 3.0, "the fixture model should have learned something")
    }

    @Test("recur still writes the very bytes that PyTorch loaded (format 2)", arguments: cells)
    func writerIsStable(cell: String) throws {
        let url = try Self.url("recur_v2_\(cell).safetensors")
        let loaded = try CharRNNCheckpoint.load(url)
        let own = CharRNNCheckpoint.metadata(loaded.configuration)
        let extra = loaded.metadata.filter { own[$0.key] == nil }
        let bytes = SafeTensors.encode(tensors: CharRNNCheckpoint.tensors(of: loaded.model), metadata: own.merging(extra) { a, _ in a })
        #expect(bytes == [UInt8](try Data(contentsOf: url)))
    }

    @Test("a checkpoint written from PyTorch loads in recur and evaluates to PyTorch's loss, format 2 and version 1",
          arguments: cells, versions)
    func torchToRecur(cell: String, version: String) throws {
        let loaded = try CharRNNCheckpoint.load(Self.url("torch_\(version)\(cell).safetensors"))
        let ids = try loaded.configuration.vocabulary.encode(Self.text())
        let (loss, _) = Evaluation.loss(of: loaded.model, tokens: ids, chunk: 64)
        let expected = try Self.torchLoss("torch_\(version)\(cell)")
        #expect(abs(loss - expected) < 1e-4, "recur \(loss), PyTorch \(expected)")
    }

    @Test("conditioned generators load both ways with PyTorch's module and give its loss per symbol (within 1e-4 nats)",
          arguments: ["recur", "torch"], ["lstm", "gru"])
    func generators(direction: String, name: String) throws {
        let file = try Self.url("\(direction)_v2_generator_\(name).safetensors")
        let loaded = try CharRNNCheckpoint.load(file)
        #expect(loaded.configuration.sequenceBoundaries && loaded.configuration.condition != nil)
        #expect(loaded.configuration.conditionEveryStep == (name == "gru"))
        let data = name == "lstm" ? "conditioned.jsonl" : "conditioned-features.jsonl"
        let texts = try ConditionedTextFile.parse(String(decoding: Data(contentsOf: Self.url(data)), as: UTF8.self), path: data)
        let set = try GenerationData.encode(texts, for: loaded.configuration, path: data)
        let loss = GenerationTask.evaluate(loaded.model, on: set).loss
        let expected = try Self.torchLoss("\(direction)_v2_generator_\(name)")
        #expect(abs(loss - expected) < 1e-4, "recur \(loss), PyTorch \(expected)")
        if direction == "recur" {
            #expect(loss < 1.5, "the fixture model should have learned something")
            // recur still writes the very bytes PyTorch loaded.
            let own = CharRNNCheckpoint.metadata(loaded.configuration)
            let extra = loaded.metadata.filter { own[$0.key] == nil }
            let bytes = SafeTensors.encode(tensors: CharRNNCheckpoint.tensors(of: loaded.model), metadata: own.merging(extra) { a, _ in a })
            #expect(bytes == [UInt8](try Data(contentsOf: file)))
        }
    }

    @Test("evaluation does not depend on the chunk length")
    func chunking() throws {
        let loaded = try CharRNNCheckpoint.load(Self.url("recur_lstm.safetensors"))
        let ids = try loaded.configuration.vocabulary.encode(Self.text())
        let a = Evaluation.loss(of: loaded.model, tokens: ids, chunk: 1700).nats
        let b = Evaluation.loss(of: loaded.model, tokens: ids, chunk: 7).nats
        #expect(abs(a - b) < 1e-5)
    }

    // MARK: The reader's checks

    static func file(metadata: [String: String] = ["k": "v"]) -> [UInt8] {
        SafeTensors.encode(tensors: [("a", Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])), ("b", Tensor(shape: [1], scalars: [7]))],
                           metadata: metadata)
    }

    /// A file with the given header text and data length.
    static func raw(_ header: String, data: Int) -> [UInt8] {
        let json = Array(header.utf8)
        var bytes: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(json.count) >> (8 * UInt64($0))) }
        bytes += json
        bytes += [UInt8](repeating: 0, count: data)
        return bytes
    }

    @Test("a written file reads back: tensors, shapes, metadata, order")
    func roundTrip() throws {
        let file = try SafeTensors(bytes: Self.file())
        #expect(file.names == ["a", "b"])
        #expect(file.metadata == ["k": "v"])
        #expect(try file.tensor("a", as: Float.self) == Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        #expect(try file.tensor("b", as: Double.self).scalars == [7])
        // The data starts 8-byte aligned, as the reference writer pads the header.
        #expect((Self.file().count - 28) % 8 == 0)
    }

    @Test("malformed files are refused with the reason", arguments: [
        ([UInt8](), SafeTensorsError.tooShort(size: 0)),
        ([1, 2, 3, 4, 5, 6, 7], .tooShort(size: 7)),
        ([255, 255, 255, 255, 255, 255, 255, 255, 0], .headerTooLarge(length: UInt64.max)),
        ([0x01, 0xE1, 0xF5, 0x05, 0, 0, 0, 0], .headerTooLarge(length: 100_000_001)),  // one byte over the cap
    ])
    func malformedHeaders(bytes: [UInt8], expected: SafeTensorsError) {
        #expect(throws: expected) { try SafeTensors(bytes: bytes) }
    }

    @Test("inconsistent headers are refused with the tensor and the offsets")
    func inconsistentHeaders() {
        func refuses(_ bytes: [UInt8], _ expected: SafeTensorsError, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(throws: expected, sourceLocation: sourceLocation) { try SafeTensors(bytes: bytes) }
        }
        let entry = #"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
        refuses(Self.raw(#"{"a":\#(entry)}"#, data: 6), .dataTruncated(needed: 8, available: 6))
        refuses(Self.raw(#"{"a":\#(entry)}"#, data: 12), .trailingBytes(count: 4))
        refuses(Self.raw(#"{"a":\#(entry),"a":\#(entry)}"#, data: 8), .duplicateTensor(name: "a"))
        refuses(Self.raw(#"{"a":\#(entry),"b":\#(entry)}"#, data: 8), .overlap(name: "b", at: 0))
        refuses(Self.raw(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: 12), .gap(before: "a", from: 0, to: 4))
        refuses(Self.raw(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: 8), .offsetsReversed(name: "a", begin: 8, end: 0))
        refuses(Self.raw(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8), .lengthMismatch(name: "a", bytes: 8, expected: 12))
        refuses(Self.raw(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, data: 8),
                .shapeOverflow(name: "a", shape: "4294967296, 4294967296"))
        refuses(Self.raw(#"{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}"#, data: 8), .unknownDType(name: "a", dtype: "Q7"))
        refuses(Self.raw(#"{"__metadata__":{"n":1},"a":\#(entry)}"#, data: 8), .badMetadata(key: "n"))
        refuses(Self.raw(#"{"a":{"dtype":"F32","shape":[false],"data_offsets":[0,4]}}"#, data: 4),
                .badEntry(name: "a", reason: "has a shape entry that is not a non-negative integer"))
        refuses(Self.raw("{\"a\":1", data: 0), .headerNotJSON(reason: "unexpected end of the header inside an object at byte 6 of the header"))
        refuses([2, 0, 0, 0, 0, 0, 0, 0, 0xC3, 0x28], .headerNotUTF8)
        refuses([16, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D], .headerPastEnd(length: 16, fileSize: 10))
    }

    @Test("a file of another model is refused naming the tensor and both shapes")
    func anotherModel() throws {
        let loaded = try CharRNNCheckpoint.load(Self.url("recur_lstm.safetensors"))
        var tensors = CharRNNCheckpoint.tensors(of: loaded.model)
        func check(_ tensors: [(name: String, tensor: Tensor<Float>)], metadata: [String: String], _ phrase: String,
                   sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                _ = try CharRNNCheckpoint.load(SafeTensors(bytes: SafeTensors.encode(tensors: tensors, metadata: metadata)))
                Issue.record("accepted a file for another model", sourceLocation: sourceLocation)
            } catch {
                #expect("\(error)".contains(phrase), "\(error)", sourceLocation: sourceLocation)
            }
        }
        let metadata = loaded.configuration.metadata
        check(Array(tensors.dropLast()), metadata: metadata, "has no tensor 'head.bias' (expected shape [\(loaded.configuration.vocabulary.count)])")
        check(tensors + [("extra.weight", Tensor(shape: [2]))], metadata: metadata, "unexpected tensor 'extra.weight'")
        check(tensors, metadata: metadata.merging(["cell": "gru"]) { $1 }, "tensor 'rnn.weight_ih_l0' has shape [64, 8], expected [48, 8]")
        check(tensors, metadata: metadata.merging(["format": "something-else"]) { $1 }, "not a Recur character model")
        check(tensors, metadata: metadata.merging(["format_version": "9"]) { $1 }, "format_version 9")
        check(tensors, metadata: metadata.merging(["hidden_size": "-3"]) { $1 }, "metadata 'hidden_size'")
        tensors[1].tensor[flat: 5] = .nan
        check(tensors, metadata: metadata, "tensor 'rnn.weight_ih_l0' holds nan at element 5")
    }

    // MARK: Training state

    @Test("N steps, save, restore, N steps equals 2N steps bit for bit with dropout, for every optimiser and cell, saved between steps (final, Ctrl-C) or inside the next step's accept (periodic)",
          arguments: [OptimizerKind.adam, .sgd, .rmsprop, .adamw, .adagrad], CellKind.allCases)
    func exactResume(kind: OptimizerKind, cell: CellKind) throws {
        let text = try Self.text()
        let vocabulary = Vocabulary(text: text)
        let tokens = try vocabulary.encode(text)
        let configuration = CharRNNConfiguration(cell: cell, layers: 2, hiddenSize: 12, embeddingSize: 5,
                                                 vocabulary: vocabulary, dropout: 0.2)
        func trainer() -> Trainer<LanguageModelTask> {
            var g = RandomGenerator(seed: 3)
            let model = configuration.makeModel(using: &g)
            return Trainer(task: LanguageModelTask(model: model, streams: TextStreams(tokens: tokens, batch: 8, steps: 20)),
                           optimizer: kind, learningRate: 0.01, clipNorm: 1)
        }
        let straight = trainer()
        for _ in 0..<10 { _ = straight.trainStep() }

        for insideAccept in [false, true] {
            let first = trainer()
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("recur-resume-\(UUID().uuidString).safetensors")
            defer { try? FileManager.default.removeItem(at: url) }
            func save() throws { try first.save(to: url) }
            for _ in 0..<5 { _ = first.trainStep() }
            if insideAccept {
                // As recur train writes a periodic checkpoint: once the next batch's loss is known,
                // after that batch's forward pass has drawn its dropout masks.
                var saveError: Error?
                _ = first.trainStep { _, _ in
                    do { try save() } catch { saveError = error }
                    return true
                }
                if let saveError { throw saveError }
            } else {
                try save()
            }
            let second = trainer()
            let loaded = try CharRNNCheckpoint.load(url)
            for (target, source) in zip(second.task.model.parameters, loaded.model.parameters) { target.value = source.value }
            try second.restore(from: loaded.file)
            #expect(second.step == 5)
            for _ in 0..<5 { _ = second.trainStep() }

            #expect(second.step == 10)
            #expect(second.task.model.parameters.map(\.value) == straight.task.model.parameters.map(\.value), "saved inside accept: \(insideAccept)")
            #expect(second.optimizer.slots == straight.optimizer.slots, "saved inside accept: \(insideAccept)")
            #expect(second.task.state == straight.task.state, "saved inside accept: \(insideAccept)")
        }
    }
}
