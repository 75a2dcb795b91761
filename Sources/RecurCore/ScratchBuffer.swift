/// A growable, uninitialised-on-growth block of scalars for workspaces and caches.
///
/// Layers keep one per cached quantity and call `reserve(_:)` at the start of a pass: memory is
/// allocated only when a pass needs more than any earlier one, never inside the per-step loop, and
/// hot code works on `pointer` directly (no bounds checks, no copy-on-write).
public final class ScratchBuffer<Scalar: RecurScalar> {
    public private(set) var pointer: UnsafeMutablePointer<Scalar>
    public private(set) var capacity: Int
    /// The number of elements the current pass uses (set by `reserve`).
    public private(set) var count: Int = 0

    public init(count: Int = 0) {
        capacity = max(count, 1)
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
        self.count = count
    }

    deinit { pointer.deallocate() }

    /// Makes room for `count` elements; keeps the old contents only when no reallocation is needed.
    public func reserve(_ count: Int) {
        precondition(count >= 0, "ScratchBuffer: expected a non-negative count, got \(count)")
        if count > capacity {
            pointer.deallocate()
            capacity = count
            pointer = .allocate(capacity: capacity)
            pointer.initialize(repeating: 0, count: capacity)
        }
        self.count = count
    }

    /// Sets the first `count` elements to `value`.
    public func fill(_ value: Scalar) {
        pointer.update(repeating: value, count: count)
    }

    /// The used elements as a buffer pointer.
    public var buffer: UnsafeMutableBufferPointer<Scalar> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// The used elements copied into an array.
    public var array: [Scalar] { Array(buffer) }
}
