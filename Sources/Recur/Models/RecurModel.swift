import RecurCore

/// What every Recur model is: named parameters (PyTorch `state_dict` names), a training/evaluation
/// mode that reaches every sub-module, a dropout generator whose state a checkpoint can save, a
/// `Codable` configuration from which an identical model is built, and forward + loss + backward on
/// one batch of its own kind.
public protocol RecurModel: Module, ModelModes where Scalar == Float {
    associatedtype Configuration: Codable & Equatable & Sendable
    associatedtype Batch

    /// The task name a checkpoint records ("lm", "classify", ...).
    static var task: String { get }

    var configuration: Configuration { get }

    /// A freshly initialised model of this configuration.
    init(configuration: Configuration, using generator: inout RandomGenerator)

    /// The engine of every matrix product in the model (`.bfloat16`: bf16 products, Float weights).
    var engine: GEMMEngine { get set }

    /// The generator of the dropout masks.
    var dropoutGenerator: RandomGenerator { get set }

    /// Forward pass, mean loss and backward pass on `batch`: every parameter's gradient accumulates.
    /// Returns the mean loss and how many items (tokens, examples) it averages over.
    func lossAndGradients(_ batch: Batch) -> (loss: Double, count: Int)
}

/// The two mode settings of a model, whatever its scalar: training or evaluation, and whether its
/// forward passes keep a record for the backward pass.
public protocol ModelModes: AnyObject {
    /// Training mode (dropout on) or evaluation mode, passed down to every sub-module.
    var isTraining: Bool { get set }

    /// Whether forward passes keep what the backward pass needs (true by default, in either mode);
    /// false is PyTorch's `torch.inference_mode()`. See `enterInference()`.
    var recordsForBackward: Bool { get set }
}

/// A model's two mode settings, as `enterInference()` found them.
public struct ModelMode: Equatable, Sendable {
    public var isTraining: Bool
    public var recordsForBackward: Bool
}

extension ModelModes {
    /// Evaluation mode with no record kept for a backward pass (PyTorch's `model.eval()` under
    /// `torch.inference_mode()`): how validation, evaluation, prediction and decoding run the model.
    /// Returns the settings it replaced, for `restore(_:)`.
    public func enterInference() -> ModelMode {
        let mode = ModelMode(isTraining: isTraining, recordsForBackward: recordsForBackward)
        isTraining = false
        recordsForBackward = false
        return mode
    }

    /// Puts back the settings `enterInference()` returned.
    public func restore(_ mode: ModelMode) {
        isTraining = mode.isTraining
        recordsForBackward = mode.recordsForBackward
    }
}
