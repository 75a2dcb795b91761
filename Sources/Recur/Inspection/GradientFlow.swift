import RecurCore

/// The seeds' central lesson, measured: how much of the loss's gradient reaches the hidden state k
/// steps before the loss, for a many-to-one recurrent model (one recurrent layer, then a linear map
/// of the last h to one number) on the adding problem.
///
/// `hiddenGradientNorms` gives, for every step t, the mean over the batch of ||dL/dh_t||, where L is
/// the batch's mean squared error read after the last step: BPTT step by step through single-step
/// cells that hold the network's weights (`RecurrentCell`), so each step's dL/dh_t is at hand. For a
/// vanilla RNN it shrinks geometrically with the distance to the loss (the vanishing gradient); the
/// LSTM's additive cell path and the GRU's update gate keep it from vanishing.
public final class GradientFlowModel<Scalar: RecurScalar>: Module {
    public let rnn: RecurrentNetwork<Scalar>
    public let head: Linear<Scalar>

    public init(cell: CellKind, hiddenSize: Int, using generator: inout RandomGenerator) {
        rnn = RecurrentNetwork(cell: cell, inputSize: 2, hiddenSize: hiddenSize, layers: 1, using: &generator)
        head = Linear(inputSize: hiddenSize, outputSize: 1, using: &generator)
    }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        rnn.namedParameters.map { ("rnn." + $0.name, $0.parameter) } + head.namedParameters.map { ("head." + $0.name, $0.parameter) }
    }

    /// Predictions `[B, 1]` from inputs `[T, B, 2]`: the head applied to the last step's h.
    public func predict(_ inputs: Tensor<Scalar>) -> Tensor<Scalar> {
        let (_, final) = rnn.forward(inputs)
        let B = inputs.shape[1], H = rnn.hiddenSize
        return head.forward(Tensor(shape: [B, H], scalars: final.h.scalars))
    }

    /// The mean squared error, with every parameter's gradient accumulated (the whole-sequence path).
    public func lossAndGradients(inputs: Tensor<Scalar>, targets: Tensor<Scalar>) -> Double {
        let prediction = predict(inputs)
        let (loss, dPrediction) = MeanSquaredError.compute(prediction: prediction, target: targets)
        let dh = head.backward(dPrediction)
        let T = inputs.shape[0], B = inputs.shape[1], H = rnn.hiddenSize
        let finalGradient = RecurrentState<Scalar>(h: Tensor(shape: [1, B, H], scalars: dh.scalars),
                                                   c: rnn.cell.hasCellState ? Tensor(shape: [1, B, H]) : nil)
        _ = rnn.backward(outputGradient: Tensor(shape: [T, B, H]), finalStateGradient: finalGradient)
        return loss
    }

    /// Per step t (0 first), the mean over the batch of ||dL/dh_t||; the loss is the batch's mean
    /// squared error. Leaves every parameter's gradient as it was.
    public func hiddenGradientNorms(inputs: Tensor<Scalar>, targets: Tensor<Scalar>) -> [Double] {
        hiddenGradients(inputs: inputs, targets: targets).map { dh in
            let B = dh.shape[0], H = dh.shape[1]
            var total = 0.0
            for b in 0..<B {
                var squares = 0.0
                for j in 0..<H { squares += Double(dh[b, j]) * Double(dh[b, j]) }
                total += squares.squareRoot()
            }
            return total / Double(B)
        }
    }

    /// Per step t (0 first), dL/dh_t `[B, H]`. Leaves every parameter's gradient as it was.
    public func hiddenGradients(inputs: Tensor<Scalar>, targets: Tensor<Scalar>) -> [Tensor<Scalar>] {
        let named = Dictionary(uniqueKeysWithValues: rnn.namedParameters.map { ($0.name, $0.parameter.value) })
        let cell = RecurrentCell(cell: rnn.cell, weightIH: named["weight_ih_l0"]!, weightHH: named["weight_hh_l0"]!,
                                 biasIH: named["bias_ih_l0"]!, biasHH: named["bias_hh_l0"]!)
        cell.engine = rnn.engine
        let T = inputs.shape[0], B = inputs.shape[1], H = rnn.hiddenSize
        var steps: [RecurrentCell<Scalar>.Step] = []
        var state: RecurrentState<Scalar>? = nil
        for t in 0..<T {
            let x = Tensor<Scalar>(shape: [B, 2], scalars: Array(inputs.scalars[(t * B * 2)..<((t + 1) * B * 2)]))
            let step = cell.forward(x, state: state)
            steps.append(step)
            state = step.state
        }
        let prediction = head.apply(steps[T - 1].state.h)
        let (_, dPrediction) = MeanSquaredError.compute(prediction: prediction, target: targets)
        // dL/dh_T = dPrediction W (the head's input gradient), without touching the head's gradient.
        var dh = Tensor<Scalar>(shape: [B, H])
        for b in 0..<B { for j in 0..<H { dh[b, j] = dPrediction[b, 0] * head.weight.value[0, j] } }
        var stateGradient = RecurrentState(h: dh, c: rnn.cell.hasCellState ? Tensor(shape: [B, H]) : nil)
        var gradients = [Tensor<Scalar>](repeating: dh, count: T)
        for t in stride(from: T - 1, through: 0, by: -1) {
            gradients[t] = stateGradient.h
            if t > 0 { stateGradient = cell.backward(steps[t], stateGradient: stateGradient).previousStateGradient }
        }
        return gradients
    }
}

