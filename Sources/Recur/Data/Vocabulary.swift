/// The symbols of a character model: a text's distinct Unicode scalars sorted by code point (what
/// Python's `sorted(set(text))` gives), each mapped to its index.
public struct Vocabulary: Equatable, Sendable, Codable {
    public let symbols: [Unicode.Scalar]
    private let index: [Unicode.Scalar: Int]

    /// The vocabulary of a text.
    public init(text: String) {
        self.init(symbols: Array(Set(text.unicodeScalars)))
    }

    /// A vocabulary of the given symbols (sorted and de-duplicated).
    public init(symbols: [Unicode.Scalar]) {
        self.symbols = Array(Set(symbols)).sorted { $0.value < $1.value }
        self.index = Dictionary(uniqueKeysWithValues: self.symbols.enumerated().map { ($1, $0) })
    }

    public var count: Int { symbols.count }

    /// The id of a symbol, or nil when it is not in the vocabulary.
    public func id(of symbol: Unicode.Scalar) -> Int? { index[symbol] }

    /// The ids of a text's scalars; the first unknown scalar and its position (in scalars) are thrown.
    public func encode(_ text: String) throws(UnknownSymbol) -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(text.unicodeScalars.count)
        for (position, scalar) in text.unicodeScalars.enumerated() {
            guard let id = index[scalar] else { throw UnknownSymbol(symbol: scalar, position: position) }
            ids.append(id)
        }
        return ids
    }

    /// The text of a sequence of ids.
    public func decode(_ ids: [Int]) -> String {
        var text = String.UnicodeScalarView()
        for id in ids { text.append(symbols[id]) }
        return String(text)
    }

    public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool { lhs.symbols == rhs.symbols }

    /// A symbol that the vocabulary lacks, at a position counted in Unicode scalars.
    public struct UnknownSymbol: Error, Equatable, CustomStringConvertible {
        public var symbol: Unicode.Scalar
        public var position: Int
        public init(symbol: Unicode.Scalar, position: Int) {
            self.symbol = symbol
            self.position = position
        }
        public var description: String {
            "character \(symbol.escaped(asASCII: true)) (U+\(String(symbol.value, radix: 16, uppercase: true))) at position \(position) is not in the vocabulary"
        }
    }
}

extension Vocabulary {
    /// Stored as one string: the symbols in id order. Decoding refuses a list that is not distinct and
    /// sorted by code point (what `init(symbols:)` would make of it).
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let symbols = Array(try container.decode(String.self).unicodeScalars)
        self.init(symbols: symbols)
        guard self.symbols == symbols else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "the vocabulary is not a list of distinct symbols sorted by code point")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(String.UnicodeScalarView(symbols)))
    }
}
