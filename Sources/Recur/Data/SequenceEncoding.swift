import Foundation

/// How text becomes tokens.
public enum Tokenization: String, Codable, CaseIterable, Sendable {
    /// One token per Unicode scalar.
    case chars
    /// Lower-cased words: letters, digits and apostrophes; every other character separates (as Keras'
    /// `Tokenizer` with its default filters does).
    case words
    /// Tokens as the file gives them, one by one (tagging); a text splits at white space.
    case given

    public func tokens(of text: String) -> [String] {
        switch self {
        case .chars:
            return text.unicodeScalars.map { String($0) }
        case .words:
            var words: [String] = []
            var current = String.UnicodeScalarView()
            for scalar in text.lowercased().unicodeScalars {
                if CharacterSet.alphanumerics.contains(scalar) || scalar == "'" {
                    current.append(scalar)
                } else if !current.isEmpty {
                    words.append(String(current))
                    current = String.UnicodeScalarView()
                }
            }
            if !current.isEmpty { words.append(String(current)) }
            return words
        case .given:
            return text.split(whereSeparator: \.isWhitespace).map(String.init)
        }
    }
}

/// Token strings and their ids. Id 0 is the unknown token, which every token outside the vocabulary
/// maps to; the others are the training set's tokens, most frequent first (ties by code points).
public struct TokenVocabulary: Codable, Equatable, Sendable {
    public static let unknown = "<unk>"
    public let tokenization: Tokenization
    /// `tokens[0]` is `unknown`.
    public let tokens: [String]
    private let index: [String: Int]

    enum CodingKeys: String, CodingKey { case tokenization, tokens }

    public init(tokenization: Tokenization, tokens: [String]) {
        self.tokenization = tokenization
        self.tokens = tokens
        var index: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where index[token] == nil { index[token] = id }
        self.index = index
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let tokens = try container.decode([String].self, forKey: .tokens)
        guard tokens.first == Self.unknown, Set(tokens).count == tokens.count else {
            throw DecodingError.dataCorruptedError(forKey: .tokens, in: container,
                                                   debugDescription: "the token list must start with \(Self.unknown) and hold no token twice")
        }
        self.init(tokenization: try container.decode(Tokenization.self, forKey: .tokenization), tokens: tokens)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tokenization, forKey: .tokenization)
        try container.encode(tokens, forKey: .tokens)
    }

    /// The vocabulary of `texts`: at most `maxSize` tokens including the unknown one.
    public init(texts: [String], tokenization: Tokenization, maxSize: Int? = nil) {
        self.init(tokenLists: texts.map { tokenization.tokens(of: $0) }, tokenization: tokenization, maxSize: maxSize)
    }

    /// The vocabulary of token lists (as `tokenization` made them; `given`: as a file gave them): at
    /// most `maxSize` tokens including the unknown one, most frequent first (ties by code points).
    public init(tokenLists: [[String]], tokenization: Tokenization = .given, maxSize: Int? = nil) {
        var counts: [String: Int] = [:]
        for list in tokenLists { for token in list { counts[token, default: 0] += 1 } }
        var ranked = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars, by: { $0.value < $1.value }) }
        if let maxSize { ranked = Array(ranked.prefix(max(0, maxSize - 1))) }
        self.init(tokenization: tokenization, tokens: [Self.unknown] + ranked.map(\.key))
    }

    public var count: Int { tokens.count }

    /// The ids of tokens given one by one (unknown ones as 0).
    public func encode(tokens: [String]) -> [Int] { tokens.map { index[$0] ?? 0 } }

    /// The ids of a text's tokens (unknown ones as 0).
    public func encode(_ text: String) -> [Int] {
        tokenization.tokens(of: text).map { index[$0] ?? 0 }
    }
}

/// Per-feature standardisation fitted on the training set: `(x - mean) / std` (std 0 counts as 1).
public struct FeatureScaling: Codable, Equatable, Sendable {
    public var mean: [Double]
    public var standardDeviation: [Double]

    public init(mean: [Double], standardDeviation: [Double]) {
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// The statistics of every frame of every sequence.
    public init(fitting sequences: [[[Double]]]) {
        let width = sequences.first?.first?.count ?? 0
        var sum = [Double](repeating: 0, count: width), count = 0.0
        for frames in sequences { for frame in frames { for j in 0..<width { sum[j] += frame[j] } ; count += 1 } }
        let mean = sum.map { $0 / max(count, 1) }
        var squares = [Double](repeating: 0, count: width)
        for frames in sequences { for frame in frames { for j in 0..<width { squares[j] += (frame[j] - mean[j]) * (frame[j] - mean[j]) } } }
        self.init(mean: mean, standardDeviation: squares.map { let s = ($0 / max(count, 1)).squareRoot(); return s > 1e-12 ? s : 1 })
    }

    public var width: Int { mean.count }

    /// The frames scaled, flattened step-major `[steps * width]`, as Float.
    public func apply(_ frames: [[Double]]) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(frames.count * width)
        for frame in frames { for j in 0..<width { out.append(Float((frame[j] - mean[j]) / standardDeviation[j])) } }
        return out
    }
}
