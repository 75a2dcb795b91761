import Foundation
import SwiftCSV

/// A CSV file with a header row, parsed by SwiftCSV: quoted fields (a doubled quote inside one), and
/// the delimiter guessed from the header among comma, tab and semicolon.
///
/// Rows are numbered as a spreadsheet shows them: the header is row 1. Blank lines are skipped (they
/// keep their numbers); a row with more or fewer fields than the header is refused with its number.
public struct CSVTable: Sendable {
    /// The header's column names.
    public var columns: [String]
    /// The data rows, each with exactly `columns.count` fields.
    public var rows: [[String]]
    /// The file's row number of each data row (the header is 1).
    public var rowNumbers: [Int]
    /// The delimiter that was guessed.
    public var delimiter: Character

    public static func parse(_ text: String, path: String) throws(DataError) -> CSVTable {
        // SwiftCSV drops a last row's empty last field when no newline follows it.
        let text = text.hasSuffix("\n") || text.hasSuffix("\r\n") ? text : text + "\n"
        let delimiter = CSVDelimiter.guessed(string: text)
        let parsed: EnumeratedCSV
        var raw: [[String]] = []
        do {
            // The header only (rowLimit 0); the rows as parsed, without the view's padding of short rows.
            parsed = try EnumeratedCSV(string: text, delimiter: delimiter, loadColumns: false, rowLimit: 0)
            try parsed.enumerateAsArray(startAt: 1, rowLimit: nil) { raw.append($0) }
        } catch let error as CSVParseError {
            let message: String
            switch error {
            case let .generic(m), let .quotation(m): message = m
            }
            throw DataError(path: path, line: 0, "malformed quoting (\(message)); a quoted field must close, and a quote inside one is doubled")
        } catch {
            throw DataError(path: path, line: 0, "cannot be parsed as CSV (\(error))")
        }
        let header = parsed.header.map { $0.trimmingCharacters(in: .whitespaces) }
        guard !header.isEmpty, !(header.count == 1 && header[0].isEmpty) else {
            throw DataError(path: path, line: 0, "is empty; a CSV needs a header row naming its columns, then the data")
        }
        if let blank = header.firstIndex(where: \.isEmpty) {
            throw DataError(path: path, line: 0, "row 1, column \(blank + 1): the header has an empty name; every column needs a name")
        }
        if header.allSatisfy({ Double($0) != nil }) {
            throw DataError(path: path, line: 0, "row 1: holds numbers (\(header.prefix(4).joined(separator: ", "))), not column names; the CSV needs a header row naming its columns")
        }
        var seen: Set<String> = []
        for name in header where !seen.insert(name).inserted {
            throw DataError(path: path, line: 0, "row 1: the header names column \"\(name)\" twice")
        }
        var rows: [[String]] = [], numbers: [Int] = []
        rows.reserveCapacity(raw.count)
        for (index, row) in raw.enumerated() {
            let number = index + 2
            if row.count == 1 && row[0].isEmpty && header.count > 1 { continue }
            guard row.count == header.count else {
                throw DataError(path: path, line: 0, "row \(number): has \(row.count) fields but the header has \(header.count) (\(header.joined(separator: String(delimiter.rawValue))))")
            }
            rows.append(row)
            numbers.append(number)
        }
        return CSVTable(columns: header, rows: rows, rowNumbers: numbers, delimiter: delimiter.rawValue)
    }

    /// The index of the column named `name`.
    public func column(named name: String) -> Int? { columns.firstIndex(of: name) }
}
