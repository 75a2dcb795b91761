#if canImport(Glibc)
import Glibc
#endif

/// Keeps the memory of large freed buffers in the process, so that the tensors a training step
/// allocates and frees (each layer's output, dL/dx, the logits: 13 MB apiece at 64 x 100 x 512) are
/// served again from the heap instead of from fresh pages.
///
/// glibc hands the top of its heap back to the kernel whenever more than twice its current mmap
/// threshold lies free there, so every step of a 2x512 LSTM faulted in and zeroed its large tensors
/// anew: about 12,000 page faults a step, on the thread that the other compute thread then waits
/// for. `keep()` sets the mmap threshold to glibc's largest (32 MiB: larger blocks still come from
/// mmap) and the trim threshold to 1 GiB. Measured on a 2x512 LSTM, batch 64 x 100, bf16 products,
/// 40 steps of `recur train`: 607,414 page faults -> 159,715, 25.6k -> 28.8k tokens/s.
///
/// A process that sets glibc's malloc tunables itself (`GLIBC_TUNABLES` with `glibc.malloc`, or any
/// `MALLOC_*_` variable) keeps its own settings. Elsewhere (macOS, other C libraries) nothing changes.
public enum FreedMemory {
    /// Applies the settings once per process; later calls do nothing. True when they were applied.
    @discardableResult
    public static func keep() -> Bool { applied }

    private static let applied: Bool = {
        #if os(Linux)
        // glibc's mallopt, looked up at run time (Swift's Glibc module leaves out <malloc.h>; a C
        // library without it changes nothing), with <malloc.h>'s parameter numbers.
        typealias SetOption = @convention(c) (Int32, Int32) -> Int32
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3
        guard !userTunesMalloc(environment: environmentNames()), let symbol = runtimeSymbol("mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: SetOption.self)
        return mallopt(mmapThreshold, 32 << 20) == 1 && mallopt(trimThreshold, 1 << 30) == 1
        #else
        return false
        #endif
    }()

    /// Whether these environment entries (`NAME=value`) already tune glibc's malloc.
    public static func userTunesMalloc(environment: [String]) -> Bool {
        environment.contains { entry in
            (entry.hasPrefix("MALLOC_") && entry.split(separator: "=").first?.hasSuffix("_") == true)
                || (entry.hasPrefix("GLIBC_TUNABLES=") && entry.contains("glibc.malloc."))
        }
    }

    private static func environmentNames() -> [String] {
        var names: [String] = []
        var entry = environ
        while let pointer = entry.pointee {
            names.append(String(cString: pointer))
            entry += 1
        }
        return names
    }
}
