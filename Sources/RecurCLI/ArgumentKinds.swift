import Foundation
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

/// How a character model's text becomes batches (`TextStreams.Order`).
enum BatchingKind: String, CaseIterable, ExpressibleByArgument {
    /// Contiguous streams read side by side (char-rnn, torch-rnn): the carried state continues the text.
    case streams
    /// Chunks of seq-length + 1 characters, shuffled every epoch through a buffer of 10,000 (tf.data's).
    case chunks
}

/// Settings taken whole from a known recipe.
enum Preset: String, CaseIterable, ExpressibleByArgument {
    /// The seed article's Keras character model, as its code sets it up (`TrainSettings.apply(_:)`).
    case seedKeras = "seed-keras"
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

/// The precision of the matrix products.
enum ProductPrecision: String, CaseIterable, ExpressibleByArgument {
    case fp32, bf16
}

/// The compute options of every command that computes (train, eval, predict, sample, bench): threads
/// and the precision of the matrix products.
struct ComputeOptions: ParsableArguments {
    @Option(help: "Compute threads for the products and the element-wise kernels. [default: one per core]")
    var threads: Int?

    @Option(help: "The matrix products: fp32, or bf16 (bfloat16 operands, float accumulation; float weights, optimiser state and gates), on CPUs with AVX512_BF16 or AMX. [default: fp32]")
    var precision: ProductPrecision = .fp32

    /// The engine of every matrix product of the model.
    var engine: GEMMEngine { precision == .bf16 ? .bfloat16 : .fast }

    /// "bf16 products; " for the start line of a run in bf16, nothing in fp32.
    var productsNote: String { precision == .bf16 ? "bf16 products; " : "" }

    /// Checks the values and sets the thread count; refuses a `RECUR_ISA` this CPU cannot run, and
    /// bf16 on a CPU without bf16 instructions (`RECUR_BF16=emulate` lets oneDNN emulate them on
    /// AVX-512, slower than fp32: for tests of the bf16 path on such CPUs).
    func apply() throws {
        if case let .failure(error)? = InstructionSet.fromEnvironment() { throw UserError(error.description) }
        if precision == .bf16 {
            let emulate = ProcessInfo.processInfo.environment["RECUR_BF16"] == "emulate"
            guard BFloat16Products.isNative || emulate else {
                throw UserError("--precision bf16: this CPU has no bfloat16 instructions (AVX512_BF16 or AMX-BF16); use --precision fp32")
            }
            guard BFloat16Products.isAvailable else {
                throw UserError("--precision bf16: oneDNN cannot multiply in bfloat16 on this machine; use --precision fp32")
            }
        }
        guard let threads else { return }
        guard threads > 0 && threads <= 1024 else { throw UserError("--threads: must be in 1...1024, got \(threads)") }
        ComputeThreads.set(threads)
    }
}
extension MissingValueFill: ExpressibleByArgument {}
extension SeriesScalingKind: ExpressibleByArgument {}
extension ForecastStrategy: ExpressibleByArgument {}
extension ForecastLoss: ExpressibleByArgument {}
