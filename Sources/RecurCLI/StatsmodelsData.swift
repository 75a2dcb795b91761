import Foundation
import Recur

/// The forecasting series that `recur data` takes from the statsmodels package.
enum StatsmodelsSet: String {
    case co2
    case macro

    /// The file inside the wheel.
    var member: String {
        switch self {
        case .co2: return "statsmodels/datasets/co2/co2.csv"
        case .macro: return "statsmodels/datasets/macrodata/macrodata.csv"
        }
    }

    /// The wheel of statsmodels 0.14.4 for CPython 3.11 on manylinux x86-64: one file whatever the
    /// machine fetching it (pip is told the platform), so its SHA-256 can be pinned.
    static let wheel = "statsmodels-0.14.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    static let sha256 = "e332c2d9b806083d1797231280602340c5c913f90d4caa0213a6a54679ce9331"
    static let pipOptions = ["--platform", "manylinux2014_x86_64", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"]
}

extension DataCommand {
    /// `recur data co2|macro`: the CSV in the cache (fetched once), or copied to --out.
    func fetchStatsmodels(_ set: StatsmodelsSet) throws {
        if let name { throw UserError("\(name): \(set.rawValue) takes no name") }
        if count != nil || seed != nil { throw UserError("--count and --seed: apply to numbers and dates") }
        let target = Self.cacheFolder.appendingPathComponent("\(set.rawValue).csv")
        if !FileManager.default.fileExists(atPath: target.path) {
            try Self.withVerifiedDownload("statsmodels==0.14.4", file: StatsmodelsSet.wheel, sha256: StatsmodelsSet.sha256, wheel: true,
                                          pipOptions: StatsmodelsSet.pipOptions, creating: target.deletingLastPathComponent()) { work, wheel in
                let unzip = Self.run(["python3", "-c", "import sys,zipfile;sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode('utf-8'))",
                                      wheel.path, set.member])
                guard unzip.status == 0 else { throw UserError("\(StatsmodelsSet.wheel): \(set.member) cannot be read") }
                let csv: String
                do {
                    csv = try StatsmodelsSeries.convert(unzip.output, set == .co2 ? .co2 : .macro, path: StatsmodelsSet.wheel + ":" + set.member)
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
