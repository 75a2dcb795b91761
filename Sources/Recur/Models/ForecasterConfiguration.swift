import RecurCore

/// How a forecaster covers the horizon.
public enum ForecastStrategy: String, Codable, CaseIterable, Sendable {
    /// The encoder's last output gives all H steps at once (one linear head of H outputs per series).
    case direct
    /// One step ahead at every step; forecasting feeds each prediction back as the next input.
    case recursive
    /// An encoder reads the context, a decoder of single-step cells writes the H steps, each fed the
    /// previous value (the true one in training, its own prediction when forecasting).
    case seq2seq
}

/// What a forecaster minimises.
public enum ForecastLoss: String, Codable, CaseIterable, Sendable {
    /// Mean squared error: the forecast is a mean.
    case mse
    /// Mean absolute error: the forecast is a median.
    case mae
    /// Pinball (quantile) loss, one output per quantile: the forecast is the median, the others
    /// bound prediction intervals.
    case pinball
}

/// The sizes, choices and data statistics that define a `Forecaster`.
public struct ForecasterConfiguration: Codable, Equatable, Sendable {
    public var cell: CellKind
    public var layers: Int
    public var hiddenSize: Int
    /// Dropout between the encoder's layers.
    public var dropout: Double
    public var initialization: WeightInitialization
    public var strategy: ForecastStrategy
    public var loss: ForecastLoss
    /// The quantiles of the pinball loss, increasing, 0.5 among them; empty for mse and mae.
    public var quantiles: [Double]
    /// N: the past steps a forecast reads.
    public var context: Int
    /// H: the steps it forecasts.
    public var horizon: Int
    public var targetNames: [String]
    public var featureNames: [String]
    public var timeName: String?
    /// 0, or 1 to model the differences `y_t - y_(t-1)` of the targets.
    public var difference: Int
    /// m: the season length the seasonal naive baseline and MASE use (1: none).
    public var seasonalPeriod: Int
    /// The targets' scaling (of their differences when `difference` is 1), fitted on the training rows.
    public var targetScaling: SeriesScaling
    /// The features' scaling, fitted on the training rows.
    public var featureScaling: SeriesScaling
    /// How gaps in the series are filled when a file is read (for training, evaluation, prediction).
    public var fill: MissingValueFill
    /// The points at the end of the training file that training never saw, which `recur eval`
    /// forecasts by default.
    public var testSize: Int

    public init(cell: CellKind = .lstm, layers: Int = 1, hiddenSize: Int, dropout: Double = 0,
                initialization: WeightInitialization = .pytorch, strategy: ForecastStrategy = .direct,
                loss: ForecastLoss = .mse, quantiles: [Double] = [], context: Int, horizon: Int,
                targetNames: [String], featureNames: [String] = [], timeName: String? = nil,
                difference: Int = 0, seasonalPeriod: Int = 1, fill: MissingValueFill = .none,
                targetScaling: SeriesScaling? = nil, featureScaling: SeriesScaling? = nil, testSize: Int? = nil) {
        self.cell = cell
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.dropout = dropout
        self.initialization = initialization
        self.strategy = strategy
        self.loss = loss
        self.quantiles = quantiles
        self.context = context
        self.horizon = horizon
        self.targetNames = targetNames
        self.featureNames = featureNames
        self.timeName = timeName
        self.difference = difference
        self.seasonalPeriod = seasonalPeriod
        self.fill = fill
        self.targetScaling = targetScaling ?? .identity(count: targetNames.count)
        self.featureScaling = featureScaling ?? .identity(count: featureNames.count)
        self.testSize = testSize ?? horizon
    }

    /// T: the series forecast.
    public var targetCount: Int { targetNames.count }
    /// K: the extra input series.
    public var featureCount: Int { featureNames.count }
    /// T + K: one step's input.
    public var inputWidth: Int { targetCount + featureCount }
    /// Q: outputs per series and step (1 for mse and mae).
    public var quantileCount: Int { loss == .pinball ? quantiles.count : 1 }
    /// Which quantile is the point forecast (the median).
    public var medianIndex: Int { loss == .pinball ? quantiles.firstIndex(of: 0.5) ?? 0 : 0 }
    /// Whether the horizon's outputs are running sums of the (differenced) targets from the origin: with
    /// `difference` 1, for the direct and seq2seq strategies (the recursive one predicts one step).
    public var cumulative: Bool { difference == 1 && strategy != .recursive }
    /// The head's outputs: H*T*Q for direct, T*Q otherwise.
    public var headWidth: Int { (strategy == .direct ? horizon : 1) * targetCount * quantileCount }

    /// What is wrong with this configuration, or nil.
    public var problem: String? {
        if !(layers >= 1 && layers <= 64) { return "layers \(layers) is out of range" }
        if !(hiddenSize >= 1 && hiddenSize <= 16384) { return "hidden size \(hiddenSize) is out of range" }
        if !(dropout >= 0 && dropout < 1) { return "dropout \(dropout) is not in [0, 1)" }
        if !(context >= 1 && context <= 1 << 20) { return "context \(context) is out of range" }
        if !(horizon >= 1 && horizon <= 1 << 16) { return "horizon \(horizon) is out of range" }
        if targetNames.isEmpty || targetNames.count > 4096 || featureNames.count > 4096 { return "the target and feature counts \(targetNames.count), \(featureNames.count) are out of range" }
        if Set(targetNames + featureNames).count != targetNames.count + featureNames.count { return "a column is named twice among the targets and features" }
        if !(difference == 0 || difference == 1) { return "difference \(difference) is not 0 or 1" }
        if !(seasonalPeriod >= 1 && seasonalPeriod <= 1 << 16) { return "seasonal period \(seasonalPeriod) is out of range" }
        if !(testSize >= 1 && testSize <= 1 << 24) { return "test size \(testSize) is out of range" }
        if targetScaling.width != targetCount || targetScaling.scale.count != targetCount
            || featureScaling.width != featureCount || featureScaling.scale.count != featureCount {
            return "the scaling has \(targetScaling.width) targets and \(featureScaling.width) features, not \(targetCount) and \(featureCount)"
        }
        if !(targetScaling.offset + targetScaling.scale + featureScaling.offset + featureScaling.scale).allSatisfy(\.isFinite)
            || !(targetScaling.scale + featureScaling.scale).allSatisfy({ $0 > 0 }) {
            return "the scaling statistics are not finite and positive"
        }
        switch loss {
        case .pinball:
            if quantiles.isEmpty || quantiles.count > 99 { return "the pinball loss needs 1 to 99 quantiles" }
            if !quantiles.allSatisfy({ $0 > 0 && $0 < 1 }) || zip(quantiles, quantiles.dropFirst()).contains(where: { $0 >= $1 }) {
                return "quantiles \(quantiles) must be increasing, each in (0, 1)"
            }
            if !quantiles.contains(0.5) { return "quantiles \(quantiles) must include 0.5, the point forecast" }
        case .mse, .mae:
            if !quantiles.isEmpty { return "quantiles apply to the pinball loss" }
        }
        if strategy == .recursive && difference == 1 && loss == .pinball {
            return "the recursive strategy's quantiles are one-step quantiles, which differencing would add up into no quantile at all; use --strategy direct or seq2seq with --quantiles and --difference 1"
        }
        if strategy == .recursive && featureCount > 0 {
            return "the recursive strategy feeds its forecasts back as inputs, and features are known only in the past; use --strategy direct or seq2seq with --features"
        }
        return nil
    }
}
