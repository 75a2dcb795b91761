import Foundation
import Testing

/// `recur train --distributed` under `mpirun -np 2` (Open MPI, installed by scripts/install-dependencies)
/// against one process with both ranks' streams.
struct DistributedCommandTests {
    typealias CLI = CommandLineTests

    static let mpirunPath = ["/usr/bin/mpirun", "/usr/local/bin/mpirun", "/opt/homebrew/bin/mpirun"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// `mpirun ARGUMENTS` (Open MPI's, which must be installed), started.
    static func mpirun(_ arguments: [String]) throws -> CommandLineTests.Started {
        let path = try #require(mpirunPath, "Open MPI's mpirun is missing: scripts/install-dependencies installs it")
        return try CLI.start(arguments, executable: URL(fileURLWithPath: path))
    }

    /// `mpirun -np N --oversubscribe --allow-run-as-root recur ARGUMENTS`, started.
    static func ranks(_ count: Int, _ arguments: [String]) throws -> CommandLineTests.Started {
        let recur = try #require(CLI.executable)
        return try mpirun(["-np", String(count), "--oversubscribe", "--allow-run-as-root", recur.path] + arguments)
    }

    /// The `val_` figures of each validation record in a run's metrics.jsonl.
    static func validations(_ run: URL) throws -> [[String: Double]] {
        try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n").map {
            let object = try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            return object.filter { $0.key.hasPrefix("val_") }.compactMapValues { $0 as? Double }
        }
    }

    /// The weights of the runs in `parallel` and `single`: the same tensors, every weight within 5e-6.
    /// Returns `parallel`'s.
    @discardableResult
    static func expectSameWeights(_ parallel: URL, _ single: URL, _ label: String = "") throws -> [String: [Float]] {
        let a = try tensors(parallel.appendingPathComponent("model.safetensors"))
        let b = try tensors(single.appendingPathComponent("model.safetensors"))
        #expect(a.keys.sorted() == b.keys.sorted() && !a.isEmpty)
        let largest = largestDifference(a, b)
        #expect(largest <= 5e-6, "\(label)largest difference \(largest)")
        return a
    }

    /// The float32 tensors of a safetensors file, by name.
    static func tensors(_ url: URL) throws -> [String: [Float]] {
        try TrainingCommandTests.tensorBytes(url).mapValues { bytes in
            stride(from: 0, to: bytes.count, by: 4).map { i in
                Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
            }
        }
    }

    /// The largest difference between same-named tensors (infinity for a NaN or a missing tensor).
    static func largestDifference(_ a: [String: [Float]], _ b: [String: [Float]]) -> Float {
        a.map { name, values in
            guard let other = b[name], other.count == values.count else { return .infinity }
            return zip(values, other).map { abs($0 - $1).isNaN ? .infinity : abs($0 - $1) }.max() ?? 0
        }.max() ?? .infinity
    }

    static let shape = ["--hidden", "24", "--layers", "2", "--embedding", "8", "--seq-length", "16", "--eval-every", "10",
                        "--checkpoint-every", "10", "--threads", "1", "--seed", "3",
                        "--optimizer", "sgd", "--lr", "1"]  // SGD: a step moves with the gradient's scale (Adam would hide it)

