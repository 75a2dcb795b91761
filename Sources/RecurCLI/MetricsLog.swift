import Foundation
import Recur

/// `metrics.jsonl`: one JSON object a line, appended as training goes; and the history behind loss.svg.
struct MetricsLog {
    /// One line: the step, the training loss, the learning rate, the throughput (`tokens_per_s` or
    /// `examples_per_s`), the elapsed seconds, the gradient's global norm before clipping over the
    /// steps since the last line (`grad_norm` their mean, `grad_norm_max`; `clipped` the fraction of
    /// them whose norm passed --clip) and, at a validation, `val_loss` with the task's other figures
    /// (`val_bpc`, `val_accuracy`, `val_macro_f1`).
    struct Record: Codable {
        var step: Int
        var trainLoss: Double
        var lr: Double
        var tokensPerSecond: Double
        var elapsed: Double
        var validationLoss: Double? = nil
        /// The gradient norm over the interval: mean, largest, and the fraction of steps clipped (nil in
        /// files written before they were recorded).
        var gradientNorm: Double? = nil
        var gradientNormMax: Double? = nil
        var clipped: Double? = nil
        /// The other validation figures, by their key in the file (`val_bpc`, `val_accuracy`, ...).
        var validation: [String: Double] = [:]
        /// The throughput's key.
        var rateKey = "tokens_per_s"

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ string: String) { stringValue = string }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(step: Int, trainLoss: Double, lr: Double, tokensPerSecond: Double, elapsed: Double) {
            self.step = step
            self.trainLoss = trainLoss
            self.lr = lr
            self.tokensPerSecond = tokensPerSecond
            self.elapsed = elapsed
        }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            step = try c.decode(Int.self, forKey: Key("step"))
            trainLoss = try c.decode(Double.self, forKey: Key("train_loss"))
            lr = try c.decode(Double.self, forKey: Key("lr"))
            rateKey = c.contains(Key("examples_per_s")) ? "examples_per_s" : "tokens_per_s"
            tokensPerSecond = try c.decode(Double.self, forKey: Key(rateKey))
            elapsed = try c.decode(Double.self, forKey: Key("elapsed_s"))
            validationLoss = try c.decodeIfPresent(Double.self, forKey: Key("val_loss"))
            gradientNorm = try c.decodeIfPresent(Double.self, forKey: Key("grad_norm"))
            gradientNormMax = try c.decodeIfPresent(Double.self, forKey: Key("grad_norm_max"))
            clipped = try c.decodeIfPresent(Double.self, forKey: Key("clipped"))
            for key in c.allKeys where key.stringValue.hasPrefix("val_") && key.stringValue != "val_loss" {
                validation[key.stringValue] = try c.decode(Double.self, forKey: key)
            }
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(step, forKey: Key("step"))
            try c.encode(trainLoss, forKey: Key("train_loss"))
            try c.encode(lr, forKey: Key("lr"))
            try c.encode((tokensPerSecond * 10).rounded() / 10, forKey: Key(rateKey))
            try c.encode((elapsed * 1000).rounded() / 1000, forKey: Key("elapsed_s"))
            if let validationLoss { try c.encode(validationLoss, forKey: Key("val_loss")) }
            if let gradientNorm { try c.encode(gradientNorm, forKey: Key("grad_norm")) }
            if let gradientNormMax { try c.encode(gradientNormMax, forKey: Key("grad_norm_max")) }
            if let clipped { try c.encode(clipped, forKey: Key("clipped")) }
            for (key, value) in validation { try c.encode(value, forKey: Key(key)) }
        }
    }

    let url: URL
    private(set) var records: [Record] = []
    /// Seconds already spent by the run before this process (resume), added to `elapsed_s`.
    private(set) var elapsedOffset = 0.0

    /// Opens the log; when resuming, keeps the records up to `step` (later ones belong to work that
    /// was not saved) and rewrites the file with them.
    init(url: URL, keepingUpTo step: Int, resuming: Bool) throws {
        self.url = url
        if resuming, FileManager.default.fileExists(atPath: url.path) {
            records = try Self.read(url).filter { $0.step <= step }
            elapsedOffset = records.last?.elapsed ?? 0
        }
        try rewrite()
    }

    /// The records of a log; lines that do not parse (one cut short by a crash) are skipped.
    static func read(_ url: URL) throws -> [Record] { try JSONLinesFile.read(url) }

    mutating func append(_ record: Record) throws {
        records.append(record)
        try JSONLinesFile.append(record, to: url)
    }

    func drawPlot(to plot: URL) throws {
        let svg = LossPlot.svg(train: records.map { ($0.step, $0.trainLoss) },
                               validation: records.compactMap { r in r.validationLoss.map { (r.step, $0) } })
        do {
            try AtomicFile.write(Array(svg.utf8), to: plot)
        } catch {
            throw UserError("\(error)", kind: .ioError)
        }
    }

    private func rewrite() throws { try JSONLinesFile.rewrite(records, to: url) }
}
