import Foundation

/// The file formats of tagged sequences (a tag for every step).
public enum TaggedSequenceFormat: String, CaseIterable, Codable, Sendable {
    /// JSON Lines: `{"tokens": [...], "tags": [...]}`, `{"text": "...", "tags": [...]}` or
    /// `{"sequence": [[...], ...], "tags": [...]}`.
    case jsonl
    /// CoNLL: one `token<TAB>tag` (or space-separated columns) per line, a blank line between sequences.
    case conll

    /// The format a file's extension names, or nil.
    public init?(path: String) {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "jsonl", "json", "ndjson": self = .jsonl
        case "conll", "conllu", "bio", "iob", "tsv", "txt": self = .conll
        default: return nil
        }
    }
}

/// Reads tagged sequences, refusing with the file and line anything it cannot use: tokens and tags of
/// different lengths, an empty sequence, a CoNLL line with too few columns, malformed JSON.
///
/// The examples are `LabelledSequence`s with `tags` set: `.tokens` content for given tokens (a JSON
/// `tokens` list, a CoNLL column, or a `text` split at white space), `.text` when `characters` is set
/// (a tag per character of `text`), `.frames` for numeric sequences.
public enum TaggedSequenceFile {
    public static func parse(_ text: String, format: TaggedSequenceFormat, path: String, characters: Bool = false,
                             tagColumn: Int? = nil, requireTags: Bool = true) throws(DataError) -> [LabelledSequence] {
        let examples: [LabelledSequence]
        switch format {
        case .jsonl: examples = try parseJSONLines(text, path: path, characters: characters, requireTags: requireTags)
        case .conll: examples = try parseCoNLL(text, path: path, tagColumn: tagColumn, requireTags: requireTags)
        }
        guard !examples.isEmpty else { throw DataError(path: path, line: 0, "holds no sequences") }
        try LabelledSequenceFile.checkOneKind(examples, path: path)
        return examples
    }

    static func parseJSONLines(_ text: String, path: String, characters: Bool, requireTags: Bool) throws(DataError) -> [LabelledSequence] {
        var examples: [LabelledSequence] = []
        for (number, line) in LabelledSequenceFile.numberedLines(text) {
            func fail(_ problem: String) -> DataError { DataError(path: path, line: number, problem) }
            let object = try LabelledSequenceFile.fields(
                of: line, allowed: ["tokens", "text", "sequence", "tags"], example: "{\"tokens\": [...], \"tags\": [...]}",
                described: "\"tokens\", \"text\" or \"sequence\", and \"tags\"", fail: fail)
            func strings(_ key: String) throws(DataError) -> [String]? {
                guard let value = object[key] else { return nil }
                guard case let .array(items) = value else { throw fail("has a \"\(key)\" that is not a list of strings") }
                var result: [String] = []
                for item in items {
                    switch item {
                    case let .string(s) where !s.isEmpty: result.append(s)
                    case let .number(n): result.append(n)
                    default: throw fail("has a \"\(key)\" entry that is not a non-empty string")
                    }
                }
                return result
            }
            let tags = try strings("tags")
            if requireTags && tags == nil { throw fail("has no \"tags\"") }
            let given = [object["tokens"], object["text"], object["sequence"]].compactMap { $0 }.count
            guard given == 1 else { throw fail(given == 0 ? "has none of \"tokens\", \"text\" and \"sequence\"" : "has more than one of \"tokens\", \"text\" and \"sequence\"; give one") }
            var example: LabelledSequence
            if let tokens = try strings("tokens") {
                example = LabelledSequence(content: .tokens(tokens), label: nil, line: number, tags: tags)
            } else if let value = object["text"] {
                guard case let .string(text) = value else { throw fail("has a \"text\" that is not a string") }
                example = LabelledSequence(content: characters ? .text(text) : .tokens(Tokenization.given.tokens(of: text)),
                                           label: nil, line: number, tags: tags)
            } else {
                let steps = LabelledSequenceFile.frames(of: object["sequence"]!, fail: fail)
                example = LabelledSequence(content: .frames(try steps.get()), label: nil, line: number, tags: tags)
            }
            guard example.steps > 0 else { throw fail("has an empty sequence") }
            if let tags, tags.count != example.steps {
                throw fail("has \(example.steps) \(characters ? "characters" : "steps") but \(tags.count) tags; every step needs one tag")
            }
            examples.append(example)
        }
        return examples
    }

    /// CoNLL: the token is the first column, the tag the `tagColumn`-th (1-based; default the last).
    /// `-DOCSTART-` lines and `#` comment lines are skipped; a blank line ends a sequence.
    static func parseCoNLL(_ text: String, path: String, tagColumn: Int?, requireTags: Bool) throws(DataError) -> [LabelledSequence] {
        var examples: [LabelledSequence] = []
        var tokens: [String] = [], tags: [String] = [], start = 0, number = 0
        func flush() {
            if !tokens.isEmpty {
                examples.append(LabelledSequence(content: .tokens(tokens), label: nil, line: start,
                                                 tags: tags.count == tokens.count ? tags : nil))
            }
            tokens = []
            tags = []
        }
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                flush()
                continue
            }
            if trimmed.hasPrefix("-DOCSTART-") || trimmed.hasPrefix("# ") { continue }
            let columns = trimmed.contains("\t")
                ? trimmed.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                : trimmed.split(whereSeparator: \.isWhitespace).map(String.init)
            if tokens.isEmpty { start = number }
            let needed = max(2, tagColumn ?? 2)
            if columns.count < needed {
                guard !requireTags && columns.count == 1 else {
                    throw DataError(path: path, line: number, "has \(columns.count) column\(columns.count == 1 ? "" : "s"); a line needs a token and a tag\(tagColumn.map { " in column \($0)" } ?? "") (token<TAB>tag)")
                }
                tokens.append(columns[0])
                continue
            }
            guard !columns[0].isEmpty, let tag = (tagColumn.map { columns[$0 - 1] } ?? columns.last), !tag.isEmpty else {
                throw DataError(path: path, line: number, "has an empty token or tag")
            }
            tokens.append(columns[0])
            tags.append(tag)
        }
        flush()
        if requireTags, let untagged = examples.first(where: { $0.tags == nil }) {
            throw DataError(path: path, line: untagged.line, "starts a sequence with untagged tokens")
        }
        return examples
    }
}