    @Test("2 ranks x batch 3 equal one process with batch 6 after 20 steps (every weight within 5e-6); the validation shared; rank 0 alone writes the run")
    func twoRanksEqualOneProcess() throws {
        let (work, data) = try TrainingCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let parallel = work.appendingPathComponent("parallel"), single = work.appendingPathComponent("single")
        let ranks = try Self.ranks(2, ["train", "--data", data.path, "--out", parallel.path, "--batch", "3", "--steps", "20", "--distributed"]
                                   + Self.shape).finish()
        #expect(ranks.status == 0, "\(ranks.stdout)\(ranks.stderr)")
        let one = try CLI.recur(["train", "--data", data.path, "--out", single.path, "--batch", "6", "--steps", "20"] + Self.shape)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(ranks.stdout.components(separatedBy: "recur train:").count == 2, "one start line, from rank 0: \(ranks.stdout)")
        #expect(ranks.stdout.contains("batch 2 ranks x 3 x 16"), "\(ranks.stdout)")
        let a = try Self.expectSameWeights(parallel, single)
        // Different from a run on half the streams: the ranks really added each other's gradients.
        let half = work.appendingPathComponent("half")
        _ = try CLI.recur(["train", "--data", data.path, "--out", half.path, "--batch", "3", "--steps", "20"] + Self.shape)
        let c = try Self.tensors(half.appendingPathComponent("model.safetensors"))
        let fromHalf = Self.largestDifference(a, c)
        #expect(fromHalf > 20 * 5e-6, "only \(fromHalf) from a run on half the streams")
        // Rank 0's metrics: the single process's steps, each once, and the same validation, which the
        // ranks shared (each evaluated half the held-out streams).
        func validation(_ run: URL) throws -> [Double] { try Self.validations(run).map { try #require($0["val_loss"]) } }
        let (shared, whole) = (try validation(parallel), try validation(single))
        #expect(shared.count == 2 && whole.count == 2)
        #expect(zip(shared, whole).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(shared) vs \(whole)")
    }

    @Test("a classifier and a tagger: 2 ranks x batch 5 equal one process with batch 10 after 20 steps (every weight within 5e-6), the validation shared",
          arguments: ["classify", "tag"])
    func sequenceTaskRanksEqualOneProcess(task: String) throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        // 150 validation examples: three evaluation batches of 64, so that both ranks evaluate some.
        let data = task == "classify"
            ? try ClassifyCommandTests.write(ClassifyCommandTests.sentiment(count: 300, seed: 5), "train.jsonl", in: work)
            : try ClassifyCommandTests.write(TagCommandTests.conll(count: 300, seed: 5), "train.conll", in: work)
        let options = ["--task", task, "--data", data, "--hidden", "12", "--embedding", "6", "--threads", "1", "--optimizer", "sgd",
                       "--lr", "0.5", "--steps", "20", "--eval-every", "10", "--seed", "2", "--val-fraction", "0.5"]
            + (task == "classify" ? ["--tokens", "words", "--bidirectional", "--pool", "mean"] : [])
        let parallel = work.appendingPathComponent("parallel"), single = work.appendingPathComponent("single")
        let ranks = try Self.ranks(2, ["train", "--out", parallel.path, "--batch", "5", "--distributed"] + options).finish()
        #expect(ranks.status == 0, "\(ranks.stdout)\(ranks.stderr)")
        #expect(ranks.stdout.contains("batch 10 (2 ranks of 5)"), "\(ranks.stdout)")
        let one = try CLI.recur(["train", "--out", single.path, "--batch", "10"] + options)
        #expect(one.status == 0, "\(one.stderr)")
        let a = try Self.expectSameWeights(parallel, single)
        // The validation, shared among the ranks (each ran some of its batches), is the single process's.
        func validation(_ run: URL) throws -> [[Double]] {
            try Self.validations(run).map { [try #require($0["val_loss"]), try #require($0["val_accuracy"])] }
        }
        let (shared, whole) = (try validation(parallel), try validation(single))
        #expect(shared.count == 2 && whole.count == 2)
        #expect(zip(shared, whole).allSatisfy { abs($0[0] - $1[0]) <= 1e-5 && $0[1] == $1[1] }, "\(shared) vs \(whole)")
        let half = work.appendingPathComponent("half")
        _ = try CLI.recur(["train", "--out", half.path, "--batch", "5"] + options)
        let c = try Self.tensors(half.appendingPathComponent("model.safetensors"))
        let fromHalf = Self.largestDifference(a, c)
        #expect(fromHalf > 20 * 5e-6, "only \(fromHalf) from a run on half the examples")
    }

    @Test("an encoder-decoder, a generator of conditioned sequences and a forecaster: 2 ranks x batch 5 equal one process with batch 10 after 20 steps (every weight within 5e-6), the validation shared",
          arguments: ["seq2seq", "generate", "forecast"])
    func otherTasksRanksEqualOneProcess(task: String) throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let common = ["--threads", "1", "--optimizer", "sgd", "--lr", "0.5", "--steps", "20", "--eval-every", "10", "--seed", "2"]
        let options: [String]
        switch task {
        case "seq2seq":
            let data = try ClassifyCommandTests.write(Seq2SeqCommandTests.reversals(count: 300, seed: 3), "pairs.tsv", in: work)
            options = ["--task", "seq2seq", "--data", data, "--hidden", "16", "--embedding", "6", "--val-fraction", "0.5"]
        case "generate":
            let data = try ClassifyCommandTests.write(GenerateCommandTests.lines(count: 300, seed: 3), "lines.jsonl", in: work)
            options = ["--task", "lm", "--data", data, "--layers", "1", "--hidden", "16", "--embedding", "6", "--dropout", "0",
                       "--val-fraction", "0.5"]
        default:
            let data = try ClassifyCommandTests.write(ForecastCommandTests.monthly(rows: 200), "sales.csv", in: work)
            options = ["--task", "forecast", "--data", data, "--target", "sales", "--time", "month", "--context", "24", "--horizon", "6",
                       "--seasonal-period", "12", "--hidden", "16"]
        }
        let parallel = work.appendingPathComponent("parallel"), single = work.appendingPathComponent("single")
        let ranks = try Self.ranks(2, ["train", "--out", parallel.path, "--batch", "5", "--distributed"] + options + common).finish()
        #expect(ranks.status == 0, "\(ranks.stdout)\(ranks.stderr)")
        let one = try CLI.recur(["train", "--out", single.path, "--batch", "10"] + options + common)
        #expect(one.status == 0, "\(one.stderr)")
        try Self.expectSameWeights(parallel, single, "\(task): ")
        // The validation (shared among the ranks: 150 held-out sequences are three evaluation batches
        // of 64 for the encoder-decoder and the generator) is the single process's.
        let (shared, whole) = (try Self.validations(parallel), try Self.validations(single))
        #expect(shared.count == 2 && shared.allSatisfy { $0["val_loss"] != nil } && shared.map { $0.keys.sorted() } == whole.map { $0.keys.sorted() })
        #expect(zip(shared, whole).allSatisfy { a, b in a.allSatisfy { abs($0.value - (b[$0.key] ?? .infinity)) <= 1e-5 } },
                "\(task): \(shared) vs \(whole)")
    }

    @Test("ranks given different options: one error line from rank 0 naming the other rank, exit code 2, nothing written")
    func ranksDisagree() throws {
        let recur = try #require(CLI.executable)
        let (work, data) = try TrainingCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("run")
        let common = [recur.path, "train", "--data", data.path, "--out", out.path, "--batch", "2", "--steps", "5", "--distributed"] + Self.shape
        let run = try Self.mpirun(["--oversubscribe", "--allow-run-as-root", "-np", "1"] + common + ["--seed", "3", ":", "-np", "1"] + common
                                  + ["--seed", "4"]).finish()
        let errors = run.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(run.status == 2, "\(run.stderr)")
        #expect(errors == ["error: --distributed: rank 1 of 2 got other data or options than rank 0 (the text's checksum, the settings, --steps, --out and --precision must agree); start every rank with the same command"],
                "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    #if os(Linux)
    /// The process id of the rank `rank` of a run writing into `out` (from /proc).
    static func rankProcess(_ rank: Int, of out: URL) -> Int32? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry),
                  let command = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                  let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            let arguments = command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if arguments.contains(out.path) && arguments.contains("train") && !arguments[0].hasSuffix("mpirun")
                && variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }

