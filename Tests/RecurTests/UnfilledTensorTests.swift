import Testing
import Recur
import _RecurTestSupport

/// The tensors that the layers make without a zero fill (`Tensor(uninitializedShape:)`) must be
/// written whole before they are read. Each case first frees arrays of NaN of the tensor's size, so
/// that the allocation gets their memory back (glibc's free lists do); an element left unwritten then
/// shows as NaN, where a zero fill would have hidden it.
struct UnfilledTensorTests {
    /// Allocates `copies` arrays of `count` NaNs and frees them.
    static func poisonHeap(scalars count: Int, copies: Int = 8) {
        var arrays: [[Float]] = []
        for _ in 0..<copies { arrays.append([Float](repeating: .nan, count: count)) }
        withExtendedLifetime(arrays) {}
    }

    @Test("the poisoned heap is seen: an unfilled tensor of the freed size gets NaN memory back")
    func poisonReachesAllocations() {
        #if os(Linux)
        Self.poisonHeap(scalars: 600)
        let probe = Tensor<Float>(uninitializedShape: [20, 30])
        #expect(probe.scalars.contains { $0.isNaN }, "glibc did not hand back the freed NaN arrays")
        #endif
    }

    @Test("Linear's output (with and without bias) and dL/dx are written whole", arguments: [true, false])
    func linear(bias: Bool) {
        var g = RandomGenerator(seed: 5)
        let layer = Linear<Float>(inputSize: 7, outputSize: 9, bias: bias, using: &g)
        let x = RecurrentBehaviourTests.random([4, 5, 7], seed: 6)
        let expected = layer.forward(x)
        let dy = RecurrentBehaviourTests.random([4, 5, 9], seed: 7)
        let expectedDx = layer.backward(dy)
        Self.poisonHeap(scalars: 4 * 5 * 9)
        let y = layer.forward(x)
        #expect(y.scalars.allSatisfy { $0.isFinite } && sameBits(y.scalars, expected.scalars))
        Self.poisonHeap(scalars: 4 * 5 * 7)
        let dx = layer.backward(dy)
        #expect(dx.scalars.allSatisfy { $0.isFinite } && sameBits(dx.scalars, expectedDx.scalars))
    }

    @Test("a network's output (zero past each length) and dL/dx are written whole, one or two directions",
          arguments: CellKind.allCases, [false, true])
    func network(cell: CellKind, bidirectional: Bool) {
        let (T, B, I, H) = (6, 4, 5, 8)
        let network = RecurrentBehaviourTests.network(cell, layers: 2, bidirectional: bidirectional, input: I, hidden: H, seed: 11)
        let D = bidirectional ? 2 : 1
        let x = RecurrentBehaviourTests.random([T, B, I], seed: 12)
        let lengths = [6, 3, 0, 1]
        let (expected, _) = network.forward(x, lengths: lengths)
        let dy = RecurrentBehaviourTests.random([T, B, D * H], seed: 13)
        let (expectedDx, _) = network.backward(outputGradient: dy)

        Self.poisonHeap(scalars: T * B * D * H)
        let (y, _) = network.forward(x, lengths: lengths)
        #expect(y.scalars.allSatisfy { $0.isFinite }, "\(cell): unwritten output")
        #expect(sameBits(y.scalars, expected.scalars), "\(cell)")
        for t in 0..<T { for b in 0..<B where t >= lengths[b] {
            #expect((0..<(D * H)).allSatisfy { y[t, b, $0] == 0 }, "\(cell): step \(t) of row \(b) past its length")
        } }
        Self.poisonHeap(scalars: T * B * I)
        Self.poisonHeap(scalars: T * B * D * H)
        let (dx, _) = network.backward(outputGradient: dy)
        #expect(dx.scalars.allSatisfy { $0.isFinite }, "\(cell): unwritten dL/dx")
        #expect(sameBits(dx.scalars, expectedDx.scalars), "\(cell)")
    }
}
