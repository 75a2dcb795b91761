import Foundation
import Recur

/// A problem with what the user gave us, or with the files we were asked to read or write: printed as
/// one `error:` line, with the exit code of its kind.
struct UserError: Error, CustomStringConvertible {
    /// The classes of failure, each with its own exit code (docs/reliability.md).
    enum Kind: Int32 {
        /// A value or file that is wrong: an option out of range, a malformed checkpoint, bad text.
        case badInput = 2
        /// A file or folder that does not exist (sysexits' EX_NOINPUT).
        case missingInput = 66
        /// A file that cannot be read or written: permissions, a full disk (sysexits' EX_IOERR).
        case ioError = 74
    }

    var description: String
    var kind: Kind
    init(_ description: String, kind: Kind = .badInput) {
        self.description = description
        self.kind = kind
    }
}

/// Training stopped because it diverged (NaN, infinity, explosion): one `error:` line, exit code 3.
struct TrainingStopped: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
    static let exitCode: Int32 = 3
}

/// The UserError for a text file that TextFile.read refused.
func textFileError(_ path: String, _ error: Error) -> UserError {
    switch error as? TextFile.Problem {
    case .missing?: return UserError("\(path): \(error)", kind: .missingInput)
    case .unreadable?: return UserError("\(path): \(error)", kind: .ioError)
    default: return UserError("\(path): \(error)")
    }
}

/// Reads a UTF-8 text file, or throws a UserError naming the file and the problem.
func readText(_ path: String) throws -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw UserError("\(path): no such file; give the path of a UTF-8 text file", kind: .missingInput)
    }
    if isDirectory.boolValue { throw UserError("\(path): is a directory; give the path of a UTF-8 text file") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw UserError("\(path): cannot be read; check its permissions", kind: .ioError)
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw UserError("\(path): is not valid UTF-8; convert it to UTF-8 first")
    }
    return text
}

/// Standard error, unbuffered.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
