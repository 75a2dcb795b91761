import Foundation
import Testing

/// `recur train --task forecast`, `eval` and `predict` (with --plot) run as processes.
struct ForecastCommandTests {
    typealias CLI = CommandLineTests

    /// A monthly CSV: a yearly cycle on a rising line, with a feature that leads the target by a step,
    /// and a few gaps in the target.
    static func monthly(rows: Int, gaps: Bool = false) -> String {
        var random = TestRandom(seed: 7)
        var lines = ["month,sales,promo"]
        for i in 0..<rows {
            let year = 2000 + i / 12, month = i % 12 + 1
            let sales = 100 + Double(i) * 0.5 + 10 * sin(Double(i) * 2 * .pi / 12) + Double(random.next(100)) / 50
            let value = gaps && i % 17 == 5 ? "" : String(format: "%.3f", sales)
            lines.append(String(format: "%04d-%02d-01,", year, month) + value + String(format: ",%.2f", sin(Double(i + 1) * 2 * .pi / 12)))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static let small = ["--task", "forecast", "--target", "sales", "--time", "month", "--context", "24", "--horizon", "6",
                        "--seasonal-period", "12", "--hidden", "16", "--batch", "16", "--threads", "1", "--lr", "0.01"]

    @Test("train (with gaps filled), eval with the baselines (report, JSON, rolling origins), predict CSV with continued dates and quantiles, plot")
    func trainEvalPredict() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let data = try ClassifyCommandTests.write(Self.monthly(rows: 180, gaps: true), "sales.csv", in: work)
        let out = work.appendingPathComponent("run").path
        let refused = try CLI.recur(["train", "--data", data, "--out", out] + Self.small)
        #expect(refused.status == 2 && refused.stderr.hasPrefix("error: \(data): row 7, column \"sales\": the value is missing"), "\(refused.stderr)")
        let run = try CLI.recur(["train", "--data", data, "--out", out, "--epochs", "30", "--fill", "linear", "--difference", "1",
                                 "--features", "promo", "--quantiles", "0.1,0.5,0.9", "--strategy", "seq2seq"] + Self.small)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("recur train: forecast, lstm 1x16, seq2seq, context 24 -> horizon 6, 1 target + 1 features, pinball loss at 0.1,0.5,0.9, differenced, standard scaling, test 6 rows held out"),
                "\(run.stdout)")
        let eval = try CLI.recur(["eval", out + "/best.safetensors", "--data", data, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect(object["task"] as? String == "forecast" && object["points"] as? Int == 6 && object["origins"] as? Int == 1)
        for key in ["mae", "rmse", "smape", "mase"] { #expect(object[key] is Double, "\(key)") }
        let baselines = try #require(object["baselines"] as? [String: [String: Double]])
        #expect(Set(baselines.keys) == ["naive", "seasonal_naive", "drift"] && baselines.values.allSatisfy { $0.count == 4 })
        let mase = try #require(object["mase"] as? Double), seasonal = try #require(baselines["seasonal_naive"]?["mase"])
        #expect(mase < seasonal, "MASE \(mase) vs seasonal naive \(seasonal)")
        let rolling = try CLI.recur(["eval", out + "/best.safetensors", "--data", data, "--rolling", "4", "--test-size", "3"])
        #expect(rolling.status == 0 && rolling.stdout.contains("12 points forecast (last 3 rows, 4 origins, seasonal period 12)")
                && rolling.stdout.contains("seasonal_naive"), "\(rolling.stdout)\(rolling.stderr)")

        let plot = work.appendingPathComponent("f.svg").path
        let predict = try CLI.recur(["predict", out + "/best.safetensors", "--data", data, "--plot", plot, "--horizon", "8"])
        #expect(predict.status == 0, "\(predict.stderr)")
        let lines = predict.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 9 && lines[0] == "month,sales,sales_q0.1,sales_q0.9" && lines[1].hasPrefix("2015-01-01,")
                && lines[8].hasPrefix("2015-08-01,"), "\(predict.stdout)")
        for line in lines.dropFirst() {
            let values = line.split(separator: ",").dropFirst().compactMap { Double($0) }
            #expect(values.count == 3 && values[1] <= values[0] + 1e-9 && values[0] <= values[2] + 1e-9 && values[0] > 150 && values[0] < 220, "\(line)")
        }
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("<polygon") && svg.contains(">2015-08-01</text>") && svg.contains("80% interval"))
    }

