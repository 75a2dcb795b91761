import RecurCore

/// What a conditioned language model is conditioned on: one of a set of named labels, or a numeric
/// vector of fixed width.
///
/// Either way the model sees a vector `c` of `width` numbers: the one-hot vector of the label's id
/// (labels in id order), or the features standardised with the statistics of the training set. A
/// learned linear map turns `c` into the initial state (`CharRNN`, docs/tasks.md).
public enum GenerationCondition: Codable, Equatable, Sendable {
    /// One of these names (sorted, distinct).
    case labels([String])
    /// `size` numbers, standardised by `scaling` (fitted on the training set).
    case features(size: Int, scaling: FeatureScaling)

    /// The width of the condition vector.
    public var width: Int {
        switch self {
        case let .labels(names): return names.count
        case let .features(size, _): return size
        }
    }

    /// What is wrong with it, or nil.
    public var problem: String? {
        switch self {
        case let .labels(names):
            if names.isEmpty || names.count > 1 << 16 || Set(names).count != names.count || names.contains("") {
                return "the condition labels must be 1 to 65,536 distinct non-empty names"
            }
        case let .features(size, scaling):
            if !(size >= 1 && size <= 1 << 16) { return "the condition width \(size) is out of range" }
            if scaling.width != size || scaling.standardDeviation.count != size {
                return "the condition scaling has \(scaling.width) features but the condition \(size)"
            }
            if !(scaling.mean + scaling.standardDeviation).allSatisfy(\.isFinite) || scaling.standardDeviation.contains(where: { $0 <= 0 }) {
                return "the condition scaling is not finite and positive"
            }
        }
        return nil
    }

    /// A condition as given by a user or a data file: a label, or numbers.
    public enum Value: Equatable, Sendable {
        case label(String)
        case features([Double])
    }

    /// Why a condition value does not fit the model.
    public struct Mismatch: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// The model's vector for `value`; a label the model was not trained on, numbers of another
    /// width, or a kind the model does not take is refused, saying what the model expects.
    public func vector(_ value: Value) throws(Mismatch) -> [Float] {
        switch (self, value) {
        case let (.labels(names), .label(name)):
            guard let id = names.firstIndex(of: name) else {
                throw Mismatch(description: "the condition '\(name)' was not seen in training (the model's conditions: \(names.prefix(20).joined(separator: ", "))\(names.count > 20 ? ", ..." : ""))")
            }
            var vector = [Float](repeating: 0, count: names.count)
            vector[id] = 1
            return vector
        case let (.features(size, scaling), .features(values)):
            guard values.count == size else {
                throw Mismatch(description: "the condition has \(values.count) numbers, but the model takes \(size)")
            }
            return scaling.apply([values])
        case (.labels, .features):
            throw Mismatch(description: "the condition is a list of numbers, but the model is conditioned on a label")
        case let (.features(size, _), .label(name)):
            throw Mismatch(description: "the condition '\(name)' is a label, but the model is conditioned on \(size) numbers")
        }
    }

    /// Stored as `{"type": "labels", "names": [...]}` or `{"type": "features", "size": F, "scaling":
    /// {"mean": [...], "standard_deviation": [...]}}`.
    enum CodingKeys: String, CodingKey { case type, names, size, scaling }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "labels": self = .labels(try c.decode([String].self, forKey: .names))
        case "features": self = .features(size: try c.decode(Int.self, forKey: .size), scaling: try c.decode(FeatureScaling.self, forKey: .scaling))
        case let other: throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "'\(other)' is not labels or features")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .labels(names):
            try c.encode("labels", forKey: .type)
            try c.encode(names, forKey: .names)
        case let .features(size, scaling):
            try c.encode("features", forKey: .type)
            try c.encode(size, forKey: .size)
            try c.encode(scaling, forKey: .scaling)
        }
    }
}
