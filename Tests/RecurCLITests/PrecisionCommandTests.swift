import Foundation
import RecurCore
import Testing

/// `--precision bf16` on the commands that compute: refused with one error line on a CPU without bf16
/// instructions, and, where oneDNN multiplies bf16 (natively, or emulated with RECUR_BF16=emulate),
/// a character model trained, sampled and evaluated with bf16 products.
struct PrecisionCommandTests {
    typealias CLI = CommandLineTests

    @Test("without bf16 instructions, --precision bf16 is one error line and exit code 2 on train, eval, predict, sample and bench")
    func refusedWithoutInstructions() throws {
        guard !BFloat16Products.isNative else {
            let run = try CLI.recur(["bench", "--only", "small-lstm", "--seconds", "0.1", "--precision", "bf16"])
            #expect(run.status == 0 && run.stdout.contains("bf16 products"), "\(run.stdout)\(run.stderr)")
            return
        }
        let (work, data) = try TrainingCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let expected = "error: --precision bf16: this CPU has no bfloat16 instructions (AVX512_BF16 or AMX-BF16); use --precision fp32\n"
        for arguments in [["train", "--data", data.path, "--out", work.appendingPathComponent("run").path],
                          ["eval", "missing.safetensors", "--data", data.path], ["predict", "missing.safetensors", "--data", data.path],
                          ["sample", "missing.safetensors"], ["bench", "--seconds", "0.1"]] {
            let run = try CLI.recur(arguments + ["--precision", "bf16"])
            #expect(run.status == 2 && run.stderr == expected, "\(arguments[0]): \(run.status) \(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("run").path))
        let unknown = try CLI.recur(["bench", "--precision", "fp16"])
        #expect(unknown.status == 64 && unknown.stderr.contains("fp32") && unknown.stderr.contains("bf16"), "\(unknown.status) \(unknown.stderr)")
    }

    @Test("with bf16 products: train, sample and eval run; eval's bits/char within 0.01 of fp32's on the same checkpoint (where oneDNN has no bf16 product, one error line)")
    func bfloat16Run() throws {
        guard BFloat16Products.isAvailable else {
            // An AVX2-only CPU: even oneDNN's emulation is missing, which RECUR_BF16=emulate is told.
            let run = try CLI.recur(["bench", "--seconds", "0.1", "--precision", "bf16"], environment: ["RECUR_BF16": "emulate"])
            #expect(run.status == 2 && run.stderr == "error: --precision bf16: oneDNN cannot multiply in bfloat16 on this machine; use --precision fp32\n",
                    "\(run.stderr)")
            return
        }
        let environment = BFloat16Products.isNative ? [:] : ["RECUR_BF16": "emulate"]
        let (work, data) = try TrainingCommandTests.workspace()
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("run")
        let train = try CLI.start(["train", "--data", data.path, "--out", out.path, "--steps", "12", "--precision", "bf16"]
                                  + TrainingCommandTests.small, environment: environment).finish()
        #expect(train.status == 0 && train.stdout.contains("bf16 products;"), "\(train.stdout)\(train.stderr)")
        let model = out.appendingPathComponent("model.safetensors").path
        let sample = try CLI.start(["sample", model, "--length", "40", "--seed", "1", "--prime", "To be", "--precision", "bf16"],
                                   environment: environment).finish()
        #expect(sample.status == 0 && sample.stdout.hasPrefix("To be") && sample.stdout.unicodeScalars.count == 5 + 40 + 1,
                "\(sample.stdout)\(sample.stderr)")
        var bits: [Double] = []
        for precision in ["fp32", "bf16"] {
            let eval = try CLI.start(["eval", model, "--data", data.path, "--json", "--precision", precision], environment: environment).finish()
            #expect(eval.status == 0, "\(eval.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
            bits.append(try #require(object["bits_per_char"] as? Double))
        }
        #expect(abs(bits[1] - bits[0]) <= 0.01 && bits[0] != bits[1], "fp32 \(bits[0]) bf16 \(bits[1]) bits/char")
    }
}
