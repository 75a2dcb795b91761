/// Turns tagged sequences into model inputs: the tag set and the input encoding fitted on a training
/// set, and the encoding of any set under them.
public enum TaggingData {
    /// The tags (sorted) and the inputs' vocabulary or scaling of a training set; fewer than two
    /// distinct tags is refused: there is nothing to learn.
    public static func fit(_ examples: [LabelledSequence], tokenization: Tokenization, maxVocabulary: Int?,
                           path: String) throws(DataError) -> (tags: [String], vocabulary: TokenVocabulary?, scaling: FeatureScaling?) {
        let tags = try ClassNames.fit(examples.flatMap { $0.tags ?? [] }, noun: "tag", requirement: "a tagger needs at least two", path: path)
        let inputs = try InputEncoding.fit(examples, tokenization: tokenization, maxVocabulary: maxVocabulary, path: path)
        return (tags, inputs.vocabulary, inputs.scaling)
    }

    /// The examples encoded for a tagger of `configuration`: a tag the model does not know is refused
    /// with the line; untagged examples get tag -1 at every step unless `requireTags`.
    public static func encode(_ examples: [LabelledSequence], for configuration: SequenceTaggerConfiguration,
                              path: String, requireTags: Bool = true) throws(DataError) -> EncodedSequences {
        let names = ClassNames(configuration.tags, noun: "tag")
        var tokens: [[Int]] = [], frames: [[Float]] = [], tags: [[Int]] = []
        for example in examples {
            let input = try InputEncoding.encode(example, vocabulary: configuration.vocabulary, scaling: configuration.scaling, path: path)
            let steps = input.ids?.count ?? (input.frames!.count / configuration.input.width)
            if let given = example.tags {
                guard given.count == steps else {
                    throw DataError(path: path, line: example.line, "has \(steps) steps but \(given.count) tags; every step needs one tag")
                }
                var ids: [Int] = []
                for tag in given { ids.append(try names.id(of: tag, line: example.line, path: path)) }
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
