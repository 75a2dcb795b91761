#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif

/// Learning rate as a function of the number of optimiser steps already taken (`step`, from 0).
///
/// | schedule | rate at `step` | PyTorch |
/// |---|---|---|
/// | `constant` | base | - |
/// | `stepDecay(every: n, gamma: g)` | base * g^floor(step / n) | StepLR |
/// | `exponential(gamma: g)` | base * g^step | ExponentialLR |
/// | `cosine(steps: n, minimum: m)` | m + (base - m) (1 + cos(pi * min(step, n) / n)) / 2 | CosineAnnealingLR (one half-period) |
/// | `warmup(steps: w, then: s)` | base * (step + 1) / w for step < w, then s at step - w | LinearLR + SequentialLR |
public indirect enum LearningRateSchedule: Equatable, Sendable {
    case constant
    case stepDecay(every: Int, gamma: Double)
    case exponential(gamma: Double)
    case cosine(steps: Int, minimum: Double)
    case warmup(steps: Int, then: LearningRateSchedule)

    public func learningRate(base: Double, step: Int) -> Double {
        precondition(step >= 0, "LearningRateSchedule: expected step >= 0, got \(step)")
        switch self {
        case .constant:
            return base
        case let .stepDecay(every, gamma):
            precondition(every > 0, "stepDecay: expected a positive period, got \(every)")
            return base * pow(gamma, Double(step / every))
        case let .exponential(gamma):
            return base * pow(gamma, Double(step))
        case let .cosine(steps, minimum):
            precondition(steps > 0, "cosine: expected a positive length, got \(steps)")
            let progress = Double(min(step, steps)) / Double(steps)
            return minimum + (base - minimum) * (1 + cos(Double.pi * progress)) / 2
        case let .warmup(steps, then):
            precondition(steps > 0, "warmup: expected a positive length, got \(steps)")
            if step < steps { return base * Double(step + 1) / Double(steps) }
            return then.learningRate(base: base, step: step - steps)
        }
    }
}
