import ArgumentParser
import Foundation
import Recur

@main
struct RecurCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recur",
        abstract: "Recurrent neural networks: RNN, LSTM and GRU models, trained and sampled.",
        subcommands: [TrainCommand.self, SampleCommand.self, EvalCommand.self, PredictCommand.self, InspectCommand.self, VizCommand.self, GradientFlowCommand.self, ReportCommand.self, ExportCommand.self, ImportCommand.self, DataCommand.self, DemoCommand.self, BenchCommand.self]
    )

    /// Parses and runs. Every failure is one `error:` line on stderr and an exit code by class: 2 a bad
    /// value or file, 3 training diverged, 64 a command line that does not parse (EX_USAGE), 66 a
    /// missing input (EX_NOINPUT), 74 a file that cannot be read or written (EX_IOERR), 130 Ctrl-C.
    static func main() {
        // Past a file-size limit (ulimit -f) a write fails with EFBIG instead of killing the process,
        // so a checkpoint that cannot be written is reported like a full disk.
        signal(SIGXFSZ, SIG_IGN)
        FreedMemory.keep()  // a step's large tensors served again from the heap, not from fresh pages
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as UserError {
            printError("error: \(error.description)")
            Foundation.exit(error.kind.rawValue)
        } catch let error as TrainingStopped {
            printError("error: \(error.description)")
            Foundation.exit(TrainingStopped.exitCode)
        } catch let error as SilentExit {
            Foundation.exit(error.code)
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }  // --help, --version
            var message = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            if message.hasSuffix(".") { message.removeLast() }
            printError("error: \(message); see 'recur --help'")
            Foundation.exit(code.rawValue)
        }
    }
}

/// An exit whose error line another process prints: the ranks of a data-parallel run other than rank 0.
struct SilentExit: Error {
    var code: Int32
}
