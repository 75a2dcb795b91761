import Testing
import RecurCore
import _RecurTestSupport

/// The products of one row (a sampler's) against the product in Double: in Float, and in bf16 against
/// the Double product of the bf16-rounded operands (and far enough from the Float product to show that
/// the rounding is there); every instruction set this CPU supports; rows shared among threads.
struct VectorProductTests {
    static func operands(outputs: Int, inputs: Int, seed: UInt64) -> (w: [Float], x: [Float], y: [Float]) {
        var generator = RandomGenerator(seed: seed)
        func uniform(_ count: Int) -> [Float] { (0..<count).map { _ in Float(generator.uniform(in: -1.0, 1.0)) } }
        return (uniform(outputs * inputs), uniform(inputs), uniform(outputs))
    }

    /// `y + W x` in Double, with the operands first passed through `operand`.
    static func expected(_ w: [Float], _ x: [Float], _ y: [Float], operand: (Float) -> Float = { $0 }) -> [Double] {
        let k = x.count
        return y.indices.map { r in
            (0..<k).reduce(Double(y[r])) { $0 + Double(operand(w[r * k + $1])) * Double(operand(x[$1])) }
        }
    }

    /// `y + W x` by `product` over `rows`, the rest of y as it was.
    static func run(_ product: VectorProduct, _ x: [Float], _ y: [Float], rows: [Range<Int>]) -> [Float] {
        var out = y
        x.withUnsafeBufferPointer { product.load($0.baseAddress!) }
        out.withUnsafeMutableBufferPointer { buffer in
            for range in rows { product.run(rows: range, into: buffer.baseAddress!) }
        }
        return out
    }

    static let shapes = [(1, 1), (3, 7), (4, 16), (9, 17), (13, 33), (6, 64), (65, 515)]

    @Test("Float: y + W x within 1e-6 sqrt(k) of the Double product, for every instruction set; rows run in two parts give the same bits",
          arguments: shapes)
    func float(outputs: Int, inputs: Int) {
        let (w, x, y) = Self.operands(outputs: outputs, inputs: inputs, seed: UInt64(outputs * 1000 + inputs))
        let product = w.withUnsafeBufferPointer { VectorProduct(weight: $0.baseAddress!, outputs: outputs, inputs: inputs, bfloat16: false) }
        #expect(!product.bfloat16)
        let exact = Self.expected(w, x, y)
        eachInstructionSet { set in
            let whole = Self.run(product, x, y, rows: [0..<outputs])
            let difference = largestDifference(whole, exact)
            #expect(difference <= 1e-6 * Double(inputs).squareRoot() + 1e-6, "\(set) \(outputs) x \(inputs): \(difference)")
            let split = outputs / 2 + 1
            let parts = Self.run(product, x, y, rows: [split..<outputs, 0..<min(split, outputs)])
            #expect(parts.map(\.bitPattern) == whole.map(\.bitPattern), "\(set) \(outputs) x \(inputs): rows in parts")
        }
    }

    @Test("bf16: y + W x within 2e-6 sqrt(k) of the Double product of the bf16-rounded operands, for every instruction set; more than 1e-4 from the Float product",
          arguments: shapes)
    func bfloat16(outputs: Int, inputs: Int) {
        let (w, x, y) = Self.operands(outputs: outputs, inputs: inputs, seed: UInt64(outputs * 1000 + inputs + 7))
        let product = w.withUnsafeBufferPointer { VectorProduct(weight: $0.baseAddress!, outputs: outputs, inputs: inputs, bfloat16: true) }
        #expect(product.bfloat16)
        let exact = Self.expected(w, x, y, operand: BFloat16Products.rounded)
        let float = Self.expected(w, x, y)
        eachInstructionSet { set in
            let whole = Self.run(product, x, y, rows: [0..<outputs])
            let difference = largestDifference(whole, exact)
            #expect(difference <= 2e-6 * Double(inputs).squareRoot() + 1e-6, "\(set) \(outputs) x \(inputs): \(difference)")
            if outputs * inputs >= 64 {
                let fromFloat = largestDifference(whole, float)
                #expect(fromFloat >= 1e-4, "\(set) \(outputs) x \(inputs): only \(fromFloat) from the Float product")
            }
            let split = outputs / 2 + 1
            let parts = Self.run(product, x, y, rows: [split..<outputs, 0..<min(split, outputs)])
            #expect(parts.map(\.bitPattern) == whole.map(\.bitPattern), "\(set) \(outputs) x \(inputs): rows in parts")
        }
    }

    @Test("several products run together, their rows shared among the compute threads, give the bits of each run alone; a new load changes the input",
          arguments: [false, true])
    func together(bfloat16: Bool) {
        let shapes = [(300, 256), (17, 256), (400, 130)]
        var products: [VectorProduct] = [], inputs: [[Float]] = [], outputs: [[Float]] = [], alone: [[Float]] = []
        for (i, (n, k)) in shapes.enumerated() {
            let (w, x, y) = Self.operands(outputs: n, inputs: k, seed: UInt64(50 + i))
            let product = w.withUnsafeBufferPointer { VectorProduct(weight: $0.baseAddress!, outputs: n, inputs: k, bfloat16: bfloat16) }
            products.append(product)
            inputs.append(x)
            outputs.append(y)
            alone.append(Self.run(product, x.map { -$0 }, y, rows: [0..<n]))  // loads -x, then x below
            alone[i] = Self.run(product, x, y, rows: [0..<n])
        }
        let buffers = outputs.map { y in
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: y.count)
            buffer.initialize(from: y, count: y.count)
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        for (product, x) in zip(products, inputs) { x.withUnsafeBufferPointer { product.load($0.baseAddress!) } }
        VectorProduct.run(zip(products, buffers).map { VectorProduct.Job($0, into: $1) })
        for i in shapes.indices {
            let together = Array(UnsafeBufferPointer(start: buffers[i], count: shapes[i].0))
            #expect(together.map(\.bitPattern) == alone[i].map(\.bitPattern), "product \(i), bf16 \(bfloat16)")
        }
    }

    @Test("an engine's copy: none on the reference engine, Float on the fast one, bf16 on the bf16 engine where there are bf16 products")
    func engines() {
        let w: [Float] = [1, 2, 3, 4, 5, 6]
        w.withUnsafeBufferPointer { w in
            #expect(VectorProduct(weight: w.baseAddress!, outputs: 2, inputs: 3, engine: .reference) == nil)
            #expect(VectorProduct(weight: w.baseAddress!, outputs: 2, inputs: 3, engine: .fast)?.bfloat16 == false)
            #expect(VectorProduct(weight: w.baseAddress!, outputs: 2, inputs: 3, engine: .bfloat16)?.bfloat16 == BFloat16Products.isAvailable)
        }
    }
}
