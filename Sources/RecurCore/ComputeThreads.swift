#if canImport(Darwin)
import Darwin
import Dispatch
#elseif canImport(Glibc)
import Glibc
#endif

/// The threads the GEMM engine uses, and a way to run Recur's own work on the same threads.
///
/// On Linux oneDNN runs on OpenMP (libgomp, loaded with libdnnl); its `omp_set_num_threads`,
/// `omp_get_max_threads` and the `GOMP_parallel` entry point are looked up at run time, so nothing
/// links against libgomp directly. `parallel` hands work to the same team of threads that runs the
/// GEMMs: no second pool competes with OpenMP's spinning workers for the cores, and a GEMM called
/// inside it runs on the calling thread alone (oneDNN does not nest parallel regions).
/// Elsewhere the setting is ignored, the count reported is the number of processors, and `parallel`
/// uses Dispatch.
public enum ComputeThreads {
    private typealias SetThreads = @convention(c) (Int32) -> Void
    private typealias GetThreads = @convention(c) () -> Int32
    fileprivate typealias ParallelRegion = @convention(c) (
        @convention(c) (UnsafeMutableRawPointer?) -> Void, UnsafeMutableRawPointer?, UInt32, UInt32) -> Void

    private static let startRegion = runtimeSymbol("GOMP_parallel").map { unsafeBitCast($0, to: ParallelRegion.self) }
    fileprivate static let threadNumber = runtimeSymbol("omp_get_thread_num").map { unsafeBitCast($0, to: GetThreads.self) }
    fileprivate static let teamSize = runtimeSymbol("omp_get_num_threads").map { unsafeBitCast($0, to: GetThreads.self) }
    private static let maximumThreads = runtimeSymbol("omp_get_max_threads").map { unsafeBitCast($0, to: GetThreads.self) }
    private static let setMaximumThreads = runtimeSymbol("omp_set_num_threads").map { unsafeBitCast($0, to: SetThreads.self) }
    private typealias Barrier = @convention(c) () -> Void
    private static let waitForTeam = runtimeSymbol("GOMP_barrier").map { unsafeBitCast($0, to: Barrier.self) }
    private static let inParallel = runtimeSymbol("omp_in_parallel").map { unsafeBitCast($0, to: GetThreads.self) }

    /// Sets the thread count (at least 1). Returns false where the engine offers no control.
    @discardableResult
    public static func set(_ count: Int) -> Bool {
        precondition(count > 0, "ComputeThreads: expected a positive count, got \(count)")
        guard let setMaximumThreads else { return false }
        setMaximumThreads(Int32(clamping: count))
        return true
    }

    /// The thread count the engine will use.
    public static var current: Int {
        if let maximumThreads { return Int(maximumThreads()) }
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// Runs `body(thread, threads)` once on each thread of the team (thread in 0..<threads) and
    /// returns when all are done. With one thread, `body(0, 1)` runs on the caller.
    public static func parallel(_ body: (_ thread: Int, _ threads: Int) -> Void) {
        #if os(Linux)
        guard let startRegion, threadNumber != nil, teamSize != nil, current > 1 else {
            body(0, 1)
            return
        }
        withoutActuallyEscaping(body) { body in
            var context = body
            withUnsafeMutablePointer(to: &context) { pointer in
                startRegion(runRegion, UnsafeMutableRawPointer(pointer), 0, 0)
            }
        }
        #else
        let threads = current
        guard threads > 1 else {
            body(0, 1)
            return
        }
        DispatchQueue.concurrentPerform(iterations: threads) { body($0, threads) }
        #endif
    }

    /// Whether the caller runs inside a region of `parallel` on OpenMP's team (where a nested region would
    /// run on the calling thread alone). False elsewhere.
    public static var isInParallelRegion: Bool {
        #if os(Linux)
        return (inParallel?() ?? 0) != 0
        #else
        return false
        #endif
    }

    /// Whether the threads of `parallel` can wait for each other with `barrier()`: true on OpenMP's
    /// team; false where `parallel` uses Dispatch, whose iterations need not run at the same time.
    public static var canSynchronize: Bool {
        #if os(Linux)
        return startRegion != nil && threadNumber != nil && teamSize != nil && waitForTeam != nil
        #else
        return false
        #endif
    }

    /// Inside `parallel` (where `canSynchronize`): returns once every thread of the team has called it.
    /// Every thread must call it the same number of times. Outside a parallel region it returns at once.
    public static func barrier() {
        waitForTeam?()
    }

    /// Runs `body(share, range)` on contiguous shares of `0..<count`, one share per thread when each
    /// gets at least `minimumShare` items, else `body(0, 0..<count)` on the caller. Returns the number
    /// of shares.
    @discardableResult
    public static func forEachShare(count: Int, minimumShare: Int, _ body: (_ share: Int, _ range: Range<Int>) -> Void) -> Int {
        let wanted = min(current, count / max(minimumShare, 1))
        guard wanted > 1 else {
            body(0, 0..<count)
            return 1
        }
        parallel { thread, team in
            let shares = min(team, wanted)
            if thread < shares { body(thread, share(of: count, thread: thread, threads: shares)) }
        }
        return wanted
    }

    /// `forEachShare` over `0..<count` in whole blocks of `block` elements (the last may be partial), so
    /// that every share starts at a multiple of `block`: `body(range)` per share of elements, each share
    /// holding at least `minimumBlocks` blocks.
    public static func forEachBlockShare(count: Int, block: Int, minimumBlocks: Int,
                                         _ body: (_ range: Range<Int>) -> Void) {
        forEachShare(count: (count + block - 1) / block, minimumShare: minimumBlocks) { _, blocks in
            body(elements(of: blocks, block: block, count: count))
        }
    }

    /// The sum of `body(range)` over the shares of `forEachShare`. Partial sums are added in share
    /// order, so the result depends only on the thread count.
    public static func sum(count: Int, minimumShare: Int, _ body: (Range<Int>) -> Double) -> Double {
        let partials = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(current, 1))
        defer { partials.deallocate() }
        partials.initialize(repeating: 0)
        let shares = forEachShare(count: count, minimumShare: minimumShare) { share, range in
            partials[share] = body(range)
        }
        return partials[0..<shares].reduce(0, +)
    }

    /// The part of `0..<count` that thread `thread` of `threads` takes in whole blocks of `block`
    /// elements (see `forEachBlockShare`).
    @inlinable
    public static func share(of count: Int, thread: Int, threads: Int, block: Int) -> Range<Int> {
        elements(of: share(of: (count + block - 1) / block, thread: thread, threads: threads), block: block, count: count)
    }

    /// The elements of `0..<count` in blocks `blocks` of `block` elements.
    @inlinable
    static func elements(of blocks: Range<Int>, block: Int, count: Int) -> Range<Int> {
        min(blocks.lowerBound * block, count)..<min(blocks.upperBound * block, count)
    }

    /// The part of `0..<count` that thread `thread` of `threads` takes: contiguous, sizes differing
    /// by at most one.
    @inlinable
    public static func share(of count: Int, thread: Int, threads: Int) -> Range<Int> {
        let base = count / threads, extra = count % threads
        let start = thread * base + min(thread, extra)
        return start..<(start + base + (thread < extra ? 1 : 0))
    }
}

/// The function each OpenMP thread runs: calls the Swift closure behind `context`.
private func runRegion(_ context: UnsafeMutableRawPointer?) {
    let body = context!.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee
    body(Int(ComputeThreads.threadNumber!()), Int(ComputeThreads.teamSize!()))
}
