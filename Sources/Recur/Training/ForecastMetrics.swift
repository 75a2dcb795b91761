/// Point-forecast accuracy as the forecasting literature defines it (Hyndman and Koehler 2006), and
/// the three classical baselines a forecaster must beat.
///
/// - MAE: mean |y - f|.  RMSE: sqrt(mean (y - f)^2).
/// - sMAPE: mean 200 |y - f| / (|y| + |f|), in percent (0 when both are 0), as the M3/M4 competitions.
/// - MASE: MAE divided by the in-sample MAE of the seasonal naive forecast one season ahead on the
///   history, `mean_{t > m} |y_t - y_(t-m)|` (m = 1: the naive forecast).
public struct ForecastMetrics: Equatable, Sendable {
    public var mae: Double
    public var rmse: Double
    public var smape: Double
    public var mase: Double

    public init(mae: Double, rmse: Double, smape: Double, mase: Double) {
        self.mae = mae
        self.rmse = rmse
        self.smape = smape
        self.mase = mase
    }

    /// The figures of `forecast` against `actual` (equal lengths), MASE scaled on `history`.
    public init(actual: [Double], forecast: [Double], history: [Double], seasonalPeriod m: Int) {
        precondition(actual.count == forecast.count && !actual.isEmpty, "ForecastMetrics: expected equal, non-empty lengths")
        let n = Double(actual.count)
        var absolute = 0.0, squared = 0.0, symmetric = 0.0
        for (y, f) in zip(actual, forecast) {
            absolute += abs(y - f)
            squared += (y - f) * (y - f)
            let denominator = abs(y) + abs(f)
            symmetric += denominator > 0 ? 200 * abs(y - f) / denominator : 0
        }
        mae = absolute / n
        rmse = (squared / n).squareRoot()
        smape = symmetric / n
        mase = mae / Self.scale(history, seasonalPeriod: m)
    }

    /// MASE's denominator: the in-sample MAE of the seasonal naive forecast (NaN when the history is
    /// not longer than one season).
    public static func scale(_ history: [Double], seasonalPeriod m: Int) -> Double {
        guard history.count > m else { return .nan }
        var total = 0.0
        for t in m..<history.count { total += abs(history[t] - history[t - m]) }
        return total / Double(history.count - m)
    }

    /// The mean of several evaluations (series or forecast origins), figure by figure.
    public static func mean(_ all: [ForecastMetrics]) -> ForecastMetrics {
        let n = Double(all.count)
        return ForecastMetrics(mae: all.map(\.mae).reduce(0, +) / n, rmse: all.map(\.rmse).reduce(0, +) / n,
                               smape: all.map(\.smape).reduce(0, +) / n, mase: all.map(\.mase).reduce(0, +) / n)
    }
}

/// The classical baseline forecasts of the next `horizon` values after `history`.
public enum ForecastBaseline: String, CaseIterable, Sendable {
    /// The last value, repeated.
    case naive
    /// The value one season earlier: `y_(n + h - m k)`, k the smallest that reaches into the history.
    case seasonalNaive = "seasonal_naive"
    /// The line through the first and last values, extended (Hyndman's drift method).
    case drift

    public func forecast(_ history: [Double], horizon: Int, seasonalPeriod m: Int) -> [Double] {
        let n = history.count
        precondition(n > 0, "ForecastBaseline: an empty history")
        switch self {
        case .naive:
            return Array(repeating: history[n - 1], count: horizon)
        case .seasonalNaive:
            guard n >= m else { return Array(repeating: history[n - 1], count: horizon) }
            return (1...max(horizon, 1)).prefix(horizon).map { h in history[n - m + (h - 1) % m] }
        case .drift:
            let slope = n > 1 ? (history[n - 1] - history[0]) / Double(n - 1) : 0
            return (1...max(horizon, 1)).prefix(horizon).map { h in history[n - 1] + Double(h) * slope }
        }
    }
}
