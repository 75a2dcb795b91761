/// Forecasts of a table in the series' own units, and their evaluation against the rows that follow,
/// beside the classical baselines.
public enum ForecastEvaluation {
    /// Forecasts `steps` rows after the first `origin` rows of `table`: `[steps][T][Q]` in the
    /// targets' units. The model reads the last N rows before the origin (after differencing).
    public static func forecast(_ model: Forecaster<Float>, _ table: TimeSeriesTable, origin: Int, steps: Int) -> [[[Double]]] {
        let c = model.configuration
        precondition(origin - c.difference >= c.context && origin <= table.count, "ForecastEvaluation: \(origin) rows cannot fill a context of \(c.context)")
        let history = table.prefix(origin)
        let series = ForecastData.series(history, c)
        let windows = ForecastWindows(series: series, origins: [series.rows], context: c.context, horizon: 0)
        let output = model.forecast(windows.batch([0]), horizon: steps)[0]
        return ForecastData.levels(of: output, history: history.targets, c)
    }

    /// The figures of forecasting the last `testSize` rows of a table.
    public struct Report: Sendable {
        /// Target values forecast (rows x targets x origins).
        public var points: Int
        public var origins: Int
        public var metrics: ForecastMetrics
        public var baselines: [ForecastBaseline: ForecastMetrics]
    }

    /// Forecasts the last `testSize` rows from the rows before them, at `rolling` origins one row
    /// apart (the last at `count - testSize`), and averages the figures over origins and targets.
    /// MASE is scaled on each origin's own history.
    public static func evaluate(_ model: Forecaster<Float>, _ table: TimeSeriesTable, testSize: Int, rolling: Int = 1) -> Report {
        let c = model.configuration, m = c.seasonalPeriod
        var figures: [ForecastMetrics] = [], baselines: [ForecastBaseline: [ForecastMetrics]] = [:]
        for k in 0..<rolling {
            let origin = table.count - testSize - (rolling - 1 - k)
            let forecast = Self.forecast(model, table, origin: origin, steps: testSize)
            for s in 0..<c.targetCount {
                let history = Array(table.targets[s][..<origin])
                let actual = Array(table.targets[s][origin..<(origin + testSize)])
                figures.append(ForecastMetrics(actual: actual, forecast: forecast.map { $0[s][c.medianIndex] }, history: history, seasonalPeriod: m))
                for baseline in ForecastBaseline.allCases {
                    baselines[baseline, default: []].append(ForecastMetrics(
                        actual: actual, forecast: baseline.forecast(history, horizon: testSize, seasonalPeriod: m), history: history, seasonalPeriod: m))
                }
            }
        }
        return Report(points: testSize * c.targetCount * rolling, origins: rolling, metrics: .mean(figures),
                      baselines: baselines.mapValues(ForecastMetrics.mean))
    }
}