/// One run of the experiment: a cell trained on the adding problem of one length; the gradient norms
/// at initialisation and after training, and the accuracy reached.
public struct GradientFlowExperiment: Sendable {
    public struct Settings: Sendable {
        public var cell: CellKind
        public var length: Int
        public var hiddenSize = 64
        public var steps = 1500
        public var batch = 64
        public var learningRate = 2e-3
        public var clipNorm: Double? = 1
        public var evaluationExamples = 1000
        public var seed: UInt64 = 1

        public init(cell: CellKind, length: Int) {
            self.cell = cell
            self.length = length
        }
    }

    public let settings: Settings
    /// Per step of a held-out batch, mean ||dL/dh_t|| before any training.
    public let initialNorms: [Double]
    /// The same after training.
    public let trainedNorms: [Double]
    /// The training loss, every `steps / 50` steps (or every step for short runs).
    public let losses: [(step: Int, loss: Double)]
    /// On `evaluationExamples` fresh examples: the fraction within `AddingProblem.tolerance`, and the mean squared error.
    public let accuracy: Double
    public let meanSquaredError: Double
    public let seconds: Double

    public init(_ settings: Settings) {
        let clock = ContinuousClock(), started = clock.now
        self.settings = settings
        var generator = RandomGenerator(seed: settings.seed)
        let model = GradientFlowModel<Float>(cell: settings.cell, hiddenSize: settings.hiddenSize, using: &generator)
        var data = RandomGenerator(seed: settings.seed &+ 1_000_003)
        let probe: (inputs: Tensor<Float>, targets: Tensor<Float>) = AddingProblem.batch(length: settings.length, batch: 256, using: &data)
        initialNorms = model.hiddenGradientNorms(inputs: probe.inputs, targets: probe.targets)
        let optimizer = Adam(parameters: model.parameters, learningRate: settings.learningRate)
        var losses: [(Int, Double)] = []
        let every = max(1, settings.steps / 50)
        var window = 0.0, count = 0
        for step in 1...max(settings.steps, 1) where settings.steps > 0 {
            let batch: (inputs: Tensor<Float>, targets: Tensor<Float>) = AddingProblem.batch(length: settings.length, batch: settings.batch, using: &data)
            model.zeroGradients()
            let loss = model.lossAndGradients(inputs: batch.inputs, targets: batch.targets)
            if let clip = settings.clipNorm { _ = GradientClipping.clipByGlobalNorm(model.parameters, maxNorm: clip) }
            optimizer.step()
            window += loss
            count += 1
            if step % every == 0 || step == settings.steps {
                losses.append((step, window / Double(count)))
                window = 0
                count = 0
            }
        }
        self.losses = losses
        trainedNorms = model.hiddenGradientNorms(inputs: probe.inputs, targets: probe.targets)
        let test: (inputs: Tensor<Float>, targets: Tensor<Float>) = AddingProblem.batch(length: settings.length, batch: settings.evaluationExamples, using: &data)
        let prediction = model.predict(test.inputs)
        var correct = 0, squares = 0.0
        for b in 0..<settings.evaluationExamples {
            let error = Double(prediction[b, 0]) - Double(test.targets[b, 0])
            squares += error * error
            if abs(error) < AddingProblem.tolerance { correct += 1 }
        }
        accuracy = Double(correct) / Double(settings.evaluationExamples)
        meanSquaredError = squares / Double(settings.evaluationExamples)
        let elapsed = clock.now - started
        seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
