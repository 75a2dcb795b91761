import Foundation

/// Corpus BLEU and chrF as sacreBLEU 2 computes them with its defaults (Post, 2018), so that Recur's
/// figures can be put next to published ones: BLEU-4 on the `13a` tokenization (mteval-v13a), one
/// reference per hypothesis, brevity penalty, "exp" smoothing; chrF with character n-grams of orders
/// 1 to 6 (white space removed), beta 2, the precision and recall averaged over the orders that
/// occur. Both on the scale 0-100. A test compares them with values sacreBLEU computed.
public enum TranslationMetrics {
    /// The `13a` tokenization: the punctuation of ASCII apart (but apostrophes, and periods, commas
    /// and dashes next to digits), runs of white space as one space.
    public static func tokenize13a(_ line: String) -> String {
        var text = String(line.reversed().drop(while: \.isWhitespace).reversed())  // rstrip
        text = text.replacingOccurrences(of: "<skipped>", with: "").replacingOccurrences(of: "-\n", with: "")
            .replacingOccurrences(of: "\n", with: " ")
        if text.contains("&") {
            text = text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        }
        var s = Array((" " + text + " ").unicodeScalars)
        func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 48 && c.value <= 57 }
        func isPeriodOrComma(_ c: Unicode.Scalar) -> Bool { c == "." || c == "," }
        // [\{-\~\[-\` -\&\(-\+\:-\@\/] -> " c "
        var out: [Unicode.Scalar] = []
        for c in s {
            let v = c.value
            if (0x7B...0x7E).contains(v) || (0x5B...0x60).contains(v) || (0x20...0x26).contains(v) || (0x28...0x2B).contains(v)
                || (0x3A...0x40).contains(v) || v == 0x2F {
                out += [" ", c, " "]
            } else {
                out.append(c)
            }
        }
        /// One pass of a two-character pattern, matches taken left to right without overlap (as
        /// Python's `re.sub`).
        func substitute(_ input: [Unicode.Scalar], _ matches: (Unicode.Scalar, Unicode.Scalar) -> Bool,
                        _ replace: (Unicode.Scalar, Unicode.Scalar) -> [Unicode.Scalar]) -> [Unicode.Scalar] {
            var result: [Unicode.Scalar] = []
            var i = 0
            while i < input.count {
                if i + 1 < input.count && matches(input[i], input[i + 1]) {
                    result += replace(input[i], input[i + 1])
                    i += 2
                } else {
                    result.append(input[i])
                    i += 1
                }
            }
            return result
        }
        s = substitute(out, { !isDigit($0) && isPeriodOrComma($1) }) { [$0, " ", $1, " "] }
        s = substitute(s, { isPeriodOrComma($0) && !isDigit($1) }) { [" ", $0, " ", $1] }
        s = substitute(s, { isDigit($0) && $1 == "-" }) { [$0, " ", $1, " "] }
        return words(String(String.UnicodeScalarView(s))).joined(separator: " ")
    }

    /// Python's `str.split()`: runs of white space separate, none at the ends.
    static func words(_ text: String) -> [String] {
        text.unicodeScalars.split(whereSeparator: { $0.properties.isWhitespace }).map { String(String.UnicodeScalarView($0)) }
    }

    /// Corpus BLEU-4 of hypotheses against one reference each.
    public static func bleu(hypotheses: [String], references: [String]) -> Double {
        precondition(hypotheses.count == references.count, "TranslationMetrics.bleu: expected one reference per hypothesis")
        var correct = [Int](repeating: 0, count: 4), total = [Int](repeating: 0, count: 4)
        var systemLength = 0, referenceLength = 0
        for (hypothesis, reference) in zip(hypotheses, references) {
            let h = words(tokenize13a(hypothesis)), r = words(tokenize13a(reference))
            systemLength += h.count
            referenceLength += r.count
            for n in 1...4 {
                let hypothesisGrams = counts(of: h, order: n), referenceGrams = counts(of: r, order: n)
                for (gram, count) in hypothesisGrams {
                    total[n - 1] += count
                    correct[n - 1] += min(count, referenceGrams[gram] ?? 0)
                }
            }
        }
        var brevity = 1.0
        if systemLength < referenceLength { brevity = systemLength > 0 ? Foundation.exp(1 - Double(referenceLength) / Double(systemLength)) : 0 }
        guard correct.contains(where: { $0 > 0 }) else { return 0 }
        var precisions = [Double](repeating: 0, count: 4)
        var smooth = 1.0
        for n in 0..<4 {
            if total[n] == 0 { break }
            if correct[n] == 0 {
                smooth *= 2
                precisions[n] = 100 / (smooth * Double(total[n]))
            } else {
                precisions[n] = 100 * Double(correct[n]) / Double(total[n])
            }
        }
        let logs = precisions.map { $0 == 0 ? -9_999_999_999 : Foundation.log($0) }
        return brevity * Foundation.exp(logs.reduce(0, +) / 4)
    }

    static func counts(of tokens: [String], order n: Int) -> [[String]: Int] {
        var grams: [[String]: Int] = [:]
        if tokens.count >= n { for i in 0...(tokens.count - n) { grams[Array(tokens[i..<(i + n)]), default: 0] += 1 } }
        return grams
    }

    /// Corpus chrF (character orders 1-6, beta 2) of hypotheses against one reference each.
    public static func chrF(hypotheses: [String], references: [String], order: Int = 6, beta: Double = 2) -> Double {
        precondition(hypotheses.count == references.count, "TranslationMetrics.chrF: expected one reference per hypothesis")
        var hypothesisCounts = [Int](repeating: 0, count: order), referenceCounts = hypothesisCounts, matches = hypothesisCounts
        for (hypothesis, reference) in zip(hypotheses, references) {
            let h = Array(words(hypothesis).joined().unicodeScalars), r = Array(words(reference).joined().unicodeScalars)
            for n in 1...order {
                var hypothesisGrams: [[Unicode.Scalar]: Int] = [:], referenceGrams: [[Unicode.Scalar]: Int] = [:]
                if h.count >= n { for i in 0...(h.count - n) { hypothesisGrams[Array(h[i..<(i + n)]), default: 0] += 1 } }
                if r.count >= n { for i in 0...(r.count - n) { referenceGrams[Array(r[i..<(i + n)]), default: 0] += 1 } }
                for (gram, count) in hypothesisGrams {
                    hypothesisCounts[n - 1] += count
                    matches[n - 1] += min(count, referenceGrams[gram] ?? 0)
                }
                referenceCounts[n - 1] += referenceGrams.values.reduce(0, +)
            }
        }
        let factor = beta * beta
        var averagePrecision = 0.0, averageRecall = 0.0, effective = 0
        for n in 0..<order where hypothesisCounts[n] > 0 && referenceCounts[n] > 0 {
            averagePrecision += Double(matches[n]) / Double(hypothesisCounts[n])
            averageRecall += Double(matches[n]) / Double(referenceCounts[n])
            effective += 1
        }
        guard effective > 0 else { return 0 }
        averagePrecision /= Double(effective)
        averageRecall /= Double(effective)
        guard averagePrecision + averageRecall > 0 else { return 0 }
        return 100 * (1 + factor) * averagePrecision * averageRecall / (factor * averagePrecision + averageRecall)
    }
}
