import ArgumentParser
import Recur

/// The tasks `recur train` knows.
enum TaskKind: String, CaseIterable, ExpressibleByArgument {
    /// A character-level language model on a text (stateful truncated BPTT).
    case lm
    /// Many-to-one: a label for each whole sequence.
    case classify
}

/// The class weights of the classification loss.
enum ClassWeighting: String, CaseIterable, ExpressibleByArgument {
    case none
    /// Inversely proportional to class frequency in the training set.
    case balanced
}

// Typed options: `--help` lists the choices, and a value outside them is refused by the parser.
extension PoolingKind: ExpressibleByArgument {}
extension Tokenization: ExpressibleByArgument {}
extension ScheduleKind: ExpressibleByArgument {}
extension LabelledSequenceFormat: ExpressibleByArgument {}
