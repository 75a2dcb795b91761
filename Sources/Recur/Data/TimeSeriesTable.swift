import Foundation

/// What to do with a missing value (an empty field, `NA`, `NaN`, `null`) in a series.
public enum MissingValueFill: String, Codable, CaseIterable, Sendable {
    /// Refuse the file, naming the row and column.
    case none
    /// The last value before it (pandas' `ffill`); a series may not start with a gap.
    case ffill
    /// The straight line between the values on either side (pandas' `interpolate()`); a gap at the
    /// start is refused, one at the end carries the last value forward.
    case linear
}

/// The columns of a CSV that a forecast uses: an optional time column, the target series and the
/// extra input series ("features"), as numbers, one row per time step.
public struct TimeSeriesTable: Sendable {
    public var time: TimeAxis?
    public var timeName: String?
    public var targetNames: [String]
    public var featureNames: [String]
    /// Each target's values, row by row.
    public var targets: [[Double]]
    /// Each feature's values, row by row.
    public var features: [[Double]]

    public init(time: TimeAxis? = nil, timeName: String? = nil, targetNames: [String], featureNames: [String] = [],
                targets: [[Double]], features: [[Double]] = []) {
        self.time = time
        self.timeName = timeName
        self.targetNames = targetNames
        self.featureNames = featureNames
        self.targets = targets
        self.features = features
    }

    /// The number of rows.
    public var count: Int { targets.first?.count ?? 0 }

    /// The fields that mean "no value here".
    static let missingMarks: Set<String> = ["", "NA", "N/A", "NaN", "nan", "NAN", "null", "NULL", "None", "?"]

    /// Reads the named columns of a CSV's text.
    public static func parse(_ text: String, path: String, time: String?, targets: [String], features: [String] = [],
                             fill: MissingValueFill = .none) throws(DataError) -> TimeSeriesTable {
        try read(CSVTable.parse(text, path: path), path: path, time: time, targets: targets, features: features, fill: fill)
    }

    /// Picks the named columns of a parsed CSV: every value a finite number (or missing, then filled
    /// as `fill` says), the time column increasing.
    public static func read(_ csv: CSVTable, path: String, time: String?, targets: [String], features: [String] = [],
                            fill: MissingValueFill = .none) throws(DataError) -> TimeSeriesTable {
        func index(_ name: String, _ role: String) throws(DataError) -> Int {
            guard let i = csv.column(named: name) else {
                throw DataError(path: path, line: 0, "has no column \"\(name)\" for \(role); its columns are \(csv.columns.map { "\"\($0)\"" }.joined(separator: ", "))")
            }
            return i
        }
        guard !targets.isEmpty else { throw DataError(path: path, line: 0, "no target column given") }
        let named = targets + features + (time.map { [$0] } ?? [])
        for name in Set(named) where named.filter({ $0 == name }).count > 1 {
            throw DataError(path: path, line: 0, "column \"\(name)\" is named twice among the time, targets and features; each column has one role")
        }
        let targetColumns = try targets.map { name throws(DataError) in try index(name, "--target") }
        let featureColumns = try features.map { name throws(DataError) in try index(name, "--features") }
        let timeColumn = try time.map { name throws(DataError) in try index(name, "--time") }
        var axis: TimeAxis? = nil
        if let timeColumn {
            let fields = csv.rows.map { $0[timeColumn] }
            if let blank = fields.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                throw DataError(path: path, line: 0, "row \(csv.rowNumbers[blank]), column \"\(time!)\": the time is missing; every row needs its time")
            }
            axis = try TimeAxis.parse(fields, column: time!, rowNumbers: csv.rowNumbers, path: path)
        }
        func series(_ column: Int) throws(DataError) -> [Double] {
            var values: [Double] = []
            values.reserveCapacity(csv.rows.count)
            var gaps: [Int] = []
            for (r, row) in csv.rows.enumerated() {
                let field = row[column].trimmingCharacters(in: .whitespaces)
                if missingMarks.contains(field) {
                    guard fill != .none else {
                        throw DataError(path: path, line: 0, "row \(csv.rowNumbers[r]), column \"\(csv.columns[column])\": the value is missing; fill gaps with --fill ffill or --fill linear, or mend the file")
                    }
                    gaps.append(r)
                    values.append(.nan)
                    continue
                }
                guard let value = Double(field), value.isFinite else {
                    throw DataError(path: path, line: 0, "row \(csv.rowNumbers[r]), column \"\(csv.columns[column])\": \"\(field)\" is not a finite number")
                }
                values.append(value)
            }
            if let first = gaps.first, first == 0 || values[..<first].allSatisfy(\.isNaN) {
                throw DataError(path: path, line: 0, "row \(csv.rowNumbers[first]), column \"\(csv.columns[column])\": the series starts with a missing value, which --fill \(fill.rawValue) cannot fill from before; drop the leading rows")
            }
            return gaps.isEmpty ? values : Self.filled(values, fill)
        }
        let targetValues = try targetColumns.map { c throws(DataError) in try series(c) }
        let featureValues = try featureColumns.map { c throws(DataError) in try series(c) }
        return TimeSeriesTable(time: axis, timeName: time, targetNames: targets, featureNames: features,
                               targets: targetValues, features: featureValues)
    }

    /// `values` with each NaN replaced as `fill` says (the first value is not NaN).
    static func filled(_ values: [Double], _ fill: MissingValueFill) -> [Double] {
        var out = values
        var i = 0
        while i < out.count {
            guard out[i].isNaN else { i += 1; continue }
            var end = i
            while end < out.count && out[end].isNaN { end += 1 }
            let before = out[i - 1]
            for j in i..<end {
                if fill == .linear && end < out.count {
                    out[j] = before + (out[end] - before) * Double(j - i + 1) / Double(end - i + 1)
                } else {
                    out[j] = before
                }
            }
            i = end
        }
        return out
    }

    /// The first `count` rows.
    public func prefix(_ count: Int) -> TimeSeriesTable {
        var table = self
        table.targets = targets.map { Array($0.prefix(count)) }
        table.features = features.map { Array($0.prefix(count)) }
        table.time = time.map { TimeAxis(format: $0.format, values: Array($0.values.prefix(count))) }
        return table
    }
}
