import RecurCore

/// Forecasting: shuffled mini-batches of training windows through a `Forecaster<Float>`, validated
/// by forecasting the validation windows as `recur predict` would (no teacher forcing): the loss over
/// their horizons, and the MAE of the point forecasts, in the model's units.
public final class ForecastTask: WholeSequenceTask {
    public let model: Forecaster<Float>
    public let training: ForecastWindows
    public let validation: ForecastWindows?
    public let order: SequenceBatches
    public var processGroup: (any CollectiveSum)?

    public init(model: Forecaster<Float>, training: ForecastWindows, validation: ForecastWindows?, batchSize: Int, seed: UInt64) {
        self.model = model
        self.training = training
        self.validation = validation.flatMap { $0.count > 0 ? $0 : nil }
        order = SequenceBatches(lengths: Array(repeating: 1, count: training.count), batchSize: batchSize, seed: seed)
    }

    public func trainingBatch(_ rows: [Int]) -> ForecastBatch { training.batch(rows) }

    public func validate() -> ValidationResult? {
        guard let validation else { return nil }
        let e = Self.evaluate(model, on: validation, group: processGroup)
        return ValidationResult(loss: e.loss, metrics: ["mae": e.mae])
    }

    /// The loss and point MAE of forecasting every window's horizon from its context. Under `group`,
    /// rank r runs batches r, r + N, ... and the sums are added: every rank gets the whole figures.
    public static func evaluate(_ model: Forecaster<Float>, on windows: ForecastWindows, batchSize: Int = 256,
                                group: (any CollectiveSum)? = nil) -> (loss: Double, mae: Double) {
        let mode = model.enterInference()
        defer { model.restore(mode) }
        let c = model.configuration, T = c.targetCount, Q = c.quantileCount, H = c.horizon
        var lossSum = 0.0, absolute = 0.0, counted = 0
        for start in stride(from: 0, to: windows.count, by: batchSize).assigned(to: group) {
            let rows = Array(start..<min(start + batchSize, windows.count))
            let batch = windows.batch(rows)
            let forecast = model.forecast(batch)
            let targets = Forecaster<Float>.horizonTargets(batch.steps, context: c.context, c)
            var prediction: [Float] = [], target: [Float] = []
            prediction.reserveCapacity(rows.count * H * T * Q)
            for (b, _) in rows.enumerated() {
                for h in 0..<H {
                    for s in 0..<T {
                        let y = targets[b][h][s]
                        target.append(y)
                        prediction += forecast[b][h][s]
                        absolute += Double(abs(forecast[b][h][s][c.medianIndex] - y))
                    }
                }
            }
            lossSum += Forecaster<Float>.loss(prediction, target, c).loss * Double(target.count)
            counted += target.count
        }
        if let group, group.isShared {
            var totals = [lossSum, absolute, Double(counted)]
            group.sum(&totals)
            (lossSum, absolute, counted) = (totals[0], totals[1], Int(totals[2]))
        }
        return (lossSum / Double(max(counted, 1)), absolute / Double(max(counted, 1)))
    }
}
