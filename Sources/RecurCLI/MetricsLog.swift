import Foundation
import Recur

/// `metrics.jsonl`: one JSON object a line, appended as training goes; and the history behind loss.svg.
struct MetricsLog {
    struct Record: Codable {
        var step: Int
        var trainLoss: Double
        var lr: Double
        var tokensPerSecond: Double
        var elapsed: Double
        var validationLoss: Double? = nil

        enum CodingKeys: String, CodingKey {
            case step, lr
            case trainLoss = "train_loss"
            case tokensPerSecond = "tokens_per_s"
            case elapsed = "elapsed_s"
            case validationLoss = "val_loss"
            case validationBits = "val_bpc"
        }

        init(step: Int, trainLoss: Double, lr: Double, tokensPerSecond: Double, elapsed: Double) {
            self.step = step
            self.trainLoss = trainLoss
            self.lr = lr
            self.tokensPerSecond = tokensPerSecond
            self.elapsed = elapsed
        }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            step = try c.decode(Int.self, forKey: .step)
            trainLoss = try c.decode(Double.self, forKey: .trainLoss)
            lr = try c.decode(Double.self, forKey: .lr)
            tokensPerSecond = try c.decode(Double.self, forKey: .tokensPerSecond)
            elapsed = try c.decode(Double.self, forKey: .elapsed)
            validationLoss = try c.decodeIfPresent(Double.self, forKey: .validationLoss)
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(step, forKey: .step)
            try c.encode(trainLoss, forKey: .trainLoss)
            try c.encode(lr, forKey: .lr)
            try c.encode((tokensPerSecond * 10).rounded() / 10, forKey: .tokensPerSecond)
            try c.encode((elapsed * 1000).rounded() / 1000, forKey: .elapsed)
            if let validationLoss {
                try c.encode(validationLoss, forKey: .validationLoss)
                try c.encode(validationLoss / Foundation.log(2), forKey: .validationBits)
            }
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
        if resuming, let data = FileManager.default.contents(atPath: url.path) {
            let decoder = JSONDecoder()
            records = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
                try? decoder.decode(Record.self, from: Data($0.utf8))
            }.filter { $0.step <= step }
            elapsedOffset = records.last?.elapsed ?? 0
        }
        try rewrite()
    }

    mutating func append(_ record: Record) throws {
        records.append(record)
        let line = Data((Self.line(record) + "\n").utf8)
        guard let handle = FileHandle(forWritingAtPath: url.path) else {
            throw UserError("\(url.path): cannot be opened for writing; check the folder's permissions and free space", kind: .ioError)
        }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(line)
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

    private func rewrite() throws {
        let text = records.map { Self.line($0) + "\n" }.joined()
        do {
            try AtomicFile.write(Array(text.utf8), to: url)
        } catch {
            throw UserError("\(error)", kind: .ioError)
        }
    }

    private static func line(_ record: Record) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(record), as: UTF8.self)
    }
}
