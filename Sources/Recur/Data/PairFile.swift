/// One source-target pair as a file gives it (the target absent from a file of sources alone).
public struct TextPair: Equatable, Sendable {
    public var source: String
    public var target: String?
    /// The 1-based line of the file it was read from.
    public var line: Int

    public init(source: String, target: String?, line: Int) {
        self.source = source
        self.target = target
        self.line = line
    }
}

/// Reads source-target pairs: TSV `source<TAB>target` (further columns, such as the attribution of
/// the Tatoeba pairs, are ignored) or JSON Lines `{"source": "...", "target": "..."}`. Without
/// `requireTargets`, a TSV line without a tab and a JSON line without "target" are sources alone.
/// Refused with the file and line: no tab (when targets are required), an empty side, malformed JSON,
/// an unknown or repeated field, a side that is not a string.
public enum PairFile {
    public static func parse(_ text: String, format: LabelledSequenceFormat, path: String,
                             requireTargets: Bool = true) throws(DataError) -> [TextPair] {
        var pairs: [TextPair] = []
        for (number, line) in LabelledSequenceFile.numberedLines(text) {
            func fail(_ problem: String) -> DataError { DataError(path: path, line: number, problem) }
            switch format {
            case .tsv:
                let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
                if fields.count < 2 {
                    guard !requireTargets else { throw fail("has no tab; each line must be source<TAB>target") }
                    pairs.append(TextPair(source: String(line), target: nil, line: number))
                    continue
                }
                guard !fields[0].allSatisfy(\.isWhitespace) else { throw fail("has an empty source before the tab") }
                guard !fields[1].allSatisfy(\.isWhitespace) else { throw fail("has an empty target after the tab") }
                pairs.append(TextPair(source: String(fields[0]), target: String(fields[1]), line: number))
            case .jsonl:
                let object = try LabelledSequenceFile.fields(of: line, allowed: ["source", "target"],
                                                             example: "{\"source\": \"...\", \"target\": \"...\"}",
                                                             described: "\"source\" and \"target\"", fail: fail)
                func side(_ name: String) throws(DataError) -> String? {
                    switch object[name] {
                    case nil, .null?: return nil
                    case let .string(value)?:
                        guard !value.allSatisfy(\.isWhitespace) else { throw fail("has an empty \"\(name)\"") }
                        return value
                    default: throw fail("has a \"\(name)\" that is not a string")
                    }
                }
                guard let source = try side("source") else { throw fail("has no \"source\"") }
                let target = try side("target")
                if requireTargets && target == nil { throw fail("has no \"target\"") }
                pairs.append(TextPair(source: source, target: target, line: number))
            case .ts, .conll:
                throw DataError(path: path, line: 0, "is \(format.rawValue), not pairs; give TSV (source<TAB>target) or JSON Lines ({\"source\", \"target\"})")
            }
        }
        guard !pairs.isEmpty else { throw DataError(path: path, line: 0, "holds no pairs") }
        return pairs
    }
}
