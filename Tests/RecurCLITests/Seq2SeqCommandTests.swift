import Foundation
import Testing

/// `recur train --task seq2seq`, `eval`, `predict` (greedy, beam, attention map) and `data dates` run
/// as processes.
struct Seq2SeqCommandTests {
    typealias CLI = CommandLineTests

    /// Pairs whose target is the source's letters reversed and upper-cased: "abc<TAB>CBA".
    static func reversals(count: Int, seed: Int) -> String {
        var random = TestRandom(seed: seed)
        func next(_ n: Int) -> Int { random.next(n) }
        let letters = Array("abcdef")
        return (0..<count).map { _ in
            let word = String((0..<(2 + next(4))).map { _ in letters[next(letters.count)] })
            return word + "\t" + String(word.reversed()).uppercased()
        }.joined(separator: "\n") + "\n"
    }

    static let small = ["--task", "seq2seq", "--hidden", "32", "--embedding", "8", "--batch", "16", "--threads", "1", "--lr", "0.01"]

    @Test("train an encoder-decoder with attention, eval (report and JSON with BLEU and chrF), predict greedily and with a beam, draw the attention")
    func trainEvalPredict() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let train = try ClassifyCommandTests.write(Self.reversals(count: 600, seed: 1), "train.tsv", in: work)
        let test = try ClassifyCommandTests.write(Self.reversals(count: 60, seed: 2), "test.tsv", in: work)
        let out = work.appendingPathComponent("run").path
        let run = try CLI.recur(["train", "--data", train, "--out", out, "--epochs", "12", "--bidirectional"] + Self.small)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("recur train: seq2seq, gru encoder 1x32 bidirectional, decoder 1x32, attention bahdanau, 7 source / 9 target tokens"),
                "\(run.stdout)")
        let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
        #expect(metrics.contains("\"val_exact_match\"") && metrics.contains("\"val_token_accuracy\""))
        let eval = try CLI.recur(["eval", out + "/best.safetensors", "--data", test, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect(object["task"] as? String == "seq2seq" && object["pairs"] as? Int == 60)
        for key in ["loss", "exact_match", "token_accuracy", "bleu", "chrf"] { #expect(object[key] is Double, "\(key)") }
        let exact = try #require(object["exact_match"] as? Double), chrF = try #require(object["chrf"] as? Double)
        #expect(exact > 0.8 && chrF > 90, "exact match \(exact), chrF \(chrF)")
        let report = try CLI.recur(["eval", out + "/best.safetensors", "--data", test])
        #expect(report.status == 0 && report.stdout.contains("exact match") && report.stdout.contains("BLEU"), "\(report.stdout)")

        let sources = try ClassifyCommandTests.write("abcd\nfeed\n", "sources.txt", in: work)
        let greedy = try CLI.recur(["predict", out + "/best.safetensors", "--data", sources])
        #expect(greedy.status == 0 && greedy.stdout == "{\"prediction\":\"DCBA\"}\n{\"prediction\":\"DEEF\"}\n", "\(greedy.stdout)\(greedy.stderr)")
        let map = work.appendingPathComponent("attention.svg").path
        let beam = try CLI.recur(["predict", out + "/best.safetensors", "--data", sources, "--beam", "4", "--attention-map", map])
        #expect(beam.status == 0 && beam.stdout == greedy.stdout, "\(beam.stdout)\(beam.stderr)")
        let svg = try String(contentsOfFile: map, encoding: .utf8)
        // Two panels: 4 x 4 cells each, the sources along the top and the predictions down the side.
        #expect(svg.hasPrefix("<svg") && svg.components(separatedBy: "<rect x=").count - 1 == 32, "\(svg.prefix(300))")
        #expect(svg.contains(">D</text>") && svg.contains(">f</text>"))
        let html = work.appendingPathComponent("attention.html").path
        #expect(try CLI.recur(["predict", out + "/best.safetensors", "--data", sources, "--attention-map", html]).status == 0)
        #expect(try String(contentsOfFile: html, encoding: .utf8).hasPrefix("<!DOCTYPE html>"))

        // A source symbol unseen in training: read as <unk>, with one warning naming file and line.
        let unseen = try ClassifyCommandTests.write("abc\nabzc\n", "unseen.txt", in: work)
        let warned = try CLI.recur(["predict", out + "/best.safetensors", "--data", unseen])
        #expect(warned.status == 0 && warned.stderr == "warning: \(unseen):2: the source symbol 'z' was not seen in training; read as <unk>\n",
                "\(warned.stderr)")
        #expect(warned.stdout.split(separator: "\n").count == 2)
    }

    @Test("without attention, JSON Lines pairs, words, a shared vocabulary and scheduled sampling")
    func options() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let lines = (0..<80).map { i in "{\"source\": \"one \(["red", "blue"][i % 2]) cat\", \"target\": \"un chat \(["rouge", "bleu"][i % 2])\"}" }
        let train = try ClassifyCommandTests.write(lines.joined(separator: "\n") + "\n", "pairs.jsonl", in: work)
        let out = work.appendingPathComponent("run").path
        let run = try CLI.recur(["train", "--data", train, "--out", out, "--epochs", "40", "--attention", "none", "--tokens", "words",
                                 "--shared-vocabulary", "--teacher-forcing", "0.5", "--cell", "lstm", "--layers", "2", "--decoder-layers", "1"] + Self.small)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("lstm encoder 2x32, decoder 1x32, attention none, 11 source / 11 target tokens") && run.stdout.contains("teacher forcing 0.5"),
                "\(run.stdout)")
        let sources = try ClassifyCommandTests.write("{\"source\": \"one blue cat\"}\n", "in.jsonl", in: work)
        let predict = try CLI.recur(["predict", out + "/best.safetensors", "--data", sources])
        #expect(predict.status == 0 && predict.stdout == "{\"prediction\":\"un chat bleu\"}\n", "\(predict.stdout)\(predict.stderr)")
        let map = try CLI.recur(["predict", out + "/best.safetensors", "--data", sources, "--attention-map", work.appendingPathComponent("m.svg").path])
        #expect(map.status == 2 && map.stderr.contains("has no attention"), "\(map.stderr)")
    }

    @Test("an encoder-decoder resumed from a periodic checkpoint after SIGKILL equals the uninterrupted run bit for bit")
    func exactResume() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let train = try ClassifyCommandTests.write(Self.reversals(count: 400, seed: 3), "train.tsv", in: work)
        let options = ["--data", train, "--checkpoint-every", "3", "--eval-every", "5", "--warmup", "3", "--dropout", "0.2", "--layers", "2",
                       "--teacher-forcing", "0.7", "--attention", "luong-general", "--bidirectional"] + Self.small
        try TrainingCommandTests.expectKilledRunResumesExactly(options, in: work, holding: "attention.weight")
    }

    @Test("bad seq2seq input gets one error line naming file and line, and no --out folder", arguments: [
        ("ab\tBA\ncd\n", [String](), "data.tsv:2: has no tab; each line must be source<TAB>target"),
        ("ab\tBA\n\tDC\n", [], "data.tsv:2: has an empty source before the tab"),
        ("ab\tBA\ncd\t \n", [], "data.tsv:2: has an empty target after the tab"),
        ("ab\tBA\nabcdef\tFEDCBA\n", ["--max-source-length", "4"], "data.tsv:2: has a source of 6 tokens, over --max-source-length 4"),
        ("ab\tBA\nab\tFEDCBA\n", ["--max-target-length", "4"], "data.tsv:2: has a target of 6 tokens, over --max-target-length 4"),
        ("ab\tBA\n", ["--attention", "luong-dot", "--bidirectional"], "luong-dot attention needs the encoder's output width (256) to equal the decoder's hidden size (128)"),
        ("ab\tBA\n", ["--pool", "mean"], "--pool: does not apply to --task seq2seq"),
        ("ab\tBA\n", ["--teacher-forcing", "1.5"], "--teacher-forcing: must be a probability in [0, 1]"),
    ])
    func badInput(text: String, extra: [String], phrase: String) throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let data = try ClassifyCommandTests.write(text, "data.tsv", in: work)
        let out = work.appendingPathComponent("run")
        try TrainingCommandTests.expectRefused(["--task", "seq2seq", "--data", data, "--steps", "2"] + extra, out: out, phrase: phrase)
    }

    @Test("seq2seq options are refused for other tasks and other models")
    func misplacedOptions() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let corpus = try ClassifyCommandTests.write(String(repeating: "abcdef ", count: 200), "corpus.txt", in: work)
        let train = try CLI.recur(["train", "--data", corpus, "--out", work.appendingPathComponent("x").path, "--attention", "none"])
        #expect(train.status == 2 && train.stderr.contains("--attention: applies to --task seq2seq"), "\(train.stderr)")
        let model = work.appendingPathComponent("lm").path
        #expect(try CLI.recur(["train", "--data", corpus, "--out", model, "--steps", "1", "--hidden", "8", "--layers", "1", "--batch", "2",
                               "--seq-length", "8"]).status == 0)
        let predict = try CLI.recur(["predict", model + "/model.safetensors", "--data", corpus, "--beam", "3"])
        #expect(predict.status == 2 && predict.stderr.contains("--beam: applies to a seq2seq model"), "\(predict.stderr)")
    }

    @Test("recur data dates writes seeded train and test pairs of written dates and their ISO forms")
    func dates() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let run = try CLI.recur(["data", "dates", "--count", "500", "--out", work.path])
        #expect(run.status == 0 && run.stdout == "\(work.path)/train.tsv\n\(work.path)/test.tsv\n", "\(run.stdout)\(run.stderr)")
        let train = try String(contentsOfFile: work.path + "/train.tsv", encoding: .utf8)
        let test = try String(contentsOfFile: work.path + "/test.tsv", encoding: .utf8)
        let lines = (train + test).split(separator: "\n")
        #expect(lines.count == 500)
        let iso = try Regex("^(19[5-9][0-9]|20[0-4][0-9])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
        for line in lines {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            #expect(fields.count == 2 && !fields[0].isEmpty && fields[1].wholeMatch(of: iso) != nil, "\(line)")
        }
        #expect(Set(lines.map { $0.split(separator: "\t")[0] }).count > 450, "the sources should vary")
        let again = try CLI.recur(["data", "dates", "--count", "500", "--out", work.appendingPathComponent("again").path])
        #expect(again.status == 0)
        #expect(try String(contentsOfFile: work.path + "/again/train.tsv", encoding: .utf8) == train)
    }
}
