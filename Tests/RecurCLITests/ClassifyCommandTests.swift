import Foundation
import Testing

/// `recur train --task classify`, `eval` and `predict` run as processes.
struct ClassifyCommandTests {
    typealias CLI = CommandLineTests

    /// A JSON Lines set whose label is whether "good" or "bad" occurs, with filler words around it.
    static func sentiment(count: Int, seed: Int) -> String {
        var random = TestRandom(seed: seed)
        func next(_ n: Int) -> Int { random.next(n) }
        let filler = ["the", "film", "was", "quite", "a", "plot", "and", "really"]
        return (0..<count).map { _ in
            let positive = next(2) == 0
            var words = (0..<(2 + next(6))).map { _ in filler[next(filler.count)] }
            words.insert(positive ? "good" : "bad", at: next(words.count + 1))
            return "{\"text\": \"\(words.joined(separator: " "))\", \"label\": \"\(positive ? "pos" : "neg")\"}"
        }.joined(separator: "\n") + "\n"
    }

    static func workspace() throws -> URL {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("recur-classify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        return work
    }

    static func write(_ text: String, _ name: String, in work: URL) throws -> String {
        let url = work.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    static let small = ["--task", "classify", "--hidden", "12", "--embedding", "6", "--batch", "8", "--threads", "1",
                        "--tokens", "words", "--bidirectional", "--pool", "mean", "--dropout", "0.2", "--lr", "0.02"]

    @Test("train a text classifier from JSON Lines, then eval (report and JSON) and predict")
    func trainEvalPredict() throws {
        let work = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let train = try Self.write(Self.sentiment(count: 160, seed: 1), "train.jsonl", in: work)
        let test = try Self.write(Self.sentiment(count: 40, seed: 2), "test.jsonl", in: work)
        let out = work.appendingPathComponent("run").path
        let run = try CLI.recur(["train", "--data", train, "--out", out, "--epochs", "12"] + Self.small)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("classify, lstm 1x12 bidirectional, mean pooling") && run.stdout.contains("2 classes"))
        for name in ["model.safetensors", "best.safetensors", "training.safetensors", "best-training.safetensors", "metrics.jsonl", "loss.svg"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "\(name)")
        }
        let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
        #expect(metrics.contains("\"val_accuracy\"") && metrics.contains("\"val_macro_f1\"") && metrics.contains("\"examples_per_s\""))

        let eval = try CLI.recur(["eval", out + "/best.safetensors", "--data", test, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect(object["task"] as? String == "classify" && object["examples"] as? Int == 40)
        let accuracy = try #require(object["accuracy"] as? Double)
        #expect(accuracy >= 0.9, "a word decides the label; accuracy \(accuracy)")
        #expect(object["macro_f1"] is Double && object["loss"] is Double)
        let confusion = try #require(object["confusion"] as? [String: [String: Int]])
        #expect(Set(confusion.keys) == ["neg", "pos"] && confusion.values.flatMap(\.values).reduce(0, +) == 40)
        let report = try CLI.recur(["eval", out + "/best.safetensors", "--data", test])
        #expect(report.status == 0 && report.stdout.contains("confusion matrix") && report.stdout.contains("macro-F1"))

        let inputs = try Self.write("{\"text\": \"a good film\"}\n{\"text\": \"the plot was bad\", \"label\": \"pos\"}\n", "in.jsonl", in: work)
        let predict = try CLI.recur(["predict", out + "/best.safetensors", "--data", inputs])
        #expect(predict.status == 0, "\(predict.stderr)")
        let lines = predict.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["label"] as? String == "pos")
        let probabilities = try #require(first["probabilities"] as? [String: Double])
        #expect(Set(probabilities.keys) == ["neg", "pos"] && abs(probabilities.values.reduce(0, +) - 1) < 1e-5)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["label"] as? String == "neg")
    }

    @Test("train on a .ts numeric set with --val and evaluate it")
    func timeSeries() throws {
        let work = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        // Rising or falling two-dimensional series of lengths 4-9.
        func file(_ count: Int, offset: Int) -> String {
            var lines = ["@problemName Slopes", "@univariate false", "@dimensions 2", "@equalLength false", "@classLabel true up down", "@data"]
            for i in 0..<count {
                let up = (i + offset) % 2 == 0, n = 4 + (i * 5 + offset) % 6
                let a = (0..<n).map { String(Double(up ? $0 : n - $0) * 0.5 + Double(i % 3)) }.joined(separator: ",")
                let b = (0..<n).map { String(Double(($0 * 7 + i) % 5) * 0.1) }.joined(separator: ",")
                lines.append("\(a):\(b):\(up ? "up" : "down")")
            }
            return lines.joined(separator: "\n") + "\n"
        }
        let train = try Self.write(file(48, offset: 0), "Slopes_TRAIN.ts", in: work)
        let test = try Self.write(file(20, offset: 1), "Slopes_TEST.ts", in: work)
        let out = work.appendingPathComponent("run").path
        let run = try CLI.recur(["train", "--task", "classify", "--data", train, "--val", test, "--out", out, "--epochs", "15",
                                 "--hidden", "10", "--batch", "8", "--cell", "gru", "--lr", "0.02", "--threads", "1",
                                 "--class-weights", "balanced"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("2 features") && run.stdout.contains("48 train / 20 validation"))
        let eval = try CLI.recur(["eval", out + "/best.safetensors", "--data", test, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        let accuracy = try #require(object["accuracy"] as? Double)
        #expect(accuracy >= 0.85, "accuracy \(accuracy)")
    }

    @Test("a classifier resumed from a periodic checkpoint after SIGKILL equals the uninterrupted run bit for bit (dropout, warm-up, step decay)")
    func exactResume() throws {
        let work = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let train = try Self.write(Self.sentiment(count: 120, seed: 3), "train.jsonl", in: work)
        let options = ["--data", train, "--checkpoint-every", "3", "--eval-every", "5", "--lr-schedule", "step", "--lr-step", "4", "--lr-gamma", "0.7", "--warmup", "4"]
            + Self.small
        let killed = work.appendingPathComponent("killed")
        let step = try TrainingCommandTests.killAfterCheckpoint(["--steps", "100000"] + options, out: killed, atLeast: 6)
        #expect(step >= 6 && step % 3 == 0, "step \(step)")
        let resumed = try CLI.recur(["train", "--out", killed.path, "--steps", "100000", "--resume"] + options + ["--patience", "1"])
        #expect(resumed.status == 2 && resumed.stderr.contains("--patience: the run was trained with 0, not 1"), "\(resumed.stderr)")
        let target = step + 7
        let continued = try CLI.recur(["train", "--out", killed.path, "--steps", String(target), "--resume"] + options)
        #expect(continued.status == 0, "\(continued.stderr)")
        #expect(continued.stdout.contains("resuming at step \(step) of \(target)"))
        let straight = work.appendingPathComponent("straight")
        #expect(try CLI.recur(["train", "--out", straight.path, "--steps", String(target)] + options).status == 0)
        for name in ["model.safetensors", "training.safetensors"] {
            let a = try TrainingCommandTests.tensorBytes(straight.appendingPathComponent(name))
            let b = try TrainingCommandTests.tensorBytes(killed.appendingPathComponent(name))
            #expect(a.count == b.count && a.count > 10)
            let differing = a.keys.filter { a[$0] != b[$0] }.sorted()
            #expect(differing.isEmpty, "\(name): \(differing)")
        }
    }
}

extension ClassifyCommandTests {
    @Test("bad classification input gets one error line, exit 2 (66 for a missing file), and no --out folder", arguments: [
        ("{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\" \"label\": \"y\"}\n", [String](), 2, ":2: is not valid JSON"),
        ("{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \"x\"}\n", [], 2, "has a single label, 'x'"),
        ("{\"text\": \"a\", \"label\": \"x\", \"extra\": 1}\n", [], 2, ":1: has an unexpected field 'extra'"),
        ("{\"sequence\": [[1, 2], [3]], \"label\": \"x\"}\n", [], 2, ":1: step 1 of \"sequence\" has 1 features"),
        ("{\"sequence\": [], \"label\": \"x\"}\n", [], 2, ":1: has an empty \"sequence\""),
        ("{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \"y\"}\n", ["--seq-length", "5"], 2, "--seq-length: applies to --task lm"),
        ("{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \"y\"}\n", ["--val", "/nonexistent/val.jsonl"], 66, "/nonexistent/val.jsonl: no such file"),
        ("{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \"y\"}\n", ["--pool", "median"], 64, "--pool"),
    ])
    func badInput(text: String, extra: [String], status: Int32, phrase: String) throws {
        let work = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let data = try Self.write(text, "data.jsonl", in: work)
        let out = work.appendingPathComponent("run")
        let run = try CLI.recur(["train", "--task", "classify", "--data", data, "--out", out.path, "--steps", "3"] + extra)
        #expect(run.status == status, "\(run.stderr)")
        #expect(run.stderr.hasPrefix("error: ") && run.stderr.contains(phrase), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "--out was created")
    }

    @Test("eval refuses an unknown label and a lying .ts header with the line; predict refuses a character model")
    func badEvaluationInput() throws {
        let work = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let train = try Self.write(Self.sentiment(count: 30, seed: 4), "train.jsonl", in: work)
        let out = work.appendingPathComponent("run").path
        #expect(try CLI.recur(["train", "--data", train, "--out", out, "--steps", "2"] + Self.small).status == 0)
        let unknown = try Self.write("{\"text\": \"good\", \"label\": \"pos\"}\n{\"text\": \"bad\", \"label\": \"meh\"}\n", "u.jsonl", in: work)
        let eval = try CLI.recur(["eval", out + "/model.safetensors", "--data", unknown])
        #expect(eval.status == 2 && eval.stderr.contains("u.jsonl:2: has the label 'meh', which the model does not know"), "\(eval.stderr)")
        let lying = try Self.write("@dimensions 2\n@classLabel true pos neg\n@data\n1,2:pos\n", "l.ts", in: work)
        let ts = try CLI.recur(["eval", out + "/model.safetensors", "--data", lying])
        #expect(ts.status == 2 && ts.stderr.contains("l.ts:4: has 1 dimensions, but the header says @dimensions 2"), "\(ts.stderr)")

        let text = try Self.write(String(repeating: "abcabcabd ", count: 60), "t.txt", in: work)
        let lm = work.appendingPathComponent("lm").path
        #expect(try CLI.recur(["train", "--data", text, "--out", lm, "--steps", "2", "--hidden", "8", "--batch", "2", "--seq-length", "8"]).status == 0)
        let predict = try CLI.recur(["predict", lm + "/model.safetensors", "--data", unknown])
        #expect(predict.status == 2 && predict.stderr.contains("is a 'lm' model") && predict.stderr.split(separator: "\n").count == 1)
        let lmOption = try CLI.recur(["train", "--data", text, "--out", lm + "2", "--steps", "2", "--pool", "max"])
        #expect(lmOption.status == 2 && lmOption.stderr.contains("--pool: applies to --task classify"))
    }
}

extension ClassifyCommandTests {
    @Test("--patience stops a run whose validation accuracy stops improving, saving its checkpoints; --lr-schedule plateau lowers the rate")
    func earlyStopping() throws {
        let work = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let train = try Self.write(Self.sentiment(count: 64, seed: 5), "train.jsonl", in: work)
        let out = work.appendingPathComponent("run").path
        // A learning rate too small to change any prediction: accuracy cannot improve after the first validation.
        let run = try CLI.recur(["train", "--data", train, "--out", out, "--steps", "200", "--eval-every", "2", "--patience", "3",
                                 "--lr", "1e-9", "--lr-schedule", "plateau", "--lr-patience", "0", "--lr-gamma", "0.5"] + Self.small.dropLast(2))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("early stopping: 3 validations without a better accuracy (best at step 2)"), "\(run.stdout)")
        #expect(run.stdout.contains("done: 8 steps"), "\(run.stdout)")
        #expect(TrainingCommandTests.savedStep(URL(fileURLWithPath: out + "/training.safetensors")) == 8)
        let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let rates = try metrics.map { line -> Double in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try #require(object["lr"] as? Double)
        }
        #expect(rates.count == 4 && rates[0] == 1e-9 && rates.last! < rates[0], "\(rates)")
    }
}
