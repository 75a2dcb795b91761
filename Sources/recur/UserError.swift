import Foundation

/// A problem with what the user gave us: printed as one `error:` line, with a non-zero exit.
struct UserError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Training stopped because it diverged (NaN, infinity, explosion): one `error:` line, exit code 3.
struct TrainingStopped: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
    static let exitCode: Int32 = 3
}

/// Reads a UTF-8 text file, or throws a UserError naming the file and the problem.
func readText(_ path: String) throws -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw UserError("\(path): no such file; give the path of a UTF-8 text file")
    }
    if isDirectory.boolValue { throw UserError("\(path): is a directory; give the path of a UTF-8 text file") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw UserError("\(path): cannot be read; check its permissions")
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
