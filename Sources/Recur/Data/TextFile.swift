import Foundation

/// Reading a user's text file as UTF-8, with the byte offset of the first invalid sequence.
public enum TextFile {
    /// The text of UTF-8 bytes, or the offset of the first byte that is not valid UTF-8.
    public static func decode(_ bytes: [UInt8]) -> Result<String, InvalidUTF8> {
        if let text = String(validating: bytes, as: UTF8.self) { return .success(text) }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case let .valid(encoded): offset += encoded.count
            case .emptyInput: return .failure(InvalidUTF8(offset: offset))  // unreachable: validation failed
            case .error: return .failure(InvalidUTF8(offset: offset))
            }
        }
    }

    /// The byte offset of the first invalid UTF-8 sequence.
    public struct InvalidUTF8: Error, Equatable {
        public var offset: Int
        public init(offset: Int) { self.offset = offset }
    }

    /// Why a text file cannot be used, as the phrase after its path.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case missing
        case directory
        case unreadable(String)
        case empty
        case invalidUTF8(offset: Int)
        case utf16(bigEndian: Bool)

        public var description: String {
            switch self {
            case .missing: return "no such file; give the path of a UTF-8 text file"
            case .directory: return "is a directory; give the path of a UTF-8 text file"
            case let .unreadable(reason): return "cannot be read (\(reason)); check its permissions"
            case .empty: return "is empty; give a file with text in it"
            case let .invalidUTF8(offset): return "is not valid UTF-8 (byte offset \(offset)); convert it to UTF-8 first"
            case let .utf16(bigEndian): return "starts with a UTF-16 \(bigEndian ? "big" : "little")-endian byte-order mark (byte offset 0); convert it to UTF-8 first"
            }
        }
    }

    /// Reads a file as UTF-8 text (a UTF-8 byte-order mark is dropped).
    public static func read(_ path: String) throws(Problem) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .missing }
        guard !isDirectory.boolValue else { throw .directory }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable((error as NSError).localizedFailureReason ?? error.localizedDescription)
        }
        return try text(from: [UInt8](data))
    }

    /// The text of a file's bytes: UTF-8, a UTF-8 byte-order mark dropped; empty input, a UTF-16
    /// byte-order mark or invalid UTF-8 (with its byte offset in `bytes`) are refused.
    public static func text(from bytes: [UInt8]) throws(Problem) -> String {
        if bytes.isEmpty { throw .empty }
        if bytes.starts(with: [0xFF, 0xFE]) { throw .utf16(bigEndian: false) }
        if bytes.starts(with: [0xFE, 0xFF]) { throw .utf16(bigEndian: true) }
        let skipped = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        switch decode(Array(bytes.dropFirst(skipped))) {
        case let .success(text): return text
        case let .failure(invalid): throw .invalidUTF8(offset: invalid.offset + skipped)
        }
    }

    /// A 64-bit FNV-1a checksum of a text's UTF-8 bytes: resume checks the data is the same.
    public static func checksum(_ text: String) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        return String(hash, radix: 16)
    }
}
