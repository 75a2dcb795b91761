import ArgumentParser

@main
struct RecurCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recur",
        abstract: "Recurrent neural networks: train, sample and evaluate RNN, LSTM and GRU models.",
        subcommands: []
    )
}
