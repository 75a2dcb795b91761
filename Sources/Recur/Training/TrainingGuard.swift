import Foundation

/// Decides whether a training step's update may happen.
public enum TrainingGuard {
    /// The loss is "exploding" above this multiple of the run's first loss.
    public static let explosionFactor = 3.0

    /// What is wrong with a step, or nil when its update may go ahead.
    public static func problem(loss: Double, gradientNorm: Double, firstLoss: Double?) -> String? {
        if !loss.isFinite || !gradientNorm.isFinite {
            return "loss \(loss), gradient norm \(gradientNorm)"
        }
        if let firstLoss, loss > explosionFactor * firstLoss {
            return String(format: "loss %.4f exceeds %.0fx the first loss %.4f (gradient norm %.4g)",
                          loss, explosionFactor, firstLoss, gradientNorm)
        }
        return nil
    }
}
