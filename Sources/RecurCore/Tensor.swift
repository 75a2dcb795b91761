#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif

/// A dense, row-major array of scalars with a shape.
///
/// Storage is a Swift array, so copies share memory until one of them is written (copy-on-write).
/// Every initialiser and reshape checks that the shape's product equals the number of scalars.
/// Hot loops do not index a Tensor element by element; they borrow its buffer with
/// `withUnsafeBufferPointer` / `withUnsafeMutableBufferPointer`.
public struct Tensor<Scalar: RecurScalar>: Equatable, Sendable {
    @usableFromInline var storedShape: [Int]
    @usableFromInline var storage: [Scalar]

    /// The extent of each dimension, outermost first.
    @inlinable public var shape: [Int] { storedShape }
    /// The elements in row-major order.
    @inlinable public var scalars: [Scalar] { storage }

    /// A tensor of `shape` filled with `value`.
    @inlinable public init(shape: [Int], repeating value: Scalar = 0) {
        self.storedShape = shape
        self.storage = Array(repeating: value, count: Tensor.elementCount(of: shape))
    }

    /// A tensor of `shape` whose elements are not set: for a tensor whose first writer writes every
    /// element before anything reads one (a GEMM with `beta == 0`, a kernel that covers its output).
    /// It spares the zero fill that `init(shape:)` does on the calling thread: 13 MB a tensor at 64 x 100
    /// x 512, which the other compute thread waited for (docs/performance.md, section 22).
    @inlinable package init(uninitializedShape shape: [Int]) {
        precondition(_isPOD(Scalar.self), "Tensor(uninitializedShape:) needs a scalar type without references")
        let count = Tensor.elementCount(of: shape)
        self.storedShape = shape
        self.storage = [Scalar](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// A tensor of `shape` holding `scalars` in row-major order.
    @inlinable public init(shape: [Int], scalars: [Scalar]) {
        let count = Tensor.elementCount(of: shape)
        precondition(scalars.count == count,
                     "Tensor: expected \(count) scalars for shape \(shape), got \(scalars.count)")
        self.storedShape = shape
        self.storage = scalars
    }

    /// A tensor with the same shape and values converted from another scalar type.
    @inlinable public init<Other: RecurScalar>(_ other: Tensor<Other>) {
        self.init(shape: other.shape, scalars: other.scalars.map { Scalar($0) })
    }

    /// The number of elements: the product of the shape.
    @inlinable public var count: Int { scalars.count }

    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// The element at a full multi-index; traps with the index and shape when out of range.
    @inlinable public subscript(_ index: Int...) -> Scalar {
        get { storage[offset(of: index)] }
        set { storage[offset(of: index)] = newValue }
    }

    /// The element at a flat, row-major position.
    @inlinable public subscript(flat position: Int) -> Scalar {
        get { storage[position] }
        set { storage[position] = newValue }
    }

    /// The same scalars viewed with another shape of equal element count.
    @inlinable public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// A matrix `[R, C]` transposed: `[C, R]`.
    public func transposed() -> Tensor {
        precondition(rank == 2, "Tensor.transposed: expected a matrix, got \(shape)")
        let R = shape[0], C = shape[1]
        var out = [Scalar](repeating: 0, count: R * C)
        storage.withUnsafeBufferPointer { x in
            for r in 0..<R { for c in 0..<C { out[c * R + r] = x[r * C + c] } }
        }
        return Tensor(shape: [C, R], scalars: out)
    }

    /// Sets every element to zero, keeping the shape.
    /// Sets every element to +0 with one memset (all-zero bits), which stays fast where the call is
    /// not specialised: `update(repeating:)` there copied element by element through the type's value
    /// witness, 1% of a training step's samples in `zeroGradients` (2x512 LSTM, bf16).
    @inlinable public mutating func zero() {
        storage.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            memset(base, 0, buffer.count * MemoryLayout<Scalar>.stride)
        }
    }

    @inlinable public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    @inlinable public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }

    /// The row-major offset of a multi-index, checked against the shape.
    @inlinable func offset(of index: [Int]) -> Int {
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
    @inlinable public static func elementCount(of shape: [Int]) -> Int {
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
    @inlinable public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), scalars: [\(shown)\(count > 8 ? ", ..." : "")])"
    }
}
