import Foundation
import Testing
import Recur
import _RecurTestSupport

/// Recur against PyTorch on fixtures written by scripts/make_fixtures.py: nn.RNN (tanh, relu),
/// nn.LSTM and nn.GRU with 2 layers, bidirectional, batch 3, T 7, with and without per-sequence
/// lengths (PyTorch's packed sequences), and (`_short`) with 12 hidden units and lengths [3, 5, 1] whose
/// longest is shorter than T. Outputs, final states and every gradient must agree within
/// 1e-5 absolute + 1e-4 relative, in Float32, on both GEMM engines.
struct PyTorchGoldenTests {
    static let absolute = 1e-5, relative = 1e-4

    static func fixture(_ name: String) throws -> Fixture {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try Fixture.load(url)
    }

    static let recurrentFixtures = ["rnn_tanh", "rnn_relu", "lstm", "gru"].flatMap { [$0, $0 + "_masked", $0 + "_short"] }

    @Test("recurrent layers reproduce PyTorch's outputs and gradients",
          arguments: recurrentFixtures, GEMMEngine.float32)
    func recurrent(name: String, engine: GEMMEngine) throws {
        let f = try Self.fixture(name)
        let cell = try #require(CellKind(rawValue: f.string("cell")))
        var g = RandomGenerator(seed: 0)
        let net = RecurrentNetwork<Float>(cell: cell, inputSize: f.int("input_size"), hiddenSize: f.int("hidden_size"),
                                          layers: f.int("num_layers"), bidirectional: f.bool("bidirectional"), using: &g)
        net.engine = engine
        for (parameterName, parameter) in net.namedParameters {
            parameter.value = f.tensor(parameterName)
        }
        let initial = RecurrentState<Float>(h: f.tensor("h0"), c: cell.hasCellState ? f.tensor("c0") : nil)
        let (output, final) = net.forward(f.tensor("x"), initialState: initial, lengths: f.ints("lengths"))
        net.zeroGradients()
        let (dx, dInitial) = net.backward(
            outputGradient: f.tensor("grad_output"),
            finalStateGradient: RecurrentState(h: f.tensor("grad_hn"), c: cell.hasCellState ? f.tensor("grad_cn") : nil))

        var compared: [(String, Tensor<Float>)] = [("output", output), ("hn", final.h), ("grad.x", dx), ("grad.h0", dInitial.h)]
        if cell.hasCellState { compared += [("cn", final.c!), ("grad.c0", dInitial.c!)] }
        compared += net.namedParameters.map { ("grad." + $0.name, $0.parameter.gradient) }
        var worst = 0.0
        for (key, actual) in compared {
            let result = closeness(actual, f.tensor(key, as: Float.self), absolute: Self.absolute, relative: Self.relative)
            #expect(result.passes, "\(name) \(engine) \(key): \(result)")
            worst = worse(worst, result.maxDifference)
        }
        #expect(compared.count == (cell.hasCellState ? 6 : 4) + 16)
        print("golden \(name) [\(engine)]: largest difference from PyTorch \(worst)")
    }

    @Test("cross-entropy and mean squared error match PyTorch")
    func losses() throws {
        let f = try Self.fixture("losses")
        let targets = try #require(f.ints("targets")), mask = try #require(f.ints("mask")).map { $0 != 0 }
        let (ce, dLogits) = SoftmaxCrossEntropy.compute(logits: f.tensor("logits", as: Float.self), targets: targets, mask: mask)
        #expect(abs(ce - f.double("cross_entropy")) < 1e-5)
        let ceGradient = closeness(dLogits, f.tensor("grad.logits", as: Float.self), absolute: Self.absolute, relative: Self.relative)
        #expect(ceGradient.passes, "\(ceGradient)")
        let (mse, dPrediction) = MeanSquaredError.compute(prediction: f.tensor("prediction", as: Float.self), target: f.tensor("target"))
        #expect(abs(mse - f.double("mse")) < 1e-5)
        let mseGradient = closeness(dPrediction, f.tensor("grad.prediction", as: Float.self), absolute: Self.absolute, relative: Self.relative)
        #expect(mseGradient.passes, "\(mseGradient)")
    }

