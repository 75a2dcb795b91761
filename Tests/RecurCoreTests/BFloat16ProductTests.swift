import Foundation
import Testing
import RecurCore
import _RecurTestSupport

/// `GEMMEngine.bfloat16` and the bf16 packed product against an exact model of them: the reference
/// GEMM in Double on operands rounded to bfloat16. That agreement (to float accumulation error) and the
/// distance from the float32 product (the rounding is really there) are both asserted.
struct BFloat16ProductTests {
    @Test("rounding to bfloat16: nearest, ties to even, NaN and infinities kept")
    func rounding() {
        let ulp = Float(1) / 128  // bf16 has 7 stored mantissa bits: spacing 2^-7 just above 1
        #expect(BFloat16Products.rounded(1) == 1)
        #expect(BFloat16Products.rounded(1 + ulp / 2) == 1)                 // tie, 1 is even
        #expect(BFloat16Products.rounded(1 + 3 * ulp / 2) == 1 + 2 * ulp)   // tie, 1 + ulp is odd
        #expect(BFloat16Products.rounded(1 + ulp / 2 + ulp / 64) == 1 + ulp) // above the tie
        #expect(BFloat16Products.rounded(-3.1415927) == -3.140625)
        #expect(BFloat16Products.rounded(.infinity) == .infinity)
        #expect(BFloat16Products.rounded(-.infinity) == -.infinity)
        #expect(BFloat16Products.rounded(.nan).isNaN)
        #expect(BFloat16Products.rounded(.greatestFiniteMagnitude) == .infinity)
        #expect(BFloat16Products.rounded(1e-40) == Float(bitPattern: Float(1e-40).bitPattern & 0xffff0000)
                || BFloat16Products.rounded(1e-40) == Float(bitPattern: (Float(1e-40).bitPattern & 0xffff0000) + 0x10000))
    }

    @Test("the CPU's bf16 instructions as /proc/cpuinfo lists them (Linux)")
    func nativeSupport() throws {
        #if os(Linux) && arch(x86_64)
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        #expect(BFloat16Products.isNative == (flags.contains("avx512_bf16") || flags.contains("amx_bf16")))
        if BFloat16Products.isNative { #expect(BFloat16Products.isAvailable) }
        #else
        #expect(!BFloat16Products.isNative)
        #endif
    }

    @Test("gemm on the bfloat16 engine equals the Double product of the bf16-rounded operands, every transposition, alpha and beta",
          arguments: [(7, 9, 5), (16, 512, 128), (64, 33, 300), (1, 256, 1024)])
    func product(m: Int, n: Int, k: Int) {
        var generator = RandomGenerator(seed: UInt64(m * 7919 + n * 31 + k))
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (1, -2)] {
                let lda = (transA ? m : k) + 2, ldb = (transB ? k : n) + 1, ldc = n + 3
                let a = (0..<((transA ? k : m) * lda)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }
                let b = (0..<((transB ? n : k) * ldb)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }
                let c0 = (0..<(m * ldc)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }
                var c = c0, exact = c0.map(Double.init), float32 = c0
                gemm(engine: .bfloat16, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                     b: b, ldb: ldb, beta: beta, c: &c, ldc: ldc)
                gemm(engine: .fast, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                     b: b, ldb: ldb, beta: beta, c: &float32, ldc: ldc)
                let (ra, rb) = (BFloat16Products.isAvailable ? a.map(BFloat16Products.rounded) : a,
                                BFloat16Products.isAvailable ? b.map(BFloat16Products.rounded) : b)
                gemm(engine: .reference, transA: transA, transB: transB, m: m, n: n, k: k, alpha: Double(alpha),
                     a: ra.map(Double.init), lda: lda, b: rb.map(Double.init), ldb: ldb, beta: Double(beta), c: &exact, ldc: ldc)
                let label = "\(m)x\(n)x\(k) transA \(transA) transB \(transB) alpha \(alpha) beta \(beta)"
                let difference = largestDifference(c, exact)
                #expect(difference <= 2e-6 * Double(k).squareRoot() + 1e-6, "\(label): \(difference) from the rounded operands' product")
                // Past each row's n columns, C is untouched.
                #expect((0..<m).allSatisfy { r in (n..<ldc).allSatisfy { c[r * ldc + $0] == c0[r * ldc + $0] } }, "\(label)")
                if BFloat16Products.isAvailable && k >= 5 {
                    let fromFloat32 = largestDifference(c, float32.map(Double.init))
                    #expect(fromFloat32 > 1e-4, "\(label): only \(fromFloat32) from the float32 product: no rounding?")
                }
            }
        }
    }

    @Test("the bf16 packed product equals the Double product of the rounded operands, and repacking picks up new values")
    func packed() throws {
        #if os(Linux)
        guard BFloat16Products.isAvailable else {
            // An AVX2-only CPU: oneDNN has no bf16 matmul, and the layers fall back to float products.
            #expect(PackedProduct(m: 4, n: 8, k: 8, lda: 8, ldc: 8, strideK: 1, strideN: 8, bfloat16: true) == nil)
            return
        }
        var generator = RandomGenerator(seed: 11)
        let (m, n, k) = (16, 96, 40), lda = k + 3, ldc = n + 5
        let a = (0..<(m * lda)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }
        let c0 = (0..<(m * ldc)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }
        var w = (0..<(n * k)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }
        let product = try #require(PackedProduct(m: m, n: n, k: k, lda: lda, ldc: ldc, strideK: 1, strideN: k, bfloat16: true))
        #expect(!product.matches(m: m, n: n, k: k, lda: lda, ldc: ldc, strideK: 1, strideN: k))
        #expect(product.matches(m: m, n: n, k: k, lda: lda, ldc: ldc, strideK: 1, strideN: k, bfloat16: true))
        for round in 0..<2 {
            if round == 1 { w = w.map { $0 * -0.5 + 0.25 } }
            product.pack(w)
            var c = c0, exact = c0.map(Double.init)
            product.run(a: a, c: &c)
            gemm(engine: .reference, transB: true, m: m, n: n, k: k, a: a.map { Double(BFloat16Products.rounded($0)) }, lda: lda,
                 b: w.map { Double(BFloat16Products.rounded($0)) }, ldb: k, beta: 1, c: &exact, ldc: ldc)
            let difference = largestDifference(c, exact)
            #expect(difference <= 1e-5, "round \(round): \(difference)")
        }
        #endif
    }
}
