import Foundation
import Recur

/// One part of a series for `recur train --task forecast`: the table, and which windows of it the
/// part stands for. The file is parsed once the run's settings are known (they name the columns).
struct ForecastPart {
    enum Role { case source, training, validation }
    var text: String
    var table: TimeSeriesTable?
    var role: Role
    var validationFraction: Double
}

/// `--task forecast`: windows of N past steps of a CSV's series predict the next H.
enum ForecastRecipe: SequenceTaskRecipe {
    static let kind = TaskKind.forecast
    static let itemName = "windows"
    static let exampleName = "windows"
    static let wholeSequences = "--task forecast"
    static let monitor = Monitor.loss

    static func read(_ path: String, text: String, command: TrainCommand) throws -> [ForecastPart] {
        [ForecastPart(text: text, table: nil, role: .source, validationFraction: 0)]
    }

    /// The columns the settings name, from a CSV's text.
    static func table(_ text: String, settings: TrainSettings, path: String) throws -> TimeSeriesTable {
        do {
            return try TimeSeriesTable.parse(text, path: path, time: settings.time.isEmpty ? nil : settings.time,
                                             targets: names(settings.target), features: names(settings.features),
                                             fill: MissingValueFill(rawValue: settings.fill) ?? .none)
        } catch {
            throw UserError(error.description)
        }
    }

    static func names(_ list: String) -> [String] {
        list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The rows split in time: the last --test-size never read, the validation windows' horizons in
    /// the --val-fraction of rows before them, training windows before those.
    static func split(_ examples: [ForecastPart], validation: [ForecastPart]?, settings: TrainSettings, path: String) throws
        -> (training: [ForecastPart], validation: [ForecastPart]) {
        guard validation == nil else { throw UserError("--val: --task forecast validates on the windows just before the test points; give --val-fraction") }
        let table = try Self.table(examples[0].text, settings: settings, path: path)
        let c = try shape(settings, table: table)
        if case let .failure(error) = ForecastData.split(rows: table.count, c, validationFraction: settings.valFraction) {
            throw UserError("\(path): \(error.problem)")
        }
        let part = ForecastPart(text: "", table: table, role: .training, validationFraction: settings.valFraction)
        var held = part
        held.role = .validation
        return ([part], [held])
    }

    /// The configuration the settings give for a table, before the scaling is fitted.
    static func shape(_ s: TrainSettings, table: TimeSeriesTable) throws -> ForecasterConfiguration {
        let quantiles = names(s.quantiles).compactMap(Double.init)
        let c = ForecasterConfiguration(
            cell: s.cellKind!, layers: s.layers, hiddenSize: s.hidden, dropout: s.dropout, initialization: s.initializationKind!,
            strategy: ForecastStrategy(rawValue: s.strategy) ?? .direct, loss: ForecastLoss(rawValue: s.loss) ?? .mse,
            quantiles: quantiles, context: s.context, horizon: s.horizon, targetNames: table.targetNames,
            featureNames: table.featureNames, timeName: table.timeName, difference: s.difference, seasonalPeriod: s.seasonalPeriod,
            fill: MissingValueFill(rawValue: s.fill) ?? .none, testSize: s.testSize > 0 ? s.testSize : s.horizon)
        if let problem = c.problem { throw UserError("--task forecast: \(problem)") }
        return c
    }

    static func fit(_ examples: [ForecastPart], settings: TrainSettings, path: String) throws(DataError) -> ForecasterConfiguration {
        let table = examples[0].table!
        var c: ForecasterConfiguration
        do {
            c = try shape(settings, table: table)
        } catch {
            throw DataError(path: path, line: 0, "\(error)")
        }
        let split = try ForecastData.split(rows: table.count, c, validationFraction: settings.valFraction).get()
        let scaling = ForecastData.fitScaling(table, modelRows: split.trainingEnd, kind: SeriesScalingKind(rawValue: settings.scale) ?? .standard,
                                              difference: c.difference)
        c.targetScaling = scaling.targets
        c.featureScaling = scaling.features
        return c
    }

    static func encode(_ examples: [ForecastPart], for c: ForecasterConfiguration, path: String) throws(DataError) -> ForecastWindows {
        let part = examples[0], table = part.table!
        let split = try ForecastData.split(rows: table.count, c, validationFraction: part.validationFraction).get()
        let origins = ForecastData.origins(split, c)
        return ForecastWindows(series: ForecastData.series(table, c), origins: part.role == .validation ? origins.validation : origins.training,
                               context: c.context, horizon: c.horizon)
    }

    static func count(_ encoded: ForecastWindows) -> Int { encoded.count }

    static func problem(_ configuration: ForecasterConfiguration) -> String? { configuration.problem }

    static func makeTask(model: Forecaster<Float>, training: ForecastWindows, validation: ForecastWindows?, settings: TrainSettings,
                         batchSize: Int) -> ForecastTask {
        ForecastTask(model: model, training: training, validation: validation, batchSize: batchSize, seed: settings.seed)
    }

    static func describe(_ c: ForecasterConfiguration, settings: TrainSettings) -> String {
        "\(c.cell.rawValue) \(c.layers)x\(c.hiddenSize), \(c.strategy.rawValue), context \(c.context) -> horizon \(c.horizon), "
            + "\(c.targetCount) target\(c.targetCount == 1 ? "" : "s")\(c.featureCount > 0 ? " + \(c.featureCount) features" : ""), "
            + (c.loss == .pinball ? "pinball loss at \(c.quantiles.map { String($0) }.joined(separator: ","))" : "\(c.loss.rawValue) loss")
            + (c.difference > 0 ? ", differenced" : "") + ", \(c.targetScaling.kind.rawValue) scaling, test \(c.testSize) rows held out"
    }

    static func describeValidation(_ result: ValidationResult) -> String {
        String(format: "validation loss %.5f  MAE %.5f (scaled units)", result.loss, result.metrics["mae"] ?? .nan)
    }
}

extension TrainCommand {
    /// `recur train --task forecast`.
    func runForecast() throws {
        let others: [(String, Bool)] = [
            ("seq-length", seqLength != nil), ("val", val != nil), ("format", format != nil), ("tokens", tokens != nil),
            ("max-vocab", maxVocab != nil), ("bidirectional", bidirectional != nil), ("pool", pool != nil),
            ("class-weights", classWeights != nil), ("tag-column", tagColumn != nil), ("condition-every-step", conditionEveryStep),
            ("unconditioned", unconditioned), ("attention", attention != nil), ("teacher-forcing", teacherForcing != nil),
            ("decoder-layers", decoderLayers != nil), ("target-tokens", targetTokens != nil), ("shared-vocabulary", sharedVocabulary),
            ("max-source-length", maxSourceLength != nil), ("max-target-length", maxTargetLength != nil), ("embedding", embedding != nil)]
        for (name, given) in others where given {
            throw UserError("--\(name): does not apply to --task forecast" + (name == "val" ? "; it validates on the windows just before the test rows (--val-fraction)" : ""))
        }
        if !(resume || resumeFrom != nil) {
            if target == nil { throw UserError("--target: name the column(s) to forecast, e.g. --target y") }
            if context == nil { throw UserError("--context: give N, the past steps each forecast reads, e.g. --context 48") }
            if horizon == nil { throw UserError("--horizon: give H, the steps to forecast, e.g. --horizon 12") }
        }
        try runSequenceTask(ForecastRecipe.self)
    }
}