    static func makeOptimizer(_ name: String, _ parameters: [Parameter<Float>]) -> Optimizer<Float> {
        switch name {
        case "sgd": return SGD(parameters: parameters, learningRate: 0.1)
        case "sgd_momentum": return SGD(parameters: parameters, learningRate: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01)
        case "sgd_nesterov": return SGD(parameters: parameters, learningRate: 0.05, momentum: 0.9, nesterov: true)
        case "rmsprop": return RMSprop(parameters: parameters, learningRate: 0.01)
        case "rmsprop_centered_momentum":
            return RMSprop(parameters: parameters, learningRate: 0.01, alpha: 0.9, momentum: 0.5, centered: true, weightDecay: 0.1)
        case "adagrad":
            return Adagrad(parameters: parameters, learningRate: 0.1, learningRateDecay: 0.01, weightDecay: 0.05, initialAccumulatorValue: 0.1)
        case "adam": return Adam(parameters: parameters, learningRate: 0.01)
        case "adam_l2": return Adam(parameters: parameters, learningRate: 0.01, beta1: 0.8, beta2: 0.99, weightDecay: 0.1)
        case "adamw": return AdamW(parameters: parameters, learningRate: 0.01, weightDecay: 0.1)
        default: preconditionFailure("unknown optimizer \(name)")
        }
    }

    @Test("optimisers take PyTorch's steps", arguments: ["sgd", "sgd_momentum", "sgd_nesterov", "rmsprop",
        "rmsprop_centered_momentum", "adagrad", "adam", "adam_l2", "adamw"])
    func optimizer(name: String) throws {
        let f = try Self.fixture("optimizers")
        #expect(f.string("names").split(separator: ",").contains(Substring(name)))
        let parameters = [Parameter<Float>(f.tensor("p0")), Parameter<Float>(f.tensor("p1"))]
        let optimizer = Self.makeOptimizer(name, parameters)
        for step in 0..<f.int("steps") {
            for (i, parameter) in parameters.enumerated() { parameter.gradient = f.tensor("grad\(step).p\(i)") }
            optimizer.step()
            for (i, parameter) in parameters.enumerated() {
                let result = closeness(parameter.value, f.tensor("\(name).step\(step).p\(i)", as: Float.self),
                                       absolute: Self.absolute, relative: Self.relative)
                #expect(result.passes, "\(name) step \(step) p\(i): \(result)")
            }
        }
    }

    @Test("clipping by global norm matches clip_grad_norm_")
    func clipping() throws {
        let f = try Self.fixture("optimizers")
        let parameters = [Parameter<Float>(f.tensor("p0")), Parameter<Float>(f.tensor("p1"))]
        for (i, parameter) in parameters.enumerated() { parameter.gradient = f.tensor("grad0.p\(i)") }
        let norm = GradientClipping.clipByGlobalNorm(parameters, maxNorm: 1.5)
        #expect(abs(norm - f.double("clip_norm")) < 1e-5)
        for (i, parameter) in parameters.enumerated() {
            let result = closeness(parameter.gradient, f.tensor("clipped.p\(i)", as: Float.self), absolute: Self.absolute, relative: Self.relative)
            #expect(result.passes, "p\(i): \(result)")
        }
        #expect(abs(GradientClipping.globalNorm(of: parameters) - 1.5) < 1e-4)
    }
}

