import Foundation
import RecurCore
import Testing

/// `recur bench`: its JSON lines carry the reference script's keys with sane values, and bad options
/// are refused. (Speed itself is measured by the bench, never asserted here.)
struct BenchCommandTests {
    @Test("--json prints one line per chosen configuration with the reference's keys and parameter counts")
    func jsonLines() throws {
        let run = try CommandLineTests.recur(["bench", "--only", "small-lstm,charrnn-default", "--seconds", "0.2", "--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        // Parameters without the embedding, as the PyTorch reference counts them for these shapes.
        let expected: [(name: String, parameters: Int)] = [("small-lstm", 91_329), ("charrnn-default", 239_809)]
        for (line, (name, parameters)) in zip(lines, expected) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["name"] as? String == name)
            #expect(object["params_without_embedding"] as? Int == parameters)
            for key in ["train_tokens_per_s", "sample_chars_per_s", "train_gflops", "peak_rss_mib", "peak_fraction",
                        "sgemm_peak_gflops"] {
                let value = try #require(object[key] as? Double, "\(key) missing in \(line)")
                #expect(value > 0 && value.isFinite, "\(key) = \(value)")
            }
            let tokens = try #require(object["train_tokens_per_s"] as? Double)
            let gflops = try #require(object["train_gflops"] as? Double)
            #expect(abs(gflops - 6 * Double(parameters) * tokens / 1e9) <= 0.051 + 1e-3 * gflops)
        }
    }

    @Test("the task shapes print their JSON lines, with the parameter counts of their PyTorch twins")
    func taskShapes() throws {
        let run = try CommandLineTests.recur(["bench", "--only", "classify-gru,classify-lstm,tag-lstm,forecast-lstm", "--seconds", "0.05", "--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        // sum(p.numel() for p in model.parameters()) of scripts/bench_tasks_pytorch.py's models.
        let expected: [(name: String, task: String, parameters: Int)] = [
            ("classify-gru", "classify", 28_164), ("classify-lstm", "classify", 20_553), ("tag-lstm", "tag", 1_482_768),
            ("forecast-lstm", "forecast", 20_532),
        ]
        for (line, (name, task, parameters)) in zip(lines, expected) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["name"] as? String == name && object["task"] as? String == task, "\(line)")
            #expect(object["params"] as? Int == parameters, "\(line)")
            for key in ["train_tokens_per_s", "infer_sequences_per_s", "peak_rss_mib"] {
                let value = try #require(object[key] as? Double, "\(key) missing in \(line)")
                #expect(value > 0 && value.isFinite, "\(key) = \(value)")
            }
        }
    }

    @Test("the table names the sgemm peak, the run-time kernels' instruction set and every configuration")
    func table() throws {
        let run = try CommandLineTests.recur(["bench", "--only", "small-lstm", "--seconds", "0.1"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("sgemm peak") && run.stdout.contains("small-lstm"))
        let widest = InstructionSet.allCases.last { $0.isSupported }!
        #expect(run.stdout.contains("run-time kernels \(widest.rawValue);"), "\(run.stdout)")
        // How W_hh is multiplied, as the layers decide it: packed once per loop only where that spares work.
        let probe = PackedProduct(m: 64, n: 2048, k: 512, lda: 512, ldc: 2048, strideK: 1, strideN: 512)
        let packed = probe?.sparesWorkPerCall ?? false
        #expect(run.stdout.contains(packed ? "; W_hh packed once per loop (" : "; W_hh by gemm at every step ("), "\(run.stdout)")
    }

    @Test("RECUR_ISA forces the run-time kernels' instruction set; one the CPU lacks, or no such set, is one error line")
    func instructionSetOverride() throws {
        let forced = try CommandLineTests.recur(["bench", "--only", "seq2seq-gru", "--seconds", "0.1"], environment: ["RECUR_ISA": "baseline"])
        #expect(forced.status == 0 && forced.stdout.contains("run-time kernels baseline"), "\(forced.stdout)\(forced.stderr)")
        let unknown = try CommandLineTests.recur(["bench", "--seconds", "0.1"], environment: ["RECUR_ISA": "sse9"])
        #expect(unknown.status == 2 && unknown.stderr == "error: RECUR_ISA=sse9: not an instruction set; use baseline, avx2 or avx512\n", "\(unknown.stderr)")
        if let lacking = InstructionSet.allCases.first(where: { !$0.isSupported }) {
            let refused = try CommandLineTests.recur(["bench", "--seconds", "0.1"], environment: ["RECUR_ISA": lacking.rawValue])
            #expect(refused.status == 2 && refused.stderr.hasPrefix("error: RECUR_ISA=\(lacking.rawValue): this CPU lacks it"), "\(refused.stderr)")
        }
    }

    @Test("bad options get one error line and exit code 2", arguments: [
        (["bench", "--only", "huge-lstm"], "error: --only: unknown configuration 'huge-lstm'"),
        (["bench", "--only", ","], "error: --only: expected at least one configuration name"),
        (["bench", "--seconds", "0"], "error: --seconds: must be a number in (0, 3600]"),
        (["bench", "--seconds", "nan"], "error: --seconds: must be a number in (0, 3600]"),
        (["bench", "--threads", "0"], "error: --threads: must be in 1...1024"),
    ])
    func badOptions(arguments: [String], expected: String) throws {
        let run = try CommandLineTests.recur(arguments)
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix(expected), "stderr: \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
    }
}
