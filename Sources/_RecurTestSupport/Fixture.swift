import Foundation
import RecurCore

/// A golden fixture written by scripts/make_fixtures.py: named tensors and a few settings.
public struct Fixture: Decodable {
    public struct StoredTensor: Decodable {
        public var shape: [Int]
        public var data: [Double]
    }

    public var settings: [String: Setting]
    public var tensors: [String: StoredTensor]

    /// A setting: an integer, a number, a string, a flag, a list of integers, or null.
    public enum Setting: Decodable {
        case int(Int), double(Double), string(String), bool(Bool), ints([Int]), null

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let v = try? c.decode(Bool.self) { self = .bool(v) }
            else if let v = try? c.decode(Int.self) { self = .int(v) }
            else if let v = try? c.decode(Double.self) { self = .double(v) }
            else if let v = try? c.decode(String.self) { self = .string(v) }
            else { self = .ints(try c.decode([Int].self)) }
        }
    }

    public static func load(_ url: URL) throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    public func tensor<Scalar: RecurScalar>(_ name: String, as _: Scalar.Type = Scalar.self) -> Tensor<Scalar> {
        guard let stored = tensors[name] else { preconditionFailure("fixture has no tensor \(name)") }
        return Tensor(shape: stored.shape, scalars: stored.data.map { Scalar($0) })
    }

    public func has(_ name: String) -> Bool { tensors[name] != nil }

    public func int(_ key: String) -> Int {
        guard case let .int(v)? = settings[key] else { preconditionFailure("fixture setting \(key) is not an integer") }
        return v
    }
    public func double(_ key: String) -> Double {
        switch settings[key] {
        case let .double(v)?: return v
        case let .int(v)?: return Double(v)
        default: preconditionFailure("fixture setting \(key) is not a number")
        }
    }
    public func string(_ key: String) -> String {
        guard case let .string(v)? = settings[key] else { preconditionFailure("fixture setting \(key) is not a string") }
        return v
    }
    public func bool(_ key: String) -> Bool {
        guard case let .bool(v)? = settings[key] else { preconditionFailure("fixture setting \(key) is not a flag") }
        return v
    }
    public func ints(_ key: String) -> [Int]? {
        switch settings[key] {
        case let .ints(v)?: return v
        default: return nil
        }
    }
}

/// The largest violation of `|actual - expected| <= absolute + relative * |expected|`, as the ratio of
/// the difference to its allowance (<= 1 passes), with the largest absolute difference seen.
public struct Closeness: CustomStringConvertible {
    public var worstRatio = 0.0
    public var maxDifference = 0.0
    public var worstIndex = 0
    public var description: String { "max |difference| \(maxDifference), worst ratio to tolerance \(worstRatio) at [\(worstIndex)]" }
    public var passes: Bool { worstRatio <= 1 }
}

public func closeness<A: RecurScalar, E: RecurScalar>(
    _ actual: Tensor<A>, _ expected: Tensor<E>, absolute: Double, relative: Double
) -> Closeness {
    precondition(actual.shape == expected.shape, "closeness: shapes \(actual.shape) and \(expected.shape) differ")
    var result = Closeness()
    for i in 0..<actual.count {
        let a = Double(actual[flat: i]), e = Double(expected[flat: i])
        let difference = abs(a - e)
        let ratio = a.isNaN || e.isNaN ? .infinity : difference / (absolute + relative * abs(e))
        result.maxDifference = worse(result.maxDifference, difference)
        if isWorse(ratio, than: result.worstRatio) {
            result.worstRatio = ratio
            result.worstIndex = i
        }
    }
    return result
}
