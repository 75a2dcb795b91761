import Foundation

/// The `.ts` format of the UEA/UCR time-series classification archive (as sktime and aeon write it):
///
///     # comments (or % ...)
///     @problemName BasicMotions
///     @timeStamps false
///     @missing false
///     @univariate false
///     @dimensions 6
///     @equalLength true
///     @seriesLength 100
///     @classLabel true Standing Running Walking Badminton
///     @data
///     0.1,0.2,...:0.3,0.4,...:...:Standing
///
/// Each data line holds one value list per dimension, separated by `:`, then the class label. The
/// header is checked against the data: a dimension count, a series length, an equal-length claim or a
/// label list that the data contradicts is refused with the line. Missing values (`?`, NaN) and time
/// stamps are refused: Recur needs every value.
public enum TimeSeriesArchiveFile {
    struct Header {
        var dimensions: Int?
        var univariate: Bool?
        var equalLength: Bool?
        var seriesLength: Int?
        var classLabels: [String]?
        var hasLabels = true
    }

    public static func parse(_ text: String, path: String, requireLabels: Bool = true) throws(DataError) -> [LabelledSequence] {
        var header = Header()
        var inData = false
        var examples: [LabelledSequence] = []
        var firstLength: (length: Int, line: Int)?
        for (number, raw) in LabelledSequenceFile.numberedLines(text) {
            func fail(_ problem: String) -> DataError { DataError(path: path, line: number, problem) }
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || line.hasPrefix("%") { continue }  // comments (`%` as in ARFF)
            if !inData {
                guard line.hasPrefix("@") else { throw fail("is not a header line (@...) and comes before @data") }
                let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
                let tag = words[0].lowercased()
                let value = words.count > 1 ? words[1].lowercased() : ""
                func flag() throws(DataError) -> Bool {
                    guard value == "true" || value == "false" else { throw fail("\(words[0]) must be true or false, got '\(value)'") }
                    return value == "true"
                }
                func count() throws(DataError) -> Int {
                    guard let n = Int(value), n > 0 else { throw fail("\(words[0]) must be a positive integer, got '\(value)'") }
                    return n
                }
                switch tag {
                case "@problemname": break
                case "@timestamps":
                    if try flag() { throw fail("@timeStamps true is not supported; give the values without time stamps") }
                case "@missing": _ = try flag()
                case "@univariate": header.univariate = try flag()
                case "@dimensions", "@dimension": header.dimensions = try count()
                case "@equallength": header.equalLength = try flag()
                case "@serieslength": header.seriesLength = try count()
                case "@classlabel":
                    header.hasLabels = try flag()
                    if header.hasLabels {
                        let labels = Array(words.dropFirst(2))
                        guard !labels.isEmpty else { throw fail("@classLabel true names no labels") }
                        guard Set(labels).count == labels.count else { throw fail("@classLabel names a label twice") }
                        header.classLabels = labels
                    }
                case "@targetlabel":
                    throw fail("@targetLabel marks a regression problem; recur's classify task needs @classLabel")
                case "@data":
                    inData = true
                default:
                    throw fail("has an unknown header tag \(words[0])")
                }
                continue
            }
            var fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            var label: String? = nil
            if header.hasLabels {
                guard fields.count >= 2 else { throw fail("has no class label after the last ':'") }
                label = fields.removeLast().trimmingCharacters(in: .whitespaces)
                if let labels = header.classLabels, !labels.contains(label!) {
                    throw fail("has the class label '\(label!)', which the header's @classLabel list (\(labels.joined(separator: " "))) does not name")
                }
            } else if requireLabels {
                throw fail("has no class label: the header says @classLabel false")
            }
            let dimensions = fields.count
            if let declared = header.dimensions, declared != dimensions {
                throw fail("has \(dimensions) dimensions, but the header says @dimensions \(declared)")
            }
            if header.univariate == true && dimensions != 1 {
                throw fail("has \(dimensions) dimensions, but the header says @univariate true")
            }
            var series: [[Double]] = []
            for (d, field) in fields.enumerated() {
                var values: [Double] = []
                for item in field.split(separator: ",", omittingEmptySubsequences: false) {
                    let literal = item.trimmingCharacters(in: .whitespaces)
                    guard let value = Double(literal) else {
                        if literal == "?" || literal.lowercased() == "nan" {
                            throw fail("dimension \(d + 1) has a missing value ('\(literal)'); fill it in first (recur needs every value)")
                        }
                        throw fail("dimension \(d + 1) holds '\(literal)', which is not a number")
                    }
                    guard value.isFinite, abs(value) <= Double(Float.greatestFiniteMagnitude) else {
                        throw fail("dimension \(d + 1) holds \(literal), which is not a finite 32-bit number")
                    }
                    values.append(value)
                }
                guard !values.isEmpty, !(values.count == 1 && field.trimmingCharacters(in: .whitespaces).isEmpty) else {
                    throw fail("dimension \(d + 1) is empty")
                }
                if let first = series.first, first.count != values.count {
                    throw fail("dimension \(d + 1) has \(values.count) values but dimension 1 has \(first.count); recur needs the dimensions of a series to have equal lengths")
                }
                series.append(values)
            }
            let length = series[0].count
            if header.equalLength == true {
                if let declared = header.seriesLength, declared != length {
                    throw fail("has series of length \(length), but the header says @seriesLength \(declared)")
                }
                if let first = firstLength, first.length != length {
                    throw fail("has series of length \(length), but line \(first.line)'s have \(first.length) and the header says @equalLength true")
                }
            }
            if firstLength == nil { firstLength = (length, number) }
            let frames = (0..<length).map { t in series.map { $0[t] } }
            examples.append(LabelledSequence(content: .frames(frames), label: label, line: number))
        }
        guard inData else { throw DataError(path: path, line: 0, "has no @data line; is it a .ts file of the UEA/UCR archive?") }
        return examples
    }
}
