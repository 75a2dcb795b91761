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
            Configurations: \(CharRNNBenchmark.configurations.map(\.name).joined(separator: ", ")) (character \
            models), \(Seq2SeqBenchmark.configurations.map(\.name).joined(separator: ", ")) (encoder-decoder: \
            training, greedy and beam-5 decoding), \(TaskBenchmark.configurations.map(\.name).joined(separator: ", ")) \
            (the README's classification, tagging and forecasting runs: training, then inference). A character \
            model trains on random tokens (vocabulary 65, Adam, clip 5) for --seconds, then samples at batch 1 \
            for half that. GFLOP/s = 6 x (parameters without the embedding) x tokens/s, as in the PyTorch reference; \
            "of peak" divides it by the best sgemm rate measured at the start.
            """)

    @Option(help: "Comma-separated configuration names (default: all).") var only: String?
    @Option(help: "Seconds of training per configuration.") var seconds: Double = 8
    @OptionGroup var compute: ComputeOptions
    @Flag(help: "One JSON line per configuration, with the reference script's keys.") var json = false
    @Flag(help: "Under mpirun: data-parallel training of the character shapes, each rank --batch streams; prints the all-reduce time per step and the scaling efficiency against one process (rank 0 alone, first).")
    var distributed = false

    func run() throws {
        guard seconds.isFinite && seconds > 0 && seconds <= 3600 else {
            throw UserError("--seconds: must be a number in (0, 3600], got \(seconds)")
        }
        try compute.apply()
        var chosen = CharRNNBenchmark.configurations
        var chosenSeq2Seq = Seq2SeqBenchmark.configurations
        var chosenTasks = TaskBenchmark.configurations
        if let only {
            let names = only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let all = chosen.map(\.name) + chosenSeq2Seq.map(\.name) + chosenTasks.map(\.name)
            if let unknown = names.first(where: { !all.contains($0) }) {
                throw UserError("--only: unknown configuration '\(unknown)'; choose from \(all.joined(separator: ", "))")
            }
            guard !names.isEmpty else { throw UserError("--only: expected at least one configuration name") }
            chosen = chosen.filter { names.contains($0.name) }
            chosenSeq2Seq = chosenSeq2Seq.filter { names.contains($0.name) }
            chosenTasks = chosenTasks.filter { names.contains($0.name) }
        }
        if distributed {
            guard !chosen.isEmpty else {
                throw UserError("--distributed: measures the character shapes (\(CharRNNBenchmark.configurations.map(\.name).joined(separator: ", "))); --only chose none")
            }
            let group: ProcessGroup
            do {
                group = try ProcessGroup.start()
            } catch {
                throw UserError("--distributed: \(error); install Open MPI (apt-get install openmpi-bin) and start the ranks with mpirun -np N recur bench --distributed")
            }
            return runDistributed(chosen, group: group)
        }

        defer {
            runSeq2Seq(chosenSeq2Seq)
            runTasks(chosenTasks)
        }
        guard !chosen.isEmpty else { return }
        let peak = CharRNNBenchmark.measureGEMMPeak(seconds: min(1, seconds / 4))
        let peakGFLOPS = max(peak.stepShape, peak.large)
        let header = [
            String(format: "recur bench: %d compute threads; run-time kernels %@; %@ products; sgemm peak %.1f GFLOP/s (64x2048x512 %.1f, 1024^3 %.1f); %@",
                   ComputeThreads.current, InstructionSet.active.rawValue, compute.precision.rawValue, peakGFLOPS, peak.stepShape, peak.large,
                   CharRNNBenchmark.recurrentProducts(bfloat16: compute.engine == .bfloat16)),
            "config            train tok/s   GFLOP/s  of peak  sample chars/s  peak MiB",
        ]
        runEach(chosen, header: header, run: { CharRNNBenchmark.run($0, seconds: seconds, engine: compute.engine) },
                line: { result, peakMiB in BenchLine(result, peakMiB: peakMiB, sgemmPeak: peakGFLOPS, threads: ComputeThreads.current,
                                                               precision: compute.precision.rawValue) },
                row: { result, peakMiB in
                    String(format: "%11.0f %9.1f %7.0f%% %15.0f %9.0f", result.trainTokensPerSecond, result.trainGFLOPS,
                           100 * result.trainGFLOPS / peakGFLOPS, result.sampleCharactersPerSecond, peakMiB)
                })
    }

    /// Runs each configuration (its peak memory counted from its start) and prints one `--json` line,
    /// or one table row after `header`, for it.
    func runEach<Configuration: Named, Result, Line: Encodable>(
        _ configurations: [Configuration], header: [String], run: (Configuration) -> Result,
        line: (Result, _ peakMiB: Double) -> Line, row: (Result, _ peakMiB: Double) -> String
    ) {
        guard !configurations.isEmpty else { return }
        if !json { header.forEach { print($0) } }
        for configuration in configurations {
            ProcessMemory.resetPeak()
            let result = run(configuration)
            let peakMiB = Double(ProcessMemory.peakBytes) / 1_048_576
            print(json ? (try? jsonLine(line(result, peakMiB))) ?? "{}"
                       : configuration.name.padding(toLength: 16, withPad: " ", startingAt: 0) + " " + row(result, peakMiB))
            fflush(stdout)
        }
    }

    /// The line the encoder-decoder and task shapes' tables start with.
    var kernelsHeader: String {
        "recur bench: \(ComputeThreads.current) compute threads; run-time kernels \(InstructionSet.active.rawValue); \(compute.precision.rawValue) products"
    }
}

/// A benchmark configuration: its name starts its table row.
protocol Named { var name: String { get } }
extension CharRNNBenchmark.Configuration: Named {}
extension Seq2SeqBenchmark.Configuration: Named {}
extension TaskBenchmark.Configuration: Named {}

extension BenchCommand {
    /// The encoder-decoder shapes: training target tokens/s, greedy and beam-5 decoding sentences/s.
    func runSeq2Seq(_ configurations: [Seq2SeqBenchmark.Configuration]) {
        let header = [kernelsHeader, "config            train tok/s  greedy sent/s  beam-5 sent/s  peak MiB"]
        runEach(configurations, header: header, run: { Seq2SeqBenchmark.run($0, seconds: seconds, engine: compute.engine) },
                line: { result, peakMiB in
                    let c = result.configuration
                    return Seq2SeqBenchLine(
                        name: c.name, cell: c.cell.rawValue, hidden: c.hidden, embedding: c.embedding, attention: c.attention.rawValue,
                        batch: c.batch, source_length: c.sourceLength, target_length: c.targetLength, params: result.parameters,
                        train_tokens_per_s: Int(result.trainTokensPerSecond.rounded()),
                        greedy_sentences_per_s: Int(result.greedySentencesPerSecond.rounded()),
                        beam5_sentences_per_s: Int(result.beamSentencesPerSecond.rounded()), peak_rss_mib: Int(peakMiB.rounded()),
                        threads: ComputeThreads.current, precision: compute.precision.rawValue)
                },
                row: { result, peakMiB in
                    String(format: "%11.0f %14.0f %14.0f %9.0f", result.trainTokensPerSecond, result.greedySentencesPerSecond,
                           result.beamSentencesPerSecond, peakMiB)
                })
    }
}

extension BenchCommand {
    /// The classifier, tagger and forecaster shapes: training input steps/s, inference sequences/s.
    func runTasks(_ configurations: [TaskBenchmark.Configuration]) {
        let header = [kernelsHeader, "config            train tok/s   infer seq/s  peak MiB"]
        runEach(configurations, header: header, run: { TaskBenchmark.run($0, seconds: seconds, engine: compute.engine) },
                line: { result, peakMiB in
                    let c = result.configuration
                    return TaskBenchLine(
                        name: c.name, task: c.kind.rawValue, cell: c.cell.rawValue, hidden: c.hidden, bidirectional: c.bidirectional,
                        batch: c.batch, steps: c.steps, params: result.parameters,
                        train_tokens_per_s: Int(result.trainTokensPerSecond.rounded()),
                        infer_sequences_per_s: Int(result.inferSequencesPerSecond.rounded()), peak_rss_mib: Int(peakMiB.rounded()),
                        threads: ComputeThreads.current, precision: compute.precision.rawValue)
                },
                row: { result, peakMiB in
                    String(format: "%11.0f %13.0f %9.0f", result.trainTokensPerSecond, result.inferSequencesPerSecond, peakMiB)
                })
    }
}

/// One `--json` line of a classifier, tagger or forecaster shape (the keys of
/// scripts/bench_tasks_pytorch.py).
struct TaskBenchLine: Encodable {
    var name, task, cell: String
    var hidden: Int
    var bidirectional: Bool
    var batch, steps, params: Int
    var train_tokens_per_s, infer_sequences_per_s, peak_rss_mib, threads: Int
    /// The run-time kernels' instruction set.
    var isa = InstructionSet.active.rawValue
    /// The products' precision: fp32 or bf16 (the PyTorch reference's key).
    var precision = "fp32"
}

/// One `--json` line of an encoder-decoder shape (the keys of scripts/bench_seq2seq_pytorch.py).
struct Seq2SeqBenchLine: Encodable {
    var name, cell: String
    var hidden, embedding: Int
    var attention: String
    var batch, source_length, target_length, params: Int
    var train_tokens_per_s, greedy_sentences_per_s, beam5_sentences_per_s, peak_rss_mib, threads: Int
    /// The run-time kernels' instruction set.
    var isa = InstructionSet.active.rawValue
    /// The products' precision: fp32 or bf16 (the PyTorch reference's key).
    var precision = "fp32"
}

/// One `--json` line: the PyTorch reference's keys, plus the share of the sgemm peak.
struct BenchLine: Encodable {
    var name: String
    var cell: String
    var embedding, hidden, layers, batch, seq: Int
    var params_without_embedding: Int
    var train_tokens_per_s: Int
    var sample_chars_per_s: Int
    var train_gflops: Double
    var peak_rss_mib: Int
    var peak_fraction: Double
    var sgemm_peak_gflops: Double
    var threads: Int
    /// The run-time kernels' instruction set.
    var isa = InstructionSet.active.rawValue
    /// The products' precision: fp32 or bf16 (the PyTorch reference's key).
    var precision = "fp32"

    init(_ result: CharRNNBenchmark.Result, peakMiB: Double, sgemmPeak: Double, threads: Int, precision: String) {
        let c = result.configuration
        func rounded(_ x: Double, _ digits: Double) -> Double { (x * digits).rounded() / digits }
        name = c.name
        cell = c.cell.rawValue
        (embedding, hidden, layers, batch, seq) = (c.embedding, c.hidden, c.layers, c.batch, c.steps)
        params_without_embedding = result.parametersWithoutEmbedding
        train_tokens_per_s = Int(result.trainTokensPerSecond.rounded())
        sample_chars_per_s = Int(result.sampleCharactersPerSecond.rounded())
        train_gflops = rounded(result.trainGFLOPS, 10)
        peak_rss_mib = Int(peakMiB.rounded())
        peak_fraction = rounded(result.trainGFLOPS / sgemmPeak, 1000)
        sgemm_peak_gflops = rounded(sgemmPeak, 10)
        self.threads = threads
        self.precision = precision
    }
}

extension BenchCommand {
    /// Each shape first in rank 0 alone (the others wait), then in every rank together; rank 0 prints.
    func runDistributed(_ configurations: [CharRNNBenchmark.Configuration], group: ProcessGroup) {
        if group.isLeader && !json {
            print("recur bench --distributed: \(group.size) ranks x \(ComputeThreads.current) compute threads; \(compute.precision.rawValue) products")
            print("config            ranks  one process tok/s  all ranks tok/s  efficiency  step ms  all-reduce ms (share)  MB  alone ms  GB/s")
        }
        for c in configurations {
            let single = group.isLeader ? DistributedBenchmark.run(c, seconds: seconds, group: nil, engine: compute.engine) : nil
            group.barrier()
            let all = DistributedBenchmark.run(c, seconds: seconds, group: group, engine: compute.engine)
            guard let single else { continue }
            let efficiency = all.trainTokensPerSecond / (Double(group.size) * single.trainTokensPerSecond)
            let megabytes = Double(4 * all.parameters) / 1e6
            if json {
                let line = DistributedBenchLine(
                    name: c.name, ranks: group.size, threads: ComputeThreads.current, params: all.parameters,
                    single_tokens_per_s: Int(single.trainTokensPerSecond.rounded()), train_tokens_per_s: Int(all.trainTokensPerSecond.rounded()),
                    efficiency: (efficiency * 1000).rounded() / 1000, step_ms: (all.stepSeconds * 1e5).rounded() / 100,
                    allreduce_ms: (all.allReduceSeconds * 1e5).rounded() / 100, allreduce_mb: (megabytes * 100).rounded() / 100,
                    transfer_ms: (all.transferSeconds * 1e5).rounded() / 100,
                    precision: compute.precision.rawValue)
                print((try? jsonLine(line)) ?? "{}")
            } else {
                print(c.name.padding(toLength: 16, withPad: " ", startingAt: 0)
                      + String(format: " %6d %18.0f %16.0f %10.0f%% %8.1f %12.2f (%4.1f%%) %5.1f %9.2f %5.2f", group.size, single.trainTokensPerSecond,
                               all.trainTokensPerSecond, 100 * efficiency, 1000 * all.stepSeconds, 1000 * all.allReduceSeconds,
                               100 * all.allReduceSeconds / all.stepSeconds, megabytes, 1000 * all.transferSeconds,
                               megabytes / 1000 / max(all.transferSeconds, 1e-9)))
            }
            fflush(stdout)
        }
        group.barrier()
        group.finish()
    }
}

/// One `--json` line of `recur bench --distributed`.
struct DistributedBenchLine: Encodable {
    var name: String
    var ranks, threads, params, single_tokens_per_s, train_tokens_per_s: Int
    var efficiency, step_ms, allreduce_ms, allreduce_mb: Double
    /// One all-reduce of the gradients alone, the ranks started together.
    var transfer_ms: Double
    var precision: String
}
