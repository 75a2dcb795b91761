/// Turns tagged sequences into model inputs: the tag set and the input encoding fitted on a training
/// set, and the encoding of any set under them.
public enum TaggingData {
    /// The tags (sorted) and the inputs' vocabulary or scaling of a training set; fewer than two
    /// distinct tags is refused: there is nothing to learn.
    public static func fit(_ examples: [LabelledSequence], tokenization: Tokenization, maxVocabulary: Int?,
                           path: String) throws(DataError) -> (tags: [String], vocabulary: TokenVocabulary?, scaling: FeatureScaling?) {
        let tags = Array(Set(examples.flatMap { $0.tags ?? [] })).sorted()
        guard tags.count >= 2 else {
            throw DataError(path: path, line: 0, "has \(tags.count == 1 ? "a single tag, '\(tags[0])'" : "no tags"); a tagger needs at least two")
        }
        let inputs = try InputEncoding.fit(examples, tokenization: tokenization, maxVocabulary: maxVocabulary, path: path)
        return (tags, inputs.vocabulary, inputs.scaling)
    }

    /// The examples encoded for a tagger of `configuration`: a tag the model does not know is refused
    /// with the line; untagged examples get tag -1 at every step unless `requireTags`.
    public static func encode(_ examples: [LabelledSequence], for configuration: SequenceTaggerConfiguration,
                              path: String, requireTags: Bool = true) throws(DataError) -> EncodedSequences {
        var tagIndex: [String: Int] = [:]
        for (id, tag) in configuration.tags.enumerated() { tagIndex[tag] = id }
        var tokens: [[Int]] = [], frames: [[Float]] = [], tags: [[Int]] = []
        for example in examples {
            let input = try InputEncoding.encode(example, vocabulary: configuration.vocabulary, scaling: configuration.scaling, path: path)
            let steps = input.ids?.count ?? (input.frames!.count / configuration.input.width)
            if let given = example.tags {
                guard given.count == steps else {
                    throw DataError(path: path, line: example.line, "has \(steps) steps but \(given.count) tags; every step needs one tag")
                }
                var ids: [Int] = []
                for tag in given {
                    guard let id = tagIndex[tag] else {
                        throw DataError(path: path, line: example.line, "has the tag '\(tag)', which the model does not know (its tags: \(configuration.tags.prefix(20).joined(separator: ", "))\(configuration.tags.count > 20 ? ", ..." : ""))")
                    }
                    ids.append(id)
                }
                tags.append(ids)
            } else {
                guard !requireTags else { throw DataError(path: path, line: example.line, "has no tags") }
                tags.append([Int](repeating: -1, count: steps))
            }
            if let ids = input.ids { tokens.append(ids) }
            if let scaled = input.frames { frames.append(scaled) }
        }
        let labels = [Int](repeating: -1, count: tags.count)
        if let scaling = configuration.scaling {
            return EncodedSequences(inputs: .features(width: scaling.width, frames), labels: labels, tags: tags)
        }
        return EncodedSequences(inputs: .tokens(tokens), labels: labels, tags: tags)
    }
}
