import _RecurPackedProduct

/// What this machine offers `GEMMEngine.bfloat16`: bfloat16 products with float accumulation.
///
/// `isNative`: the CPU has bf16 dot-product instructions (AVX512_BF16 or AMX-BF16), which make bf16
/// products faster than Float ones. `isAvailable`: oneDNN makes a bf16 product at all, natively or,
/// on AVX-512 CPUs without bf16 instructions, by emulation, which gives the same rounding (tests run
/// it there) but is slower than Float. The command line accepts `--precision bf16` only where
/// `isNative` (or where `RECUR_BF16=emulate` asks for the emulation, for tests).
public enum BFloat16Products {
    /// The CPU has bf16 dot-product instructions.
    public static var isNative: Bool { recur_bf16_native() == 1 }

    /// oneDNN multiplies bf16 operands on this machine (natively or emulated).
    public static var isAvailable: Bool { recur_bf16_available() == 1 }

    /// `value` rounded to the nearest bfloat16 (ties to even), as the products round their operands.
    public static func rounded(_ value: Float) -> Float {
        recur_float_from_bf16(recur_bf16_from_float(value))
    }

    /// Runs `body`, in which this thread's bf16 products that read the `[rows, columns]` matrix at
    /// `operand` (`ld` apart) as their A or B round it once, at its first use, instead of once per
    /// product: for a gradient that several whole-sequence products read. The matrix must not change
    /// while `body` runs; one such matrix at a time (a nested call replaces it until it returns).
    /// Elsewhere than on the bf16 engine nothing changes.
    public static func reusing<R>(_ operand: UnsafePointer<Float>, rows: Int, columns: Int, ld: Int, _ body: () throws -> R) rethrows -> R {
        recur_bf16_reuse(operand, rows, columns, ld)
        defer { recur_bf16_reuse(nil, 0, 0, 0) }
        return try body()
    }

    /// The bit pattern of `value` rounded to bfloat16, one value at a time (the model of the kernel).
    public static func roundedBits(_ value: Float) -> UInt16 {
        recur_bf16_from_float(value)
    }

    /// `rows` rows of `columns` floats, `ld` apart in `values`, rounded to bfloat16 bit patterns (rows
    /// packed) by the kernel that rounds the products' operands: the active instruction set's on the
    /// calling thread, or for a large matrix shared among the compute threads, as a product does.
    public static func roundedBits(_ values: [Float], rows: Int, columns: Int, ld: Int) -> [UInt16] {
        precondition(rows >= 0 && columns >= 0 && ld >= columns && values.count >= (rows == 0 ? 0 : (rows - 1) * ld + columns),
                     "BFloat16Products.roundedBits: \(values.count) values cannot hold \(rows) rows of \(columns), \(ld) apart")
        var bits = [UInt16](repeating: 0, count: rows * columns)
        guard rows > 0 && columns > 0 else { return bits }
        values.withUnsafeBufferPointer { source in
            bits.withUnsafeMutableBufferPointer { target in
                recur_bf16_convert(source.baseAddress!, rows, columns, ld, target.baseAddress!)
            }
        }
        return bits
    }
}
