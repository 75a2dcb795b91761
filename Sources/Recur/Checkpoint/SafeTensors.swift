import Foundation
import RecurCore

/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON, then the raw
/// little-endian tensor data.
///
/// The header maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets
/// relative to the data section) and may hold `"__metadata__"`, a map of strings to strings.
/// Reading validates everything before any tensor is trusted: the header size (at most 100,000,000
/// bytes, inside the file), UTF-8 JSON of the expected types, known dtypes, shapes whose element
/// count does not overflow, byte lengths equal to element count x dtype size, and offsets that tile
/// the data section exactly (no gap, no overlap, no trailing bytes).
public struct SafeTensors {
    public enum DType: String, Sendable, CaseIterable {
        case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

        public var size: Int {
            switch self {
            case .f64, .i64: return 8
            case .f32, .i32: return 4
            case .f16, .bf16, .i16: return 2
            case .i8, .u8, .bool: return 1
            }
        }

        var isFloatingPoint: Bool { [.f64, .f32, .f16, .bf16].contains(self) }
    }

    public struct Entry: Sendable {
        public var dtype: DType
        public var shape: [Int]
        /// Byte range within the data section.
        public var offsets: Range<Int>
    }

    public static let maximumHeaderSize = 100_000_000

    public var metadata: [String: String]
    /// Tensor names in the order their data is stored.
    public var names: [String]
    public var entries: [String: Entry]
    private var bytes: [UInt8]
    private var dataStart: Int

    // MARK: Reading

    /// Parses and validates a whole file's bytes.
    public init(bytes: [UInt8]) throws(SafeTensorsError) {
        guard bytes.count >= 8 else { throw .tooShort(size: bytes.count) }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(Self.maximumHeaderSize) else { throw .headerTooLarge(length: length) }
        guard length >= 2 else { throw .headerTooShort(length: Int(length)) }
        guard UInt64(bytes.count - 8) >= length else {
            throw .headerPastEnd(length: length, fileSize: bytes.count)
        }
        let headerBytes = Array(bytes[8..<(8 + Int(length))])
        guard String(validating: headerBytes, as: UTF8.self) != nil else { throw .headerNotUTF8 }
        let header: JSONValue
        do {
            header = try JSONValue.parse(headerBytes)
        } catch {
            throw .headerNotJSON(reason: error.description)
        }
        guard case let .object(members) = header else { throw .headerNotJSON(reason: "the header is not a JSON object") }

        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        var seen = Set<String>()
        for (name, rawEntry) in members {
            guard seen.insert(name).inserted else {
                throw name == "__metadata__" ? .badMetadata(key: nil) : .duplicateTensor(name: name)
            }
            if name == "__metadata__" {
                guard case let .object(map) = rawEntry else { throw .badMetadata(key: nil) }
                for (key, value) in map {
                    guard case let .string(string) = value else { throw .badMetadata(key: key) }
                    guard metadata.updateValue(string, forKey: key) == nil else { throw .badMetadata(key: key) }
                }
                continue
            }
            guard case let .object(fields) = rawEntry else { throw .badEntry(name: name, reason: "is not a JSON object") }
            let entry = Dictionary(fields.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            guard case let .string(dtypeName)? = entry["dtype"] else { throw .badEntry(name: name, reason: "has no string dtype") }
            guard let dtype = DType(rawValue: dtypeName) else { throw .unknownDType(name: name, dtype: dtypeName) }
            guard case let .array(rawShape)? = entry["shape"] else { throw .badEntry(name: name, reason: "has no shape list") }
            var shape: [Int] = []
            var count = 1
            var overflowed = false
            for value in rawShape {
                guard case let .number(text) = value, !text.hasPrefix("-"), !text.contains(where: { ".eE".contains($0) }) else {
                    throw .badEntry(name: name, reason: "has a shape entry that is not a non-negative integer")
                }
                guard let extent = Int(text) else { overflowed = true; continue }
                let (product, overflow) = count.multipliedReportingOverflow(by: extent)
                if overflow { overflowed = true }
                count = product
                shape.append(extent)
            }
            if overflowed {
                throw .shapeOverflow(name: name, shape: rawShape.map(\.text).joined(separator: ", "))
            }
            guard case let .array(rawOffsets)? = entry["data_offsets"], rawOffsets.count == 2,
                  let begin = rawOffsets[0].integer, let end = rawOffsets[1].integer, begin >= 0, end >= 0 else {
                throw .badEntry(name: name, reason: "has no data_offsets [begin, end] of non-negative integers")
            }
            guard begin <= end else { throw .offsetsReversed(name: name, begin: begin, end: end) }
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.size)
            guard !overflow, end - begin == byteCount else {
                throw .lengthMismatch(name: name, bytes: end - begin, expected: overflow ? nil : byteCount)
            }
            entries[name] = Entry(dtype: dtype, shape: shape, offsets: begin..<end)
        }
        // The tensors must tile the data section exactly: sorted by offset, each starting where the
        // previous ended, the last ending at the end of the file.
        let dataStart = 8 + Int(length)
        let dataSize = bytes.count - dataStart
        let ordered = entries.sorted { ($0.value.offsets.lowerBound, $0.value.offsets.upperBound, $0.key) < ($1.value.offsets.lowerBound, $1.value.offsets.upperBound, $1.key) }
        var cursor = 0
        for (name, entry) in ordered {
            if entry.offsets.lowerBound > cursor { throw .gap(before: name, from: cursor, to: entry.offsets.lowerBound) }
            if entry.offsets.lowerBound < cursor { throw .overlap(name: name, at: entry.offsets.lowerBound) }
            cursor = entry.offsets.upperBound
        }
        if cursor > dataSize { throw .dataTruncated(needed: cursor, available: dataSize) }
        if cursor < dataSize { throw .trailingBytes(count: dataSize - cursor) }

        self.metadata = metadata
        self.names = ordered.map(\.key)
        self.entries = entries
        self.bytes = bytes
        self.dataStart = dataStart
    }

