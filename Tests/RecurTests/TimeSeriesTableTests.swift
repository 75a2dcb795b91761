import Foundation
import Recur
import Testing

/// The CSV path of forecasting: what it accepts, what it fills, and the one message for what it refuses.
struct TimeSeriesTableTests {
    static func read(_ text: String, time: String? = "t", targets: [String] = ["y"], features: [String] = [],
                     fill: MissingValueFill = .none) throws(DataError) -> TimeSeriesTable {
        try TimeSeriesTable.parse(text, path: "s.csv", time: time, targets: targets, features: features, fill: fill)
    }

    /// The message of reading `text`, or nil when it reads.
    static func refusal(_ text: String, time: String? = "t", targets: [String] = ["y"], features: [String] = [],
                        fill: MissingValueFill = .none) -> String? {
        do {
            _ = try read(text, time: time, targets: targets, features: features, fill: fill)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("bad files: one message naming the row and the column", arguments: [
        ("1,2\n3,4\n", "row 1: holds numbers (1, 2), not column names"),
        ("t,y\n1,2\n2,3,4\n", "row 3: has 3 fields but the header has 2"),
        ("t,y,x\n1,2,3\n2,3\n", "row 3: has 2 fields but the header has 3"),
        ("t,y\n1,2\n2,abc\n", "row 3, column \"y\": \"abc\" is not a finite number"),
        ("t,y\n1,2\n2,inf\n", "row 3, column \"y\": \"inf\" is not a finite number"),
        ("t,x\n1,2\n", "has no column \"y\" for --target; its columns are \"t\", \"x\""),
        ("t,y\n1,2\n1,3\n", "row 3, column \"t\": 1 repeats row 2's time"),
        ("t,y\n2020-01-02,2\n2020-01-01,3\n", "row 3, column \"t\": 2020-01-01 comes before row 2's time 2020-01-02"),
        ("t,y\n1,2\n2,\n", "row 3, column \"y\": the value is missing; fill gaps with --fill ffill or --fill linear"),
        ("t,y\n1,2\n,3\n", "row 3, column \"t\": the time is missing"),
        ("t,y\n2020-01-01,2\n2020-02-30,3\n", "row 3, column \"t\": \"2020-02-30\" is not a date like 2020-01-01"),
        ("t,y\n2020-01-01,2\n2,3\n", "row 3, column \"t\": \"2\" is not a date like 2020-01-01"),
        ("t,y\nmonday,2\n", "row 2, column \"t\": \"monday\" is neither a number nor an ISO 8601 date"),
        ("t,y,t\n1,2,3\n", "row 1: the header names column \"t\" twice"),
        ("t,,y\n1,2,3\n", "row 1, column 2: the header has an empty name"),
        ("", "is empty; a CSV needs a header row"),
        ("t,y\n1,\"2\"x\n", "malformed quoting"),
        ("t,y\n1,\"2\n", "row 2, column \"y\": \"2\n\" is not a finite number"),
    ])
    func refusals(_ text: String, _ expected: String) {
        let message = Self.refusal(text)
        #expect(message?.hasPrefix("s.csv: " + expected) == true, "\(String(describing: message))")
    }

    @Test("a target named twice, or as the time, is refused; so is a series that starts with a gap when filling")
    func roles() {
        #expect(Self.refusal("t,y\n1,2\n", targets: ["y", "y"])?.contains("column \"y\" is named twice") == true)
        #expect(Self.refusal("t,y\n1,2\n", targets: ["t"])?.contains("column \"t\" is named twice") == true)
        #expect(Self.refusal("t,y\n1,\n2,3\n", fill: .ffill) == "s.csv: row 2, column \"y\": the series starts with a missing value, which --fill ffill cannot fill from before; drop the leading rows")
    }

    @Test("delimiters sniffed from the header, quoted fields, CRLF, a byte-order mark, blank lines, no final newline")
    func dialects() throws {
        for text in ["t;y;x\n1;2;\"3\"\n2;4;5\n", "t\ty\tx\n1\t2\t3\n2\t4\t5\n", "\u{FEFF}\"t\",\"y\",\"x\"\r\n1,2,3\r\n\r\n2,4,5",
                     "t,y,x\n1,\"2\",3\n\n2,4,\"5\"\n"] {
            let table = try Self.read(text, features: ["x"])
            #expect(table.targets == [[2, 4]] && table.features == [[3, 5]] && table.time?.values == [1, 2], "\(text.debugDescription)")
        }
        let quoted = try CSVTable.parse("name,y\n\"a, \"\"b\"\"\",1\n", path: "q.csv")
        #expect(quoted.rows == [["a, \"b\"", "1"]])
        #expect(try CSVTable.parse("t,y\n1,2\n\n3,4\n", path: "b.csv").rowNumbers == [2, 4])
    }

    @Test("gaps filled: forward, or on a straight line (carried forward at the end)")
    func filling() throws {
        let text = "t,y\n1,1\n2,\n3,NA\n4,4\n5,NaN\n"
        #expect(try Self.read(text, fill: .ffill).targets == [[1, 1, 1, 4, 4]])
        #expect(try Self.read(text, fill: .linear).targets == [[1, 2, 3, 4, 4]])
    }

    @Test("the step between rows: calendar months (monthly, quarterly, month ends), days, numbers; and the times that follow", arguments: [
        (["2020-01-15", "2020-02-15", "2020-03-15"], ["2020-04-15", "2020-05-15"]),
        (["1959-01-01", "1959-04-01", "1959-07-01"], ["1959-10-01", "1960-01-01"]),
        (["2019-12-31", "2020-01-31", "2020-02-29"], ["2020-03-31", "2020-04-30"]),
        (["2001-12-22", "2001-12-29"], ["2002-01-05", "2002-01-12"]),
        (["2020-01", "2020-02", "2020-04", "2020-05"], ["2020-06", "2020-07"]),
        (["2020-01-01T10:00:00", "2020-01-01T11:00:00"], ["2020-01-01T12:00:00", "2020-01-01T13:00:00"]),
        (["2020-01-01 10:00:00", "2020-01-01 10:30:00"], ["2020-01-01 11:00:00", "2020-01-01 11:30:00"]),
        (["2020-01-01T10:00:00Z", "2020-01-02T10:00:00Z"], ["2020-01-03T10:00:00Z", "2020-01-04T10:00:00Z"]),
        (["1990", "1991", "1993", "1994"], ["1995", "1996"]),
        (["0.5", "1", "1.5"], ["2", "2.5"]),
    ])
    func timeSteps(_ times: [String], _ following: [String]) throws {
        let axis = try TimeAxis.parse(times, column: "t", rowNumbers: Array(2..<(2 + times.count)), path: "s.csv")
        #expect(axis.following(2) == following, "\(times): \(axis.step)")
    }

    @Test("statsmodels' co2 and macro CSVs become dated CSVs that read as weekly and quarterly series")
    func statsmodels() throws {
        let co2 = try StatsmodelsSeries.convert("date,co2\n19580329,316.1\n19580405,\n19580412,317.6\n", .co2, path: "co2.csv")
        #expect(co2 == "date,co2\n1958-03-29,316.1\n1958-04-05,\n1958-04-12,317.6\n")
        let weekly = try TimeSeriesTable.parse(co2, path: "co2.csv", time: "date", targets: ["co2"], fill: .linear)
        #expect(weekly.targets == [[316.1, 316.85, 317.6]] && weekly.time!.following(1) == ["1958-04-19"])
        let macro = try StatsmodelsSeries.convert("\"year\",\"quarter\",\"realgdp\",\"infl\"\n1959,1,2710.349,0\n1959,2,2778.801,2.34\n", .macro, path: "m.csv")
        #expect(macro == "date,realgdp,infl\n1959-01-01,2710.349,0\n1959-04-01,2778.801,2.34\n")
        #expect(try TimeSeriesTable.parse(macro, path: "m.csv", time: "date", targets: ["realgdp"]).time!.following(1) == ["1959-07-01"])
        #expect(throws: DataError.self) { try StatsmodelsSeries.convert("date,co2\n1958-03-29,316.1\n", .co2, path: "x") }
        #expect(throws: DataError.self) { try StatsmodelsSeries.convert("year,quarter,y\n1959,5,1\n", .macro, path: "x") }
    }
}
