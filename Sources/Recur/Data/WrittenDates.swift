import Foundation
import RecurCore

/// A normalisation set made on the spot, without the network: dates as Foundation's `DateFormatter`
/// writes them (from ICU's data) in several locales and styles, each paired with its ISO 8601 form
/// `YYYY-MM-DD`.
///
/// Dates are drawn uniformly (seeded) from 1950-01-01 to 2049-12-31, so that the two-digit years of
/// the short styles are unambiguous (50-99: 19xx, 00-49: 20xx). Each pair takes a random locale and
/// style: the styles short, medium, long and full, and the templates `yMMMd`, `MMMMdy` and `yMd`;
/// the numeric ones (short, `yMd`) are left out for locales that put the month first (en_US), whose
/// `05/06/2003` would read differently elsewhere. A seeded tenth of the pairs is test only.
public enum WrittenDates {
    public static let locales = ["da_DK", "de_DE", "en_GB", "en_US", "es_ES", "fr_FR", "it_IT", "nl_NL", "pl_PL", "pt_BR", "sv_SE", "tr_TR"]
    static let monthFirst: Set<String> = ["en_US"]

    public struct Pair: Equatable, Sendable {
        public var source: String
        public var target: String
    }

    /// `count` pairs, split into train and test.
    public static func make(count: Int, seed: UInt64) -> (train: [Pair], test: [Pair]) {
        precondition(count >= 10 && count <= 1_000_000, "WrittenDates: expected 10...1000000 pairs")
        let utc = TimeZone(identifier: "UTC")!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        let first = calendar.date(from: DateComponents(year: 1950, month: 1, day: 1))!
        let last = calendar.date(from: DateComponents(year: 2049, month: 12, day: 31))!
        let days = calendar.dateComponents([.day], from: first, to: last).day! + 1
        let iso = DateFormatter()
        iso.locale = Locale(identifier: "en_US_POSIX")
        iso.timeZone = utc
        iso.calendar = calendar
        iso.dateFormat = "yyyy-MM-dd"
        // Per locale, its formatters: the four styles, then the three templates.
        let formatters = locales.map { id -> [DateFormatter] in
            let locale = Locale(identifier: id)
            var list: [DateFormatter] = []
            for style in [DateFormatter.Style.short, .medium, .long, .full] where !(style == .short && monthFirst.contains(id)) {
                let f = DateFormatter()
                f.locale = locale
                f.timeZone = utc
                f.dateStyle = style
                f.timeStyle = .none
                list.append(f)
            }
            for template in ["yMMMd", "MMMMdy", "yMd"] where !(template == "yMd" && monthFirst.contains(id)) {
                let f = DateFormatter()
                f.locale = locale
                f.timeZone = utc
                f.setLocalizedDateFormatFromTemplate(template)
                list.append(f)
            }
            return list
        }
        var generator = RandomGenerator(seed: seed)
        var train: [Pair] = [], test: [Pair] = []
        for _ in 0..<count {
            let date = calendar.date(byAdding: .day, value: generator.integer(below: days), to: first)!
            let styles = formatters[generator.integer(below: formatters.count)]
            let formatter = styles[generator.integer(below: styles.count)]
            let pair = Pair(source: formatter.string(from: date).replacingOccurrences(of: "\t", with: " "), target: iso.string(from: date))
            if generator.integer(below: 10) == 0 { test.append(pair) } else { train.append(pair) }
        }
        return (train, test)
    }

    /// TSV: `source<TAB>target` per line.
    public static func tsv(_ pairs: [Pair]) -> String {
        pairs.map { "\($0.source)\t\($0.target)" }.joined(separator: "\n") + "\n"
    }
}
