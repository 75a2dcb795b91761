#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif

/// The number of threads the GEMM engine uses.
///
/// On Linux oneDNN runs on OpenMP (libgomp, loaded with libdnnl); its `omp_set_num_threads` and
/// `omp_get_max_threads` are looked up at run time, so nothing links against libgomp directly.
/// Elsewhere the setting is ignored and the count reported is the number of processors.
public enum ComputeThreads {
    private typealias SetThreads = @convention(c) (Int32) -> Void
    private typealias GetThreads = @convention(c) () -> Int32

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        #if os(Linux)
        return dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)  // RTLD_DEFAULT
        #else
        return nil
        #endif
    }

    /// Sets the thread count (at least 1). Returns false where the engine offers no control.
    @discardableResult
    public static func set(_ count: Int) -> Bool {
        precondition(count > 0, "ComputeThreads: expected a positive count, got \(count)")
        guard let pointer = symbol("omp_set_num_threads") else { return false }
        unsafeBitCast(pointer, to: SetThreads.self)(Int32(clamping: count))
        return true
    }

    /// The thread count the engine will use.
    public static var current: Int {
        if let pointer = symbol("omp_get_max_threads") {
            return Int(unsafeBitCast(pointer, to: GetThreads.self)())
        }
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }
}
