import Foundation
import Recur

/// Reads the series a forecaster was trained on (its columns, its gap filling) from a CSV, or throws
/// the one-line error for it.
func readSeries(_ path: String, for c: ForecasterConfiguration) throws -> TimeSeriesTable {
    let text = try readText(path)
    do {
        return try TimeSeriesTable.parse(text, path: path, time: c.timeName, targets: c.targetNames, features: c.featureNames, fill: c.fill)
    } catch {
        throw UserError(error.description)
    }
}

/// The rows a forecast from the end of `rows` rows needs at least.
func checkHistory(_ rows: Int, origin: Int, for c: ForecasterConfiguration, path: String, what: String) throws {
    let needed = c.context + c.difference
    guard origin >= needed else {
        throw UserError("\(path): has \(rows) rows; \(what) needs \(needed) rows before the first forecast (context \(c.context)"
                        + (c.difference > 0 ? " + 1 for differencing" : "") + ")")
    }
}

extension EvalCommand {
    /// MAE, RMSE, sMAPE and MASE of forecasting the file's last rows, beside the baselines.
    func evaluateForecast(_ loaded: ModelCheckpoint.Loaded<Forecaster<Float>>) throws {
        let c = loaded.model.configuration
        let size = testSize ?? c.testSize
        guard rolling >= 1 && rolling <= 1 << 16 else { throw UserError("--rolling: must be an integer in 1...65536, got \(rolling)") }
        guard size >= 1 && size <= 1 << 24 else { throw UserError("--test-size: must be an integer in 1...16777216, got \(size)") }
        if c.strategy == .direct && size > c.horizon {
            throw UserError("--test-size \(size): this direct model forecasts at most its horizon, \(c.horizon) steps; give --test-size \(c.horizon) or less")
        }
        let table = try readSeries(data, for: c)
        let firstOrigin = table.count - size - (rolling - 1)
        try checkHistory(table.count, origin: firstOrigin, for: c, path: data,
                         what: "forecasting the last \(size) rows" + (rolling > 1 ? " from \(rolling) origins" : ""))
        let report = ForecastEvaluation.evaluate(loaded.model, table, testSize: size, rolling: rolling)
        if json {
            let object = ForecastReport(task: "forecast", points: report.points, origins: report.origins, figures: report.metrics,
                                        baselines: Dictionary(uniqueKeysWithValues: report.baselines.map { ($0.key.rawValue, ForecastFigures($0.value)) }))
            print(try jsonLine(object))
            return
        }
        print("\(data): \(report.points) points forecast (last \(size) rows\(rolling > 1 ? ", \(rolling) origins" : ""), seasonal period \(c.seasonalPeriod))")
        print("                MAE        RMSE       sMAPE     MASE")
        func line(_ name: String, _ m: ForecastMetrics) {
            print(name.padding(toLength: 16, withPad: " ", startingAt: 0)
                  + String(format: "%-10.4g %-10.4g %-9.3f %.4f", m.mae, m.rmse, m.smape, m.mase))
        }
        line("recur", report.metrics)
        for baseline in ForecastBaseline.allCases { line(baseline.rawValue, report.baselines[baseline]!) }
    }
}

/// `recur eval --json` for a forecaster.
struct ForecastReport: Encodable {
    var task: String
    var points: Int
    var origins: Int
    var figures: ForecastMetrics
    var baselines: [String: ForecastFigures]

    enum CodingKeys: String, CodingKey { case task, points, origins, mae, rmse, smape, mase, baselines }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(task, forKey: .task)
        try c.encode(points, forKey: .points)
        try c.encode(origins, forKey: .origins)
        let f = ForecastFigures(figures)
        try c.encode(f.mae, forKey: .mae)
        try c.encode(f.rmse, forKey: .rmse)
        try c.encode(f.smape, forKey: .smape)
        try c.encode(f.mase, forKey: .mase)
        try c.encode(baselines, forKey: .baselines)
    }
}

/// One method's figures in JSON (MASE is null when the history is not longer than a season).
struct ForecastFigures: Encodable {
    var mae: Double
    var rmse: Double
    var smape: Double
    var mase: Double?

    init(_ m: ForecastMetrics) {
        mae = m.mae
        rmse = m.rmse
        smape = m.smape
        mase = m.mase.isFinite ? m.mase : nil
    }
}

extension PredictCommand {
    /// The forecast after the last row of --data as CSV: the time (continued), then per target the
    /// point forecast and its other quantiles.
    func predictForecast(_ loaded: ModelCheckpoint.Loaded<Forecaster<Float>>) throws {
        let c = loaded.model.configuration
        for (name, given) in [("beam", beam != 1), ("length-penalty", lengthPenalty != 1), ("max-length", maxLength != nil),
                              ("attention-map", attentionMap != nil), ("tag-column", tagColumn != nil), ("format", format != nil)] where given {
            throw UserError("--\(name): does not apply to a forecasting model")
        }
        let steps = horizon ?? c.horizon
        guard steps >= 1 && steps <= 1 << 16 else { throw UserError("--horizon: must be an integer in 1...65536, got \(steps)") }
        if c.strategy == .direct && steps > c.horizon {
            throw UserError("--horizon \(steps): this direct model forecasts at most \(c.horizon) steps; retrain with a longer --horizon, or use --strategy recursive or seq2seq")
        }
        if let plot, !plot.lowercased().hasSuffix(".svg") { throw UserError("--plot \(plot): give a file name ending in .svg") }
        let table = try readSeries(data, for: c)
        try checkHistory(table.count, origin: table.count, for: c, path: data, what: "a forecast")
        let forecast = ForecastEvaluation.forecast(loaded.model, table, origin: table.count, steps: steps)
        let times = table.time?.following(steps) ?? (1...steps).map { String(table.count + $0) }
        var header = [c.timeName ?? "step"]
        for name in c.targetNames {
            header.append(name)
            for (q, quantile) in c.quantiles.enumerated() where q != c.medianIndex { header.append("\(name)_q\(quantile)") }
        }
        var output = header.map(csvField).joined(separator: ",") + "\n"
        for (h, time) in times.enumerated() {
            var fields = [time]
            for s in 0..<c.targetCount {
                fields.append(String(forecast[h][s][c.medianIndex]))
                for q in c.quantiles.indices where q != c.medianIndex { fields.append(String(forecast[h][s][q])) }
            }
            output += fields.map(csvField).joined(separator: ",") + "\n"
        }
        FileHandle.standardOutput.write(Data(output.utf8))
        if let plot {
            let text = ForecastPlot.svg(table: table, forecast: forecast, configuration: c, times: times)
            do {
                try AtomicFile.write(Array(text.utf8), to: URL(fileURLWithPath: plot))
            } catch {
                throw UserError("--plot \(error)", kind: .ioError)
            }
        }
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
