import ArgumentParser
import Foundation
import Recur

/// `recur gradient-flow`: the vanishing gradient, measured for RNN, LSTM and GRU on the adding problem.
struct GradientFlowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradient-flow",
        abstract: "Measure how the gradient fades over time steps for RNN, LSTM and GRU, as an HTML page.",
        discussion: """
        Each cell is trained on the adding problem (sum the two marked numbers of a sequence; the answer \
        is read after the last step) at every --lengths, one after the other. The page plots, on a log \
        scale, the mean norm of dL/dh_t against the distance from h_t to the loss, at initialisation \
        (dashed) and after training, at --flow-length; and the accuracy (within 0.04 of the sum) each \
        cell reaches at each length. A table of the figures is printed too.
          recur gradient-flow --cell rnn,lstm,gru --lengths 10,25,50,100 --out flow.html
        """)

    @Option(parsing: .singleValue, help: "Cells to compare: rnn, lstm, gru; repeat or separate with commas. [default: rnn,lstm,gru]")
    var cell: [String] = []
    @Option(help: "Sequence lengths to train at, separated by commas.") var lengths: String = "10,25,50,100"
    @Option(name: .customLong("flow-length"), help: "The length whose gradient norms are plotted. [default: the longest of --lengths]")
    var flowLength: Int?
    @Option(help: "Hidden units of each cell.") var hidden: Int = 64
    @Option(help: "Training steps per cell and length.") var steps: Int = 1500
    @Option(help: "Sequences per step.") var batch: Int = 64
    @Option(help: "Adam's learning rate.") var lr: Double = 2e-3
    @Option(help: "Clip the gradient's global norm at this value (0: no clipping).") var clip: Double = 1
    @Option(help: "Random seed (weights and data).") var seed: UInt64 = 1
    @Option(help: "The page to write (.html).") var out: String
    @OptionGroup var compute: ComputeOptions

    func cells() throws -> [CellKind] {
        let names = cell.isEmpty ? ["rnn", "lstm", "gru"] : cell.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() } }
        var kinds: [CellKind] = []
        for name in names {
            let kind: CellKind
            switch name {
            case "rnn", "rnn_tanh", "tanh": kind = .rnnTanh
            case "rnn_relu", "relu": kind = .rnnReLU
            case "lstm": kind = .lstm
            case "gru": kind = .gru
            default: throw UserError("--cell: unknown cell '\(name)'; use rnn, lstm or gru")
            }
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        guard !kinds.isEmpty else { throw UserError("--cell: give at least one of rnn, lstm, gru") }
        return kinds
    }

    func run() throws {
        try compute.apply()
        try HTMLPage.checkExtension(out, option: "--out", ["html", "htm"])
        let kinds = try cells()
        let parsed = lengths.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil && $0! >= 2 && $0! <= 10_000 }) else {
            throw UserError("--lengths: expected integers in 2...10000 separated by commas, got '\(lengths)'")
        }
        let lengthList = Array(Set(parsed.map { $0! })).sorted()
        let shownLength = flowLength ?? lengthList.last!
        guard lengthList.contains(shownLength) else {
            throw UserError("--flow-length: \(shownLength) is not one of --lengths \(lengthList.map(String.init).joined(separator: ","))")
        }
        guard hidden >= 1 && hidden <= 4096 else { throw UserError("--hidden: must be in 1...4096, got \(hidden)") }
        guard steps >= 0 && steps <= 10_000_000 else { throw UserError("--steps: must be in 0...10000000, got \(steps)") }
        guard batch >= 1 && batch <= 100_000 else { throw UserError("--batch: must be in 1...100000, got \(batch)") }
        guard lr.isFinite && lr > 0 && lr <= 10 else { throw UserError("--lr: must be a number in (0, 10], got \(lr)") }
        guard clip.isFinite && clip >= 0 else { throw UserError("--clip: must be 0 (off) or a positive number, got \(clip)") }
        // Checked before hours of training: the page's folder must exist.
        let folder = URL(fileURLWithPath: out).deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UserError("--out \(out): the folder \(folder.path) does not exist", kind: .missingInput)
        }

        var results: [GradientFlowExperiment] = []
        func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
        print("cell      length  accuracy  mse       |dL/dh_0|/|dL/dh_T-1| at init  trained    seconds")
        for kind in kinds {
            for length in lengthList {
                var settings = GradientFlowExperiment.Settings(cell: kind, length: length)
                settings.hiddenSize = hidden
                settings.steps = steps
                settings.batch = batch
                settings.learningRate = lr
                settings.clipNorm = clip > 0 ? clip : nil
                settings.seed = seed
                let result = GradientFlowExperiment(settings)
                results.append(result)
                print(pad(Self.name(kind), 9) + String(format: " %6d  %8.3f  %-8.5f  ", length, result.accuracy, result.meanSquaredError)
                      + pad(Self.ratio(result.initialNorms), 31) + pad(Self.ratio(result.trainedNorms), 10) + String(format: " %6.1f", result.seconds))
                fflush(stdout)
            }
        }
        let page = try GradientFlowPage.html(results: results, flowLength: shownLength, settingsText: settingsText(kinds, lengthList))
        try HTMLPage.write(page, to: out, option: "--out")
        print("wrote \(out)")
    }

    func settingsText(_ kinds: [CellKind], _ lengthList: [Int]) -> String {
        "cells \(kinds.map(Self.name).joined(separator: ", ")); lengths \(lengthList.map(String.init).joined(separator: ", ")); hidden \(hidden); "
            + "\(steps) steps of \(batch) sequences; Adam lr \(lr); \(clip > 0 ? "clip \(clip)" : "no clipping"); seed \(seed)"
    }

    static func name(_ kind: CellKind) -> String {
        switch kind {
        case .rnnTanh: "rnn"
        case .rnnReLU: "rnn_relu"
        case .lstm: "lstm"
        case .gru: "gru"
        }
    }

    /// ||dL/dh_0|| / ||dL/dh_{T-1}||: how much of the gradient at the loss reaches the first step.
    static func ratio(_ norms: [Double]) -> String {
        guard let first = norms.first, let last = norms.last, last > 0 else { return "-" }
        return String(format: "%.3e", first / last)
    }
}
