import Foundation
import RecurCore
import _RecurHDF5

/// An HDF5 file opened read-only through the HDF5 library (loaded at run time the first time a file
/// is opened): its groups' children and its datasets as Float tensors.
final class HDF5File {
    /// Why a file could not be read: one line.
    struct Problem: Error, CustomStringConvertible {
        let description: String
        /// The file opened is not HDF5 (or unreadable), as against a problem inside one.
        var isNotHDF5 = false
    }

    private let handle: Int64
    let path: String

    init(path: String) throws(Problem) {
        var message = [CChar](repeating: 0, count: 512)
        guard recur_h5_start(&message, message.count) == 1 else { throw Problem(description: String(cString: message)) }
        let handle = recur_h5_open(path)
        guard handle >= 0 else { throw Problem(description: "is not an HDF5 file, or cannot be read", isNotHDF5: true) }
        self.handle = handle
        self.path = path
    }

    deinit { recur_h5_close(handle) }

    /// The names of the group's links, in name order; nil when `group` is not a group.
    func children(of group: String) -> [String]? {
        let count = recur_h5_child_count(handle, group)
        guard count >= 0 else { return nil }
        var name = [CChar](repeating: 0, count: 1024)
        return (0..<count).compactMap { index in
            recur_h5_child_name(handle, group, index, &name, name.count) >= 0 ? String(cString: name) : nil
        }
    }

    /// The dataset's shape, or nil when `path` is not a dataset.
    func shape(of path: String) -> [Int]? {
        var dims = [UInt64](repeating: 0, count: 16)
        let rank = recur_h5_shape(handle, path, &dims, 16)
        guard rank >= 0 else { return nil }
        return dims.prefix(Int(rank)).map { Int(exactly: $0) ?? Int.max }
    }

    /// The dataset at `path` as a Float tensor.
    func tensor(_ path: String) throws(Problem) -> Tensor<Float> {
        guard let shape = shape(of: path) else { throw Problem(description: "has no dataset \(path)") }
        // At most 2^31 values (8 GiB of Float): a file's claimed sizes are not trusted.
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= 1 << 31 else { throw Problem(description: "has a dataset \(path) of \(shape), too large to be a weight") }
            count = product
        }
        var values = [Float](repeating: 0, count: count)
        guard recur_h5_read_floats(handle, path, &values, values.count) == 1 else {
            throw Problem(description: "could not read \(path) as 32-bit floats")
        }
        return Tensor(shape: shape, scalars: values)
    }
}
