import Testing
import Recur

/// The readers of labelled sequences: what they accept, and the line and reason of what they refuse.
struct LabelledSequenceFileTests {
    static func parse(_ text: String, _ format: LabelledSequenceFormat, requireLabels: Bool = true) throws(DataError) -> [LabelledSequence] {
        try LabelledSequenceFile.parse(text, format: format, path: "f", requireLabels: requireLabels)
    }

    /// The error a text gets, or nil when it parses.
    static func refusal(_ text: String, _ format: LabelledSequenceFormat, requireLabels: Bool = true) -> DataError? {
        do {
            _ = try parse(text, format, requireLabels: requireLabels)
            return nil
        } catch {
            return error
        }
    }

    @Test("JSON Lines: text and numeric frames, labels as strings or numbers, blank lines skipped")
    func jsonLines() throws {
        let text = try Self.parse("{\"text\": \"héllo\", \"label\": \"a\"}\n\n{\"label\": 3, \"text\": \"x\"}\n", .jsonl)
        #expect(text == [LabelledSequence(content: .text("héllo"), label: "a", line: 1),
                         LabelledSequence(content: .text("x"), label: "3", line: 3)])
        let frames = try Self.parse("{\"sequence\": [[1, 2.5], [3, -4e-1]], \"label\": \"up\"}\n{\"sequence\": [[0, 0]], \"label\": \"down\"}", .jsonl)
        #expect(frames[0].content == .frames([[1, 2.5], [3, -0.4]]) && frames[1].line == 2)
        let univariate = try Self.parse("{\"sequence\": [1, 2, 3], \"label\": \"u\"}", .jsonl)
        #expect(univariate[0].content == .frames([[1], [2], [3]]))
        let unlabelled = try Self.parse("{\"text\": \"no label\"}", .jsonl, requireLabels: false)
        #expect(unlabelled[0].label == nil)
    }

    @Test("JSON Lines refusals name the line and the problem", arguments: [
        ("{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": }", 2, "is not valid JSON"),
        ("[1, 2]", 1, "is not a JSON object"),
        ("{\"text\": \"a\"}", 1, "has no \"label\""),
        ("{\"text\": \"a\", \"label\": \"x\", \"id\": 4}", 1, "unexpected field 'id'"),
        ("{\"label\": \"x\"}", 1, "has neither \"text\" nor \"sequence\""),
        ("{\"text\": \"a\", \"sequence\": [1], \"label\": \"x\"}", 1, "has both"),
        ("{\"text\": \"a\", \"label\": \"x\", \"label\": \"y\"}", 1, "has the field 'label' twice"),
        ("{\"sequence\": [], \"label\": \"x\"}", 1, "has an empty \"sequence\""),
        ("{\"text\": \"\", \"label\": \"x\"}", 1, "has an empty \"text\""),
        ("{\"sequence\": [[1, 2], [3]], \"label\": \"x\"}", 1, "step 1 of \"sequence\" has 1 features, but step 0 has 2"),
        ("{\"sequence\": [[1, 2]], \"label\": \"x\"}\n{\"sequence\": [[1, 2, 3]], \"label\": \"y\"}", 2, "has frames of 3 features, but the first sequence's have 2"),
        ("{\"sequence\": [[1, 1e999]], \"label\": \"x\"}", 1, "not a finite 32-bit number"),
        ("{\"sequence\": [[1, NaN]], \"label\": \"x\"}", 1, "is not valid JSON"),
        ("{\"sequence\": [[1, \"2\"]], \"label\": \"x\"}", 1, "holds something that is not a number"),
        ("{\"text\": \"a\", \"label\": \"x\"}\n{\"sequence\": [1], \"label\": \"x\"}", 2, "is a numeric sequence, but the first example is text"),
        ("{\"text\": \"a\", \"label\": true}", 1, "neither a string nor a number"),
        ("\n\n", 0, "holds no examples"),
    ])
    func jsonRefusals(text: String, line: Int, phrase: String) {
        let error = Self.refusal(text, .jsonl)
        #expect(error?.line == line, "\(String(describing: error))")
        #expect(error?.problem.contains(phrase) == true, "\(String(describing: error))")
        #expect(error?.description.hasPrefix(line > 0 ? "f:\(line): " : "f: ") == true)
    }

    @Test("TSV: label<TAB>text; a line without a tab is refused unless labels are optional")
    func tsv() throws {
        let examples = try Self.parse("pos\tgreat film\r\nneg\tawful\tplot\n", .tsv)
        #expect(examples == [LabelledSequence(content: .text("great film"), label: "pos", line: 1),
                             LabelledSequence(content: .text("awful\tplot"), label: "neg", line: 2)])
        #expect(Self.refusal("pos\tok\nno tab here\n", .tsv)?.line == 2)
        #expect(Self.refusal("\tok\n", .tsv)?.problem.contains("empty label") == true)
        #expect(try Self.parse("just text\n", .tsv, requireLabels: false)[0].label == nil)
    }

    static let tsHeader = """
        # a comment
        @problemName Tiny
        @timeStamps false
        @missing false
        @univariate false
        @dimensions 2
        @equalLength true
        @seriesLength 3
        @classLabel true a b
        @data

        """

    @Test(".ts: multivariate series become frames [step][dimension] with their labels")
    func timeSeriesArchive() throws {
        let examples = try Self.parse(Self.tsHeader + "1,2,3:4,5,6:a\n0.5,0,-1:1e2,2,3:b\n", .ts)
        #expect(examples.count == 2)
        #expect(examples[0].content == .frames([[1, 4], [2, 5], [3, 6]]) && examples[0].label == "a" && examples[0].line == 11)
        #expect(examples[1].content == .frames([[0.5, 100], [0, 2], [-1, 3]]) && examples[1].label == "b")
        let unequal = "% an ARFF-style comment\n@univariate true\n@equalLength false\n@classLabel true x y\n@data\n1,2,3:x\n4:y\n"
        #expect(try Self.parse(unequal, .ts).map(\.content) == [.frames([[1], [2], [3]]), .frames([[4]])])
    }

    @Test(".ts: a header the data contradicts, missing values and malformed lines are refused with the line", arguments: [
        (tsHeader + "1,2,3:4,5,6:7,8,9:a\n", 11, "has 3 dimensions, but the header says @dimensions 2"),
        (tsHeader + "1,2:4,5:a\n", 11, "has series of length 2, but the header says @seriesLength 3"),
        (tsHeader + "1,2,3:4,5,6:c\n", 11, "does not name"),
        (tsHeader + "1,?,3:4,5,6:a\n", 11, "missing value"),
        (tsHeader + "1,2,3:4,5:a\n", 11, "dimension 2 has 2 values but dimension 1 has 3"),
        (tsHeader + "1,2,3:4,x,6:a\n", 11, "holds 'x', which is not a number"),
        ("@univariate true\n@classLabel true a b\n@data\n1,2:3,4:a\n", 4, "but the header says @univariate true"),
        ("@equalLength true\n@classLabel true a b\n@data\n1,2:a\n1,2,3:b\n", 5, "@equalLength true"),
        ("@classLabel true a b\n1,2:a\n", 2, "comes before @data"),
        ("@classLabel true a b\n@frobnicate x\n@data\n", 2, "unknown header tag"),
        ("@targetLabel true\n@data\n1,2:3.5\n", 1, "regression"),
        ("@timeStamps true\n@data\n", 1, "@timeStamps true is not supported"),
        ("@classLabel true a b\n", 0, "has no @data line"),
        ("@classLabel false\n@data\n1,2,3\n", 3, "has no class label"),
    ])
    func timeSeriesRefusals(text: String, line: Int, phrase: String) {
        let error = Self.refusal(text, .ts)
        #expect(error?.line == line, "\(String(describing: error))")
        #expect(error?.problem.contains(phrase) == true, "\(String(describing: error))")
    }

    @Test("the format comes from the extension")
    func formats() {
        #expect(LabelledSequenceFormat(path: "a/b.JSONL") == .jsonl && LabelledSequenceFormat(path: "x.tsv") == .tsv)
        #expect(LabelledSequenceFormat(path: "BasicMotions_TRAIN.ts") == .ts && LabelledSequenceFormat(path: "x.csv") == nil)
    }
}
