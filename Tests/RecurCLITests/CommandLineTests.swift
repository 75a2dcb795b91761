import Foundation
import Testing

/// The `recur` command, run as a user runs it: as a separate process, checking its output and exit code.
struct CommandLineTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The built `recur` executable: in the folder of this test binary or one of its parents.
    static let executable: URL? = {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = folder.appendingPathComponent("recur")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }()

    /// A process started with both outputs on pipes.
    struct Started {
        let process: Process
        let stdout: Pipe
        let stderr: Pipe

        /// Reads what is left of both outputs and waits for the exit.
        func finish() -> Run {
            let out = stdout.fileHandleForReading.readDataToEndOfFile()
            let err = stderr.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Run(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                       stderr: String(decoding: err, as: UTF8.self))
        }
    }

    /// Starts `executable` (the built `recur` when nil) with `arguments`, and `environment` added to this process's.
    static func start(_ arguments: [String], executable: URL? = nil, environment: [String: String] = [:]) throws -> Started {
        let process = Process()
        process.executableURL = try executable ?? #require(Self.executable, "the recur executable was not built")
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let started = Started(process: process, stdout: Pipe(), stderr: Pipe())
        process.standardOutput = started.stdout
        process.standardError = started.stderr
        try process.run()
        return started
    }

    /// Runs `recur` with `arguments`, which must fail with one `error:` line containing `phrase`, and,
    /// when `noFile` is given, without writing that file.
    static func expectRefused(_ arguments: [String], phrase: String, noFile: String? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let run = try recur(arguments)
        #expect(run.status != 0, "\(arguments) should fail", sourceLocation: sourceLocation)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("error: ") && run.stderr.contains(phrase),
                "\(arguments): \(run.stderr)", sourceLocation: sourceLocation)
        if let noFile { #expect(!FileManager.default.fileExists(atPath: noFile), "\(arguments): \(noFile) was written", sourceLocation: sourceLocation) }
    }

    /// Runs `recur` with `arguments` to the end.
    static func recur(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        try start(arguments, environment: environment).finish()
    }

    static func temporaryFile(_ contents: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recur-test-\(UUID().uuidString).txt")
        try contents.write(to: url)
        return url
    }

    @Test("recur demo trains with falling loss and prints a sample")
    func demo() throws {
        let run = try Self.recur(["demo", "--steps", "90", "--print-every", "30", "--hidden", "48",
                                  "--sample-length", "60", "--seed", "3"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let losses = run.stdout.split(separator: "\n").compactMap { line -> Double? in
            guard line.hasPrefix("step"), let range = line.range(of: "loss ") else { return nil }
            return Double(line[range.upperBound...].prefix { !$0.isWhitespace })
        }
        #expect(losses.count == 3)
        #expect(losses.first! > losses.last! + 0.3, "losses \(losses)")
        let sample = try #require(run.stdout.components(separatedBy: "sample (temperature 0.7):\n\n").last)
        #expect(sample.unicodeScalars.count >= 61)
    }

    @Test("recur demo learns a file of the user's own", arguments: ["lstm", "gru", "rnn_tanh", "rnn_relu"])
    func demoOnFile(cell: String) throws {
        let text = String(repeating: "abcabcabd ", count: 80)
        let file = try Self.temporaryFile(Data(text.utf8))
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try Self.recur(["demo", "--text", file.path, "--cell", cell, "--steps", "20", "--print-every", "10",
                                  "--hidden", "16", "--batch", "4", "--seq-length", "8", "--sample-length", "10"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("\(cell) 1x16"))
    }

    @Test("bad input gets one error line and the exit code of its class", arguments: [
        (["demo", "--hidden", "0"], "error: --hidden: must be a positive integer, got 0", Int32(2)),
        (["demo", "--lr", "nan"], "error: --lr: must be a positive number, got nan", 2),
        (["demo", "--temperature=-1"], "error: --temperature: must be a positive number", 2),
        (["demo", "--cell", "transformer"], "error: The value 'transformer' is invalid for '--cell <cell>'", 64),
        (["demo", "--text", "/nonexistent/recur.txt"], "error: /nonexistent/recur.txt: no such file", 66),
        (["demo", "--text", "/"], "error: /: is a directory", 2),
    ])
    func badInput(arguments: [String], expected: String, status: Int32) throws {
        let run = try Self.recur(arguments)
        #expect(run.status == status)
        #expect(run.stderr.hasPrefix(expected), "stderr: \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    @Test("a command line that does not parse gets one error line and exit code 64")
    func usageError() throws {
        for arguments in [["demo", "--steps", "many"], ["demo", "--no-such-option"], ["no-such-command"]] {
            let run = try Self.recur(arguments)
            #expect(run.status == 64, "\(arguments)")
            #expect(run.stderr.hasPrefix("error: ") && run.stderr.split(separator: "\n").count == 1, "stderr: \(run.stderr)")
        }
    }

    @Test("a file that is not UTF-8, or too short, is refused with its name")
    func badFiles() throws {
        let invalid = try Self.temporaryFile(Data([0x61, 0x62, 0xFF, 0xFE, 0x63]))
        let short = try Self.temporaryFile(Data("abcd".utf8))
        let single = try Self.temporaryFile(Data(String(repeating: "a", count: 10_000).utf8))
        defer { for f in [invalid, short, single] { try? FileManager.default.removeItem(at: f) } }
        let runs = try [invalid, short, single].map { try Self.recur(["demo", "--text", $0.path]) }
        for (run, phrase) in zip(runs, ["is not valid UTF-8", "cannot fill one batch", "fewer than two distinct characters"]) {
            #expect(run.status == 2)
            #expect(run.stderr.hasPrefix("error: ") && run.stderr.contains(phrase), "stderr: \(run.stderr)")
        }
    }

    @Test("the help lists the subcommands")
    func help() throws {
        let run = try Self.recur(["--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("demo") && run.stdout.contains("USAGE: recur"))
    }
}

extension CommandLineTests {
    @Test("a demo too large for memory, or beyond the limits, is refused before allocating")
    func demoTooLarge() throws {
        let huge = try Self.recur(["demo", "--hidden", "100000"])
        #expect(huge.status == 2 && huge.stderr.hasPrefix("error: --hidden: must be an integer in 1...16384, got 100000"), "\(huge.stderr)")
        let wide = try Self.recur(["demo", "--hidden", "16384", "--layers", "8"])
        #expect(wide.status == 2, "\(wide.stderr)")
        #expect(wide.stderr.hasPrefix("error: --hidden 16384: training would need about "), "\(wide.stderr)")
        #expect(wide.stderr.split(separator: "\n").count == 1)
    }
}
