/// How a series is scaled before the network sees it.
public enum SeriesScalingKind: String, Codable, CaseIterable, Sendable {
    /// Mean 0, standard deviation 1 (the population deviation; 1 when the series is constant).
    case standard
    /// Into [0, 1] by the minimum and maximum (range 1 when the series is constant).
    case minmax
    /// As it is.
    case none
}

/// Per-series affine scaling fitted on the training rows only: `z = (x - offset) / scale`, and back
/// `x = z * scale + offset`. The statistics are kept as Doubles, so a checkpoint stores them exactly.
public struct SeriesScaling: Codable, Equatable, Sendable {
    public var kind: SeriesScalingKind
    public var offset: [Double]
    public var scale: [Double]

    public init(kind: SeriesScalingKind, offset: [Double], scale: [Double]) {
        self.kind = kind
        self.offset = offset
        self.scale = scale
    }

    /// `count` series left as they are (`kind` none).
    public static func identity(count: Int) -> SeriesScaling {
        SeriesScaling(kind: .none, offset: Array(repeating: 0, count: count), scale: Array(repeating: 1, count: count))
    }

    /// The statistics of each series (its values in the training rows).
    public init(fitting series: [[Double]], kind: SeriesScalingKind) {
        self.kind = kind
        offset = []
        scale = []
        for values in series {
            let finite = values.filter(\.isFinite)
            switch kind {
            case .none:
                offset.append(0)
                scale.append(1)
            case .standard:
                let mean = finite.isEmpty ? 0 : finite.reduce(0, +) / Double(finite.count)
                let variance = finite.isEmpty ? 0 : finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(finite.count)
                offset.append(mean)
                scale.append(variance > 0 ? variance.squareRoot() : 1)
            case .minmax:
                let low = finite.min() ?? 0, high = finite.max() ?? 1
                offset.append(low)
                scale.append(high > low ? high - low : 1)
            }
        }
    }

    public var width: Int { offset.count }

    @inlinable public func apply(_ x: Double, series i: Int) -> Double { (x - offset[i]) / scale[i] }

    @inlinable public func invert(_ z: Double, series i: Int) -> Double { z * scale[i] + offset[i] }

    /// A change of `dz` in scaled units, in the series' own units (for widths and differences).
    @inlinable public func invertChange(_ dz: Double, series i: Int) -> Double { dz * scale[i] }
}
