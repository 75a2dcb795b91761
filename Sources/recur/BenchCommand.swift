import ArgumentParser
import Foundation
import Recur

/// `recur bench`: training and sampling speed on the five reference shapes, with the GEMM peak of the
/// same machine measured first, in the same run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training tokens/s, GFLOP/s, sampling chars/s and peak memory on reference shapes.",
        discussion: """
            Configurations: \(CharRNNBenchmark.configurations.map(\.name).joined(separator: ", ")). Each trains \
            on random tokens (vocabulary 65, Adam, clip 5) for --seconds, then samples at batch 1 for half \
            that. GFLOP/s = 6 x (parameters without the embedding) x tokens/s, as in the PyTorch reference; \
            "of peak" divides it by the best sgemm rate measured at the start.
            """)

    @Option(help: "Comma-separated configuration names (default: all).") var only: String?
    @Option(help: "Seconds of training per configuration.") var seconds: Double = 8
    @Option(help: "Compute threads (default: what the engine picks, normally one per core).") var threads: Int?
    @Flag(help: "One JSON line per configuration, with the reference script's keys.") var json = false

    func run() throws {
        guard seconds.isFinite && seconds > 0 && seconds <= 3600 else {
            throw UserError("--seconds: must be a number in (0, 3600], got \(seconds)")
        }
        if let threads {
            guard threads > 0 && threads <= 1024 else { throw UserError("--threads: must be in 1...1024, got \(threads)") }
            ComputeThreads.set(threads)
        }
        var chosen = CharRNNBenchmark.configurations
        if let only {
            let names = only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let known = Set(chosen.map(\.name))
            if let unknown = names.first(where: { !known.contains($0) }) {
                throw UserError("--only: unknown configuration '\(unknown)'; choose from \(chosen.map(\.name).joined(separator: ", "))")
            }
            guard !names.isEmpty else { throw UserError("--only: expected at least one configuration name") }
            chosen = chosen.filter { names.contains($0.name) }
        }

        let peak = CharRNNBenchmark.measureGEMMPeak(seconds: min(1, seconds / 4))
        let peakGFLOPS = max(peak.stepShape, peak.large)
        if !json {
            print(String(format: "recur bench: %d compute threads; sgemm peak %.1f GFLOP/s (64x2048x512 %.1f, 1024^3 %.1f)",
                         ComputeThreads.current, peakGFLOPS, peak.stepShape, peak.large))
            print("config            train tok/s   GFLOP/s  of peak  sample chars/s  peak MiB")
        }
        for configuration in chosen {
            ProcessMemory.resetPeak()
            let result = CharRNNBenchmark.run(configuration, seconds: seconds)
            let peakMiB = Double(ProcessMemory.peakBytes) / 1_048_576
            let fraction = result.trainGFLOPS / peakGFLOPS
            if json {
                let c = result.configuration
                let fields: [(String, String)] = [
                    ("name", "\"\(c.name)\""), ("cell", "\"\(c.cell.rawValue)\""), ("embedding", "\(c.embedding)"),
                    ("hidden", "\(c.hidden)"), ("layers", "\(c.layers)"), ("batch", "\(c.batch)"), ("seq", "\(c.steps)"),
                    ("params_without_embedding", "\(result.parametersWithoutEmbedding)"),
                    ("train_tokens_per_s", "\(Int(result.trainTokensPerSecond.rounded()))"),
                    ("sample_chars_per_s", "\(Int(result.sampleCharactersPerSecond.rounded()))"),
                    ("train_gflops", String(format: "%.1f", result.trainGFLOPS)),
                    ("peak_rss_mib", "\(Int(peakMiB.rounded()))"),
                    ("peak_fraction", String(format: "%.3f", fraction)),
                    ("sgemm_peak_gflops", String(format: "%.1f", peakGFLOPS)),
                    ("threads", "\(ComputeThreads.current)"),
                ]
                print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
            } else {
                print(String(format: "%@ %11.0f %9.1f %7.0f%% %15.0f %9.0f",
                             configuration.name.padding(toLength: 16, withPad: " ", startingAt: 0),
                             result.trainTokensPerSecond, result.trainGFLOPS, 100 * fraction,
                             result.sampleCharactersPerSecond, peakMiB))
            }
            fflush(stdout)
        }
    }
}
