import Foundation
import Recur
import RecurCore
import Testing
import _RecurTestSupport

/// The forecaster: its gradients, PyTorch's numbers, what it learns, and the data path around it.
struct ForecastTests {
    static let tolerance = 1e-6

    struct Case: CustomStringConvertible, Sendable {
        var strategy: ForecastStrategy
        var cell: CellKind
        var loss: ForecastLoss
        var features: Int
        var difference = 0
        var description: String { "\(strategy.rawValue) \(cell.rawValue) \(loss.rawValue) features \(features) difference \(difference)" }
    }

    static let cases: [Case] = [
        Case(strategy: .direct, cell: .lstm, loss: .mse, features: 2),
        Case(strategy: .direct, cell: .gru, loss: .pinball, features: 0),
        Case(strategy: .direct, cell: .rnnTanh, loss: .mae, features: 1),
        Case(strategy: .recursive, cell: .lstm, loss: .pinball, features: 0),
        Case(strategy: .recursive, cell: .gru, loss: .mse, features: 0),
        Case(strategy: .recursive, cell: .rnnTanh, loss: .mae, features: 0),
        Case(strategy: .seq2seq, cell: .lstm, loss: .mae, features: 1),
        Case(strategy: .seq2seq, cell: .gru, loss: .pinball, features: 2),
        Case(strategy: .seq2seq, cell: .rnnTanh, loss: .mse, features: 0),
        Case(strategy: .direct, cell: .lstm, loss: .pinball, features: 1, difference: 1),
        Case(strategy: .seq2seq, cell: .gru, loss: .mae, features: 0, difference: 1),
    ]

    static func configuration(_ c: Case, layers: Int = 2) -> ForecasterConfiguration {
        ForecasterConfiguration(cell: c.cell, layers: layers, hiddenSize: 4, strategy: c.strategy, loss: c.loss,
                                quantiles: c.loss == .pinball ? [0.1, 0.5, 0.8] : [], context: 5, horizon: 3,
                                targetNames: ["a", "b"], featureNames: (0..<c.features).map { "f\($0)" }, difference: c.difference)
    }

    static func batch(_ configuration: ForecasterConfiguration, batch B: Int, using g: inout RandomGenerator) -> ForecastBatch {
        let steps = configuration.context + configuration.horizon
        let x = (0..<(steps * B * configuration.inputWidth)).map { _ in g.uniform(in: Float(-1), Float(1)) }
        return ForecastBatch(steps: Tensor(shape: [steps, B, configuration.inputWidth], scalars: x), context: configuration.context)
    }

    @Test("every weight of every strategy, cell and loss, 2 layers, central differences", arguments: cases)
    func gradients(_ c: Case) {
        var g = RandomGenerator(seed: 71)
        let configuration = Self.configuration(c)
        let model = Forecaster<Double>(configuration, using: &g)
        model.engine = .reference
        let batch = Self.batch(configuration, batch: 3, using: &g)
        model.zeroGradients()
        _ = model.trainingLoss(batch)
        let reports = gradientCheck(targets: model.namedParameters.map { GradientCheckTarget(name: $0.name, parameter: $0.parameter) }, step: 1e-6) {
            let (prediction, target) = model.forward(batch)
            return Forecaster<Double>.loss(prediction, target, configuration).loss
        }
        let expected = 8 + (c.strategy == .seq2seq ? 8 : 0) + 2
        #expect(reports.count == expected, "\(c): \(reports.count) tensors")
        for report in reports {
            #expect(report.relativeError < Self.tolerance, "\(c): \(report)")
            #expect(report.scale > 1e-9, "\(c): \(report.name) has no gradient to check")
        }
    }

