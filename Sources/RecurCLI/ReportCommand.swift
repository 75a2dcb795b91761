import ArgumentParser
import Foundation
import Recur

/// `recur report`: a training run's folder as one self-contained HTML page.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw a training run (its folder from recur train --out) as one self-contained HTML page.",
        discussion: """
        Loss and validation curves, the learning rate, the throughput, the gradient norm before clipping \
        and how often --clip fired, all zoomable (drag across a chart; double-click to reset); the \
        run's settings; and, for a character model, the sample it wrote at each checkpoint.
          recur report runs/shakespeare --out report.html
        """)

    @Argument(help: "The run's folder (what recur train --out named).") var folder: String
    @Option(help: "The page to write (.html).") var out: String

    func run() throws {
        try HTMLPage.checkExtension(out, option: "--out", ["html", "htm"])
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else {
            throw UserError("\(folder): no such folder; give the folder recur train --out wrote", kind: .missingInput)
        }
        guard isDirectory.boolValue else {
            throw UserError("\(folder): is a file; give the run's folder (the one holding metrics.jsonl), not a checkpoint")
        }
        let files = RunFiles(folder: URL(fileURLWithPath: folder))
        guard FileManager.default.fileExists(atPath: files.metrics.path) else {
            throw UserError("\(folder): holds no metrics.jsonl; give a folder written by recur train --out", kind: .missingInput)
        }
        let records = try MetricsLog.read(files.metrics)
        guard !records.isEmpty else {
            throw UserError("\(files.metrics.path): has no records yet (training writes one every 10 steps)")
        }
        var metadata: [String: String] = [:]
        let checkpoint = FileManager.default.fileExists(atPath: files.model.path) ? files.model : files.best
        if FileManager.default.fileExists(atPath: checkpoint.path) {
            metadata = try readCheckpointFile(checkpoint.path).metadata
        }
        let page = try RunReportPage.html(title: folder, records: records, metadata: metadata, samples: SampleLog.read(files.samples))
        try HTMLPage.write(page, to: out, option: "--out")
        print("wrote \(out)")
    }
}
