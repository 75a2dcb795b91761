import RecurCore

/// A series as the forecaster sees it: row by row, the targets (differenced when the configuration
/// says so) and the features, each scaled. Row `i` is the table's row `i + difference`.
public struct ForecastSeries: Sendable {
    /// `[rows, T + K]`, row-major.
    public var values: [Float]
    public var rows: Int
    public var width: Int
}

/// Windows of a series for training and validation: each window is an origin `o` (the first forecast
/// row); its context is rows `o - N ..< o` and its horizon rows `o ..< o + H`.
public struct ForecastWindows: Sendable {
    public let series: ForecastSeries
    public let origins: [Int]
    public let context: Int
    public let horizon: Int

    public init(series: ForecastSeries, origins: [Int], context: Int, horizon: Int) {
        precondition(origins.allSatisfy { $0 >= context && $0 + horizon <= series.rows }, "ForecastWindows: a window leaves the series")
        self.series = series
        self.origins = origins
        self.context = context
        self.horizon = horizon
    }

    public var count: Int { origins.count }

    /// The windows `rows` (indices into `origins`) as a batch: `[N + H, B, T + K]`, time-major.
    public func batch(_ rows: [Int]) -> ForecastBatch {
        let B = rows.count, W = series.width, steps = context + horizon
        var x = [Float](repeating: 0, count: steps * B * W)
        series.values.withUnsafeBufferPointer { v in
            for (b, r) in rows.enumerated() {
                let start = origins[r] - context
                for t in 0..<steps {
                    for j in 0..<W { x[(t * B + b) * W + j] = v[(start + t) * W + j] }
                }
            }
        }
        return ForecastBatch(steps: Tensor(shape: [steps, B, W], scalars: x), context: context)
    }
}

/// A batch of windows: the context's rows, then (in training and validation) the horizon's.
public struct ForecastBatch: Sendable {
    /// `[N (+ H), B, T + K]`.
    public var steps: Tensor<Float>
    /// N: how many of the rows are context.
    public var context: Int

    public init(steps: Tensor<Float>, context: Int) {
        self.steps = steps
        self.context = context
    }

    public var batch: Int { steps.shape[1] }
    public var horizon: Int { steps.shape[0] - context }
}

/// Between a table and a forecaster: the split of the rows in time, the scaling fitted on the
/// training rows, the transformation both ways.
public enum ForecastData {
    /// Where a table's rows go: training windows end before `trainingEnd`, validation windows' horizons
    /// lie in `trainingEnd ..< testStart`, and the last rows from `testStart` are never read. In the
    /// model's rows (the table's minus `difference`).
    public struct Split: Equatable, Sendable {
        public var trainingEnd: Int
        public var testStart: Int
    }

    /// The split of `rows` table rows for a configuration, or the problem with it: the test part is
    /// `testSize` rows; validation the `validationFraction` of the rest (at least H rows, none if 0).
    public static func split(rows: Int, _ c: ForecasterConfiguration, validationFraction: Double) -> Result<Split, DataError> {
        let modelRows = rows - c.difference
        let testStart = modelRows - c.testSize
        var validation = validationFraction > 0 ? max(c.horizon, Int((Double(max(testStart, 0)) * validationFraction).rounded())) : 0
        let needed = c.context + c.horizon
        if testStart - validation < needed && validation > 0 {
            validation = 0
        }
        let trainingEnd = testStart - validation
        guard trainingEnd >= needed else {
            return .failure(DataError(path: "", line: 0,
                "has \(rows) rows, too few for one training window: context \(c.context) + horizon \(c.horizon) + test \(c.testSize)"
                + (c.difference > 0 ? " + 1 (differencing)" : "") + " rows are needed at least; give a longer series, or a shorter --context, --horizon or --test-size"))
        }
        return .success(Split(trainingEnd: trainingEnd, testStart: testStart))
    }

    /// The training origins and the validation origins of a split.
    public static func origins(_ split: Split, _ c: ForecasterConfiguration) -> (training: [Int], validation: [Int]) {
        let training = Array(c.context...(split.trainingEnd - c.horizon))
        let validation = split.testStart - split.trainingEnd >= c.horizon
            ? Array(max(split.trainingEnd, c.context)...(split.testStart - c.horizon)) : []
        return (training, validation)
    }

    /// The targets in the model's units before scaling: differenced when `difference` is 1.
    static func levels(_ table: TimeSeriesTable, difference: Int) -> [[Double]] {
        guard difference == 1 else { return table.targets }
        return table.targets.map { y in y.count < 2 ? [] : (1..<y.count).map { y[$0] - y[$0 - 1] } }
    }

    /// Fits the scaling of a configuration on the table's first `modelRows` model rows.
    public static func fitScaling(_ table: TimeSeriesTable, modelRows: Int, kind: SeriesScalingKind, difference: Int)
        -> (targets: SeriesScaling, features: SeriesScaling) {
        let targets = levels(table, difference: difference).map { Array($0.prefix(modelRows)) }
        let features = table.features.map { Array($0.dropFirst(difference).prefix(modelRows)) }
        return (SeriesScaling(fitting: targets, kind: kind), SeriesScaling(fitting: features, kind: kind))
    }

    /// The table in the model's units.
    public static func series(_ table: TimeSeriesTable, _ c: ForecasterConfiguration) -> ForecastSeries {
        let targets = levels(table, difference: c.difference)
        let rows = max(table.count - c.difference, 0), W = c.inputWidth
        var values = [Float](repeating: 0, count: rows * W)
        for i in 0..<rows {
            for (s, y) in targets.enumerated() { values[i * W + s] = Float(c.targetScaling.apply(y[i], series: s)) }
            for (s, f) in table.features.enumerated() {
                values[i * W + c.targetCount + s] = Float(c.featureScaling.apply(f[i + c.difference], series: s))
            }
        }
        return ForecastSeries(values: values, rows: rows, width: W)
    }

    /// Model outputs `[H][T][Q]` (scaled; running sums of differences when `cumulative`, one-step
    /// differences for the recursive strategy with differencing) turned into the series' units after
    /// `history`, each target's observed values up to the forecast origin.
    public static func levels(of forecast: [[[Float]]], history: [[Double]], _ c: ForecasterConfiguration) -> [[[Double]]] {
        var result = forecast.map { $0.map { $0.map { _ in 0.0 } } }
        for s in 0..<c.targetCount {
            let last = history[s].last ?? 0, scaling = c.targetScaling
            for q in 0..<c.quantileCount {
                var level = last
                for h in 0..<forecast.count {
                    let z = Double(forecast[h][s][q])
                    if c.cumulative {
                        // The sum of h + 1 scaled differences: each unscaled is z_k * scale + offset.
                        result[h][s][q] = last + scaling.invertChange(z, series: s) + Double(h + 1) * scaling.offset[s]
                    } else if c.difference == 1 {
                        level += scaling.invert(z, series: s)
                        result[h][s][q] = level
                    } else {
                        result[h][s][q] = scaling.invert(z, series: s)
                    }
                }
            }
        }
        return result
    }
}
