/// Comparisons for tests that cannot be passed by a NaN.
///
/// `error > tolerance` and `Swift.max(worst, error)` both let a NaN through: every comparison with NaN
/// is false, so a NaN error never looks large and `max` drops it. These helpers make NaN the worst
/// value there is, so a check of the form `!(worst <= tolerance)` fails on it.

/// The larger of two errors, NaN when either is NaN.
@inlinable
public func worse(_ a: Double, _ b: Double) -> Double {
    a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
}

/// The largest of `values` (0 when empty), NaN when any is NaN.
@inlinable
public func worst<S: Sequence>(_ values: S) -> Double where S.Element == Double {
    values.reduce(0, worse)
}

/// Whether `error` should replace `current` as the worst seen: larger, or NaN while `current` is not.
@inlinable
public func isWorse(_ error: Double, than current: Double) -> Bool {
    !current.isNaN && !(error <= current)
}

/// The largest |a - b| over two equally long sequences, NaN when any difference is NaN.
public func largestDifference<A: Sequence, B: Sequence>(_ a: A, _ b: B) -> Double
where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
    worst(zip(a, b).map { abs(Double($0) - Double($1)) })
}

/// Whether two sequences hold the same values bit for bit: a NaN matches only a NaN of the same bits,
/// and -0 does not match +0.
public func sameBits<A: Sequence, B: Sequence>(_ a: A, _ b: B) -> Bool
where A.Element: BinaryFloatingPoint, A.Element == B.Element {
    let x = Array(a), y = Array(b)
    return x.count == y.count && zip(x, y).allSatisfy {
        $0.sign == $1.sign && $0.exponentBitPattern == $1.exponentBitPattern && $0.significandBitPattern == $1.significandBitPattern
    }
}