    @Test("the pinball loss and MAE: values by hand, gradients by central differences")
    func pinball() {
        let quantiles = [0.1, 0.5, 0.9]
        // Target 1; predictions 0 (under), 1 (exact), 3 (over) at each quantile.
        let (loss, gradient) = PinballLoss.compute(prediction: [0, 1, 3] as [Double], target: [1], quantiles: quantiles)
        // 0.1 * 1, 0, (0.9 - 1) * (1 - 3) = 0.2; mean over 3.
        #expect(abs(loss - (0.1 + 0 + 0.2) / 3) < 1e-15, "\(loss)")
        #expect(largestDifference(gradient, [-0.1 / 3, 0, 0.1 / 3]) < 1e-16, "\(gradient)")
        let (mae, maeGradient) = PinballLoss.meanAbsoluteError(prediction: [0, 3] as [Double], target: [1, 1])
        #expect(abs(mae - 1.5) < 1e-15 && maeGradient == [-0.5, 0.5], "\(mae) \(maeGradient)")
        var g = RandomGenerator(seed: 5)
        let target = (0..<6).map { _ in g.uniform(Double.self) }
        let prediction = CheckedTensor(randomTensor([6, 3], using: &g))
        let analytic = PinballLoss.compute(prediction: prediction.tensor.scalars, target: target, quantiles: quantiles).gradient
        let reports = gradientCheck(targets: [prediction.target("prediction", analytic: Tensor(shape: [6, 3], scalars: analytic))]) {
            PinballLoss.compute(prediction: prediction.tensor.scalars, target: target, quantiles: quantiles).loss
        }
        for report in reports { #expect(report.relativeError < 1e-8, "\(report)") }
    }

    @Test("PyTorch's predictions, loss and every gradient", arguments: ["forecaster_direct_lstm_pinball", "forecaster_recursive_rnn_mae",
                                                                         "forecaster_seq2seq_gru_mse"])
    func golden(_ name: String) throws {
        let f = try PyTorchGoldenTests.fixture(name)
        let cell: CellKind = ["lstm": .lstm, "gru": .gru, "rnn": .rnnTanh][f.string("cell")]!
        let quantiles = f.string("quantiles").split(separator: ",").compactMap { Double($0) }
        let configuration = ForecasterConfiguration(
            cell: cell, layers: f.int("layers"), hiddenSize: f.int("hidden_size"), strategy: ForecastStrategy(rawValue: f.string("strategy"))!,
            loss: ForecastLoss(rawValue: f.string("loss_kind"))!, quantiles: quantiles, context: f.int("context"), horizon: f.int("horizon"),
            targetNames: (0..<f.int("targets")).map { "y\($0)" }, featureNames: (0..<f.int("features")).map { "x\($0)" })
        var g = RandomGenerator(seed: 0)
        for engine in GEMMEngine.float32 {
            let model = Forecaster<Float>(configuration, using: &g)
            model.engine = engine
            for (name, parameter) in model.namedParameters { parameter.value = f.tensor(name) }
            let batch = ForecastBatch(steps: f.tensor("steps"), context: configuration.context)
            let (prediction, _) = model.forward(batch)
            let expected = f.tensor("prediction", as: Float.self)
            let close = closeness(Tensor(shape: expected.shape, scalars: prediction), expected, absolute: 1e-5, relative: 0)
            #expect(close.passes, "\(name) predictions [\(engine)]: \(close)")
            model.zeroGradients()
            let (loss, _) = model.trainingLoss(batch)
            #expect(abs(loss - f.double("loss")) < 1e-5, "\(name) [\(engine)]: loss \(loss) vs \(f.double("loss"))")
            for (parameterName, parameter) in model.namedParameters {
                let result = closeness(parameter.gradient, f.tensor("grad." + parameterName, as: Float.self),
                                       absolute: PyTorchGoldenTests.absolute, relative: PyTorchGoldenTests.relative)
                #expect(result.passes, "\(name) grad.\(parameterName) [\(engine)]: \(result)")
            }
            print("golden \(name) [\(engine)]: largest prediction difference from PyTorch \(close.maxDifference)")
        }
    }

    @Test("forecasting equals the teacher-forced pass fed the forecast's own point values, at every step of the horizon, for every case")
    func forecastMatchesTraining() {
        for c in Self.cases {
            var g = RandomGenerator(seed: 9)
            let configuration = Self.configuration(c)
            let model = Forecaster<Float>(configuration, using: &g)
            let batch = Self.batch(configuration, batch: 2, using: &g)
            let forecast = model.forecast(batch)
            let N = configuration.context, T = configuration.targetCount, Q = configuration.quantileCount, H = configuration.horizon
            let m = configuration.medianIndex
            // The rows the forecast implies: its point values (their steps, when the outputs are running sums).
            var steps = batch.steps
            for b in 0..<2 {
                for h in 0..<H {
                    for s in 0..<T {
                        let point = forecast[b][h][s][m], before = h > 0 && configuration.cumulative ? forecast[b][h - 1][s][m] : 0
                        steps[N + h, b, s] = point - before
                    }
                }
            }
            let (prediction, _) = model.forward(ForecastBatch(steps: steps, context: N))
            var worst = 0.0
            for b in 0..<2 {
                for h in 0..<H {
                    for s in 0..<T {
                        let row: Int
                        switch c.strategy {
                        case .direct: row = (b * H + h) * T + s
                        case .recursive: row = ((N - 1 + h) * 2 + b) * T + s
                        case .seq2seq: row = (h * 2 + b) * T + s
                        }
                        for q in 0..<Q { worst = Swift.max(worst, Double(abs(prediction[row * Q + q] - forecast[b][h][s][q]))) }
                    }
                }
            }
            #expect(worst < 1e-5, "\(c): largest difference \(worst)")
        }
    }

    /// A noiseless sum of two sines, periods 24 and 7.
    static func sine(_ n: Int) -> [Double] {
        (0..<n).map { i -> Double in
            let t = Double(i) * 2 * Double.pi
            return Foundation.sin(t / 24) + 0.5 * Foundation.sin(t / 7)
        }
    }

    @Test("trained on a noiseless sine, each strategy forecasts its last 12 points with MAE under 0.1 (amplitude 1.5; the naive forecast's is 0.88)",
          arguments: ForecastStrategy.allCases)
    func learnsSine(_ strategy: ForecastStrategy) {
        let table = TimeSeriesTable(targetNames: ["y"], targets: [Self.sine(400)])
        var configuration = ForecasterConfiguration(cell: .lstm, layers: 1, hiddenSize: 16, strategy: strategy, context: 24, horizon: 12,
                                                    targetNames: ["y"], testSize: 12)
        let split = try! ForecastData.split(rows: table.count, configuration, validationFraction: 0).get()
        let scaling = ForecastData.fitScaling(table, modelRows: split.trainingEnd, kind: .standard, difference: 0)
        configuration.targetScaling = scaling.targets
        var g = RandomGenerator(seed: 3)
        let model = Forecaster<Float>(configuration, using: &g)
        let windows = ForecastWindows(series: ForecastData.series(table, configuration),
                                      origins: ForecastData.origins(split, configuration).training, context: 24, horizon: 12)
        let task = ForecastTask(model: model, training: windows, validation: nil, batchSize: 16, seed: 1)
        let trainer = Trainer(task: task, optimizer: .adam, learningRate: 1e-2, clipNorm: 1, schedule: .cosine, warmupSteps: 0,
                              schedulePeriod: 600, gamma: 0.1, plateauPatience: 3, patience: nil, monitor: .loss)
        for _ in 0..<600 { _ = trainer.trainStep() }
        let report = ForecastEvaluation.evaluate(model, table, testSize: 12)
        #expect(report.metrics.mae < 0.1, "\(strategy): MAE \(report.metrics.mae)")
        #expect(report.metrics.mase < report.baselines[.naive]!.mase, "\(strategy): \(report.metrics) vs naive \(report.baselines[.naive]!)")
        print("sine \(strategy): MAE \(report.metrics.mae), MASE \(report.metrics.mase); naive MASE \(report.baselines[.naive]!.mase)")
    }

    @Test("the test points never reach training: poisoned with NaN, training still gives finite losses and forecasts")
    func testPointsUnread() {
        var values = Self.sine(200)
        for i in 188..<200 { values[i] = .nan }
        let table = TimeSeriesTable(targetNames: ["y"], featureNames: ["x"], targets: [values], features: [values.map { $0.isNaN ? .nan : $0 * 2 }])
        for strategy in ForecastStrategy.allCases where strategy != .recursive {
            var configuration = ForecasterConfiguration(hiddenSize: 8, strategy: strategy, context: 24, horizon: 12,
                                                        targetNames: ["y"], featureNames: ["x"], difference: 1, testSize: 12)
            let split = try! ForecastData.split(rows: table.count, configuration, validationFraction: 0.2).get()
            let scaling = ForecastData.fitScaling(table, modelRows: split.trainingEnd, kind: .minmax, difference: 1)
            let statistics = scaling.targets.offset + scaling.targets.scale + scaling.features.offset + scaling.features.scale
            #expect(statistics.allSatisfy { $0.isFinite }, "\(statistics)")
            configuration.targetScaling = scaling.targets
            configuration.featureScaling = scaling.features
            let origins = ForecastData.origins(split, configuration)
            #expect(origins.training.allSatisfy { $0 + 12 <= split.trainingEnd } && origins.validation.allSatisfy { $0 + 12 <= split.testStart })
            #expect(split.testStart == 199 - 12 && !origins.validation.isEmpty)
            var g = RandomGenerator(seed: 4)
            let model = Forecaster<Float>(configuration, using: &g)
            let series = ForecastData.series(table, configuration)
            let task = ForecastTask(model: model, training: ForecastWindows(series: series, origins: origins.training, context: 24, horizon: 12),
                                    validation: ForecastWindows(series: series, origins: origins.validation, context: 24, horizon: 12),
                                    batchSize: 16, seed: 2)
            let trainer = Trainer(task: task, optimizer: .adam, learningRate: 1e-3, clipNorm: 5, schedule: .constant, warmupSteps: 0,
                                  schedulePeriod: 1, gamma: 0.1, plateauPatience: 3, patience: nil, monitor: .loss)
            for _ in 0..<20 {
                let outcome = trainer.trainStep()
                #expect(outcome.loss.isFinite, "\(strategy): \(outcome)")
            }
            let validation = task.validate()
            #expect(validation.map { $0.loss.isFinite } == true, "\(strategy): \(String(describing: validation))")
            let forecast = ForecastEvaluation.forecast(model, table, origin: 188, steps: 12)
            #expect(forecast.allSatisfy { $0[0][0].isFinite })
        }
    }

    @Test("scaling: fitted on the training rows only, inverted to within 4 ulps of its operands, and stored bit for bit in a checkpoint")
    func scalingRoundTrips() throws {
        var g = RandomGenerator(seed: 8)
        let values = (0..<300).map { _ in g.uniform(Double.self) * 1e4 - 3e3 }
        for kind in SeriesScalingKind.allCases {
            let scaling = SeriesScaling(fitting: [Array(values.prefix(200))], kind: kind)
            if kind == .standard {
                let mean = values.prefix(200).reduce(0, +) / 200
                #expect(abs(scaling.offset[0] - mean) < 1e-9)
            }
            if kind == .minmax { #expect(scaling.offset[0] == values.prefix(200).min()! && scaling.scale[0] == values.prefix(200).max()! - values.prefix(200).min()!) }
            for x in values {
                let back = scaling.invert(scaling.apply(x, series: 0), series: 0)
                // Exact up to the rounding of x - offset and of the division: a few ulps of the operands.
                let bound = 4 * Swift.max(abs(x), abs(scaling.offset[0]), scaling.scale[0]).ulp
                #expect(abs(back - x) <= bound, "\(kind): \(x) -> \(back)")
            }
            let configuration = ForecasterConfiguration(hiddenSize: 3, context: 4, horizon: 2, targetNames: ["y"], targetScaling: scaling)
            var generator = RandomGenerator(seed: 1)
            let model = Forecaster<Float>(configuration, using: &generator)
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("forecast-scaling-\(getpid()).safetensors")
            defer { try? FileManager.default.removeItem(at: url) }
            try ModelCheckpoint.save(model, to: url)
            let loaded = try ModelCheckpoint.load(Forecaster<Float>.self, from: url, validate: { $0.problem })
            #expect(loaded.model.configuration == configuration)
            #expect(loaded.model.configuration.targetScaling.offset[0].bitPattern == scaling.offset[0].bitPattern)
        }
    }

    @Test("levels: differenced forecasts are changes since the last observed value (direct, seq2seq) or accumulated steps (recursive); scaled ones unscaled")
    func levels() {
        let scaling = SeriesScaling(kind: .standard, offset: [1], scale: [2])
        var c = ForecasterConfiguration(hiddenSize: 2, context: 2, horizon: 3, targetNames: ["y"], difference: 1, targetScaling: scaling)
        let forecast: [[[Float]]] = [[[0]], [[1]], [[-0.5]]]
        // Running sums of scaled differences: last + sum * scale + (h + 1) * offset.
        #expect(ForecastData.levels(of: forecast, history: [[5, 10]], c).map { $0[0][0] } == [11, 14, 12])
        c.strategy = .recursive
        #expect(ForecastData.levels(of: forecast, history: [[5, 10]], c).map { $0[0][0] } == [11, 14, 14])
        c.difference = 0
        #expect(ForecastData.levels(of: forecast, history: [[5, 10]], c).map { $0[0][0] } == [1, 3, 0])
    }

    @Test("metrics and baselines against values worked by hand")
    func metrics() {
        let history = [1.0, 2, 3, 4, 5, 6, 7, 8]
        let m = ForecastMetrics(actual: [10, 10], forecast: [9, 12], history: history, seasonalPeriod: 4)
        #expect(m.mae == 1.5 && abs(m.rmse - (2.5).squareRoot()) < 1e-15)
        #expect(abs(m.smape - (200.0 / 19 + 400.0 / 22) / 2) < 1e-12)
        #expect(m.mase == 1.5 / 4)  // |y_t - y_(t-4)| = 4 everywhere
        #expect(ForecastBaseline.naive.forecast(history, horizon: 2, seasonalPeriod: 4) == [8, 8])
        #expect(ForecastBaseline.seasonalNaive.forecast(history, horizon: 6, seasonalPeriod: 4) == [5, 6, 7, 8, 5, 6])
        #expect(ForecastBaseline.drift.forecast(history, horizon: 2, seasonalPeriod: 4) == [9, 10])
        #expect(ForecastMetrics(actual: [0], forecast: [0], history: [1], seasonalPeriod: 1).smape == 0)
        #expect(ForecastMetrics(actual: [1], forecast: [0], history: [1], seasonalPeriod: 1).mase.isNaN)
    }

    @Test("the rows split in time: test rows last, validation windows before them, training before those")
    func split() {
        let c = ForecasterConfiguration(hiddenSize: 2, context: 10, horizon: 5, targetNames: ["y"], testSize: 7)
        let s = try! ForecastData.split(rows: 100, c, validationFraction: 0.1).get()
        #expect(s.testStart == 93 && s.trainingEnd == 93 - 9)
        let o = ForecastData.origins(s, c)
        #expect(o.training.first == 10 && o.training.last == 84 - 5 && o.validation == Array(84...88))
        if case .success = ForecastData.split(rows: 21, c, validationFraction: 0.1) { Issue.record("21 rows cannot hold 10 + 5 + 7") }
        let tight = try? ForecastData.split(rows: 22, c, validationFraction: 0.1).get()
        #expect(tight?.trainingEnd == 15 && tight?.testStart == 15)
    }
}
