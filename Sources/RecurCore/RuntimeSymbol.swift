#if canImport(Glibc)
import Glibc
#endif

/// A C function of the running process looked up by name (`dlsym(RTLD_DEFAULT, name)`), for entry
/// points Recur calls where present without linking against them: OpenMP's (`ComputeThreads`) and
/// glibc's `mallopt` (`FreedMemory`). Nil where it is missing, and everywhere but Linux.
func runtimeSymbol(_ name: String) -> UnsafeMutableRawPointer? {
    #if os(Linux)
    return dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)  // RTLD_DEFAULT
    #else
    return nil
    #endif
}
