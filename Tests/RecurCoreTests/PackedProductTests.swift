import Testing
import RecurCore
import _RecurTestSupport

/// The packed product against the reference GEMM, with the strides the recurrent layers use.
struct PackedProductTests {
    @Test("C += A B and C = A B with B packed equal the reference GEMM within 1e-5, for B read transposed (forward) and as stored (backward), with row strides; packing again picks up new values; the panel kernel too, on every instruction set",
          arguments: [(16, 512, 128), (5, 52, 13), (1, 24, 7), (33, 96, 200), (25, 130, 300), (64, 200, 520)])
    func product(m: Int, n: Int, k: Int) throws {
        #if os(Linux)
        try product(m: m, n: n, k: k, panels: false, instructionSet: nil)
        if PackedProduct.panelsAvailable {
            // The panel kernel's copies: AVX2 and the portable one (run under the baseline set).
            for set in InstructionSet.supported { try product(m: m, n: n, k: k, panels: true, instructionSet: set) }
        }
        #else
        #expect(PackedProduct(m: m, n: n, k: k, lda: k, ldc: n, strideK: 1, strideN: k) == nil)
        #endif
    }

    private func product(m: Int, n: Int, k: Int, panels: Bool, instructionSet: InstructionSet?) throws {
        var generator = RandomGenerator(seed: UInt64(m * 1000 + n))
        let lda = k + 3, ldc = n + 5
        let a = (0..<(m * lda)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }
        let c0 = (0..<(m * ldc)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }
        // The same B[k, n] stored two ways: as W[n, k] (B = W^T, the forward loop's) and as itself.
        var w = (0..<(n * k)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }
        for (transposed, accumulate) in [(true, true), (false, true), (true, false), (false, false)] {
            let product = try #require(PackedProduct(m: m, n: n, k: k, lda: lda, ldc: ldc, strideK: transposed ? 1 : n,
                                                     strideN: transposed ? k : 1, accumulate: accumulate, panels: panels),
                                       "no packed product for \(m) x \(n) x \(k)")
            if panels { #expect(product.implementation == PackedProduct.panelImplementation && product.keepsWeightsPacked) }
            #expect(product.matches(m: m, n: n, k: k, lda: lda, ldc: ldc, strideK: transposed ? 1 : n, strideN: transposed ? k : 1,
                                    accumulate: accumulate))
            #expect(!product.matches(m: m, n: n, k: k, lda: lda, ldc: ldc, strideK: transposed ? 1 : n, strideN: transposed ? k : 1,
                                     accumulate: !accumulate))
            for round in 0..<2 {
                if round == 1 { w = w.map { $0 * -0.5 + 0.25 } }
                product.pack(w)
                // Without accumulate C's old values must not count: NaN there would show.
                var c = accumulate ? c0 : c0.enumerated().map { $0.offset % ldc < n ? .nan : $0.element }, expected = c0
                InstructionSet.useOnThisThread(instructionSet)
                product.run(a: a, c: &c)
                InstructionSet.useOnThisThread(nil)
                gemm(engine: .reference, transB: transposed, m: m, n: n, k: k, a: a, lda: lda, b: w, ldb: transposed ? k : n,
                     beta: accumulate ? 1 : 0, c: &expected, ldc: ldc)
                let difference = largestDifference(c, expected.map(Double.init))
                #expect(difference <= 1e-5 * Double(k), "\(product.implementation) on \(instructionSet?.rawValue ?? "the active set"): transposed \(transposed) accumulate \(accumulate) round \(round): \(difference)")
                // Past each row's n columns, C is untouched.
                #expect((0..<m).allSatisfy { r in (n..<ldc).allSatisfy { c[r * ldc + $0] == c0[r * ldc + $0] } })
            }
        }
    }

    /// oneDNN's `gemm:*` matmul keeps B as a plain matrix and packs it in every product; its `brg*`
    /// (brgemm) matmul keeps it blocked, and so does the panel kernel, which stands in for a plain
    /// Float product wherever it can run. The recurrent layers use the packed product for Float only
    /// when it keeps B packed, so the flag must agree with the implementation chosen.
    @Test("keepsWeightsPacked agrees with the implementation chosen (gemm: plain B; brgemm, panels: packed); with the panel kernel at hand no Float product keeps B plain",
          arguments: [(64, 4096, 1024), (25, 512, 128), (1, 24, 7)])
    func packingMatchesImplementation(m: Int, n: Int, k: Int) throws {
        #if os(Linux)
        let product = try #require(PackedProduct(m: m, n: n, k: k, lda: k, ldc: n, strideK: 1, strideN: k))
        #expect(!product.implementation.isEmpty)
        if product.implementation.hasPrefix("gemm") { #expect(!product.keepsWeightsPacked, "\(product.implementation)") }
        if product.implementation.hasPrefix("brg") || product.implementation == PackedProduct.panelImplementation {
            #expect(product.keepsWeightsPacked, "\(product.implementation)")
        }
        if PackedProduct.panelsAvailable { #expect(product.keepsWeightsPacked, "\(product.implementation)") }
        #endif
    }

    /// Called outside a parallel region the panel kernel shares B's panels among the compute threads;
    /// inside one it runs on the calling thread. Every element of C is one thread's sum in the same
    /// order either way, so the two must agree bit for bit.
    @Test("The panel kernel's product and packing give the same bits shared among the threads as on one thread")
    func panelsSharedAmongThreads() throws {
        #if os(Linux)
        guard PackedProduct.panelsAvailable else { return }
        let (m, n, k) = (64, 1000, 300)
        var generator = RandomGenerator(seed: 7)
        let a = (0..<(m * k)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }
        let w = (0..<(n * k)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }
        let shared = try #require(PackedProduct(m: m, n: n, k: k, lda: k, ldc: n, strideK: 1, strideN: k, panels: true))
        let alone = try #require(PackedProduct(m: m, n: n, k: k, lda: k, ldc: n, strideK: 1, strideN: k, panels: true))
        var c1 = [Float](repeating: 0.5, count: m * n), c2 = c1
        shared.pack(w)
        shared.run(a: a, c: &c1)
        ComputeThreads.parallel { thread, _ in
            guard thread == 0 else { return }
            #expect(ComputeThreads.isInParallelRegion || ComputeThreads.current == 1)
            alone.pack(w)
            alone.run(a: a, c: &c2)
        }
        #expect(c1 == c2, "\(largestDifference(c1, c2.map(Double.init)))")
        #expect(!ComputeThreads.isInParallelRegion)
        #endif
    }
}
