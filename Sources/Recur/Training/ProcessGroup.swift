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
        return ProcessGroup(rank: Int(recur_mpi_rank()), size: Int(recur_mpi_size()))
    }

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

    /// Waits for every rank.
    public func barrier() {
        precondition(recur_mpi_barrier() == 1, "ProcessGroup: MPI_Barrier failed")
    }

    /// MPI_Finalize: the last call of a run that finished normally.
    public func finish() { recur_mpi_finish() }

    /// Ends every rank of the job with `code`.
    public func abort(code: Int32) -> Never {
        recur_mpi_abort(code)
        fatalError("MPI_Abort returned")
    }
}
