import Foundation
import Testing

/// `recur viz`, `recur report` and `recur gradient-flow` run as processes: the pages' data checked
/// against what the run wrote, and bad input refused with one line. (scripts/browser-test opens the
/// pages in headless Chromium.)
struct PageCommandTests {
    typealias CLI = CommandLineTests

    /// The JSON block a page carries (`<script type="application/json" id="data">`).
    static func pageData(_ path: String) throws -> [String: Any] {
        let html = try String(contentsOfFile: path, encoding: .utf8)
        let start = try #require(html.range(of: "<script type=\"application/json\" id=\"data\">"))
        let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http"), "a page must not load anything from the network")
        return try #require(try JSONSerialization.jsonObject(with: Data(html[start.upperBound..<end.lowerBound].utf8)) as? [String: Any])
    }

    /// The JSON objects of a text of JSON Lines (lines that are not one left out).
    static func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test("train a character model, then viz (h, c and gates of both layers, top-5, ranking, saturation) and report (curves, norms, clipping, samples)")
    func vizAndReportOfACharacterModel() throws {
        let (work, data) = try TrainingCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("run")
        let train = try CLI.recur(["train", "--data", data.path, "--out", out.path, "--steps", "12", "--clip", "0.5"] + TrainingCommandTests.small)
        #expect(train.status == 0, "\(train.stderr)")
        let model = out.appendingPathComponent("model.safetensors").path
        let page = work.appendingPathComponent("viz.html").path
        let viz = try CLI.recur(["viz", model, "--data", data.path, "--offset", "3", "--length", "150", "--out", page])
        #expect(viz.status == 0, "\(viz.stderr)")
        let d = try Self.pageData(page)
        let text = try #require(d["text"] as? [String])
        #expect(text.count == 150 && text.joined() == String(TrainingCommandTests.text.dropFirst(3).prefix(150)))
        #expect(d["kind"] as? String == "lm" && d["layers"] as? Int == 2 && d["hidden"] as? Int == 16)
        #expect(d["gateNames"] as? [String] == ["input", "forget", "cell", "output"])
        let states = try #require(d["states"] as? [[String: Any]])
        #expect(states.map { "\($0["layer"]!)\($0["name"]!)" } == ["0h", "0c", "1h", "1c"])
        for state in states {
            let encoded = try #require(state["values"] as? String)
            let bytes = try #require(Data(base64Encoded: encoded))
            #expect(bytes.count == 150 * 16)
            #expect((state["scale"] as? [Double])?.count == 16)
        }
        let gates = try #require(d["gates"] as? [String])
        #expect(gates.count == 2 && gates.allSatisfy { Data(base64Encoded: $0)?.count == 150 * 4 * 16 })
        let next = try #require(d["nextProbabilities"] as? [[Double]])
        #expect(next.count == 150 && next.allSatisfy { $0.count == 5 && $0 == $0.sorted(by: >) && $0.reduce(0, +) <= 1.0001 })
        let ranking = try #require(d["ranking"] as? [[String: Any]])
        let scores = ranking.compactMap { ($0["r"] as? Double).map(abs) }
        #expect(ranking.count == 40 && scores == scores.sorted(by: >))
        let saturation = try #require(d["saturation"] as? [[[String: Any]]])
        #expect(saturation.count == 2 && saturation.allSatisfy { $0.map { $0["name"] as? String } == ["input", "forget", "output"] })

        let report = work.appendingPathComponent("report.html").path
        let made = try CLI.recur(["report", out.path, "--out", report])
        #expect(made.status == 0, "\(made.stderr)")
        let r = try Self.pageData(report)
        let rows = try #require(r["rows"] as? [[String: Any]])
        #expect(rows.map { $0["step"] as? Int } == [5, 10, 12])
        for row in rows {
            let norm = try #require(row["gradientNorm"] as? Double), largest = try #require(row["gradientNormMax"] as? Double)
            let clipped = try #require(row["clipped"] as? Double)
            #expect(norm > 0 && largest >= norm && clipped >= 0 && clipped <= 1)
            #expect(largest > 0.5 || clipped == 0, "clipping at 0.5 can only fire when the largest norm passes it")
        }
        let samples = try #require(r["samples"] as? [[String: Any]])
        #expect(samples.map { $0["step"] as? Int } == [4, 8, 12] && samples.allSatisfy { ($0["text"] as? String)?.unicodeScalars.count == 300 })
        let metadata = try #require(r["metadata"] as? [String: String])
        #expect(metadata["task"] == "lm" && metadata["training.settings"]?.contains("\"clip\":0.5") == true)
        let resumed = try CLI.recur(["train", "--data", data.path, "--out", out.path, "--steps", "16", "--clip", "0.5", "--resume"] + TrainingCommandTests.small)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let afterResume = try String(contentsOf: out.appendingPathComponent("samples.jsonl"), encoding: .utf8)
        #expect(Self.jsonLines(afterResume).compactMap { $0["step"] as? Int } == [4, 8, 12, 16])

        try CLI.expectRefused(["viz", model, "--data", data.path, "--out", work.appendingPathComponent("x.svg").path], phrase: "--out")
        try CLI.expectRefused(["viz", model, "--data", data.path, "--offset", "999999", "--out", page], phrase: "--offset")
        try CLI.expectRefused(["viz", model, "--data", data.path, "--examples", "3", "--out", page], phrase: "--examples")
        let foreign = try CommandLineTests.temporaryFile(Data("Zebra quiz ~".utf8))
        defer { try? FileManager.default.removeItem(at: foreign) }
        try CLI.expectRefused(["viz", model, "--data", foreign.path, "--out", page], phrase: "outside the model's vocabulary")
        try CLI.expectRefused(["viz", model, "--data", work.appendingPathComponent("missing.txt").path, "--out", page], phrase: "no such file")
        try CLI.expectRefused(["viz", model, "--data", data.path, "--out", work.path], phrase: "--out")
        try CLI.expectRefused(["viz", model, "--data", data.path, "--out", work.appendingPathComponent("no/such/folder.html").path], phrase: "--out")
        try CLI.expectRefused(["report", model, "--out", report], phrase: "is a file")
        try CLI.expectRefused(["report", work.appendingPathComponent("nothing").path, "--out", report], phrase: "no such folder")
        try CLI.expectRefused(["report", work.path, "--out", report], phrase: "no metrics.jsonl")
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("x.svg").path))
    }

    @Test("viz of a classifier (every prefix's probabilities; the last is the whole example's), a tagger and an encoder-decoder with attention")
    func vizOfSequenceTasks() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        // classifier
        let sentiment = try ClassifyCommandTests.write(ClassifyCommandTests.sentiment(count: 120, seed: 1), "train.jsonl", in: work)
        let classifier = work.appendingPathComponent("classify").path
        #expect(try CLI.recur(["train", "--data", sentiment, "--out", classifier, "--epochs", "3"] + ClassifyCommandTests.small).status == 0)
        let classifyPage = work.appendingPathComponent("classify.html").path
        let viz = try CLI.recur(["viz", classifier + "/model.safetensors", "--data", sentiment, "--examples", "5", "--out", classifyPage])
        #expect(viz.status == 0, "\(viz.stderr)")
        let c = try Self.pageData(classifyPage)
        #expect(c["kind"] as? String == "classify" && (c["classes"] as? [String])?.sorted() == ["neg", "pos"])
        let examples = try #require(c["examples"] as? [[String: Any]])
        #expect(examples.count == 5)
        let predict = try CLI.recur(["predict", classifier + "/model.safetensors", "--data", sentiment])
        let predicted = Self.jsonLines(predict.stdout).prefix(5).compactMap { $0["probabilities"] as? [String: Double] }
        let classes = try #require(c["classes"] as? [String])
        for (example, whole) in zip(examples, predicted) {
            let steps = try #require(example["steps"] as? [String]), p = try #require(example["probabilities"] as? [[Double]])
            #expect(p.count == steps.count && steps.count >= 3 && example["truth"] is String)
            // The last prefix is the whole example: recur predict's probabilities.
            for (k, name) in classes.enumerated() { #expect(abs(p.last![k] - whole[name]!) <= 2e-4, "\(name): \(p.last![k]) vs \(whole[name]!)") }
        }
        // tagger
        let conll = try ClassifyCommandTests.write(TagCommandTests.conll(count: 60, seed: 1), "train.conll", in: work)
        let tagger = work.appendingPathComponent("tag").path
        #expect(try CLI.recur(["train", "--data", conll, "--out", tagger, "--epochs", "2"] + TagCommandTests.small).status == 0)
        let tagPage = work.appendingPathComponent("tag.html").path
        #expect(try CLI.recur(["viz", tagger + "/model.safetensors", "--data", conll, "--examples", "4", "--out", tagPage]).status == 0)
        let t = try Self.pageData(tagPage)
        let tagged = try #require(t["examples"] as? [[String: Any]])
        #expect(t["kind"] as? String == "tag" && tagged.count == 4)
        for example in tagged {
            let steps = try #require(example["steps"] as? [String]), truth = try #require(example["truthSteps"] as? [String])
            let p = try #require(example["probabilities"] as? [[Double]])
            #expect(steps.count == truth.count && p.count == steps.count && p.allSatisfy { abs($0.reduce(0, +) - 1) <= 1e-3 })
        }
        // encoder-decoder
        let pairs = try ClassifyCommandTests.write(Seq2SeqCommandTests.reversals(count: 200, seed: 1), "pairs.tsv", in: work)
        let seq2seq = work.appendingPathComponent("seq2seq").path
        #expect(try CLI.recur(["train", "--data", pairs, "--out", seq2seq, "--epochs", "2"] + Seq2SeqCommandTests.small).status == 0)
        let seqPage = work.appendingPathComponent("seq2seq.html").path
        #expect(try CLI.recur(["viz", seq2seq + "/model.safetensors", "--data", pairs, "--examples", "3", "--out", seqPage]).status == 0)
        let s = try Self.pageData(seqPage)
        let decoded = try #require(s["examples"] as? [[String: Any]])
        let greedy = try CLI.recur(["predict", seq2seq + "/model.safetensors", "--data", pairs])
        let written = Self.jsonLines(greedy.stdout).prefix(3).compactMap { $0["prediction"] as? String }
        #expect(decoded.map { $0["prediction"] as? String } == written)
        #expect(decoded.allSatisfy { ($0["attention"] as? String)?.contains("<svg") == true && $0["truth"] is String })
        // an option of a character model given for a classifier, and a bad value: one line each
        try CLI.expectRefused(["viz", classifier + "/model.safetensors", "--data", sentiment, "--length", "50", "--out", classifyPage], phrase: "--length")
        try CLI.expectRefused(["viz", classifier + "/model.safetensors", "--data", sentiment, "--examples", "0", "--out", classifyPage], phrase: "--examples")
    }

    @Test("gradient-flow: a short run writes the figures of every cell and length, with norms per step")
    func gradientFlow() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let page = work.appendingPathComponent("flow.html").path
        let run = try CLI.recur(["gradient-flow", "--cell", "rnn,lstm", "--cell", "gru", "--lengths", "8,5", "--hidden", "8",
                                 "--steps", "20", "--batch", "8", "--out", page])
        #expect(run.status == 0, "\(run.stderr)")
        let d = try Self.pageData(page)
        #expect(d["flowLength"] as? Int == 8)
        let runs = try #require(d["runs"] as? [[String: Any]])
        #expect(runs.map { "\($0["cell"]!)\($0["length"]!)" } == ["rnn5", "rnn8", "lstm5", "lstm8", "gru5", "gru8"])
        for r in runs {
            let length = try #require(r["length"] as? Int)
            #expect((r["initialNorms"] as? [Double])?.count == length && (r["trainedNorms"] as? [Double])?.count == length)
            let accuracy = try #require(r["accuracy"] as? Double)
            #expect(accuracy >= 0 && accuracy <= 1)
        }
        #expect(run.stdout.split(separator: "\n").filter { $0.hasPrefix("rnn ") || $0.hasPrefix("lstm ") || $0.hasPrefix("gru ") }.count == 6)
        try CLI.expectRefused(["gradient-flow", "--cell", "transformer", "--out", page], phrase: "--cell")
        try CLI.expectRefused(["gradient-flow", "--lengths", "8,x", "--out", page], phrase: "--lengths")
        try CLI.expectRefused(["gradient-flow", "--lengths", "8", "--flow-length", "9", "--out", page], phrase: "--flow-length")
        try CLI.expectRefused(["gradient-flow", "--out", work.appendingPathComponent("nowhere/flow.html").path], phrase: "does not exist")
    }
}
