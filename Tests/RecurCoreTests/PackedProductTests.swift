import Testing
import RecurCore
import _RecurTestSupport

/// The packed product against the reference GEMM, with the strides the recurrent layers use.
struct PackedProductTests {
    @Test("C += A B and C = A B with B packed equal the reference GEMM within 1e-5, for B read transposed (forward) and as stored (backward), with row strides; packing again picks up new values",
          arguments: [(16, 512, 128), (5, 52, 13), (1, 24, 7), (33, 96, 200)])
    func product(m: Int, n: Int, k: Int) throws {
        #if os(Linux)
        var generator = RandomGenerator(seed: UInt64(m * 1000 + n))
        let lda = k + 3, ldc = n + 5
        let a = (0..<(m * lda)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }
        let c0 = (0..<(m * ldc)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }
        // The same B[k, n] stored two ways: as W[n, k] (B = W^T, the forward loop's) and as itself.
        var w = (0..<(n * k)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }
        for (transposed, accumulate) in [(true, true), (false, true), (true, false), (false, false)] {
            let product = try #require(PackedProduct(m: m, n: n, k: k, lda: lda, ldc: ldc, strideK: transposed ? 1 : n,
                                                     strideN: transposed ? k : 1, accumulate: accumulate),
                                       "no packed product for \(m) x \(n) x \(k)")
            #expect(product.matches(m: m, n: n, k: k, lda: lda, ldc: ldc, strideK: transposed ? 1 : n, strideN: transposed ? k : 1,
                                    accumulate: accumulate))
            #expect(!product.matches(m: m, n: n, k: k, lda: lda, ldc: ldc, strideK: transposed ? 1 : n, strideN: transposed ? k : 1,
                                     accumulate: !accumulate))
            for round in 0..<2 {
                if round == 1 { w = w.map { $0 * -0.5 + 0.25 } }
                product.pack(w)
                // Without accumulate C's old values must not count: NaN there would show.
                var c = accumulate ? c0 : c0.enumerated().map { $0.offset % ldc < n ? .nan : $0.element }, expected = c0
                product.run(a: a, c: &c)
                gemm(engine: .reference, transB: transposed, m: m, n: n, k: k, a: a, lda: lda, b: w, ldb: transposed ? k : n,
                     beta: accumulate ? 1 : 0, c: &expected, ldc: ldc)
                let difference = largestDifference(c, expected.map(Double.init))
                #expect(difference <= 1e-5 * Double(k), "transposed \(transposed) accumulate \(accumulate) round \(round): \(difference)")
                // Past each row's n columns, C is untouched.
                #expect((0..<m).allSatisfy { r in (n..<ldc).allSatisfy { c[r * ldc + $0] == c0[r * ldc + $0] } })
            }
        }
        #else
        #expect(PackedProduct(m: m, n: n, k: k, lda: k, ldc: n, strideK: 1, strideN: k) == nil)
        #endif
    }

    /// oneDNN's `gemm:*` matmul keeps B as a plain matrix and packs it in every product; its `brg*`
    /// (brgemm) matmul keeps it blocked. The recurrent layers use the packed product for Float only
    /// when it keeps B packed, so the flag must agree with the implementation the library chose.
    @Test("keepsWeightsPacked agrees with the implementation oneDNN chose (gemm: plain B; brgemm: blocked)",
          arguments: [(64, 4096, 1024), (25, 512, 128), (1, 24, 7)])
    func packingMatchesImplementation(m: Int, n: Int, k: Int) throws {
        #if os(Linux)
        let product = try #require(PackedProduct(m: m, n: n, k: k, lda: k, ldc: n, strideK: 1, strideN: k))
        #expect(!product.implementation.isEmpty)
        if product.implementation.hasPrefix("gemm") { #expect(!product.keepsWeightsPacked, "\(product.implementation)") }
        if product.implementation.hasPrefix("brg") { #expect(product.keepsWeightsPacked, "\(product.implementation)") }
        #endif
    }
}
