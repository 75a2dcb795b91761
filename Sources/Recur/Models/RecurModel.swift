import RecurCore

/// What every Recur model is: named parameters (PyTorch `state_dict` names), a training/evaluation
/// mode that reaches every sub-module, a dropout generator whose state a checkpoint can save, a
/// `Codable` configuration from which an identical model is built, and forward + loss + backward on
/// one batch of its own kind.
public protocol RecurModel: Module where Scalar == Float {
    associatedtype Configuration: Codable & Equatable & Sendable
    associatedtype Batch

    /// The task name a checkpoint records ("lm", "classify", ...).
    static var task: String { get }

    var configuration: Configuration { get }

    /// A freshly initialised model of this configuration.
    init(configuration: Configuration, using generator: inout RandomGenerator)

    /// Training mode (dropout on) or evaluation mode, passed down to every sub-module.
    var isTraining: Bool { get set }

    /// The engine of every matrix product in the model (`.bfloat16`: bf16 products, Float weights).
    var engine: GEMMEngine { get set }

    /// The generator of the dropout masks.
    var dropoutGenerator: RandomGenerator { get set }

    /// Forward pass, mean loss and backward pass on `batch`: every parameter's gradient accumulates.
    /// Returns the mean loss and how many items (tokens, examples) it averages over.
    func lossAndGradients(_ batch: Batch) -> (loss: Double, count: Int)
}
