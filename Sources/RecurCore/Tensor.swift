/// A dense, row-major array of scalars with a shape.
///
/// Storage is a Swift array, so copies share memory until one of them is written (copy-on-write).
/// Every initialiser and reshape checks that the shape's product equals the number of scalars.
/// Hot loops do not index a Tensor element by element; they borrow its buffer with
/// `withUnsafeBufferPointer` / `withUnsafeMutableBufferPointer`.
public struct Tensor<Scalar: RecurScalar>: Equatable, Sendable {
    /// The extent of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order.
    public private(set) var scalars: [Scalar]

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Scalar = 0) {
        self.shape = shape
        self.scalars = Array(repeating: value, count: Tensor.elementCount(of: shape))
    }

    /// A tensor of `shape` holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Scalar]) {
        let count = Tensor.elementCount(of: shape)
        precondition(scalars.count == count,
                     "Tensor: expected \(count) scalars for shape \(shape), got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor with the same shape and values converted from another scalar type.
    public init<Other: RecurScalar>(_ other: Tensor<Other>) {
        self.init(shape: other.shape, scalars: other.scalars.map { Scalar($0) })
    }

    /// The number of elements: the product of the shape.
    @inlinable public var count: Int { scalars.count }

    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// The element at a full multi-index; traps with the index and shape when out of range.
    public subscript(_ index: Int...) -> Scalar {
        get { scalars[offset(of: index)] }
        set { scalars[offset(of: index)] = newValue }
    }

    /// The element at a flat, row-major position.
    public subscript(flat position: Int) -> Scalar {
        get { scalars[position] }
        set { scalars[position] = newValue }
    }

    /// The same scalars viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// Sets every element to zero, keeping the shape.
    public mutating func zero() {
        scalars.withUnsafeMutableBufferPointer { buffer in
            buffer.update(repeating: 0)
        }
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer(body)
    }

    /// The row-major offset of a multi-index, checked against the shape.
    private func offset(of index: [Int]) -> Int {
        precondition(index.count == shape.count,
                     "Tensor: expected \(shape.count) indices for shape \(shape), got \(index.count)")
        var offset = 0
        for (i, extent) in zip(index, shape) {
            precondition(i >= 0 && i < extent, "Tensor: index \(index) out of range for shape \(shape)")
            offset = offset * extent + i
        }
        return offset
    }

    /// The product of a shape's extents; traps on a negative extent or an overflowing product.
    public static func elementCount(of shape: [Int]) -> Int {
        var count = 1
        for extent in shape {
            precondition(extent >= 0, "Tensor: expected non-negative extents, got shape \(shape)")
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            precondition(!overflow, "Tensor: shape \(shape) has more elements than Int can count")
            count = product
        }
        return count
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), scalars: [\(shown)\(count > 8 ? ", ..." : "")])"
    }
}
