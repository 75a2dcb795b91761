import RecurCore

/// A forecaster of numeric series: an RNN/LSTM/GRU reads N past steps of the targets and features and
/// predicts the next H steps of the targets, by one of three strategies (`ForecastStrategy`).
///
/// - direct: `y[o..<o+H] = head(h_N)`, one linear map of the encoder's last output to H*T*Q values.
/// - recursive: `y[t+1] = head(h_t)` at every step; trained on windows of N + H - 1 steps (every
///   one-step prediction counts), forecasting feeds each point forecast back.
/// - seq2seq: the encoder's final state starts a decoder of single-step cells; decoder step k reads
///   the target values of row `o - 1 + k` (the true ones in training, its own point forecasts when
///   forecasting; with differencing, the change since the origin up to that row, 0 at k = 0) and
///   `head(s_k)` predicts row `o + k`.
///
/// Parameter names (PyTorch's modules): `rnn.*` (`nn.LSTM`/`nn.GRU`/`nn.RNN`),
/// `decoder.cells.{l}.*` (`nn.LSTMCell`... , seq2seq only), `head.weight`, `head.bias` (`nn.Linear`).
/// Outputs are in the model's units: targets scaled (and differenced) as the configuration says; with
/// differencing, the direct and seq2seq strategies predict the running sum of the differences from the
/// origin (the change of the level), so that their errors and quantiles are those of the levels.
public final class Forecaster<Scalar: RecurScalar>: Module, ModelModes {
    public let configuration: ForecasterConfiguration
    public let rnn: RecurrentNetwork<Scalar>
    public let cells: [RecurrentCell<Scalar>]
    public let head: Linear<Scalar>

    /// What the last teacher-forced forward pass keeps for backward.
    private enum Pass {
        case direct(steps: Int, batch: Int)
        case recursive(batch: Int)
        case seq2seq(records: [[RecurrentCell<Scalar>.Step]], steps: Int, batch: Int)
    }
    private var pass: Pass?