    /// Reads and validates a file.
    public init(contentsOf url: URL) throws(SafeTensorsError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadable(reason: (error as NSError).localizedDescription)
        }
        try self.init(bytes: [UInt8](data))
    }

    /// A floating-point tensor converted to `Scalar`.
    public func tensor<Scalar: RecurScalar>(_ name: String, as _: Scalar.Type = Scalar.self) throws(SafeTensorsError) -> Tensor<Scalar> {
        guard let entry = entries[name] else { throw .missingTensor(name: name) }
        guard entry.dtype.isFloatingPoint else { throw .unsupportedDType(name: name, dtype: entry.dtype.rawValue) }
        let count = entry.shape.reduce(1, *)
        let start = dataStart + entry.offsets.lowerBound
        var values = [Scalar](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count {
                let p = start + i * entry.dtype.size
                switch entry.dtype {
                case .f32:
                    values[i] = Scalar(Float(bitPattern: raw.loadUnaligned(fromByteOffset: p, as: UInt32.self).littleEndian))
                case .f64:
                    values[i] = Scalar(Double(bitPattern: raw.loadUnaligned(fromByteOffset: p, as: UInt64.self).littleEndian))
                case .f16:
                    values[i] = Scalar(Float(Self.halfToFloat(raw.loadUnaligned(fromByteOffset: p, as: UInt16.self).littleEndian)))
                case .bf16:
                    let bits = UInt32(raw.loadUnaligned(fromByteOffset: p, as: UInt16.self).littleEndian) << 16
                    values[i] = Scalar(Float(bitPattern: bits))
                default:
                    break
                }
            }
        }
        return Tensor(shape: entry.shape, scalars: values)
    }

    // MARK: Writing

    /// The bytes of a file holding Float32 tensors in the given order, and string metadata.
    public static func encode(tensors: [(name: String, tensor: Tensor<Float>)], metadata: [String: String] = [:]) -> [UInt8] {
        var members: [(key: String, value: JSONValue)] = []
        if !metadata.isEmpty {
            members.append(("__metadata__", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        var offset = 0
        var names = Set<String>()
        for (name, tensor) in tensors {
            precondition(names.insert(name).inserted && name != "__metadata__", "SafeTensors: duplicate tensor name \(name)")
            members.append((name, .object([
                ("dtype", .string("F32")),
                ("shape", .array(tensor.shape.map { .number(String($0)) })),
                ("data_offsets", .array([.number(String(offset)), .number(String(offset + 4 * tensor.count))])),
            ])))
            offset += 4 * tensor.count
        }
        var json = Array(JSONValue.object(members).text.utf8)
        // Pad the header with spaces so that the data starts 8-byte aligned, as the reference writer does.
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + json.count + offset)
        let length = UInt64(json.count)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(i)))) }
        bytes.append(contentsOf: json)
        for (_, tensor) in tensors {
            tensor.withUnsafeBufferPointer { values in
                #if _endian(little)
                bytes.append(contentsOf: UnsafeRawBufferPointer(values))
                #else
                for value in values {
                    let bits = value.bitPattern.littleEndian
                    bytes.append(UInt8(truncatingIfNeeded: bits))
                    bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
                    bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
                    bytes.append(UInt8(truncatingIfNeeded: bits >> 24))
                }
                #endif
            }
        }
        return bytes
    }

    /// Writes a file atomically (temporary file, fsync, rename).
    public static func write(tensors: [(name: String, tensor: Tensor<Float>)], metadata: [String: String] = [:],
                             to url: URL) throws(FileError) {
        try AtomicFile.write(encode(tensors: tensors, metadata: metadata), to: url)
    }

    // MARK: Helpers

    private static func halfToFloat(_ h: UInt16) -> Float {
        #if arch(arm64)
        return Float(Float16(bitPattern: h))
        #else
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            return Float(bitPattern: sign) + (sign != 0 ? -1 : 1) * Float(mantissa) * 0x1p-24
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
        #endif
    }
}

