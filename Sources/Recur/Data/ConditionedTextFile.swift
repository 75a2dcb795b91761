/// One independent sequence for a language model, with the condition it was written under (a label
/// or numbers) when the file gives one, and the line it came from.
public struct ConditionedText: Equatable, Sendable {
    public var text: String
    public var condition: GenerationCondition.Value?
    /// The 1-based line of the file it was read from.
    public var line: Int

    public init(text: String, condition: GenerationCondition.Value?, line: Int) {
        self.text = text
        self.condition = condition
        self.line = line
    }

    /// The condition's label, when it is one.
    public var label: String? {
        if case let .label(name)? = condition { return name }
        return nil
    }
}

/// Reads the sequences of a sequence language model from JSON Lines: `{"text": "...", "condition":
/// "..."}` (a label; a number is read as its text), `{"text": "...", "features": [x1, ..., xk]}`, or
/// `{"text": "..."}` alone. Refused with the file and line: malformed JSON, unknown or repeated fields,
/// an empty text, a text holding the reserved begin or end symbol (U+0002, U+0003), both a condition
/// and features, non-finite numbers, and a file that mixes kinds (labels, features of one width, none).
public enum ConditionedTextFile {
    public static func parse(_ text: String, path: String) throws(DataError) -> [ConditionedText] {
        var sequences: [ConditionedText] = []
        for (number, line) in LabelledSequenceFile.numberedLines(text) {
            func fail(_ problem: String) -> DataError { DataError(path: path, line: number, problem) }
            let object = try LabelledSequenceFile.fields(
                of: line, allowed: ["text", "condition", "features"], example: "{\"text\": \"...\", \"condition\": \"...\"}",
                described: "\"text\", and \"condition\" or \"features\"", fail: fail)
            guard let textValue = object["text"] else { throw fail("has no \"text\"") }
            guard case let .string(content) = textValue else { throw fail("has a \"text\" that is not a string") }
            guard !content.isEmpty else { throw fail("has an empty \"text\"") }
            for (position, scalar) in content.unicodeScalars.enumerated()
            where scalar == CharRNNConfiguration.beginSymbol || scalar == CharRNNConfiguration.endSymbol {
                throw fail("has U+000\(scalar.value) at position \(position) of \"text\"; U+0002 and U+0003 are reserved as the begin and end symbols")
            }
            var condition: GenerationCondition.Value? = nil
            switch (object["condition"], object["features"]) {
            case (.some, .some): throw fail("has both \"condition\" and \"features\"; give one")
            case (nil, nil), (.null?, nil), (nil, .null?): break
            case let (value?, nil):
                switch value {
                case let .string(name): condition = .label(name)
                case let .number(literal): condition = .label(literal)
                default: throw fail("has a \"condition\" that is neither a string nor a number")
                }
                if condition == .label("") { throw fail("has an empty \"condition\"") }
            case let (nil, value?):
                guard case let .array(items) = value, !items.isEmpty else { throw fail("has \"features\" that are not a non-empty list of numbers") }
                var numbers: [Double] = []
                for (j, item) in items.enumerated() {
                    guard case let .number(literal) = item, let number = Double(literal) else {
                        throw fail("feature \(j) of \"features\" is not a number")
                    }
                    guard number.isFinite, abs(number) <= Double(Float.greatestFiniteMagnitude) else {
                        throw fail("feature \(j) of \"features\" is \(literal), which is not a finite 32-bit number")
                    }
                    numbers.append(number)
                }
                condition = .features(numbers)
            }
            sequences.append(ConditionedText(text: content, condition: condition, line: number))
        }
        guard let first = sequences.first else { throw DataError(path: path, line: 0, "holds no sequences") }
        for sequence in sequences {
            switch (first.condition, sequence.condition) {
            case (nil, nil), (.label?, .label?): continue
            case let (.features(a)?, .features(b)?):
                if a.count != b.count {
                    throw DataError(path: path, line: sequence.line, "has \(b.count) features, but the first line has \(a.count); every line must have the same number")
                }
            default:
                func kind(_ c: GenerationCondition.Value?) -> String {
                    switch c {
                    case nil: return "no condition"
                    case .label?: return "a \"condition\""
                    case .features?: return "\"features\""
                    }
                }
                throw DataError(path: path, line: sequence.line,
                                "has \(kind(sequence.condition)), but the first line has \(kind(first.condition)); a file holds one kind")
            }
        }
        return sequences
    }
}
