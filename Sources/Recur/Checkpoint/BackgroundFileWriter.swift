import Foundation

/// Writes files atomically (`AtomicFile`: temporary file, fsync, rename) on a thread of its own, one at
/// a time in the order they were handed over, so that a training loop does not wait for the disk.
///
/// The bytes are taken at `write`, so the file holds the state of that moment whatever the caller
/// changes afterwards. After a failure the files still queued are not written (a training checkpoint
/// is not left newer than its model file, or the other way round), and the failure is thrown by the
/// next `write` or `finish`. `finish` waits for everything handed over; a process must call it
/// before it exits, or the last files may be missing (never half-written).
///
/// `recur train` saved four checkpoints at each validation of the default character model, 0.1-0.3 s
/// each, mostly waiting for fsync (docs/performance.md section 18).
public final class BackgroundFileWriter: @unchecked Sendable {
    private let queue: DispatchQueue
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var failure: FileError? = nil

    public init(label: String = "recur.file-writer") {
        queue = DispatchQueue(label: label, qos: .utility)
    }

    /// Queues `bytes` for `url`; `then` runs on the writer's thread once the file is in place. Throws an
    /// earlier write's failure (and queues nothing) if there was one.
    public func write(_ bytes: [UInt8], to url: URL, then done: (@Sendable () -> Void)? = nil) throws(FileError) {
        if hasFailed { try finish() }
        queue.async(group: group) { [self] in
            guard !hasFailed else { return }
            do throws(FileError) {
                try AtomicFile.write(bytes, to: url)
                done?()
            } catch {
                lock.lock()
                failure = error
                lock.unlock()
            }
        }
    }

    /// Waits until every queued file is written (or skipped after a failure); throws the first failure,
    /// if any, once.
    public func finish() throws(FileError) {
        group.wait()
        if let failure = takeFailure() { throw failure }
    }

    private var hasFailed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return failure != nil
    }

    private func takeFailure() -> FileError? {
        lock.lock()
        defer { lock.unlock() }
        let taken = failure
        failure = nil
        return taken
    }
}
