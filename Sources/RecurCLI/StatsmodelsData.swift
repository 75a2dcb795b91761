import Foundation
import Recur

/// Where `recur data co2|macro` takes the series from: the wheel of statsmodels 0.14.4 for CPython 3.11
/// on manylinux x86-64, one file whatever the machine fetching it (pip is told the platform), so its
/// SHA-256 can be pinned.
enum StatsmodelsWheel {
    static let file = "statsmodels-0.14.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    static let sha256 = "e332c2d9b806083d1797231280602340c5c913f90d4caa0213a6a54679ce9331"
    static let pipOptions = ["--platform", "manylinux2014_x86_64", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"]
}

extension DataCommand {
    /// `recur data co2|macro`: the CSV in the cache (fetched once), or copied to --out.
    func fetchStatsmodels(_ set: StatsmodelsSeries.Set) throws {
        if let name { throw UserError("\(name): \(set.rawValue) takes no name") }
        if count != nil || seed != nil { throw UserError("--count and --seed: apply to numbers and dates") }
        let target = Self.cacheFolder.appendingPathComponent("\(set.rawValue).csv")
        if !FileManager.default.fileExists(atPath: target.path) {
            try Self.withVerifiedDownload("statsmodels==0.14.4", file: StatsmodelsWheel.file, sha256: StatsmodelsWheel.sha256, wheel: true,
                                          pipOptions: StatsmodelsWheel.pipOptions, creating: target.deletingLastPathComponent()) { work, wheel in
                let unzip = Self.run(["python3", "-c", "import sys,zipfile;sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode('utf-8'))",
                                      wheel.path, set.member])
                guard unzip.status == 0 else { throw UserError("\(StatsmodelsWheel.file): \(set.member) cannot be read") }
                let csv: String
                do {
                    csv = try StatsmodelsSeries.convert(unzip.output, set, path: StatsmodelsWheel.file + ":" + set.member)
                } catch let error as DataError {
                    throw UserError(error.description)
                }
                do {
                    try AtomicFile.write(Array(csv.utf8), to: target)
                } catch {
                    throw UserError("\(error)", kind: .ioError)
                }
                printError("wrote \(csv.split(separator: "\n").count - 1) rows to \(target.path)")
            }
        }
        guard let out else { return print(target.path) }
        guard let bytes = FileManager.default.contents(atPath: target.path) else { throw UserError("\(target.path): cannot be read", kind: .ioError) }
        do {
            try AtomicFile.write([UInt8](bytes), to: URL(fileURLWithPath: out))
        } catch {
            throw UserError("--out \(error)", kind: .ioError)
        }
        print(out)
    }
}