    @Test("direct (mse) and recursive (mae, minmax, GRU) train from the command line; a direct model refuses a longer horizon, a recursive one forecasts it")
    func strategies() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let data = try ClassifyCommandTests.write(Self.monthly(rows: 120), "sales.csv", in: work)
        for (strategy, loss) in [("direct", "mse"), ("recursive", "mae")] {
            let out = work.appendingPathComponent(strategy).path
            let run = try CLI.recur(["train", "--data", data, "--out", out, "--epochs", "2", "--strategy", strategy, "--loss", loss,
                                     "--scale", "minmax", "--cell", "gru"] + Self.small)
            #expect(run.status == 0, "\(strategy): \(run.stderr)")
            let predict = try CLI.recur(["predict", out + "/model.safetensors", "--data", data, "--horizon", "7"])
            if strategy == "direct" {
                #expect(predict.status == 2 && predict.stderr == "error: --horizon 7: this direct model forecasts at most 6 steps; retrain with a longer --horizon, or use --strategy recursive or seq2seq\n",
                        "\(predict.stderr)")
            } else {
                #expect(predict.status == 0 && predict.stdout.split(separator: "\n").count == 8, "\(predict.stdout)\(predict.stderr)")
            }
        }
    }

    @Test("bad options and files: one error line, exit 2, no run folder", arguments: [
        (["--target", "nope"], "has no column \"nope\" for --target; its columns are \"month\", \"sales\", \"promo\""),
        (["--context", "100"], "has 60 rows, too few for one training window: context 100 + horizon 6 + test 6 rows are needed at least"),
        (["--quantiles", "0.1,0.9"], "--quantiles: must include 0.5, the point forecast"),
        (["--quantiles", "0.5,0.1"], "--quantiles: must increase"),
        (["--loss", "pinball"], "--loss pinball: give its --quantiles"),
        (["--difference", "2"], "--difference: must be 0 or 1, got 2"),
        (["--strategy", "recursive", "--features", "promo"], "the recursive strategy feeds its forecasts back as inputs"),
        (["--val", "x.csv"], "--val: does not apply to --task forecast"),
        (["--embedding", "8"], "--embedding: does not apply to --task forecast"),
        (["--time", "sales"], "column \"sales\" is named twice"),
    ])
    func refusals(_ extra: [String], _ phrase: String) throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let data = try ClassifyCommandTests.write(Self.monthly(rows: 60), "sales.csv", in: work)
        var options = Self.small
        // A later option of the same name wins in the parser; drop the default ones that `extra` replaces.
        for name in extra.enumerated().filter({ $0.offset % 2 == 0 }).map(\.element) {
            if let i = options.firstIndex(of: name) { options.removeSubrange(i...(i + 1)) }
        }
        try TrainingCommandTests.expectRefused(["--data", data] + options + extra, out: work.appendingPathComponent("run"), phrase: phrase)
    }

    @Test("options of other tasks, and forecasting options elsewhere, are refused")
    func misplacedOptions() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let text = try ClassifyCommandTests.write("some text to learn from\n", "t.txt", in: work)
        try TrainingCommandTests.expectRefused(["--data", text, "--horizon", "3"], out: work.appendingPathComponent("run"),
                                               phrase: "--horizon: applies to --task forecast")
        let data = try ClassifyCommandTests.write(Self.monthly(rows: 60), "sales.csv", in: work)
        try TrainingCommandTests.expectRefused(["--data", data, "--task", "forecast", "--target", "sales"], out: work.appendingPathComponent("run"),
                                               phrase: "--context: give N, the past steps each forecast reads")
    }

    @Test("a forecaster resumed from a periodic checkpoint after SIGKILL equals the uninterrupted run bit for bit")
    func exactResume() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let data = try ClassifyCommandTests.write(Self.monthly(rows: 240), "sales.csv", in: work)
        let options = ["--data", data, "--checkpoint-every", "3", "--eval-every", "5", "--dropout", "0.2", "--layers", "2",
                       "--strategy", "seq2seq", "--quantiles", "0.2,0.5,0.8"] + Self.small
        try TrainingCommandTests.expectKilledRunResumesExactly(options, in: work, holding: "decoder.cells.1.weight_hh")
    }

    @Test("eval and predict refuse what cannot be forecast: a file too short, a test longer than a direct model's horizon")
    func evalRefusals() throws {
        let work = try ClassifyCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let data = try ClassifyCommandTests.write(Self.monthly(rows: 80), "sales.csv", in: work)
        let out = work.appendingPathComponent("run").path
        #expect(try CLI.recur(["train", "--data", data, "--out", out, "--steps", "2"] + Self.small).status == 0)
        let short = try ClassifyCommandTests.write(Self.monthly(rows: 20), "short.csv", in: work)
        let tooShort = try CLI.recur(["predict", out + "/model.safetensors", "--data", short])
        #expect(tooShort.status == 2 && tooShort.stderr == "error: \(short): has 20 rows; a forecast needs 24 rows before the first forecast (context 24)\n",
                "\(tooShort.stderr)")
        let longTest = try CLI.recur(["eval", out + "/model.safetensors", "--data", data, "--test-size", "7"])
        #expect(longTest.status == 2 && longTest.stderr.hasPrefix("error: --test-size 7: this direct model forecasts at most its horizon, 6 steps"),
                "\(longTest.stderr)")
        let other = try ClassifyCommandTests.write("month,other\n2000-01-01,1\n", "other.csv", in: work)
        let missing = try CLI.recur(["predict", out + "/model.safetensors", "--data", other])
        #expect(missing.status == 2 && missing.stderr.contains("has no column \"sales\" for --target"), "\(missing.stderr)")
        let plot = try CLI.recur(["predict", out + "/model.safetensors", "--data", data, "--plot", work.appendingPathComponent("p.png").path])
        #expect(plot.status == 2 && plot.stderr == "error: --plot \(work.appendingPathComponent("p.png").path): give a file name ending in .svg\n")
    }
}
