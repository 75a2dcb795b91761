import Foundation
import Testing
import Recur
import _RecurTestSupport

/// The general trainer: schedules, validation bookkeeping and exact resume, on a classifier.
struct TrainerTests {
    /// A small classification task over random token sequences whose label is their first token's parity.
    static func task(seed: UInt64 = 8, dropout: Double = 0.3) -> ClassificationTask {
        var g = RandomGenerator(seed: 99)
        func examples(_ n: Int) -> EncodedSequences {
            var ids: [[Int]] = [], labels: [Int] = []
            for _ in 0..<n {
                let sequence = (0..<(1 + g.integer(below: 9))).map { _ in 1 + g.integer(below: 6) }
                ids.append(sequence)
                labels.append(sequence[0] % 2)
            }
            return EncodedSequences(inputs: .tokens(ids), labels: labels)
        }
        let configuration = SequenceClassifierConfiguration(
            input: .tokens(vocabularySize: 7, embeddingSize: 5), cell: .gru, layers: 2, hiddenSize: 9, bidirectional: true,
            dropout: dropout, pooling: .mean, labels: ["even", "odd"])
        var generator = RandomGenerator(seed: seed)
        let model: SequenceClassifier<Float> = configuration.makeModel(using: &generator)
        return ClassificationTask(model: model, training: examples(53), validation: examples(20), batchSize: 8, seed: seed)
    }

    static func trainer(_ kind: OptimizerKind, schedule: ScheduleKind) -> Trainer<ClassificationTask> {
        Trainer(task: task(), optimizer: kind, learningRate: 0.01, clipNorm: 1, schedule: schedule, warmupSteps: 3,
                schedulePeriod: 20, gamma: 0.5, plateauPatience: 0, patience: 4, monitor: .accuracy)
    }

    @Test("warm-up, then step decay or cosine; plateau drops the rate after validations without improvement")
    func schedules() {
        let step = Self.trainer(.sgd, schedule: .step)
        #expect(step.learningRate(at: 0) == 0.01 / 3 && step.learningRate(at: 2) == 0.01)
        #expect(step.learningRate(at: 3) == 0.01 && step.learningRate(at: 22) == 0.01 && step.learningRate(at: 23) == 0.005)
        let cosine = Self.trainer(.sgd, schedule: .cosine)
        #expect(cosine.learningRate(at: 3) == 0.01 && abs(cosine.learningRate(at: 20)) < 1e-15)
        #expect(abs(cosine.learningRate(at: 3 + 17 / 2) - 0.01 * (1 + Foundation.cos(Double.pi * 8 / 17)) / 2) < 1e-15)
        let plateau = Self.trainer(.sgd, schedule: .plateau)
        _ = plateau.validate()  // the first validation is the best so far
        #expect(plateau.plateauScale == 1)
        _ = plateau.validate()  // no change in the weights: no improvement, patience 0 -> halved
        #expect(plateau.plateauScale == 0.5 && plateau.learningRate(at: 10) == 0.005)
        #expect(plateau.validationsWithoutImprovement == 1)
        for _ in 0..<2 { _ = plateau.validate() }
        #expect(plateau.validate()?.shouldStop == true)  // patience 4
    }

    @Test("N steps, save inside the next step's accept, restore, N steps equals 2N steps bit for bit (dropout, schedules, every optimiser)",
          arguments: OptimizerKind.allCases, [ScheduleKind.cosine, .plateau])
    func exactResume(kind: OptimizerKind, schedule: ScheduleKind) throws {
        func validateAndStep(_ trainer: Trainer<ClassificationTask>, _ n: Int) {
            for _ in 0..<n {
                _ = trainer.trainStep()
                if trainer.step % 4 == 0 { _ = trainer.validate() }
            }
        }
        let straight = Self.trainer(kind, schedule: schedule)
        validateAndStep(straight, 18)

        let first = Self.trainer(kind, schedule: schedule)
        validateAndStep(first, 9)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recur-trainer-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        var saveError: Error?
        _ = first.trainStep { _, _ in
            do { try first.save(to: url) } catch { saveError = error }
            return true
        }
        if let saveError { throw saveError }
        let second = Self.trainer(kind, schedule: schedule)
        let loaded = try ModelCheckpoint.load(SequenceClassifier<Float>.self, from: url)
        for (target, source) in zip(second.task.model.parameters, loaded.model.parameters) { target.value = source.value }
        try second.restore(from: loaded.file)
        #expect(second.step == 9)
        validateAndStep(second, 9)
        #expect(second.task.model.parameters.map(\.value) == straight.task.model.parameters.map(\.value), "\(kind) \(schedule)")
        #expect(second.optimizer.slots == straight.optimizer.slots)
        #expect(second.plateauScale == straight.plateauScale && second.best?.value == straight.best?.value)
        #expect(second.learningRate(at: 18) == straight.learningRate(at: 18))
    }
}
