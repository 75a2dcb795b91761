/// Accuracy, macro-F1 and the confusion matrix of predicted against true classes.
public struct ClassificationMetrics: Equatable, Sendable {
    /// `confusion[true][predicted]` counts.
    public var confusion: [[Int]]

    public init(classCount: Int, truth: [Int], predictions: [Int]) {
        precondition(truth.count == predictions.count, "ClassificationMetrics: expected as many predictions as labels")
        confusion = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
        for (t, p) in zip(truth, predictions) { confusion[t][p] += 1 }
    }

    public var count: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }

    public var accuracy: Double {
        count == 0 ? 0 : Double(confusion.indices.reduce(0) { $0 + confusion[$1][$1] }) / Double(count)
    }

    /// The F1 score of each class (0 where precision and recall are both undefined or zero).
    public var f1: [Double] {
        confusion.indices.map { c in
            let truePositive = Double(confusion[c][c])
            let predicted = Double(confusion.reduce(0) { $0 + $1[c] })
            let actual = Double(confusion[c].reduce(0, +))
            return predicted + actual == 0 ? 0 : 2 * truePositive / (predicted + actual)
        }
    }

    /// The unweighted mean F1 over the classes that occur among the labels or the predictions (as
    /// scikit-learn's `f1_score(average="macro")` with `zero_division=0`).
    public var macroF1: Double {
        let present = confusion.indices.filter { c in confusion[c].reduce(0, +) > 0 || confusion.contains { $0[c] > 0 } }
        guard !present.isEmpty else { return 0 }
        let scores = f1
        return present.reduce(0) { $0 + scores[$1] } / Double(present.count)
    }
}
