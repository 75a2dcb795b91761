import Foundation
import RecurCore

/// A conditioned-generation set made on the spot, without the network: whole numbers written out in
/// words by the spell-out rules of ICU (through Foundation's `NumberFormatter`, style `.spellOut`) in
/// several languages, each line `{"text": "quarante-deux", "condition": "fr"}`.
///
/// The numbers are drawn from a seeded log-uniform distribution over 0..<100,000 (so small and large
/// numbers are both common); every number is written in every language. A seeded tenth of the
/// distinct numbers is held out: the test lines are numbers never seen in training, in any language.
/// Soft hyphens (U+00AD, which ICU puts inside long German and Dutch words) are removed.
public enum SpelledNumbers {
    /// The languages, by locale identifier: ten Latin-script ones.
    public static let languages = ["de", "en", "es", "fr", "it", "nl", "pl", "pt", "sv", "tr"]

    public struct Line: Encodable, Equatable, Sendable {
        public var text: String
        public var condition: String
    }

    /// `count` distinct numbers in every language, split into train and test lines.
    public static func make(count: Int, seed: UInt64, languages: [String] = languages) -> (train: [Line], test: [Line]) {
        precondition(count >= 10 && count <= 100_000, "SpelledNumbers: expected 10...100000 numbers")
        var generator = RandomGenerator(seed: seed)
        var numbers: [Int] = [], seen = Set<Int>()
        while numbers.count < count {
            let n = Int(Foundation.pow(10, 5 * generator.uniform(Double.self))) - 1
            if n >= 0 && n < 100_000 && seen.insert(n).inserted { numbers.append(n) }
        }
        var held = numbers
        generator.shuffle(&held)
        let test = Set(held.prefix(count / 10))
        let formatters = languages.map { id -> NumberFormatter in
            let formatter = NumberFormatter()
            formatter.numberStyle = .spellOut
            formatter.locale = Locale(identifier: id)
            return formatter
        }
        var trainLines: [Line] = [], testLines: [Line] = []
        for n in numbers {
            for (language, formatter) in zip(languages, formatters) {
                guard let words = formatter.string(from: NSNumber(value: n)) else { continue }
                let line = Line(text: words.replacingOccurrences(of: "\u{AD}", with: ""), condition: language)
                if test.contains(n) { testLines.append(line) } else { trainLines.append(line) }
            }
        }
        return (trainLines, testLines)
    }

    /// JSON Lines, one `{"text": ..., "condition": ...}` per line.
    public static func jsonLines(_ lines: [Line]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return lines.map { String(decoding: try! encoder.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
    }
}
