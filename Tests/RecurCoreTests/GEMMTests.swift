import Testing
import RecurCore
import _RecurTestSupport

/// The fast engine (oneDNN on Linux, Accelerate on macOS) against the plain-Swift reference.
struct GEMMTests {
    struct Shape: CustomStringConvertible, Sendable {
        var m: Int, n: Int, k: Int, transA: Bool, transB: Bool
        var description: String { "\(m)x\(n)x\(k) \(transA ? "T" : "N")\(transB ? "T" : "N")" }
    }

    static let shapes: [Shape] = {
        var shapes: [Shape] = []
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (37, 129, 65), (64, 256, 64), (1, 512, 128), (130, 3, 200)] {
            for transA in [false, true] {
                for transB in [false, true] { shapes.append(Shape(m: m, n: n, k: k, transA: transA, transB: transB)) }
            }
        }
        return shapes
    }()

    /// Runs both engines on the same padded operands and returns the worst relative difference,
    /// measured as |fast - reference| / max(|reference|, 1) over every element of C.
    static func compare(_ s: Shape, alpha: Float, beta: Float, padding: Int = 3) -> Float {
        var generator = RandomGenerator(seed: UInt64(s.m * 1_000_003 + s.n * 1_009 + s.k))
        let aRows = s.transA ? s.k : s.m, aCols = s.transA ? s.m : s.k
        let bRows = s.transB ? s.n : s.k, bCols = s.transB ? s.k : s.n
        let lda = aCols + padding, ldb = bCols + padding, ldc = s.n + padding
        let a = (0..<(aRows * lda)).map { _ in generator.uniform(in: Float(-1), 1) }
        let b = (0..<(bRows * ldb)).map { _ in generator.uniform(in: Float(-1), 1) }
        let c0 = (0..<(s.m * ldc)).map { _ in generator.uniform(in: Float(-1), 1) }
        var fast = c0, reference = c0
        fast.withUnsafeMutableBufferPointer { c in
            gemm(engine: .fast, transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: alpha,
                 a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c.baseAddress!, ldc: ldc)
        }
        reference.withUnsafeMutableBufferPointer { c in
            gemm(engine: .reference, transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: alpha,
                 a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c.baseAddress!, ldc: ldc)
        }
        var worst: Float = 0
        for i in 0..<s.m {
            for j in 0..<ldc {
                let index = i * ldc + j
                if j >= s.n {
                    // The padding between rows must be untouched.
                    if fast[index] != c0[index] || reference[index] != c0[index] { return .infinity }
                    continue
                }
                worst = Float(worse(Double(worst), Double(abs(fast[index] - reference[index]) / max(abs(reference[index]), 1))))
            }
        }
        return worst
    }

    @Test("fast GEMM equals the reference within 1e-5 relative", arguments: shapes)
    func fastMatchesReference(shape: Shape) {
        #expect(Self.compare(shape, alpha: 1, beta: 0) <= 1e-5)
        #expect(Self.compare(shape, alpha: 0.5, beta: 1) <= 1e-5)
        #expect(Self.compare(shape, alpha: -1.5, beta: 0.25) <= 1e-5)
    }

    @Test("the reference GEMM computes a known product")
    func referenceKnownProduct() {
        // [[1, 2, 3], [4, 5, 6]] x [[7, 8], [9, 10], [11, 12]] = [[58, 64], [139, 154]]
        let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [7, 8, 9, 10, 11, 12]
        for engine in GEMMEngine.float32 {
            var c = [Float](repeating: .nan, count: 4)  // beta = 0 ignores what C held, even NaN
            gemm(engine: engine, m: 2, n: 2, k: 3, a: a, lda: 3, b: b, ldb: 2, c: &c, ldc: 2)
            #expect(c == [58, 64, 139, 154], "engine \(engine)")
            // C^T = B^T A^T through the transpose flags: [[58, 139], [64, 154]]
            var ct = [Float](repeating: 0, count: 4)
            gemm(engine: engine, transA: true, transB: true, m: 2, n: 2, k: 3, a: b, lda: 2, b: a, ldb: 3, c: &ct, ldc: 2)
            #expect(ct == [58, 139, 64, 154], "engine \(engine)")
        }
    }

    @Test("an empty inner dimension scales C by beta")
    func emptyInnerDimension() {
        for engine in GEMMEngine.float32 {
            var c: [Float] = [1, 2, 3, 4]
            let a: [Float] = [0], b: [Float] = [0]
            gemm(engine: engine, m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, beta: 0.5, c: &c, ldc: 2)
            #expect(c == [0.5, 1, 1.5, 2], "engine \(engine)")
        }
    }

    @Test("Double GEMM works on every engine")
    func doubleGEMM() {
        let a: [Double] = [1, 2, 3, 4, 5, 6], b: [Double] = [7, 8, 9, 10, 11, 12]
        for engine in GEMMEngine.float32 {
            var c = [Double](repeating: 1, count: 4)
            gemm(engine: engine, m: 2, n: 2, k: 3, alpha: 2, a: a, lda: 3, b: b, ldb: 2, beta: 1, c: &c, ldc: 2)
            #expect(c == [117, 129, 279, 309], "engine \(engine)")
        }
    }
}