    public init(_ c: ForecasterConfiguration, using generator: inout RandomGenerator) {
        precondition(c.problem == nil, "Forecaster: \(c.problem ?? "")")
        configuration = c
        rnn = RecurrentNetwork(cell: c.cell, inputSize: c.inputWidth, hiddenSize: c.hiddenSize, layers: c.layers,
                               bidirectional: false, dropout: c.dropout, initialization: c.initialization, using: &generator)
        cells = c.strategy != .seq2seq ? [] : (0..<c.layers).map { l in
            RecurrentCell(cell: c.cell, inputSize: l == 0 ? c.targetCount : c.hiddenSize, hiddenSize: c.hiddenSize,
                          initialization: c.initialization, using: &generator)
        }
        head = Linear(inputSize: c.hiddenSize, outputSize: c.headWidth, initialization: c.initialization, using: &generator)
    }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        var all = rnn.namedParameters.map { ("rnn." + $0.name, $0.parameter) }
        for (l, cell) in cells.enumerated() { all += cell.namedParameters.map { ("decoder.cells.\(l)." + $0.name, $0.parameter) } }
        return all + head.namedParameters.map { ("head." + $0.name, $0.parameter) }
    }

    public var isTraining: Bool {
        get { rnn.isTraining }
        set { rnn.isTraining = newValue }
    }

    /// Whether forward passes keep what the backward pass needs (`RecurrentNetwork.recordsForBackward`).
    public var recordsForBackward: Bool {
        get { rnn.recordsForBackward }
        set { rnn.recordsForBackward = newValue }
    }

    /// Every GEMM of the model on one engine (tests compare them; `.bfloat16` multiplies in bf16).
    public var engine: GEMMEngine {
        get { head.engine }
        set {
            rnn.engine = newValue
            for cell in cells { cell.engine = newValue }
            head.engine = newValue
        }
    }

    // MARK: Teacher-forced pass (training and its gradient)

    /// The predictions of a training batch (`[N + H, B, W]`) and the targets they are scored against,
    /// both flattened: `[R, Q]` predictions for R target values.
    public func forward(_ batch: ForecastBatch) -> (prediction: [Scalar], target: [Scalar]) {
        let c = configuration, N = batch.context, H = batch.horizon, B = batch.batch, W = c.inputWidth, T = c.targetCount
        precondition(N == c.context && H == c.horizon && batch.steps.shape[2] == W,
                     "Forecaster: expected windows of \(c.context) + \(c.horizon) steps of \(W) values, got \(batch.steps.shape)")
        let steps = Tensor<Scalar>(batch.steps)
        let x = steps.scalars
        func target(row t: Int, _ b: Int, _ s: Int) -> Scalar { x[(t * B + b) * W + s] }
        let horizon = Self.horizonTargets(steps, context: N, c)
        switch c.strategy {
        case .direct:
            let output = rnn.forward(Self.rows(steps, 0..<N)).output
            let prediction = head.forward(Self.rows(output, (N - 1)..<N).reshaped([B, c.hiddenSize]))
            pass = .direct(steps: N, batch: B)
            var targets: [Scalar] = []
            targets.reserveCapacity(B * H * T)
            for b in 0..<B { for h in 0..<H { for s in 0..<T { targets.append(horizon[b][h][s]) } } }
            return (prediction.scalars, targets)
        case .recursive:
            let S = N + H - 1
            let output = rnn.forward(Self.rows(steps, 0..<S)).output
            let prediction = head.forward(output.reshaped([S * B, c.hiddenSize]))
            pass = .recursive(batch: B)
            var targets: [Scalar] = []
            targets.reserveCapacity(S * B * T)
            for t in 0..<S { for b in 0..<B { for s in 0..<T { targets.append(target(row: t + 1, b, s)) } } }
            return (prediction.scalars, targets)
        case .seq2seq:
            var states = encode(Self.rows(steps, 0..<N))
            var records: [[RecurrentCell<Scalar>.Step]] = []
            var tops: [Scalar] = []
            tops.reserveCapacity(H * B * c.hiddenSize)
            for k in 0..<H {
                var input = Tensor<Scalar>(shape: [B, T])
                for b in 0..<B {
                    for s in 0..<T {
                        // The previous step's value: the last observed row, or (cumulative) the change so far.
                        input[b, s] = c.cumulative ? (k > 0 ? horizon[b][k - 1][s] : 0) : target(row: N - 1 + k, b, s)
                    }
                }
                let (top, record) = decode(input, &states)
                records.append(record)
                tops += top.scalars
            }
            let prediction = head.forward(Tensor(shape: [H * B, c.hiddenSize], scalars: tops))
            pass = .seq2seq(records: records, steps: N, batch: B)
            var targets: [Scalar] = []
            targets.reserveCapacity(H * B * T)
            for k in 0..<H { for b in 0..<B { for s in 0..<T { targets.append(horizon[b][k][s]) } } }
            return (prediction.scalars, targets)
        }
    }

    /// What the horizon's outputs are scored against, `[B][H][T]`: the rows' target values, or, when the
    /// configuration is `cumulative`, their running sums from the origin (the change of the level
    /// since the last observed row, in scaled units).
    public static func horizonTargets(_ steps: Tensor<Scalar>, context N: Int, _ c: ForecasterConfiguration) -> [[[Scalar]]] {
        let B = steps.shape[1], W = steps.shape[2], H = steps.shape[0] - N, T = c.targetCount
        return steps.withUnsafeBufferPointer { x in
            (0..<B).map { b in
                var sums = [Scalar](repeating: 0, count: T)
                return (0..<H).map { h in
                    (0..<T).map { s in
                        let value = x[((N + h) * B + b) * W + s]
                        guard c.cumulative else { return value }
                        sums[s] += value
                        return sums[s]
                    }
                }
            }
        }
    }

    /// Back-propagates dL/d(prediction) of the last `forward`, accumulating every gradient.
    public func backward(_ dPrediction: [Scalar]) {
        guard let pass else { preconditionFailure("Forecaster.backward: call forward first") }
        let Hd = configuration.hiddenSize
        let dHead = head.backward(Tensor(shape: [dPrediction.count / configuration.headWidth, configuration.headWidth], scalars: dPrediction))
        switch pass {
        case let .direct(N, B):
            var dOutput = [Scalar](repeating: 0, count: N * B * Hd)
            dOutput.replaceSubrange(((N - 1) * B * Hd)..<(N * B * Hd), with: dHead.scalars)
            _ = rnn.backward(outputGradient: Tensor(shape: [N, B, Hd], scalars: dOutput))
        case let .recursive(B):
            _ = rnn.backward(outputGradient: dHead.reshaped([dHead.shape[0] / B, B, Hd]))
        case let .seq2seq(records, N, B):
            let L = cells.count, hasCell = configuration.cell.hasCellState
            var carried = (0..<L).map { _ in RecurrentState<Scalar>(h: Tensor(shape: [B, Hd]), c: hasCell ? Tensor(shape: [B, Hd]) : nil) }
            for k in stride(from: records.count - 1, through: 0, by: -1) {
                var fromAbove = Tensor<Scalar>(shape: [B, Hd], scalars: Array(dHead.scalars[(k * B * Hd)..<((k + 1) * B * Hd)]))
                for l in stride(from: L - 1, through: 0, by: -1) {
                    var dh = carried[l].h
                    dh.withUnsafeMutableBufferPointer { d in fromAbove.withUnsafeBufferPointer { a in for i in 0..<d.count { d[i] += a[i] } } }
                    let (dx, previous) = cells[l].backward(records[k][l], stateGradient: RecurrentState(h: dh, c: carried[l].c))
                    carried[l] = previous
                    fromAbove = dx
                }
            }
            let dFinal = RecurrentState<Scalar>(h: Tensor(shape: [L, B, Hd], scalars: carried.flatMap(\.h.scalars)),
                                                c: hasCell ? Tensor(shape: [L, B, Hd], scalars: carried.flatMap { $0.c!.scalars }) : nil)
            _ = rnn.backward(outputGradient: Tensor(shape: [N, B, Hd]), finalStateGradient: dFinal)
        }
        self.pass = nil
    }

    /// The loss of predictions `[R, Q]` against R targets, and its gradient.
    public static func loss(_ prediction: [Scalar], _ target: [Scalar], _ c: ForecasterConfiguration) -> (loss: Double, gradient: [Scalar]) {
        switch c.loss {
        case .mse:
            let (loss, gradient) = MeanSquaredError.compute(prediction: Tensor(shape: [prediction.count], scalars: prediction),
                                                            target: Tensor(shape: [target.count], scalars: target))
            return (loss, gradient.scalars)
        case .mae: return PinballLoss.meanAbsoluteError(prediction: prediction, target: target)
        case .pinball: return PinballLoss.compute(prediction: prediction, target: target, quantiles: c.quantiles)
        }
    }

    /// Forward, loss and backward on a training batch; the loss is the mean over its target values.
    public func trainingLoss(_ batch: ForecastBatch) -> (loss: Double, count: Int) {
        let (prediction, target) = forward(batch)
        let (loss, gradient) = Self.loss(prediction, target, configuration)
        backward(gradient)
        return (loss, target.count)
    }

    // MARK: Forecasting

    /// Forecasts `horizon` steps (at most H for the direct strategy) after each window's context (the
    /// first N rows of `batch`): `[B][horizon][T][Q]` in the model's units (`forecastTensor`, nested).
    public func forecast(_ batch: ForecastBatch, horizon: Int? = nil) -> [[[[Scalar]]]] {
        let values = forecastTensor(batch, horizon: horizon)
        let B = values.shape[0], steps = values.shape[1], T = values.shape[2], Q = values.shape[3]
        return values.withUnsafeBufferPointer { v in
            (0..<B).map { b in
                (0..<steps).map { h in (0..<T).map { s in (0..<Q).map { q in v[((b * steps + h) * T + s) * Q + q] } } }
            }
        }
    }

    /// The forecasts of `forecast` as one tensor `[B, horizon, T, Q]`.
    public func forecastTensor(_ batch: ForecastBatch, horizon: Int? = nil) -> Tensor<Scalar> {
        let c = configuration, N = c.context, B = batch.batch, T = c.targetCount, Q = c.quantileCount
        let steps = horizon ?? c.horizon
        precondition(batch.context == N && batch.steps.shape[0] >= N, "Forecaster: expected a context of \(N) steps")
        precondition(c.strategy != .direct || steps <= c.horizon, "Forecaster: a direct model forecasts at most \(c.horizon) steps")
        let context = Self.rows(Tensor<Scalar>(batch.steps), 0..<N)
        var result = Tensor<Scalar>(shape: [B, steps, T, Q])
        /// Writes predictions `[B, stepsPerRow * T * Q]` into steps `first ..< first + stepsPerRow` (those below `steps`).
        func store(_ prediction: Tensor<Scalar>, first: Int, stepsPerRow: Int) {
            let kept = min(stepsPerRow, steps - first), width = T * Q
            result.withUnsafeMutableBufferPointer { r in
                prediction.withUnsafeBufferPointer { p in
                    for b in 0..<B {
                        (r.baseAddress! + (b * steps + first) * width).update(from: p.baseAddress! + b * stepsPerRow * width, count: kept * width)
                    }
                }
            }
        }
        /// The point forecasts of a step's predictions `[B, T*Q]`, as the next input `[B, T]`.
        func points(_ prediction: Tensor<Scalar>) -> Tensor<Scalar> {
            Tensor(shape: [B, T], scalars: (0..<(B * T)).map { prediction[flat: $0 * Q + c.medianIndex] })
        }
        switch c.strategy {
        case .direct:
            let output = rnn.forward(context).output
            let prediction = head.apply(Self.rows(output, (N - 1)..<N).reshaped([B, c.hiddenSize]))
            store(prediction, first: 0, stepsPerRow: c.horizon)
        case .recursive:
            var (output, state) = rnn.forward(context)
            var last = Self.rows(output, (output.shape[0] - 1)..<output.shape[0]).reshaped([B, c.hiddenSize])
            for k in 0..<steps {
                let prediction = head.apply(last)
                store(prediction, first: k, stepsPerRow: 1)
                if k + 1 < steps {
                    (output, state) = rnn.forward(points(prediction).reshaped([1, B, T]), initialState: state)
                    last = output.reshaped([B, c.hiddenSize])
                }
            }
        case .seq2seq:
            var states = encode(context)
            var input = Tensor<Scalar>(shape: [B, T])
            if !c.cumulative { for b in 0..<B { for s in 0..<T { input[b, s] = context[N - 1, b, s] } } }
            for k in 0..<steps {
                let (top, _) = decode(input, &states)
                let prediction = head.apply(top)
                store(prediction, first: k, stepsPerRow: 1)
                input = points(prediction)
            }
        }
        return result
    }

    // MARK: Parts

    /// The encoder's final state as the decoder's initial state, one `[B, H]` per layer.
    private func encode(_ context: Tensor<Scalar>) -> [RecurrentState<Scalar>] {
        let final = rnn.forward(context).finalState
        let B = context.shape[1], Hd = configuration.hiddenSize
        return (0..<cells.count).map { l in
            let range = (l * B * Hd)..<((l + 1) * B * Hd)
            return RecurrentState(h: Tensor(shape: [B, Hd], scalars: Array(final.h.scalars[range])),
                                  c: final.c.map { Tensor(shape: [B, Hd], scalars: Array($0.scalars[range])) })
        }
    }

    /// One decoder step through every layer: the top layer's new h, and each layer's record.
    private func decode(_ input: Tensor<Scalar>, _ states: inout [RecurrentState<Scalar>]) -> (Tensor<Scalar>, [RecurrentCell<Scalar>.Step]) {
        var x = input
        var record: [RecurrentCell<Scalar>.Step] = []
        for (l, cell) in cells.enumerated() {
            let step = cell.forward(x, state: states[l])
            states[l] = step.state
            record.append(step)
            x = step.state.h
        }
        return (x, record)
    }

    /// Rows `range` of a time-major tensor `[S, B, W]`.
    static func rows(_ t: Tensor<Scalar>, _ range: Range<Int>) -> Tensor<Scalar> {
        let stride = t.shape[1] * t.shape[2]
        return Tensor(shape: [range.count, t.shape[1], t.shape[2]], scalars: Array(t.scalars[(range.lowerBound * stride)..<(range.upperBound * stride)]))
    }
}

extension Forecaster: RecurModel where Scalar == Float {
    public static var task: String { "forecast" }

    public convenience init(configuration: ForecasterConfiguration, using generator: inout RandomGenerator) {
        self.init(configuration, using: &generator)
    }

    public var dropoutGenerator: RandomGenerator {
        get { rnn.generator }
        set { rnn.generator = newValue }
    }

    public func lossAndGradients(_ batch: ForecastBatch) -> (loss: Double, count: Int) { trainingLoss(batch) }
}