/// Why a safetensors file was refused; each case says where.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    case unreadable(reason: String)
    case tooShort(size: Int)
    case headerTooLarge(length: UInt64)
    case headerTooShort(length: Int)
    case headerPastEnd(length: UInt64, fileSize: Int)
    case headerNotUTF8
    case headerNotJSON(reason: String)
    case badMetadata(key: String?)
    case badEntry(name: String, reason: String)
    case unknownDType(name: String, dtype: String)
    case unsupportedDType(name: String, dtype: String)
    case shapeOverflow(name: String, shape: String)
    case offsetsReversed(name: String, begin: Int, end: Int)
    case lengthMismatch(name: String, bytes: Int, expected: Int?)
    case duplicateTensor(name: String)
    case gap(before: String, from: Int, to: Int)
    case overlap(name: String, at: Int)
    case dataTruncated(needed: Int, available: Int)
    case trailingBytes(count: Int)
    case missingTensor(name: String)

    public var description: String {
        switch self {
        case let .unreadable(reason): return "cannot be read: \(reason)"
        case let .tooShort(size): return "is \(size) bytes long, too short for a safetensors file (at least 8 bytes of header length)"
        case let .headerTooLarge(length): return "declares a header of \(length) bytes, over the limit of \(SafeTensors.maximumHeaderSize)"
        case let .headerTooShort(length): return "declares a header of \(length) bytes, too short for a JSON object"
        case let .headerPastEnd(length, fileSize): return "declares a header of \(length) bytes but the file has only \(fileSize - 8) after the length (byte offset 8)"
        case .headerNotUTF8: return "has a header that is not valid UTF-8 (byte offset 8)"
        case let .headerNotJSON(reason): return "has a header that is not valid JSON: \(reason)"
        case let .badMetadata(key): return key.map { "has a __metadata__ value for '\($0)' that is not a string" } ?? "has a __metadata__ that is not an object of strings"
        case let .badEntry(name, reason): return "tensor '\(name)' \(reason)"
        case let .unknownDType(name, dtype): return "tensor '\(name)' has an unknown dtype '\(dtype)'"
        case let .unsupportedDType(name, dtype): return "tensor '\(name)' has dtype \(dtype); expected a floating-point dtype (F32, F64, F16, BF16)"
        case let .shapeOverflow(name, shape): return "tensor '\(name)' has a shape [\(shape)] whose element count overflows"
        case let .offsetsReversed(name, begin, end): return "tensor '\(name)' has data_offsets [\(begin), \(end)] with end before begin"
        case let .lengthMismatch(name, bytes, expected): return "tensor '\(name)' has \(bytes) bytes of data but its shape and dtype need \(expected.map(String.init) ?? "more than can be counted")"
        case let .duplicateTensor(name): return "names tensor '\(name)' twice in its header"
        case let .gap(before, from, to): return "has unused data bytes \(from)..<\(to) before tensor '\(before)'"
        case let .overlap(name, at): return "tensor '\(name)' overlaps another tensor's data at data offset \(at)"
        case let .dataTruncated(needed, available): return "is truncated: its tensors need \(needed) data bytes but the file has \(available)"
        case let .trailingBytes(count): return "has \(count) bytes after the last tensor's data"
        case let .missingTensor(name): return "has no tensor '\(name)'"
        }
    }
}
