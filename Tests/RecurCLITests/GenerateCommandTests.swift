import Foundation
import Testing

/// `recur train --task lm` on JSON Lines (conditioned generation), `sample --condition` and `eval`
/// run as processes.
struct GenerateCommandTests {
    typealias CLI = CommandLineTests

    /// Words whose spelling follows from their condition: "up" lines are rising runs of a-f ("abc",
    /// "cdef"), "down" lines falling runs ("fed", "cba").
    static func lines(count: Int, seed: Int) -> String {
        var random = TestRandom(seed: seed)
        func next(_ n: Int) -> Int { random.next(n) }
        let letters = Array("abcdef")
        return (0..<count).map { _ in
            let up = next(2) == 0, length = 2 + next(3), start = up ? next(6 - length + 1) : length - 1 + next(6 - length + 1)
            let word = String((0..<length).map { letters[up ? start + $0 : start - $0] })
            return "{\"text\": \"\(word)\", \"condition\": \"\(up ? "up" : "down")\"}"
        }.joined(separator: "\n") + "\n"
    }

    static let small = ["--task", "lm", "--layers", "1", "--hidden", "24", "--embedding", "8", "--batch", "16", "--threads", "1",
                        "--lr", "0.02", "--dropout", "0"]

    @Test("train a conditioned generator, sample each condition, eval per condition, and beat the unconditioned model")
    func trainSampleEval() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let train = try ClassifyCommandTests.write(Self.lines(count: 400, seed: 1), "train.jsonl", in: work)
        let test = try ClassifyCommandTests.write(Self.lines(count: 100, seed: 2), "test.jsonl", in: work)
        let out = work.appendingPathComponent("run").path
        let run = try CLI.recur(["train", "--data", train, "--out", out, "--epochs", "12"] + Self.small)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("recur train: lm, lstm 1x24, 8 symbols (embedding 8), conditioned on 2 condition labels"), "\(run.stdout)")
        let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
        #expect(metrics.contains("\"val_loss\"") && metrics.contains("\"tokens_per_s\""))
        let inspect = try CLI.recur(["inspect", out + "/best.safetensors"])
        #expect(inspect.status == 0 && inspect.stdout.contains("conditioned on 2 labels (down, up)")
                && inspect.stdout.contains("condition.weight"), "\(inspect.stdout)")

        for (condition, ascending) in [("up", true), ("down", false)] {
            let sample = try CLI.recur(["sample", out + "/best.safetensors", "--condition", condition, "--count", "20", "--seed", "3",
                                        "--temperature", "0.5"])
            #expect(sample.status == 0, "\(sample.stderr)")
            let words = sample.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(words.count == 20, "\(sample.stdout)")
            // Most words run the condition's way.
            let following = words.filter { word in
                let s = Array(word.unicodeScalars).map(\.value)
                return s.count >= 2 && zip(s, s.dropFirst()).allSatisfy { ascending ? $1 == $0 + 1 : $1 + 1 == $0 }
            }
            #expect(following.count >= 16, "\(condition): \(words)")
        }

        let eval = try CLI.recur(["eval", out + "/best.safetensors", "--data", test, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect(object["task"] as? String == "lm" && object["sequences"] as? Int == 100)
        let perCondition = try #require(object["per_condition"] as? [String: [String: Any]])
        #expect(Set(perCondition.keys) == ["up", "down"])
        #expect(perCondition.values.reduce(0) { $0 + ($1["sequences"] as? Int ?? 0) } == 100)
        let conditioned = try #require(object["loss"] as? Double)
        let report = try CLI.recur(["eval", out + "/best.safetensors", "--data", test])
        #expect(report.status == 0 && report.stdout.contains("nats/symbol") && report.stdout.contains("  up "), "\(report.stdout)")

        // The same lines without their conditions: a worse held-out loss (the first letter is a guess).
        let plain = work.appendingPathComponent("plain").path
        let unconditioned = try CLI.recur(["train", "--data", train, "--out", plain, "--epochs", "12", "--unconditioned"] + Self.small)
        #expect(unconditioned.status == 0 && unconditioned.stdout.contains("unconditioned"), "\(unconditioned.stdout)\(unconditioned.stderr)")
        let plainEval = try CLI.recur(["eval", plain + "/best.safetensors", "--data", test, "--json"])
        let plainObject = try #require(try JSONSerialization.jsonObject(with: Data(plainEval.stdout.utf8)) as? [String: Any])
        let unconditionedLoss = try #require(plainObject["loss"] as? Double)
        #expect(conditioned < unconditionedLoss - 0.05, "conditioned \(conditioned) vs unconditioned \(unconditionedLoss)")
        let plainSample = try CLI.recur(["sample", plain + "/best.safetensors", "--count", "3", "--seed", "1"])
        #expect(plainSample.status == 0 && plainSample.stdout.split(separator: "\n").count == 3, "\(plainSample.stdout)")
    }

    @Test("numeric conditions, fed at every step too: train, sample with numbers, eval")
    func features() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let lines = (0..<120).map { i in "{\"text\": \"\(String(repeating: "x", count: 1 + i % 4))\", \"features\": [\(i % 4), \(Double(i) / 10)]}" }
        let train = try ClassifyCommandTests.write(lines.joined(separator: "\n") + "\n", "train.jsonl", in: work)
        let out = work.appendingPathComponent("run").path
        let run = try CLI.recur(["train", "--data", train, "--out", out, "--epochs", "3", "--condition-every-step"] + Self.small)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("conditioned on 2 condition features (also at every step)"), "\(run.stdout)")
        let sample = try CLI.recur(["sample", out + "/model.safetensors", "--condition", "2, 3.5", "--count", "2", "--seed", "1"])
        #expect(sample.status == 0, "\(sample.stderr)")
        let bad = try CLI.recur(["sample", out + "/model.safetensors", "--condition", "2", "--count", "2"])
        #expect(bad.status == 2 && bad.stderr.contains("the condition has 1 numbers, but the model takes 2"), "\(bad.stderr)")
        let word = try CLI.recur(["sample", out + "/model.safetensors", "--condition", "warm"])
        #expect(word.status == 2 && word.stderr.contains("is not a list of finite numbers"), "\(word.stderr)")
        let eval = try CLI.recur(["eval", out + "/model.safetensors", "--data", train, "--json"])
        #expect(eval.status == 0 && eval.stdout.contains("\"per_condition\":{}"), "\(eval.stdout)\(eval.stderr)")
    }

    @Test("a conditioned generator resumed from a periodic checkpoint after SIGKILL equals the uninterrupted run bit for bit")
    func exactResume() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let train = try ClassifyCommandTests.write(Self.lines(count: 300, seed: 3), "train.jsonl", in: work)
        let options = ["--data", train, "--checkpoint-every", "3", "--eval-every", "5", "--warmup", "3", "--dropout", "0.2",
                       "--layers", "2", "--condition-every-step", "--task", "lm", "--hidden", "24", "--embedding", "8", "--batch", "16",
                       "--threads", "1", "--lr", "0.02"]
        let (killed, target) = try TrainingCommandTests.expectKilledRunResumesExactly(options, in: work, holding: "condition.weight")
        // Resuming without the option it was trained with keeps it; resuming as unconditioned is refused.
        let changed = try CLI.recur(["train", "--out", killed.path, "--steps", String(target + 2), "--resume", "--unconditioned"] + options)
        #expect(changed.status != 0)
    }

    @Test("bad conditioned-generation input gets one error line naming file and line, and no --out folder", arguments: [
        ("{\"text\": \"ab\", \"condition\": \"x\"}\n{\"text\": \"\", \"condition\": \"y\"}\n", [String](), "data.jsonl:2: has an empty \"text\""),
        ("{\"text\": \"ab\", \"condition\": \"x\"}\n{\"text\": \"ba\"}\n", [], "data.jsonl:2: has no condition, but the first line has a \"condition\""),
        ("{\"text\": \"ab\", \"condition\": \"x\"}\n{\"text\": \"ba\", \"condition\": \"x\"}\n", [], "data.jsonl: has a single condition, 'x'"),
        ("{\"text\": \"ab\"}\n{\"text\": \"ba\"}\n", ["--condition-every-step"], "data.jsonl: has no \"condition\" or \"features\"; --condition-every-step needs them"),
        ("{\"text\": \"ab\"}\n", ["--seq-length", "5"], "--seq-length: applies to --task lm on a continuous text"),
        ("{\"text\": \"ab\"}\n", ["--pool", "mean"], "--pool: applies to --task classify or tag"),
        ("{\"text\": \"a\\u0002b\"}\n", [], "data.jsonl:1: has U+0002 at position 1"),
    ])
    func badInput(text: String, extra: [String], phrase: String) throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let data = try ClassifyCommandTests.write(text, "data.jsonl", in: work)
        let out = work.appendingPathComponent("run")
        try TrainingCommandTests.expectRefused(["--task", "lm", "--data", data, "--steps", "3", "--hidden", "8"] + extra, out: out, phrase: phrase)
    }

    @Test("a run whose longest sequence cannot fit in memory is refused before training, naming it")
    func tooLong() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let text = "{\"text\": \"\(String(repeating: "a", count: 3_000_000))\"}\n{\"text\": \"b\"}\n"
        let data = try ClassifyCommandTests.write(text, "long.jsonl", in: work)
        let out = work.appendingPathComponent("run")
        let run = try CLI.recur(["train", "--task", "lm", "--data", data, "--out", out.path, "--hidden", "4096", "--batch", "2"])
        #expect(run.status == 2 && run.stderr.contains("(batch 2 x longest sequence 3000001, 2 x 4096 lstm)"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test("sample and eval refuse a condition unseen in training (eval with file and line), and options that do not fit the model")
    func badConditions() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let train = try ClassifyCommandTests.write(Self.lines(count: 30, seed: 4), "train.jsonl", in: work)
        let out = work.appendingPathComponent("run").path
        #expect(try CLI.recur(["train", "--data", train, "--out", out, "--steps", "2"] + Self.small).status == 0)
        let model = out + "/model.safetensors"
        let unseen = try CLI.recur(["sample", model, "--condition", "sideways"])
        #expect(unseen.status == 2 && unseen.stderr == "error: --condition: \(model): the condition 'sideways' was not seen in training (the model's conditions: down, up)\n",
                "\(unseen.stderr)")
        let missing = try CLI.recur(["sample", model])
        #expect(missing.status == 2 && missing.stderr.contains("is a conditioned model; give --condition (one of down, up)"), "\(missing.stderr)")
        let data = try ClassifyCommandTests.write("{\"text\": \"abc\", \"condition\": \"up\"}\n{\"text\": \"cba\", \"condition\": \"left\"}\n", "e.jsonl", in: work)
        let eval = try CLI.recur(["eval", model, "--data", data])
        #expect(eval.status == 2 && eval.stderr.contains("e.jsonl:2: the condition 'left' was not seen in training"), "\(eval.stderr)")
        let text = try ClassifyCommandTests.write("abcabc\n", "plain.txt", in: work)
        let plainEval = try CLI.recur(["eval", model, "--data", text])
        #expect(plainEval.status == 2 && plainEval.stderr.hasPrefix("error: "), "\(plainEval.stderr)")
        // A model of a continuous text takes no --condition or --count.
        let textModel = work.appendingPathComponent("text").path
        let corpus = try ClassifyCommandTests.write(String(repeating: "abcdef ", count: 200), "corpus.txt", in: work)
        #expect(try CLI.recur(["train", "--data", corpus, "--out", textModel, "--steps", "1", "--hidden", "8", "--layers", "1",
                               "--batch", "2", "--seq-length", "8"]).status == 0)
        let condition = try CLI.recur(["sample", textModel + "/model.safetensors", "--condition", "up"])
        #expect(condition.status == 2 && condition.stderr.contains("is not a conditioned model"), "\(condition.stderr)")
        let count = try CLI.recur(["sample", textModel + "/model.safetensors", "--count", "2"])
        #expect(count.status == 2 && count.stderr.contains("--count: applies to a model of sequences"), "\(count.stderr)")
        let flag = try CLI.recur(["train", "--data", corpus, "--out", work.appendingPathComponent("x").path, "--unconditioned"])
        #expect(flag.status == 2 && flag.stderr.contains("--unconditioned: applies to --task lm on JSON Lines"), "\(flag.stderr)")
    }
}
