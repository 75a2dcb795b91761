import _RecurMPI

/// The sums across processes that data-parallel training needs: every rank adds its values in place
/// and all end with the same totals.
public protocol CollectiveSum: AnyObject {
    /// This process's rank, 0 ..< size.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Replaces `values[0 ..< count]` by their sum over every rank.
    func sum(_ values: UnsafeMutablePointer<Float>, count: Int)
    /// Replaces `values` by their element-wise sum over every rank.
    func sum(_ values: inout [Double])
}

extension CollectiveSum {
    /// Rank 0 writes files and prints progress; the others compute.
    public var isLeader: Bool { rank == 0 }

    /// Whether there is more than this process to share work with.
    public var isShared: Bool { size > 1 }

    /// A shared evaluation's results made whole on every rank: each row was filled by exactly one rank
    /// (the others left it empty; row i has `widths[i]` values), and `totals` are per-rank sums.
    public func combine(_ rows: inout [[Double]], widths: [Int], totals: inout [Double]) {
        var flat = [Double]()
        flat.reserveCapacity(widths.reduce(totals.count, +))
        for (row, width) in zip(rows, widths) { flat += row.isEmpty ? [Double](repeating: 0, count: width) : row }
        flat += totals
        sum(&flat)
        var offset = 0
        for (i, width) in widths.enumerated() {
            rows[i] = Array(flat[offset..<(offset + width)])
            offset += width
        }
        totals = Array(flat[offset...])
    }
}

extension Sequence {
    /// The elements that this rank of `group` handles in a shared evaluation: r, r + N, r + 2N, ...
    /// (every element without a group).
    public func assigned(to group: (any CollectiveSum)?) -> [Element] {
        guard let group, group.isShared else { return Array(self) }
        return enumerated().filter { $0.offset % group.size == group.rank }.map(\.element)
    }
}

/// Why the processes could not form a group.
public enum ProcessGroupError: Error, CustomStringConvertible, Equatable {
    case unavailable(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): return reason
        }
    }
}

/// The processes `mpirun` started, joined through Open MPI (loaded at run time, so that a build and a
/// run without `--distributed` need no MPI). One per process: `start` initialises MPI once.
public final class ProcessGroup: CollectiveSum {
    public let rank: Int
    public let size: Int

    private init(rank: Int, size: Int) {
        self.rank = rank
        self.size = size
    }

    /// Joins the job's processes (a single process outside `mpirun`): loads Open MPI and calls MPI_Init.
    public static func start() throws(ProcessGroupError) -> ProcessGroup {
        var reason = [CChar](repeating: 0, count: 512)
        guard recur_mpi_start(&reason, reason.count) == 1 else {
            throw .unavailable(String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        guard recur_mpi_watch() == 1 else { throw .unavailable("the ranks could not exchange their process ids") }
        return ProcessGroup(rank: Int(recur_mpi_rank()), size: Int(recur_mpi_size()))
    }

    /// The end of the line a surviving rank prints when mpirun ends the job because a rank died (e.g.
    /// where the last checkpoint is).
    public func setFailureNote(_ note: String) { recur_mpi_set_note(note) }

    public func sum(_ values: UnsafeMutablePointer<Float>, count: Int) {
        precondition(recur_mpi_sum_floats(values, count) == 1, "ProcessGroup: MPI_Allreduce failed")
    }

    public func sum(_ values: inout [Double]) {
        let count = values.count
        values.withUnsafeMutableBufferPointer { buffer in
            precondition(recur_mpi_sum_doubles(buffer.baseAddress!, count) == 1, "ProcessGroup: MPI_Allreduce failed")
        }
    }

    /// Rank 0's bytes to every rank.
    public func broadcast(_ bytes: inout [UInt8]) {
        let count = bytes.count
        bytes.withUnsafeMutableBytes { raw in
            precondition(recur_mpi_broadcast(raw.baseAddress!, count, 0) == 1, "ProcessGroup: MPI_Bcast failed")
        }
    }

    /// The ranks whose `fingerprint` (data checksum, options) differs from rank 0's, as every rank sees
    /// them: rank 0's 64-bit FNV-1a hash of it is broadcast, and the mismatches summed.
    public func ranksDiffering(from fingerprint: String) -> [Int] {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in fingerprint.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        var bytes = (0..<8).map { UInt8(truncatingIfNeeded: hash >> (8 * UInt64($0))) }
        let mine = bytes
        broadcast(&bytes)
        var differs = [Double](repeating: 0, count: size)
        differs[rank] = bytes == mine ? 0 : 1
        sum(&differs)
        return differs.indices.filter { differs[$0] > 0 }
    }

    /// Waits for every rank.
    public func barrier() {
        precondition(recur_mpi_barrier() == 1, "ProcessGroup: MPI_Barrier failed")
    }

    /// MPI_Finalize: the last call of a run that finished normally.
    public func finish() { recur_mpi_finish() }
}
