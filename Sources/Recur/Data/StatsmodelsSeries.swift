import Foundation

/// The forecasting series of the statsmodels package, rewritten for Recur: the shipped CSV with an ISO
/// `date` column (what `recur data co2` and `recur data macro` write).
public enum StatsmodelsSeries {
    public enum Set: String, Sendable {
        /// `date,co2` with dates as `19580329`; a missing week is an empty field (kept empty).
        case co2
        /// `"year","quarter",...`: the quarter becomes its first day.
        case macro

        /// The file inside the statsmodels wheel.
        public var member: String {
            switch self {
            case .co2: return "statsmodels/datasets/co2/co2.csv"
            case .macro: return "statsmodels/datasets/macrodata/macrodata.csv"
            }
        }
    }

    /// The shipped CSV's text as Recur's CSV: co2's `19580329` becomes `1958-03-29`; macro's `year`
    /// and `quarter` become the quarter's first day, `1959-04-01`; the other columns are kept as written.
    public static func convert(_ text: String, _ set: Set, path: String) throws(DataError) -> String {
        let table = try CSVTable.parse(text, path: path)
        var output = ""
        switch set {
        case .co2:
            guard table.columns == ["date", "co2"] else { throw DataError(path: path, line: 0, "has columns \(table.columns), not date, co2") }
            output = "date,co2\n"
            for (row, number) in zip(table.rows, table.rowNumbers) {
                let d = Array(row[0])
                guard d.count == 8, d.allSatisfy(\.isASCII), d.allSatisfy(\.isNumber) else {
                    throw DataError(path: path, line: 0, "row \(number), column \"date\": \"\(row[0])\" is not a date YYYYMMDD")
                }
                output += "\(String(d[0..<4]))-\(String(d[4..<6]))-\(String(d[6..<8])),\(row[1])\n"
            }
        case .macro:
            guard table.columns.count > 2, Array(table.columns.prefix(2)) == ["year", "quarter"] else {
                throw DataError(path: path, line: 0, "does not start with the columns year, quarter")
            }
            output = (["date"] + table.columns.dropFirst(2)).joined(separator: ",") + "\n"
            for (row, number) in zip(table.rows, table.rowNumbers) {
                guard let year = Int(row[0]), (1...9999).contains(year), let quarter = Int(row[1]), (1...4).contains(quarter) else {
                    throw DataError(path: path, line: 0, "row \(number): \(row[0]), \(row[1]) is not a year and a quarter")
                }
                output += ([String(format: "%04d-%02d-01", year, 3 * (quarter - 1) + 1)] + row.dropFirst(2)).joined(separator: ",") + "\n"
            }
        }
        return output
    }
}
