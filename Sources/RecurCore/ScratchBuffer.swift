/// A growable, uninitialised-on-growth block of scalars for workspaces and caches.
///
/// Layers keep one per cached quantity and call `reserve(_:)` at the start of a pass: memory is
/// allocated only when a pass needs more than any earlier one, never inside the per-step loop, and
/// hot code works on `pointer` directly (no bounds checks, no copy-on-write). The stored properties
/// are never passed `inout`, so reading them skips Swift's run-time exclusivity check (measured: the
/// check was 8% of a batch-1 sampling step that read `pointer` per element).
public final class ScratchBuffer<Scalar: RecurScalar> {
    @exclusivity(unchecked) @usableFromInline var storage: UnsafeMutablePointer<Scalar>
    @exclusivity(unchecked) @usableFromInline var storedCapacity: Int
    @exclusivity(unchecked) @usableFromInline var storedCount: Int = 0

    /// The first element; valid until the next `reserve` that grows the buffer.
    @inlinable public var pointer: UnsafeMutablePointer<Scalar> { storage }
    /// The elements allocated.
    @inlinable public var capacity: Int { storedCapacity }
    /// The number of elements the current pass uses (set by `reserve`).
    @inlinable public var count: Int { storedCount }

    @inlinable public init(count: Int = 0) {
        storedCapacity = max(count, 1)
        storage = .allocate(capacity: storedCapacity)
        storage.initialize(repeating: 0, count: storedCapacity)
        storedCount = count
    }

    deinit { storage.deallocate() }

    /// Makes room for `count` elements; keeps the old contents only when no reallocation is needed.
    @inlinable public func reserve(_ count: Int) {
        precondition(count >= 0, "ScratchBuffer: expected a non-negative count, got \(count)")
        if count > capacity {
            storage.deallocate()
            storedCapacity = count
            storage = .allocate(capacity: count)
            storage.initialize(repeating: 0, count: count)
        }
        storedCount = count
    }

    /// Sets the first `count` elements to `value`.
    @inlinable public func fill(_ value: Scalar) {
        pointer.update(repeating: value, count: count)
    }

    /// The used elements as a buffer pointer.
    @inlinable public var buffer: UnsafeMutableBufferPointer<Scalar> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// The used elements copied into an array.
    @inlinable public var array: [Scalar] { Array(buffer) }
}