    @Test("a rank killed mid-run: the job exits non-zero within seconds, one error line names the rank, the last checkpoint loads and --resume under mpirun continues exactly")
    func rankKilled() throws {
        let (work, data) = try TrainingCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("run")
        let started = try Self.ranks(2, ["train", "--data", data.path, "--out", out.path, "--batch", "2", "--steps", "1000000", "--distributed"]
                                     + Self.shape + ["--checkpoint-every", "5", "--eval-every", "1000"])
        let model = out.appendingPathComponent("model.safetensors")
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: model.path) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let victim = try #require(Self.rankProcess(1, of: out), "rank 1 not found")
        kill(victim, SIGKILL)
        let killed = Date()
        let run = started.finish()
        let seconds = Date().timeIntervalSince(killed)
        #expect(run.status != 0 && seconds < 10, "status \(run.status) after \(seconds) s")
        let errors = run.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errors.count == 1 && errors.first?.hasPrefix("error: --distributed: rank 1 (pid \(victim)) stopped; mpirun ended the job; the last checkpoint, \(model.path) at step ") == true,
                "\(run.stderr)")
        let inspect = try CLI.recur(["inspect", model.path])
        #expect(inspect.status == 0, "\(inspect.stderr)")

        // --resume under mpirun continues exactly: the same weights as a run that was never stopped.
        let line = String(errors.first ?? "")
        let saved = try #require(line.range(of: " at step ").flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) })
        let total = String(saved + 7)
        let common = ["--batch", "2", "--steps", total, "--distributed"] + Self.shape + ["--checkpoint-every", "5", "--eval-every", "1000"]
        let resumed = try Self.ranks(2, ["train", "--data", data.path, "--out", out.path, "--resume"] + common).finish()
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let straight = work.appendingPathComponent("straight")
        let reference = try Self.ranks(2, ["train", "--data", data.path, "--out", straight.path] + common).finish()
        #expect(reference.status == 0, "\(reference.stderr)")
        #expect(try TrainingCommandTests.tensorBytes(model) == TrainingCommandTests.tensorBytes(straight.appendingPathComponent("model.safetensors")),
                "resumed at step \(saved) to \(total): not the uninterrupted run's weights")
        // In one process, the run is refused: its batches are both ranks'.
        let alone = try CLI.recur(["train", "--data", data.path, "--out", out.path, "--resume", "--steps", String(saved + 20)] + Self.shape)
        #expect(alone.status == 2 && alone.stderr == "error: --resume: the run in \(out.path) was trained with 2 ranks; resume it with mpirun -np 2 ... --distributed\n",
                "\(alone.stderr)")
    }
    #endif

    @Test("recur bench --distributed under mpirun: rank 0 prints one JSON line per shape with the all-reduce time and the efficiency")
    func bench() throws {
        let run = try Self.ranks(2, ["bench", "--distributed", "--json", "--only", "small-lstm,classify-gru", "--seconds", "0.2",
                                     "--threads", "1"]).finish()
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 1, "\(run.stdout)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["name"] as? String == "small-lstm" && object["ranks"] as? Int == 2 && object["threads"] as? Int == 1)
        #expect(object["params"] as? Int == 93_409)  // 91,329 + the 65 x 32 embedding: the floats all-reduced
        let efficiency = try #require(object["efficiency"] as? Double), step = try #require(object["step_ms"] as? Double)
        let reduce = try #require(object["allreduce_ms"] as? Double)
        #expect(efficiency > 0 && efficiency < 3 && reduce > 0 && reduce < step, "\(object)")
        #expect((object["single_tokens_per_s"] as? Int ?? 0) > 0 && (object["train_tokens_per_s"] as? Int ?? 0) > 0)
    }

    @Test("recur bench --distributed refuses the shapes it does not measure with one error line")
    func refusals() throws {
        let bench = try CLI.recur(["bench", "--distributed", "--only", "classify-gru"])
        #expect(bench.status == 2 && bench.stderr.hasPrefix("error: --distributed: measures the character shapes"), "\(bench.stderr)")
    }
}
