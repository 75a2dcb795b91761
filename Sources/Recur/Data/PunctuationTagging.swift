import Foundation

/// A real tagging set made from any text: restore the punctuation and capitals a text lost.
///
/// Each non-blank line becomes one sequence of its words, lower-cased, with the punctuation removed
/// (a word is a run of letters and digits, with apostrophes inside it: `o'er`, `'tis` -> `tis`). Each
/// word is tagged with the punctuation mark that follows it before the next word (`COMMA`, `PERIOD`,
/// `QUESTION`, `EXCLAMATION`, `COLON`, `SEMICOLON`, `DASH`, or `O` for none; the first mark when
/// there are several) and, when the word began with a capital letter, `|Cap`: `COMMA|Cap`, `O|Cap`.
public enum PunctuationTagging {
    /// The marks and their tag names.
    static let marks: [Character: String] = [
        ",": "COMMA", ".": "PERIOD", "?": "QUESTION", "!": "EXCLAMATION", ":": "COLON", ";": "SEMICOLON",
        "-": "DASH", "\u{2014}": "DASH", "\u{2013}": "DASH",
    ]

    /// The words and tags of one line (empty when it has no word).
    public static func tag(line: Substring) -> (tokens: [String], tags: [String]) {
        var tokens: [String] = [], marks: [String?] = [], capitals: [Bool] = []
        var word = ""
        func endWord() {
            let trimmed = word.trimmingCharacters(in: CharacterSet(charactersIn: "'\u{2019}"))
            if !trimmed.isEmpty {
                tokens.append(trimmed.lowercased())
                capitals.append(trimmed.first!.isUppercase)
                marks.append(nil)
            }
            word = ""
        }
        for character in line {
            if character.isLetter || character.isNumber || ((character == "'" || character == "\u{2019}") && !word.isEmpty) {
                word.append(character)
                continue
            }
            endWord()
            if let mark = Self.marks[character], !tokens.isEmpty, marks[marks.count - 1] == nil {
                marks[marks.count - 1] = mark
            }
        }
        endWord()
        let tags = zip(marks, capitals).map { ($0 ?? "O") + ($1 ? "|Cap" : "") }
        return (tokens, tags)
    }

    /// The tagged lines of a text, with their 1-based line numbers.
    public static func sequences(from text: String) -> [(line: Int, tokens: [String], tags: [String])] {
        var result: [(line: Int, tokens: [String], tags: [String])] = []
        for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let (tokens, tags) = tag(line: line)
            if !tokens.isEmpty { result.append((number + 1, tokens, tags)) }
        }
        return result
    }

    /// Splits by blocks of `blockLines` consecutive lines of the text: every `testEvery`-th block is
    /// test, the rest train (so both sample the whole text, and no test line's neighbours are trained on
    /// within its block).
    public static func split(_ sequences: [(line: Int, tokens: [String], tags: [String])], blockLines: Int = 200,
                             testEvery: Int = 10) -> (train: [(tokens: [String], tags: [String])], test: [(tokens: [String], tags: [String])]) {
        var train: [(tokens: [String], tags: [String])] = [], test: [(tokens: [String], tags: [String])] = []
        for sequence in sequences {
            let block = (sequence.line - 1) / blockLines
            if block % testEvery == testEvery - 1 { test.append((sequence.tokens, sequence.tags)) } else { train.append((sequence.tokens, sequence.tags)) }
        }
        return (train, test)
    }

    /// JSON Lines, one `{"tokens": [...], "tags": [...]}` per sequence.
    public static func jsonLines(_ sequences: [(tokens: [String], tags: [String])]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        struct Line: Encodable { var tokens: [String]; var tags: [String] }
        return sequences.map { String(decoding: try! encoder.encode(Line(tokens: $0.tokens, tags: $0.tags)), as: UTF8.self) }
            .joined(separator: "\n") + "\n"
    }
}
