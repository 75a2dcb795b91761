import Foundation

/// One input sequence of a many-to-one task as read from a file: text or numeric frames, with its
/// label when the file gives one, and the line it came from.
public struct LabelledSequence: Equatable, Sendable {
    public enum Content: Equatable, Sendable {
        case text(String)
        /// Tokens given one by one (tagging input).
        case tokens([String])
        /// Frames `[steps][features]`.
        case frames([[Double]])
    }
    public var content: Content
    public var label: String?
    /// One tag per step (tagging), or nil.
    public var tags: [String]?
    /// The 1-based line of the file it was read from.
    public var line: Int

    public init(content: Content, label: String?, line: Int, tags: [String]? = nil) {
        self.content = content
        self.label = label
        self.line = line
        self.tags = tags
    }

    /// The number of steps: tokens, characters (unicode scalars) or frames.
    public var steps: Int {
        switch content {
        case let .text(text): return text.unicodeScalars.count
        case let .tokens(tokens): return tokens.count
        case let .frames(frames): return frames.count
        }
    }
}

/// The file formats a labelled-sequence file may have.
public enum LabelledSequenceFormat: String, CaseIterable, Codable, Sendable {
    /// JSON Lines: `{"text": "...", "label": "..."}` or `{"sequence": [[f1, ..., fk], ...], "label": "..."}`.
    case jsonl
    /// `label<TAB>text` per line.
    case tsv
    /// The UEA/UCR time-series archive's `.ts` format (sktime/aeon).
    case ts
    /// CoNLL columns, a tag per token (tagging only: `TaggedSequenceFile`).
    case conll

    /// The format a file's extension names, or nil.
    public init?(path: String) {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "jsonl", "json", "ndjson": self = .jsonl
        case "tsv", "tab": self = .tsv
        case "ts": self = .ts
        case "conll", "conllu", "bio", "iob": self = .conll
        default: return nil
        }
    }
}

/// Why a labelled-sequence file cannot be used: the line (0 for the whole file) and the problem.
public struct DataError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var problem: String

    public init(path: String, line: Int, _ problem: String) {
        self.path = path
        self.line = line
        self.problem = problem
    }

    public var description: String { line > 0 ? "\(path):\(line): \(problem)" : "\(path): \(problem)" }
}

/// Reads labelled sequences from JSON Lines, TSV or `.ts` files, refusing with the file and line
/// anything it cannot use: malformed JSON, missing or extra fields, an empty sequence, frames of mixed
/// widths, NaN or infinite numbers, a `.ts` header the data contradicts.
public enum LabelledSequenceFile {
    /// Parses a file's text.
    public static func parse(_ text: String, format: LabelledSequenceFormat, path: String,
                             requireLabels: Bool = true) throws(DataError) -> [LabelledSequence] {
        let examples: [LabelledSequence]
        switch format {
        case .jsonl: examples = try parseJSONLines(text, path: path, requireLabels: requireLabels)
        case .tsv: examples = try parseTSV(text, path: path, requireLabels: requireLabels)
        case .ts: examples = try TimeSeriesArchiveFile.parse(text, path: path, requireLabels: requireLabels)
        case .conll: throw DataError(path: path, line: 0, "is CoNLL, a format of tagged tokens; use --task tag, or give labelled sequences (.jsonl, .tsv, .ts)")
        }
        guard !examples.isEmpty else { throw DataError(path: path, line: 0, "holds no examples") }
        try checkOneKind(examples, path: path)
        return examples
    }

    /// A file holds one kind of input: numeric sequences of one width, or text (tokens).
    static func checkOneKind(_ examples: [LabelledSequence], path: String) throws(DataError) {
        if case let .frames(first)? = examples.first?.content {
            let width = first[0].count
            for example in examples {
                guard case let .frames(frames) = example.content else {
                    throw DataError(path: path, line: example.line, "is text, but the first example is a numeric sequence; a file holds one kind")
                }
                if frames[0].count != width {
                    throw DataError(path: path, line: example.line,
                                    "has frames of \(frames[0].count) features, but the first sequence's have \(width)")
                }
            }
        } else if let numeric = examples.first(where: { if case .frames = $0.content { return true } else { return false } }) {
            throw DataError(path: path, line: numeric.line, "is a numeric sequence, but the first example is text; a file holds one kind")
        }
    }

    /// The fields of one JSON Lines line: an object whose keys are among `allowed`, none given twice.
    /// `example` shows a good line; `described` names the fields, for the errors.
    static func fields(of line: Substring, allowed: Set<String>, example: String, described: String,
                       fail: (String) -> DataError) throws(DataError) -> [String: JSONValue] {
        let fields: [(key: String, value: JSONValue)]
        do {
            guard case let .object(object) = try JSONValue.parse(Array(line.utf8)) else {
                throw fail("is not a JSON object; each line must be one object such as \(example)")
            }
            fields = object
        } catch let error as JSONValue.ParseError {
            throw fail("is not valid JSON (\(error.reason) at character \(error.offset + 1)); each line must be one JSON object")
        } catch let error as DataError {
            throw error
        } catch {
            throw fail("is not valid JSON")
        }
        var object: [String: JSONValue] = [:]
        for (key, value) in fields {
            guard allowed.contains(key) else { throw fail("has an unexpected field '\(key)'; the fields are \(described)") }
            guard object.updateValue(value, forKey: key) == nil else { throw fail("has the field '\(key)' twice") }
        }
        return object
    }

