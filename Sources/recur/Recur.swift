import ArgumentParser
import Foundation

@main
struct RecurCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recur",
        abstract: "Recurrent neural networks: RNN, LSTM and GRU models, trained and sampled.",
        subcommands: [DemoCommand.self]
    )

    /// Parses and runs; a UserError becomes one `error:` line on stderr and exit code 2.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as UserError {
            printError("error: \(error.description)")
            Foundation.exit(2)
        } catch {
            exit(withError: error)
        }
    }
}
