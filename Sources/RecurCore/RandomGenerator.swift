/// A seeded pseudo-random generator: xoshiro256** with its state expanded from the seed by SplitMix64.
///
/// The same seed gives the same bits on every platform and in every build. The four-word state is
/// public so that training can save it in a checkpoint and resume exactly.
public struct RandomGenerator: RandomNumberGenerator, Equatable, Sendable {
    public var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var splitMix = seed
        func nextSplitMix() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (nextSplitMix(), nextSplitMix(), nextSplitMix(), nextSplitMix())
    }

    /// Restores a generator from a saved state (not all zero).
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "RandomGenerator: the all-zero state is not valid")
        self.state = state
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, by: 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, by: 45)
        return result
    }

    /// A uniform value in [0, 1) with the full precision of `Scalar`'s significand (at most 53 bits).
    @inlinable
    public mutating func uniform<Scalar: RecurScalar>(_: Scalar.Type = Scalar.self) -> Scalar {
        let bits = min(Scalar.significandBitCount + 1, 53)
        return Scalar(next() >> UInt64(64 - bits)) * Scalar(1) / Scalar(UInt64(1) << UInt64(bits))
    }

    /// A uniform value in [lower, upper).
    @inlinable
    public mutating func uniform<Scalar: RecurScalar>(in lower: Scalar, _ upper: Scalar) -> Scalar {
        lower + (upper - lower) * uniform(Scalar.self)
    }

    /// A standard normal value (Box-Muller, computed in Double).
    @inlinable
    public mutating func normal<Scalar: RecurScalar>(_: Scalar.Type = Scalar.self) -> Scalar {
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let u1 = 1 - uniform(Double.self)
        let u2 = uniform(Double.self)
        return Scalar((-2 * Double.log(u1)).squareRoot() * cosine(2 * Double.pi * u2))
    }

    /// A uniform integer in 0..<bound, without modulo bias.
    @inlinable
    public mutating func integer(below bound: Int) -> Int {
        precondition(bound > 0, "RandomGenerator.integer: expected a positive bound, got \(bound)")
        return Int(next(upperBound: UInt64(bound)))
    }

    /// Shuffles `elements` in place (Fisher-Yates, from the end), the same way on every platform and
    /// Swift version, so that a seeded order can be replayed on resume.
    public mutating func shuffle<T>(_ elements: inout [T]) {
        guard elements.count > 1 else { return }
        for i in stride(from: elements.count - 1, to: 0, by: -1) {
            elements.swapAt(i, integer(below: i + 1))
        }
    }

    public static func == (lhs: RandomGenerator, rhs: RandomGenerator) -> Bool {
        lhs.state == rhs.state
    }
}

@inlinable @inline(__always)
func rotateLeft(_ x: UInt64, by k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif

@inlinable @inline(__always)
func cosine(_ x: Double) -> Double { cos(x) }
