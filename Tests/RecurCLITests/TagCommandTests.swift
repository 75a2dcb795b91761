import Foundation
import Testing

/// `recur train --task tag`, `eval` and `predict` run as processes.
struct TagCommandTests {
    typealias CLI = CommandLineTests

    /// CoNLL sentences whose entity tags follow from the words: city names are B-LOC, "alice smith" is
    /// B-PER I-PER, every other word O.
    static func conll(count: Int, seed: Int) -> String {
        var random = TestRandom(seed: seed)
        func next(_ n: Int) -> Int { random.next(n) }
        let cities = ["paris", "rome", "oslo"], filler = ["the", "went", "to", "from", "and", "saw", "a"]
        return (0..<count).map { _ in
            var lines: [String] = []
            for _ in 0..<(2 + next(6)) {
                switch next(6) {
                case 0: lines.append("\(cities[next(3)])\tNN\tB-LOC")
                case 1: lines += ["alice\tNN\tB-PER", "smith\tNN\tI-PER"]
                default: lines.append("\(filler[next(filler.count)])\tXX\tO")
                }
            }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n\n") + "\n"
    }

    static let small = ["--task", "tag", "--hidden", "12", "--embedding", "6", "--batch", "8", "--threads", "1", "--lr", "0.02",
                        "--dropout", "0.1"]

    @Test("train a tagger on CoNLL, then eval (report and JSON with chunk F1) and predict")
    func trainEvalPredict() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let train = try ClassifyCommandTests.write(Self.conll(count: 150, seed: 1), "train.conll", in: work)
        let test = try ClassifyCommandTests.write(Self.conll(count: 40, seed: 2), "test.conll", in: work)
        let out = work.appendingPathComponent("run").path
        let run = try CLI.recur(["train", "--data", train, "--out", out, "--epochs", "8"] + Self.small)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("recur train: tag, lstm 1x12 bidirectional, 4 tags"), "\(run.stdout)")
        let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
        #expect(metrics.contains("\"val_chunk_f1\"") && metrics.contains("\"tokens_per_s\""))
        let eval = try CLI.recur(["eval", out + "/best.safetensors", "--data", test, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect(object["task"] as? String == "tag" && object["sequences"] as? Int == 40)
        #expect((object["tokens"] as? Int ?? 0) > 80 && object["loss"] is Double && object["macro_f1"] is Double)
        let accuracy = try #require(object["accuracy"] as? Double), chunk = try #require(object["chunk_f1"] as? Double)
        #expect(accuracy > 0.95 && chunk > 0.9, "accuracy \(accuracy), chunk F1 \(chunk)")
        let report = try CLI.recur(["eval", out + "/best.safetensors", "--data", test])
        #expect(report.status == 0 && report.stdout.contains("chunk F1") && report.stdout.contains("per tag F1"))

        let input = try ClassifyCommandTests.write("alice\nsmith\nwent\nto\nrome\n\nthe\n", "in.conll", in: work)
        let predict = try CLI.recur(["predict", out + "/best.safetensors", "--data", input])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stdout == "{\"tags\":[\"B-PER\",\"I-PER\",\"O\",\"O\",\"B-LOC\"]}\n{\"tags\":[\"O\"]}\n", "\(predict.stdout)")
    }

    @Test("a tagger of characters from JSON Lines text, and its predictions per character")
    func characters() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        // Tag each character as vowel (V) or not (C).
        let words = ["banana", "kiwi", "apple", "melon", "grape", "lime", "plum", "fig"]
        let lines = (0..<80).map { i -> String in
            let word = words[i % words.count] + words[(i * 3) % words.count]
            let tags = word.map { "aeiou".contains($0) ? "\"V\"" : "\"C\"" }.joined(separator: ", ")
            return "{\"text\": \"\(word)\", \"tags\": [\(tags)]}"
        }
        let train = try ClassifyCommandTests.write(lines.joined(separator: "\n") + "\n", "train.jsonl", in: work)
        let out = work.appendingPathComponent("run").path
        let run = try CLI.recur(["train", "--data", train, "--out", out, "--epochs", "15", "--tokens", "chars"] + Self.small)
        #expect(run.status == 0, "\(run.stderr)")
        let input = try ClassifyCommandTests.write("{\"text\": \"papaya\"}\n", "in.jsonl", in: work)
        let predict = try CLI.recur(["predict", out + "/best.safetensors", "--data", input])
        #expect(predict.stdout == "{\"tags\":[\"C\",\"V\",\"C\",\"V\",\"C\",\"V\"]}\n", "\(predict.stdout) \(predict.stderr)")
    }

    @Test("a tagger resumed from a periodic checkpoint after SIGKILL equals the uninterrupted run bit for bit")
    func exactResume() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let train = try ClassifyCommandTests.write(Self.conll(count: 120, seed: 3), "train.conll", in: work)
        let options = ["--data", train, "--checkpoint-every", "3", "--eval-every", "5", "--warmup", "3"] + Self.small
        try TrainingCommandTests.expectKilledRunResumesExactly(options, in: work)
    }

    @Test("bad tagging input gets one error line naming file and line, and no --out folder", arguments: [
        ("a\tX\nb\n", [String](), "data.conll:2: has 1 column; a line needs a token and a tag"),
        ("a\tX\n", [], "data.conll: has a single tag, 'X'; a tagger needs at least two"),
        ("a\tX\nb\tY\n", ["--pool", "mean"], "--pool: applies to --task classify"),
        ("a\tX\nb\tY\n", ["--tokens", "words"], "--tokens words: a tagger reads tokens as given"),
        ("a\tX\nb\tY\n", ["--format", "ts"], "--format ts: holds a label per series"),
    ])
    func badInput(text: String, extra: [String], phrase: String) throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let data = try ClassifyCommandTests.write(text, "data.conll", in: work)
        let out = work.appendingPathComponent("run")
        try TrainingCommandTests.expectRefused(["--task", "tag", "--data", data, "--steps", "3"] + extra, out: out, phrase: phrase)
    }

    @Test("eval refuses tokens and tags of different lengths and an unseen tag, with the line")
    func badEvaluationInput() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let train = try ClassifyCommandTests.write(Self.conll(count: 20, seed: 4), "train.conll", in: work)
        let out = work.appendingPathComponent("run").path
        #expect(try CLI.recur(["train", "--data", train, "--out", out, "--steps", "2"] + Self.small).status == 0)
        let unseen = try ClassifyCommandTests.write("alice\tB-PER\n\nrome\tB-CITY\n", "u.conll", in: work)
        let eval = try CLI.recur(["eval", out + "/model.safetensors", "--data", unseen])
        #expect(eval.status == 2 && eval.stderr.contains("u.conll:3: has the tag 'B-CITY', which the model does not know"), "\(eval.stderr)")
        let mismatch = try ClassifyCommandTests.write("{\"tokens\": [\"a\", \"b\"], \"tags\": [\"O\"]}\n", "m.jsonl", in: work)
        let eval2 = try CLI.recur(["eval", out + "/model.safetensors", "--data", mismatch])
        #expect(eval2.status == 2 && eval2.stderr.contains("m.jsonl:1: has 2 steps but 1 tags"), "\(eval2.stderr)")
    }
}