extension PyTorchGoldenTests {
    @Test("a bidirectional 2-layer GRU classifier with mean pooling on variable lengths gives PyTorch's logits and gradients",
          arguments: GEMMEngine.float32)
    func classifier(engine: GEMMEngine) throws {
        let f = try Self.fixture("classifier_gru_mean")
        var g = RandomGenerator(seed: 0)
        let configuration = SequenceClassifierConfiguration(
            input: .features(f.int("features")), cell: .gru, layers: f.int("num_layers"), hiddenSize: f.int("hidden_size"),
            bidirectional: f.bool("bidirectional"), pooling: .mean, labels: (0..<f.int("classes")).map(String.init))
        let model: SequenceClassifier<Float> = configuration.makeModel(using: &g)
        model.rnn.engine = engine
        model.head.engine = engine
        for (name, parameter) in model.namedParameters { parameter.value = f.tensor(name) }
        let lengths = try #require(f.ints("lengths")), targets = try #require(f.ints("targets"))
        let logits = model.forward(features: f.tensor("x"), lengths: lengths)
        let logitsCloseness = closeness(logits, f.tensor("logits", as: Float.self), absolute: 1e-4, relative: 0)
        #expect(logitsCloseness.passes, "logits [\(engine)]: \(logitsCloseness)")
        let (loss, dLogits) = SoftmaxCrossEntropy.compute(logits: logits, targets: targets)
        #expect(abs(loss - f.double("loss")) < 1e-5)
        model.zeroGradients()
        model.backward(logitsGradient: dLogits)
        for (name, parameter) in model.namedParameters {
            let result = closeness(parameter.gradient, f.tensor("grad." + name, as: Float.self), absolute: Self.absolute, relative: Self.relative)
            #expect(result.passes, "grad.\(name) [\(engine)]: \(result)")
        }
        #expect(model.namedParameters.count == 18)
        print("golden classifier_gru_mean [\(engine)]: largest logit difference from PyTorch \(logitsCloseness.maxDifference)")
    }
}

extension PyTorchGoldenTests {
    @Test("a bidirectional 2-layer LSTM tagger on packed lengths gives PyTorch's logits, masked loss and gradients",
          arguments: GEMMEngine.float32)
    func tagger(engine: GEMMEngine) throws {
        let f = try Self.fixture("tagger_lstm")
        var g = RandomGenerator(seed: 0)
        let configuration = SequenceTaggerConfiguration(
            input: .tokens(vocabularySize: f.int("vocabulary"), embeddingSize: f.int("embedding")), cell: .lstm, layers: 2,
            hiddenSize: f.int("hidden_size"), bidirectional: true, tags: (0..<f.int("tags")).map(String.init))
        let model = SequenceTagger<Float>(configuration, using: &g)
        model.rnn.engine = engine
        model.head.engine = engine
        for (name, parameter) in model.namedParameters { parameter.value = f.tensor(name) }
        let (T, B) = (f.int("steps"), f.int("batch"))
        let targets = try #require(f.ints("targets"))
        let batch = SequenceBatch(steps: T, rows: Array(0..<B), lengths: try #require(f.ints("lengths")), tokens: f.ints("ids"),
                                  labels: [Int](repeating: -1, count: B), stepTags: targets.map { $0 < 0 ? -1 : $0 })
        let logits = model.logits(batch)
        let close = closeness(logits, f.tensor("logits", as: Float.self), absolute: 1e-4, relative: 0)
        #expect(close.passes, "logits [\(engine)]: \(close)")
        model.zeroGradients()
        let (loss, count) = model.maskedLossAndGradients(batch)
        #expect(abs(loss - f.double("loss")) < 1e-5, "\(loss) vs \(f.double("loss"))")
        #expect(count == 18)
        for (name, parameter) in model.namedParameters {
            let result = closeness(parameter.gradient, f.tensor("grad." + name, as: Float.self), absolute: Self.absolute, relative: Self.relative)
            #expect(result.passes, "grad.\(name) [\(engine)]: \(result)")
        }
        #expect(model.namedParameters.count == 19)
        print("golden tagger_lstm [\(engine)]: largest logit difference from PyTorch \(close.maxDifference)")
    }
}
