/// How the inputs of labelled or tagged sequences become numbers, for every task that reads them:
/// a token vocabulary (text, or tokens given one by one) or a feature scaling (numeric frames),
/// fitted on a training set, and the encoding of one example under them.
public enum InputEncoding {
    /// The vocabulary (text or tokens) or the scaling (frames) of a training set.
    public static func fit(_ examples: [LabelledSequence], tokenization: Tokenization, maxVocabulary: Int?,
                           path: String) throws(DataError) -> (vocabulary: TokenVocabulary?, scaling: FeatureScaling?) {
        var texts: [String] = [], lists: [[String]] = [], frames: [[[Double]]] = []
        for example in examples {
            switch example.content {
            case let .text(text): texts.append(text)
            case let .tokens(tokens): lists.append(tokens)
            case let .frames(f): frames.append(f)
            }
        }
        if !lists.isEmpty {
            let vocabulary = TokenVocabulary(tokenLists: lists, maxSize: maxVocabulary)
            guard vocabulary.count >= 2 else { throw DataError(path: path, line: 0, "holds no tokens to learn from") }
            return (vocabulary, nil)
        }
        if !texts.isEmpty {
            let vocabulary = TokenVocabulary(texts: texts, tokenization: tokenization, maxSize: maxVocabulary)
            guard vocabulary.count >= 2 else { throw DataError(path: path, line: 0, "holds no \(tokenization == .words ? "words" : "characters") to learn from") }
            return (vocabulary, nil)
        }
        return (nil, FeatureScaling(fitting: frames))
    }

    /// One example's input: token ids under `vocabulary`, or frames scaled by `scaling` (flattened
    /// step-major). Text given to a numeric model, frames of another width, and an input with no
    /// step are refused with the line.
    public static func encode(_ example: LabelledSequence, vocabulary: TokenVocabulary?, scaling: FeatureScaling?,
                              path: String) throws(DataError) -> (ids: [Int]?, frames: [Float]?) {
        switch (example.content, vocabulary, scaling) {
        case let (.text(text), vocabulary?, _):
            let ids = vocabulary.encode(text)
            guard !ids.isEmpty else {
                throw DataError(path: path, line: example.line, "has no \(vocabulary.tokenization == .words ? "words" : "characters") once tokenised; every example needs at least one")
            }
            return (ids, nil)
        case let (.tokens(tokens), vocabulary?, _):
            guard !tokens.isEmpty else { throw DataError(path: path, line: example.line, "has no tokens") }
            return (vocabulary.encode(tokens: tokens), nil)
        case let (.frames(f), _, scaling?):
            guard f[0].count == scaling.width else {
                throw DataError(path: path, line: example.line, "has frames of \(f[0].count) features; the model reads \(scaling.width)")
            }
            return (nil, scaling.apply(f))
        case (.text, nil, _), (.tokens, nil, _):
            throw DataError(path: path, line: example.line, "is text, but the model reads numeric sequences")
        case (.frames, _, nil):
            throw DataError(path: path, line: example.line, "is a numeric sequence, but the model reads text")
        }
    }
}

/// The names of a model's classes or tags, in id order, and the id of each.
public struct ClassNames {
    public let names: [String]
    /// `label` or `tag`, for the errors.
    let noun: String
    private let index: [String: Int]

    public init(_ names: [String], noun: String) {
        self.names = names
        self.noun = noun
        var index: [String: Int] = [:]
        for (id, name) in names.enumerated() { index[name] = id }
        self.index = index
    }

    /// The distinct names a training set uses, sorted; fewer than two are refused with `requirement`.
    public static func fit(_ used: [String], noun: String, requirement: String, path: String) throws(DataError) -> [String] {
        let names = Array(Set(used)).sorted()
        guard names.count >= 2 else {
            throw DataError(path: path, line: 0, "has \(names.count == 1 ? "a single \(noun), '\(names[0])'" : "no \(noun)s"); \(requirement)")
        }
        return names
    }

    /// The id of `name`, or an error naming the line and the names the model knows.
    public func id(of name: String, line: Int, path: String) throws(DataError) -> Int {
        guard let id = index[name] else {
            throw DataError(path: path, line: line, "has the \(noun) '\(name)', which the model does not know (its \(noun)s: \(names.prefix(20).joined(separator: ", "))\(names.count > 20 ? ", ..." : ""))")
        }
        return id
    }
}
