import Foundation
import Testing
import RecurCore

/// `FreedMemory`: glibc accepts both settings, and a process that tunes malloc itself keeps its own.
struct FreedMemoryTests {
    @Test("glibc takes both thresholds, unless the environment tunes malloc already")
    func applied() {
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        #if os(Linux)
        #expect(FreedMemory.keep() == !FreedMemory.userTunesMalloc(environment: environment))
        #else
        #expect(FreedMemory.keep() == false)
        #endif
        #expect(FreedMemory.keep() == FreedMemory.keep())  // once per process: later calls report the same
    }

    #if os(Linux)
    // Where the environment tunes malloc itself, FreedMemory leaves it alone and this does not run.
    @Test("four 4 MB buffers allocated and freed together, again and again, fault in their pages about once",
          .enabled(if: FreedMemory.keep()))
    func reusedPages() {
        func faults() -> Int {
            var usage = rusage()
            getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD: this thread's faults, not other tests'
            return usage.ru_minflt
        }
        // A training step's pattern: several large tensors alive at once, then all freed. glibc's own
        // thresholds serve them from the heap after the first round but hand the 16 MB freed at its
        // top back to the kernel, so every round would fault in 4 x 1,024 pages again.
        var sum: Float = 0
        var before = 0
        for round in 0..<10 {
            if round == 1 { before = faults() }
            let buffers = (0..<4).map { [Float](repeating: Float(round + $0), count: 1 << 20) }
            sum += buffers.reduce(0) { $0 + $1[(1 << 20) - 1] }
        }
        let pages = faults() - before
        #expect(sum == 4 * 45 + 10 * 6)
        #expect(pages < 3 * 4_096, "\(pages) page faults in 9 rounds")
    }
    #endif

    @Test("which environments tune glibc's malloc")
    func userSettings() {
        #expect(FreedMemory.userTunesMalloc(environment: ["MALLOC_TRIM_THRESHOLD_=0"]))
        #expect(FreedMemory.userTunesMalloc(environment: ["PATH=/bin", "MALLOC_ARENA_MAX_=2"]))
        #expect(FreedMemory.userTunesMalloc(environment: ["GLIBC_TUNABLES=glibc.malloc.trim_threshold=0"]))
        #expect(FreedMemory.userTunesMalloc(environment: ["GLIBC_TUNABLES=glibc.rtld.nns=2:glibc.malloc.mmap_max=0"]))
        #expect(!FreedMemory.userTunesMalloc(environment: []))
        #expect(!FreedMemory.userTunesMalloc(environment: ["PATH=/bin", "HOME=/root", "MALLOC=1", "MALLOCATOR_=x"]))
        #expect(!FreedMemory.userTunesMalloc(environment: ["GLIBC_TUNABLES=glibc.rtld.nns=2"]))
    }
}
