import Foundation

/// The time column of a series: numbers, or ISO 8601 dates in one of the forms below, strictly
/// increasing, with the step between rows inferred so that a forecast's times can continue it.
///
/// Dates are read by Foundation's `ISO8601DateFormatter` in UTC, and a field must print back exactly
/// as written (so `2020-02-30` or `2020-1-5` are refused, not rolled over or guessed).
public struct TimeAxis: Equatable, Sendable {
    public enum Format: String, Codable, CaseIterable, Sendable {
        /// Plain numbers (years, indices, seconds).
        case number
        /// `2020-01-31`
        case date
        /// `2020-01`
        case month
        /// `2020-01-31T12:00:00`
        case dateTime
        /// `2020-01-31 12:00:00`
        case dateSpaceTime
        /// `2020-01-31T12:00:00Z`
        case dateTimeUTC
    }

    /// The step between rows: a fixed amount (seconds for dates), or calendar months (monthly,
    /// quarterly, yearly dates on one day of the month, or on month ends).
    public enum Step: Equatable, Sendable {
        case interval(Double)
        case months(Int, monthEnd: Bool)
    }

    public var format: Format
    /// The numbers, or seconds since 1970-01-01 UTC.
    public var values: [Double]

    public init(format: Format, values: [Double]) {
        self.format = format
        self.values = values
    }

    /// Reads a column's fields (`rowNumbers` for the messages), refusing a field that is not of the
    /// first field's form, and a time that does not come after the row before it.
    public static func parse(_ fields: [String], column: String, rowNumbers: [Int], path: String) throws(DataError) -> TimeAxis {
        guard let first = fields.first?.trimmingCharacters(in: .whitespaces) else { return TimeAxis(format: .number, values: []) }
        let format: Format
        if Double(first) != nil { format = .number }
        else if let found = Format.allCases.first(where: { $0 != .number && Self.date(first, $0) != nil }) { format = found }
        else {
            throw DataError(path: path, line: 0, "row \(rowNumbers[0]), column \"\(column)\": \"\(first)\" is neither a number nor an ISO 8601 date (2020-01-31, 2020-01, 2020-01-31T12:00:00)")
        }
        var values: [Double] = []
        values.reserveCapacity(fields.count)
        for (i, raw) in fields.enumerated() {
            let field = raw.trimmingCharacters(in: .whitespaces)
            let value: Double?
            if format == .number { value = Double(field).flatMap { $0.isFinite ? $0 : nil } }
            else { value = Self.date(field, format) }
            guard let value else {
                let expected = format == .number ? "a finite number" : "a date like \(Self.text(values.first ?? 0, format))"
                throw DataError(path: path, line: 0, "row \(rowNumbers[i]), column \"\(column)\": \"\(field)\" is not \(expected) as the first row's time is")
            }
            if let previous = values.last, !(value > previous) {
                let what = value == previous ? "repeats row \(rowNumbers[i - 1])'s time" : "comes before row \(rowNumbers[i - 1])'s time \(Self.text(previous, format))"
                throw DataError(path: path, line: 0, "row \(rowNumbers[i]), column \"\(column)\": \(field) \(what); the rows must be in increasing time order, one row per time")
            }
            values.append(value)
        }
        return TimeAxis(format: format, values: values)
    }

    /// The most common step between rows (the first on a tie), in calendar months when every step is
    /// a whole number of months on one day of the month (or on month ends).
    public var step: Step {
        guard values.count >= 2 else { return .interval(1) }
        if format != .number {
            let parts = values.map(Self.calendarParts)
            let midnight = parts.allSatisfy { $0.seconds == 0 }
            let monthEnds = parts.allSatisfy(\.isMonthEnd)
            let sameDay = Set(parts.map(\.day)).count == 1
            if midnight && (sameDay || monthEnds) {
                let months = zip(parts, parts.dropFirst()).map { $1.monthIndex - $0.monthIndex }
                return .months(Self.mode(months.map(Double.init)).map(Int.init) ?? 1, monthEnd: monthEnds && !sameDay)
            }
        }
        return .interval(Self.mode(zip(values, values.dropFirst()).map { $1 - $0 }) ?? 1)
    }

    /// The `count` times after the last row, one step apart, written in the column's form.
    public func following(_ count: Int) -> [String] {
        let steps = (0..<max(count, 0)).map { $0 + 1 }
        guard let last = values.last else { return steps.map { String($0) } }
        switch step {
        case let .interval(d):
            return steps.map { Self.text(last + Double($0) * d, format) }
        case let .months(k, monthEnd):
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let start = Date(timeIntervalSince1970: last)
            return steps.map { i in
                var date = calendar.date(byAdding: .month, value: i * k, to: start)!
                if monthEnd, let range = calendar.range(of: .day, in: .month, for: date) {
                    date = calendar.date(bySetting: .day, value: range.count, of: date) ?? date
                }
                return Self.text(date.timeIntervalSince1970, format)
            }
        }
    }

    /// A time written in the column's form.
    public func text(_ value: Double) -> String { Self.text(value, format) }

    static func text(_ value: Double, _ format: Format) -> String {
        if format == .number {
            return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        }
        return formatter(format).string(from: Date(timeIntervalSince1970: value))
    }

    static func formatter(_ format: Format) -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let time: ISO8601DateFormatter.Options = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
        switch format {
        case .number, .date: formatter.formatOptions = [.withFullDate]
        case .month: formatter.formatOptions = [.withYear, .withMonth, .withDashSeparatorInDate]
        case .dateTime: formatter.formatOptions = time
        case .dateSpaceTime: formatter.formatOptions = time.union(.withSpaceBetweenDateAndTime)
        case .dateTimeUTC: formatter.formatOptions = [.withInternetDateTime]
        }
        return formatter
    }

    /// The seconds of `text` if it is a date of `format` that prints back as written.
    static func date(_ text: String, _ format: Format) -> Double? {
        let formatter = formatter(format)
        guard let date = formatter.date(from: text), formatter.string(from: date) == text else { return nil }
        return date.timeIntervalSince1970
    }

    static func calendarParts(_ seconds: Double) -> (monthIndex: Int, day: Int, isMonthEnd: Bool, seconds: Double) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = Date(timeIntervalSince1970: seconds)
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        let days = calendar.range(of: .day, in: .month, for: date)?.count ?? 31
        let midnight = calendar.startOfDay(for: date).timeIntervalSince1970
        return (c.year! * 12 + c.month! - 1, c.day!, c.day! == days, seconds - midnight)
    }

    /// The most frequent value (the first seen on a tie).
    static func mode(_ values: [Double]) -> Double? {
        var counts: [Double: Int] = [:]
        for v in values { counts[v, default: 0] += 1 }
        var best: Double? = nil
        for v in values where best == nil || counts[v]! > counts[best!]! { best = v }
        return best
    }
}
