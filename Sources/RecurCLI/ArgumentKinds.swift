import ArgumentParser
import Recur

/// The tasks `recur train` knows.
enum TaskKind: String, CaseIterable, ExpressibleByArgument {
    /// A character-level language model on a text (stateful truncated BPTT).
    case lm
    /// Many-to-one: a label for each whole sequence.
    case classify
    /// Many-to-many aligned: a tag for every step.
    case tag
    /// Many-to-many through an encoder and a decoder, with attention.
    case seq2seq
    /// Numeric series: the next steps of the targets from the past ones.
    case forecast
}

/// The cells by their command-line names (`rnn` is the tanh RNN).
enum CellChoice: String, CaseIterable, ExpressibleByArgument {
    case lstm, gru, rnn, rnn_tanh, rnn_relu

    var kind: CellKind { self == .rnn ? .rnnTanh : CellKind(rawValue: rawValue)! }
}

/// What training does with a batch whose loss or gradient is not finite or explodes.
enum NonfiniteAction: String, CaseIterable, ExpressibleByArgument {
    /// Stop, keeping the last good checkpoint (exit 3).
    case stop
    /// Skip the batch, leaving the parameters as they were.
    case skip
}

/// The class weights of the classification loss.
enum ClassWeighting: String, CaseIterable, ExpressibleByArgument {
    case none
    /// Inversely proportional to class frequency in the training set.
    case balanced
}

// Typed options: `--help` lists the choices, and a value outside them is refused by the parser.
extension OptimizerKind: ExpressibleByArgument {}
extension WeightInitialization: ExpressibleByArgument {}
extension PoolingKind: ExpressibleByArgument {}
extension Tokenization: ExpressibleByArgument {}
extension ScheduleKind: ExpressibleByArgument {}
extension LabelledSequenceFormat: ExpressibleByArgument {}
extension AttentionKind: ExpressibleByArgument {}

/// The input-format option of every command that reads labelled sequences (train, eval, predict).
struct SequenceFormatOptions: ParsableArguments {
    @Option(help: "The format of the data files. [default: from the extension: .jsonl, .tsv, .ts, .conll]")
    var format: LabelledSequenceFormat?
}

/// The compute-thread option of every command that computes (train, eval, predict, bench).
struct ComputeOptions: ParsableArguments {
    @Option(help: "Compute threads for the products and the element-wise kernels. [default: one per core]")
    var threads: Int?

    /// Checks the value and sets the thread count; refuses a `RECUR_ISA` this CPU cannot run.
    func apply() throws {
        if case let .failure(error)? = InstructionSet.fromEnvironment() { throw UserError(error.description) }
        guard let threads else { return }
        guard threads > 0 && threads <= 1024 else { throw UserError("--threads: must be in 1...1024, got \(threads)") }
        ComputeThreads.set(threads)
    }
}
extension MissingValueFill: ExpressibleByArgument {}
extension SeriesScalingKind: ExpressibleByArgument {}
extension ForecastStrategy: ExpressibleByArgument {}
extension ForecastLoss: ExpressibleByArgument {}
