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

    @Test("the rounding kernel of every instruction set, and shared among threads, gives the bits of the one-value model")
    func roundingKernels() {
        var generator = RandomGenerator(seed: 16)
        // Ties both ways, subnormals, signed zeros, NaNs (quiet, signalling, with payloads), infinities,
        // values that round up to infinity, and ordinary magnitudes.
        var special: [Float] = [0, -0.0, 1, 1 + 1.0 / 256, 1 + 3.0 / 256, -(1 + 3.0 / 256), .infinity, -.infinity,
                                .nan, -.nan, .signalingNaN, Float(bitPattern: 0x7f80_0001), Float(bitPattern: 0xffc1_2345),
                                .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude,
                                Float(bitPattern: 0x0000_8000), Float(bitPattern: 0x0001_8000), Float(bitPattern: 0x807f_ffff)]
        special += (0..<200).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: generator.next())) }
        special += (0..<200).map { _ in Float(generator.uniform(in: -4.0, 4.0)) }
        let model = special.map(BFloat16Products.roundedBits)
        eachInstructionSet { set in
            for columns in [1, 7, 15, 16, 17, 33, 67, special.count] {
                let rows = special.count / columns, ld = columns
                let bits = BFloat16Products.roundedBits(special, rows: rows, columns: columns, ld: ld)
                #expect(firstDifference(bits, Array(model[0..<(rows * columns)])) == nil, "\(set), \(rows) rows of \(columns)")
            }
            // Rows apart in memory (a transposed or strided operand): only the rows' columns are read.
            let columns = 13, ld = 20, rows = special.count / ld
            let bits = BFloat16Products.roundedBits(special, rows: rows, columns: columns, ld: ld)
            let expected = (0..<rows).flatMap { r in model[(r * ld)..<(r * ld + columns)] }
            #expect(firstDifference(bits, expected) == nil, "\(set), \(rows) rows of \(columns), \(ld) apart")
        }
        // Large enough to be shared among the compute threads (at least 64 rows and 2^17 values).
        let rows = 300, columns = 1000, ld = 1003
        let values = (0..<(rows * ld)).map { i in special[(i * 7919) % special.count] * Float(1 + i % 5) }
        let bits = BFloat16Products.roundedBits(values, rows: rows, columns: columns, ld: ld)
        let expected = (0..<rows).flatMap { r in values[(r * ld)..<(r * ld + columns)].map(BFloat16Products.roundedBits) }
        #expect(firstDifference(bits, expected) == nil, "\(rows) rows of \(columns), \(ld) apart, on the compute threads")
    }

    @Test("products reading an operand rounded once (BFloat16Products.reusing) give the bits of products that round it themselves")
    func reusedOperand() {
        var generator = RandomGenerator(seed: 23)
        let rows = 96, columns = 40, other = 24
        let operand = UnsafeMutableBufferPointer<Float>.allocate(capacity: rows * columns)
        defer { operand.deallocate() }
        for i in operand.indices { operand[i] = Float(generator.uniform(in: -1.0, 1.0)) }
        let left = (0..<(rows * other)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }    // [rows, other]
        let right = (0..<(columns * other)).map { _ in Float(generator.uniform(in: -1.0, 1.0)) }  // [columns, other]
        let g = UnsafePointer(operand.baseAddress!)
        // The ways the backward pass reads dGates: as A transposed (dW), as A (dX); and as B.
        func products() -> [[Float]] {
            var dW = [Float](repeating: 0.5, count: columns * other), dX = [Float](repeating: 0, count: rows * other)
            var asB = [Float](repeating: 0, count: other * columns)
            gemm(engine: .bfloat16, transA: true, m: columns, n: other, k: rows, a: g, lda: columns,
                 b: left, ldb: other, beta: 1, c: &dW, ldc: other)
            gemm(engine: .bfloat16, m: rows, n: other, k: columns, a: g, lda: columns, b: right, ldb: other, c: &dX, ldc: other)
            gemm(engine: .bfloat16, transA: true, m: other, n: columns, k: rows, a: left, lda: other, b: g, ldb: columns, c: &asB, ldc: columns)
            return [dW, dX, asB]
        }
        func reusing() -> [[Float]] { BFloat16Products.reusing(g, rows: rows, columns: columns, ld: columns, products) }
        let plain = products(), reused = reusing()
        for (index, (a, b)) in zip(plain, reused).enumerated() {
            #expect(a == b, "product \(index): the reused rounding differs from the product's own")
        }
        // A scope that has ended leaves nothing behind: the operand changed at the same address is read anew.
        for i in stride(from: 0, to: operand.count, by: 3) { operand[i] = -2 * operand[i] }
        let changed = products()
        #expect(changed != plain, "a changed operand must change the products")
        #expect(reusing() == changed)
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

/// The first index where two bit patterns differ, with both values (nil when equal, a count when the
/// lengths differ): a short failure message for long arrays.
private func firstDifference(_ bits: [UInt16], _ expected: [UInt16]) -> String? {
    guard bits.count == expected.count else { return "\(bits.count) values, expected \(expected.count)" }
    guard let i = bits.indices.first(where: { bits[$0] != expected[$0] }) else { return nil }
    return "at \(i): \(String(bits[i], radix: 16)), expected \(String(expected[i], radix: 16))"
}
