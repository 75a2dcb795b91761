import ArgumentParser
import Foundation

@main
struct RecurCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recur",
        abstract: "Recurrent neural networks: RNN, LSTM and GRU models, trained and sampled.",
        subcommands: [TrainCommand.self, SampleCommand.self, EvalCommand.self, InspectCommand.self, DataCommand.self, DemoCommand.self, BenchCommand.self]
    )

    /// Parses and runs. A bad value or file (UserError) becomes one `error:` line on stderr and exit
    /// code 2; a command line that does not parse, one `error:` line and exit code 64 (EX_USAGE).
    static func main() {
        // Past a file-size limit (ulimit -f) a write fails with EFBIG instead of killing the process,
        // so a checkpoint that cannot be written is reported like a full disk.
        signal(SIGXFSZ, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as UserError {
            printError("error: \(error.description)")
            Foundation.exit(2)
        } catch let error as TrainingStopped {
            printError("error: \(error.description)")
            Foundation.exit(TrainingStopped.exitCode)
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }  // --help, --version
            let message = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            printError("error: \(message); see 'recur --help'")
            Foundation.exit(code.rawValue)
        }
    }
}