    /// The lines of a text with their 1-based numbers, blank lines left out.
    static func numberedLines(_ text: String) -> [(number: Int, text: Substring)] {
        var lines: [(Int, Substring)] = []
        var number = 0
        // "\r\n" is one Character in Swift: both it and "\n" end a line.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if !trimmed.allSatisfy(\.isWhitespace) { lines.append((number, trimmed)) }
        }
        return lines
    }

    static func parseJSONLines(_ text: String, path: String, requireLabels: Bool) throws(DataError) -> [LabelledSequence] {
        var examples: [LabelledSequence] = []
        for (number, line) in numberedLines(text) {
            func fail(_ problem: String) -> DataError { DataError(path: path, line: number, problem) }
            let object = try fields(of: line, allowed: ["text", "sequence", "label"],
                                    example: "{\"text\": \"...\", \"label\": \"...\"}",
                                    described: "\"text\" or \"sequence\", and \"label\"", fail: fail)
            let label: String?
            switch object["label"] {
            case nil, .null?: label = nil
            case let .string(value)?: label = value
            case let .number(value)?: label = value
            default: throw fail("has a \"label\" that is neither a string nor a number")
            }
            if requireLabels && label == nil { throw fail("has no \"label\"") }
            if let label, label.isEmpty { throw fail("has an empty \"label\"") }
            switch (object["text"], object["sequence"]) {
            case (nil, nil): throw fail("has neither \"text\" nor \"sequence\"")
            case (.some, .some): throw fail("has both \"text\" and \"sequence\"; give one")
            case let (text?, nil):
                guard case let .string(text) = text else { throw fail("has a \"text\" that is not a string") }
                guard !text.isEmpty else { throw fail("has an empty \"text\"") }
                examples.append(LabelledSequence(content: .text(text), label: label, line: number))
            case let (nil, sequence?):
                let frames = try frames(of: sequence, fail: fail).get()
                guard !frames.isEmpty else { throw fail("has an empty \"sequence\"") }
                examples.append(LabelledSequence(content: .frames(frames), label: label, line: number))
            }
        }
        return examples
    }

    /// The frames of a JSON `sequence` value: a list of steps, each a number or a non-empty list of
    /// finite numbers, all of one width.
    static func frames(of sequence: JSONValue, fail: (String) -> DataError) -> Result<[[Double]], DataError> {
        guard case let .array(steps) = sequence else { return .failure(fail("has a \"sequence\" that is not a list of frames")) }
        var frames: [[Double]] = []
        frames.reserveCapacity(steps.count)
        for (t, step) in steps.enumerated() {
            let values: [JSONValue]
            switch step {
            case let .array(list) where !list.isEmpty: values = list
            case .number: values = [step]
            default: return .failure(fail("step \(t) of \"sequence\" is not a number or a non-empty list of numbers"))
            }
            var frame: [Double] = []
            frame.reserveCapacity(values.count)
            for value in values {
                guard case let .number(literal) = value, let double = Double(literal) else {
                    return .failure(fail("step \(t) of \"sequence\" holds something that is not a number"))
                }
                guard double.isFinite, abs(double) <= Double(Float.greatestFiniteMagnitude) else {
                    return .failure(fail("step \(t) of \"sequence\" holds \(literal), which is not a finite 32-bit number"))
                }
                frame.append(double)
            }
            if let width = frames.first?.count, width != frame.count {
                return .failure(fail("step \(t) of \"sequence\" has \(frame.count) features, but step 0 has \(width); every frame must have the same width"))
            }
            frames.append(frame)
        }
        return .success(frames)
    }

    static func parseTSV(_ text: String, path: String, requireLabels: Bool) throws(DataError) -> [LabelledSequence] {
        var examples: [LabelledSequence] = []
        for (number, line) in numberedLines(text) {
            let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            if fields.count == 2 {
                let label = String(fields[0]).trimmingCharacters(in: .whitespaces)
                guard !label.isEmpty else { throw DataError(path: path, line: number, "has an empty label before the tab") }
                guard !fields[1].allSatisfy(\.isWhitespace) else { throw DataError(path: path, line: number, "has no text after the tab") }
                examples.append(LabelledSequence(content: .text(String(fields[1])), label: label, line: number))
            } else if requireLabels {
                throw DataError(path: path, line: number, "has no tab; each line must be label<TAB>text")
            } else {
                examples.append(LabelledSequence(content: .text(String(line)), label: nil, line: number))
            }
        }
        return examples
    }
}
